import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readerMailOutboxBacklog, relayReaderMailOutbox } from '../../services/core/reader-mail/reader-mail-outbox.js';
import { relayReaderMail } from '../../services/worker/reader-mail-relay.js';
import { eraseSubscriber } from '../../services/core/subscribers/subscriber-admin-repo.js';
import { createReaderHarness, type ReaderHarness } from '../helpers/readers.js';

/**
 * The outbox between a signup and its confirmation job: written with the reader, relayed to the
 * transactional queue by the worker, never lost and never doubled.
 */

let h: ReaderHarness;

beforeAll(async () => {
  h = await createReaderHarness('readers-outbox');
});
afterAll(async () => {
  await h?.close();
});

const outboxRows = () =>
  h.test.runtime.database.sql<{ subscriber_id: string; kind: string; sent_in_window: number }[]>`
    select subscriber_id, kind, sent_in_window from reader_mail_outbox order by id`;
const relayOnce = (batchSize?: number) => relayReaderMail(h.test.runtime, batchSize);

describe('reader mail outbox', () => {
  it('holds a signup\'s confirmation until the relay moves it to the queue as one job named by its mail slot', async () => {
    await relayOnce();
    const response = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: h.uniqueEmail('outbox') } });
    expect(response.statusCode).toBe(202);
    const [row] = await outboxRows();
    expect(row).toMatchObject({ kind: 'confirmation', sent_in_window: 1 });
    const subscriberId = Number(row!.subscriber_id);
    const queue = h.test.runtime.queues.transactional;
    expect((await queue.getJobs(['waiting'])).filter((job) => job.data.subscriberId === subscriberId)).toHaveLength(0);

    expect(await relayOnce()).toBe(1);
    expect((await readerMailOutboxBacklog(h.test.runtime.database.sql)).count).toBe(0);
    const jobs = (await queue.getJobs(['waiting'])).filter((job) => job.data.subscriberId === subscriberId);
    expect(jobs.map((job) => job.name)).toEqual(['confirmation']);
    expect(jobs[0]!.id).toMatch(new RegExp(`^confirmation-${subscriberId}-[0-9a-z]+-1$`));
  });

  it('relays a request twice (a relay that died before deleting it) as one job', async () => {
    await relayOnce();
    const email = h.uniqueEmail('twice');
    await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
    const [owed] = await h.test.runtime.database.sql`select subscriber_id, kind, window_started_at, sent_in_window from reader_mail_outbox`;
    await relayOnce();
    await h.test.runtime.database.sql`insert into reader_mail_outbox ${h.test.runtime.database.sql(owed!)}`;
    expect(await relayOnce()).toBe(1);
    const reader = await h.subscriberByEmail(email);
    expect(await h.jobsFor(reader!.id)).toHaveLength(1);
  });

  it('keeps the requests when the queue refuses them, and moves them on the next pass', async () => {
    await relayOnce();
    await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: h.uniqueEmail('refused') } });
    await expect(
      relayReaderMailOutbox(h.test.runtime.database.sql, 500, async () => {
        throw new Error('queue unavailable');
      }),
    ).rejects.toThrow('queue unavailable');
    expect((await readerMailOutboxBacklog(h.test.runtime.database.sql)).count).toBe(1);
    expect(await relayOnce()).toBe(1);
  });

  it('moves a backlog in batches, each request exactly once, with relays running side by side', async () => {
    await relayOnce();
    const emails = Array.from({ length: 30 }, () => h.uniqueEmail('backlog'));
    for (const email of emails) await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
    expect((await readerMailOutboxBacklog(h.test.runtime.database.sql)).count).toBe(30);
    let moved = 0;
    for (;;) {
      const passes = await Promise.all([relayOnce(4), relayOnce(4), relayOnce(4)]);
      moved += passes.reduce((sum, n) => sum + n, 0);
      if (passes.every((n) => n === 0)) break;
    }
    expect(moved).toBe(30);
    for (const email of emails) {
      const reader = await h.subscriberByEmail(email);
      expect(await h.jobsFor(reader!.id)).toHaveLength(1);
    }
  });

  it('forgets what an erased reader was owed', async () => {
    await relayOnce();
    const email = h.uniqueEmail('erased');
    await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
    const reader = await h.subscriberByEmail(email);
    expect((await readerMailOutboxBacklog(h.test.runtime.database.sql)).count).toBe(1);
    expect(await eraseSubscriber(h.test.runtime.database.sql, reader!.id)).toBe(true);
    expect((await readerMailOutboxBacklog(h.test.runtime.database.sql)).count).toBe(0);
  });
});
