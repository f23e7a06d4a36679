import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { markDeliveryBounced } from '../../services/core/bounces/bounce-repo.js';
import type { Sql } from '../../services/core/platform/db/client.js';
import { cancelRun } from '../../services/core/sending/run-control-service.js';
import { completeSendRunIfSettled } from '../../services/core/sending/send-run-repo.js';
import { maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { insertReaders } from '../helpers/factories.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

// Retention's night: the deliveries of editions before 2026-03-03 (90 days) are dropped.
const NOW = new Date('2026-06-01T03:30:00Z');
const ADMIN = { authorization: 'Bearer run-counts-admin-token' };
type Status = 'queued' | 'claimed' | 'sent' | 'failed' | 'skipped';

describe('a send run\'s delivery counts, stored when it ends', () => {
  let test: TestRuntime;
  let sql: Sql;
  let app: App;
  let readers: number[];

  /** An edition of `day` with one run sending, and one delivery per status given, to successive readers. */
  async function sendingRun(day: string, statuses: Status[]): Promise<{ runId: number; deliveryIds: number[] }> {
    const [edition] = await sql<{ id: string }[]>`
      insert into editions (kind, key, period_start, period_end) values ('daily', ${day}, ${day}, ${day}) returning id`;
    const [run] = await sql<{ id: string }[]>`
      insert into send_runs (edition_id, kind, status, fanout_completed_at) values (${edition!.id}, 'manual', 'sending', now()) returning id`;
    const deliveryIds: number[] = [];
    for (const [index, status] of statuses.entries()) {
      const [row] = await sql<{ id: string }[]>`
        insert into deliveries (send_run_id, edition_id, subscriber_id, status, sent_at, claimed_by)
        values (${run!.id}, ${edition!.id}, ${readers[index]!}, ${status}, ${status === 'sent' ? NOW : null}, ${status === 'claimed' ? 'job-1' : null})
        returning id`;
      deliveryIds.push(Number(row!.id));
    }
    return { runId: Number(run!.id), deliveryIds };
  }

  const editionView = async (day: string) => {
    const response = await app.inject({ method: 'GET', url: `/admin/editions/${day}`, headers: ADMIN });
    expect(response.statusCode).toBe(200);
    return response.json<{ edition: { deliveries: Record<string, number>; runs: Array<{ status: string; deliveries: Record<string, number>; progress: number }> } }>().edition;
  };
  const deliveriesPartition = async (day: string) =>
    (await sql`select 1 from pg_class c join editions e on c.relname = 'deliveries_e' || e.id where e.key = ${day}`).length > 0;
  const runRetention = () => maintenanceProcessor(test.runtime).process({ name: 'retention', data: {} } as Job);

  beforeAll(async () => {
    test = await createTestRuntime('run-counts', { ADMIN_TOKEN: 'ops:run-counts-admin-token' }, { clock: () => NOW });
    sql = test.runtime.database.sql;
    app = await buildApp(test.runtime);
    readers = await insertReaders(sql, 5);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('keeps a completed run\'s counts, a late bounce included, after retention dropped its deliveries', async () => {
    const day = '2026-02-01';
    const { runId, deliveryIds } = await sendingRun(day, ['sent', 'sent', 'sent', 'failed', 'skipped']);
    expect(await completeSendRunIfSettled(sql, runId)).toBe(true);
    // A hard bounce reported days later moves one from sent to bounced.
    expect(await markDeliveryBounced(sql, deliveryIds[0]!, '550 5.1.1 no such user')).toBe(true);
    const expected = { queued: 0, claimed: 0, sent: 2, failed: 1, skipped: 1, bounced: 1 };
    expect((await editionView(day)).runs[0]!.deliveries).toEqual(expected);

    expect(await runRetention()).toMatchObject({ deliveryPartitionsDropped: 1 });
    expect(await deliveriesPartition(day)).toBe(false);
    const view = await editionView(day);
    expect(view.runs).toMatchObject([{ status: 'completed', deliveries: expected, progress: 1 }]);
    expect(view.deliveries).toEqual(expected);
  });

  it('counts a run cancelled while a worker held deliveries from the ledger until they settle, and keeps the end after retention', async () => {
    const day = '2026-02-02';
    const { runId, deliveryIds } = await sendingRun(day, ['sent', 'claimed', 'queued', 'queued']);
    await cancelRun(test.runtime, runId, 'ops');
    // The cancel stored its counts with the skipped deliveries its own statement skipped.
    const [stored] = await sql<{ delivery_counts: unknown }[]>`select delivery_counts from send_runs where id = ${runId}`;
    expect(stored!.delivery_counts).toEqual({ queued: 0, claimed: 1, sent: 1, failed: 0, skipped: 2, bounced: 0 });

    // The worker holding the claim finishes its SMTP conversation after the cancel.
    await sql`update deliveries set status = 'sent', sent_at = ${NOW} where id = ${deliveryIds[1]!}`;
    const expected = { queued: 0, claimed: 0, sent: 2, failed: 0, skipped: 2, bounced: 0 };
    expect((await editionView(day)).runs[0]!.deliveries).toEqual(expected);

    await runRetention();
    expect(await deliveriesPartition(day)).toBe(false);
    expect((await editionView(day)).runs).toMatchObject([{ status: 'cancelled', deliveries: expected }]);
  });

  it('counts a run still sending in the ledger as it goes', async () => {
    const day = '2026-05-30';
    const { deliveryIds } = await sendingRun(day, ['sent', 'queued', 'queued']);
    expect((await editionView(day)).runs[0]).toMatchObject({ status: 'sending', deliveries: { sent: 1, queued: 2 } });
    await sql`update deliveries set status = 'sent' where id = ${deliveryIds[1]!}`;
    expect((await editionView(day)).runs[0]).toMatchObject({ status: 'sending', deliveries: { sent: 2, queued: 1 } });
  });
});
