import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../services/core/platform/config/config.js';
import { describeMailDestination } from '../../services/core/platform/mail/transport.js';

describe('where mail goes, as the start-up line says it', () => {
  it('names the SMTP host and port, never the credentials', () => {
    const described = describeMailDestination(configFromEnv({ SMTP_URL: 'smtp://papers:s3cret-pass@mail.acme-research.org:2525' }).mail);
    expect(described).toBe('SMTP mail.acme-research.org:2525');
    expect(described).not.toContain('s3cret');
    expect(described).not.toContain('papers');
  });

  it('gives the default port of the protocol when the URL has none', () => {
    expect(describeMailDestination(configFromEnv({ SMTP_URL: 'smtp://mail.acme-research.org' }).mail)).toBe('SMTP mail.acme-research.org:587');
    expect(describeMailDestination(configFromEnv({ SMTP_URL: 'smtps://u:p@mail.acme-research.org' }).mail)).toBe('SMTPS mail.acme-research.org:465');
  });

  it('names the outbox folder without SMTP_URL', () => {
    expect(describeMailDestination(configFromEnv({ OUTBOX_DIR: 'my-outbox' }).mail)).toBe(
      `the folder ${path.resolve('my-outbox')} (no SMTP_URL: nothing reaches a reader)`,
    );
  });
});
