import { describe, expect, it } from 'vitest';
import { deliveryIdOfMessageId, digestMessageId } from '../../services/core/platform/mail/digest-message-id.js';

const INSTALLATION = '0123456789abcdef';

describe('digest Message-IDs', () => {
  it('lead back to the delivery they were formed from, with or without angle brackets', () => {
    const messageId = digestMessageId(4711, INSTALLATION, 'paperboy.test');
    expect(messageId).toBe('<digest.4711.0123456789abcdef@paperboy.test>');
    expect(deliveryIdOfMessageId(messageId, INSTALLATION)).toBe(4711);
    expect(deliveryIdOfMessageId(' digest.4711.0123456789abcdef@paperboy.test ', INSTALLATION)).toBe(4711);
  });

  it('name no delivery when another installation, or anyone else, formed them', () => {
    expect(deliveryIdOfMessageId(digestMessageId(4711, 'fedcba9876543210', 'paperboy.test'), INSTALLATION)).toBeUndefined();
    for (const other of ['<provider-own@sendgrid.net>', '<digest.x1.0123456789abcdef@paperboy.test>', '<digest.0.0123456789abcdef@p.test>', '<digest.12.0123456789abcdef>', '']) {
      expect(deliveryIdOfMessageId(other, INSTALLATION)).toBeUndefined();
    }
  });
});
