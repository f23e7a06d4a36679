import { describe, expect, it } from 'vitest';
import { resolveTarget, type TargetLookups } from '../../services/core/bounces/bounce-service.js';
import type { EventDelivery } from '../../services/core/bounces/bounce-repo.js';
import type { MailEvent } from '../../services/core/bounces/mail-event.js';
import { createReturnPathToken } from '../../services/core/platform/tokens/return-path.js';

const SECRET = 'unit-test-secret-key-unit-test-secret-key';
const OCCURRED_AT = new Date('2026-08-14T07:05:00Z');

/** A ledger of two readers: reader 1 (reader@example.org) with digest 10, reader 2 with digest 20. */
function ledger() {
  const deliveries: Record<number, EventDelivery> = {
    10: { id: 10, subscriberId: 1, sendRunId: 5 },
    20: { id: 20, subscriberId: 2, sendRunId: 5 },
  };
  const asked: Array<{ address: string; sentBy: Date }> = [];
  const lookups: TargetLookups = {
    deliveryById: async (id) => deliveries[id],
    deliveryByMessageId: async (messageId) => (messageId.replace(/^<|>$/g, '') === 'digest-20@paperboy.test' ? deliveries[20] : undefined),
    readerByAddress: async (address, sentBy) => {
      asked.push({ address, sentBy });
      return address === 'reader@example.org' ? { subscriberId: 1, delivery: deliveries[10] } : undefined;
    },
  };
  return { lookups, asked };
}

const event = (fields: Partial<MailEvent>): MailEvent => ({
  source: 'postmark',
  eventKey: 'k',
  kind: 'hard_bounce',
  detail: 'd',
  occurredAt: OCCURRED_AT,
  ...fields,
});

describe('which reader and delivery an event is about', () => {
  it('an authenticated source vouching for the recipient names the reader and their latest digest by address', async () => {
    const { lookups, asked } = ledger();
    const target = await resolveTarget(lookups, SECRET, event({ recipient: ' Reader@Example.ORG ', recipientVouched: true }));
    expect(target).toEqual({ subscriberId: 1, delivery: { id: 10, subscriberId: 1, sendRunId: 5 } });
    // Normalized, and bounded by the event's time (with room for the two clocks to differ).
    expect(asked).toEqual([{ address: 'reader@example.org', sentBy: new Date('2026-08-14T07:15:00Z') }]);
  });

  it('a Message-ID or delivery id that matches wins over the recipient address', async () => {
    const { lookups, asked } = ledger();
    expect(await resolveTarget(lookups, SECRET, event({ messageId: 'digest-20@paperboy.test', recipient: 'reader@example.org', recipientVouched: true }))).toMatchObject({
      subscriberId: 2,
      delivery: { id: 20 },
    });
    expect(await resolveTarget(lookups, SECRET, event({ deliveryId: 20, recipient: 'reader@example.org', recipientVouched: true }))).toMatchObject({ subscriberId: 2 });
    expect(asked).toEqual([]);
  });

  it('falls back on the vouched recipient when the Message-ID is not ours', async () => {
    const { lookups } = ledger();
    expect(await resolveTarget(lookups, SECRET, event({ messageId: '<provider-own@sendgrid.net>', recipient: 'reader@example.org', recipientVouched: true }))).toMatchObject({
      subscriberId: 1,
    });
  });

  it('never picks a reader by address when the source did not vouch for it', async () => {
    const { lookups, asked } = ledger();
    expect(await resolveTarget(lookups, SECRET, event({ recipient: 'reader@example.org' }))).toBeUndefined();
    expect(await resolveTarget(lookups, SECRET, event({ messageId: '<unknown@x>', recipient: 'reader@example.org', recipientVouched: false }))).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('never picks a reader by address for reports received over SMTP, even marked vouched', async () => {
    const { lookups, asked } = ledger();
    for (const source of ['dsn', 'arf']) {
      expect(await resolveTarget(lookups, SECRET, event({ source, recipient: 'reader@example.org', recipientVouched: true }))).toBeUndefined();
    }
    expect(asked).toEqual([]);
  });

  it('a forged return-path token names nobody, whatever recipient comes with it', async () => {
    const { lookups, asked } = ledger();
    const forged = createReturnPathToken('some-other-secret-some-other-secret', { kind: 'delivery', deliveryId: 10 });
    expect(await resolveTarget(lookups, SECRET, event({ verpToken: forged, recipient: 'reader@example.org', recipientVouched: true }))).toBe('forged-token');
    expect(asked).toEqual([]);
  });

  it('a vouched address of no reader names nobody', async () => {
    const { lookups } = ledger();
    expect(await resolveTarget(lookups, SECRET, event({ recipient: 'stranger@example.org', recipientVouched: true }))).toBeUndefined();
  });
});
