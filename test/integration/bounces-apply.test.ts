import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMailEvents, type AppliedMailEvent } from '../../services/core/bounces/bounce-service.js';
import type { MailEvent } from '../../services/core/bounces/mail-event.js';
import { createDatabaseClient } from '../../services/core/platform/db/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * Applying a request's events when Postgres goes away midway: the events applied before the
 * failure are told to the caller (who logs and counts them) before the error propagates, since
 * the provider's retry will only find them duplicates.
 */
describe('applying mail events', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('bounces_apply');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('tells of each event as it is applied, those before a failure included', async () => {
    const client = createDatabaseClient({ url: database.url });
    const deps = { database: client, clock: () => new Date('2026-12-01T08:00:00Z'), config: { secretKey: 'bounces-apply-test-secret', bounces: { softBounceLimit: 3 } } };
    const events: MailEvent[] = [1, 2, 3].map((n) => ({
      source: 'postmark',
      eventKey: `event-${n}`,
      kind: 'hard_bounce',
      deliveryId: 1000 + n,
      detail: '5.1.1 user unknown',
      occurredAt: new Date('2026-12-01T07:00:00Z'),
    }));
    const told: AppliedMailEvent[] = [];
    try {
      // Postgres goes away, for this process, right after the first event: its pool is closed.
      const applying = applyMailEvents(deps, events, (applied) => {
        told.push(applied);
        void client.close();
      });
      await expect(applying).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
      expect(told).toEqual([{ event: events[0], outcome: { applied: false, reason: 'unknown-message' } }]);
    } finally {
      await client.close();
    }
  });
});
