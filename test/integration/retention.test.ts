import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../services/core/platform/db/client.js';
import { createOrFindSendRun } from '../../services/core/sending/send-run-repo.js';
import { suppressReader } from '../../services/core/suppression/suppression-repo.js';
import { maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { insertReaders } from '../helpers/factories.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

// The night of 2026-06-01: 90 days back is 2026-03-03, 180 days back 2025-12-03, 30 days back 2026-05-02.
const NOW = new Date('2026-06-01T03:30:00Z');

describe('nightly retention (the maintenance queue\'s retention job)', () => {
  let test: TestRuntime;
  let sql: Sql;
  const edition: Record<string, number> = {};
  let readers: { active: number; goneLongAgo: number; goneRecently: number };

  async function addEdition(day: string, runStatus: 'completed' | 'sending' = 'completed'): Promise<number> {
    const [row] = await sql<{ id: string }[]>`
      insert into editions (kind, key, period_start, period_end) values ('daily', ${day}, ${day}, ${day}) returning id`;
    const editionId = Number(row!.id);
    const [run] = await sql<{ id: string }[]>`
      insert into send_runs (edition_id, kind, status) values (${editionId}, 'manual', ${runStatus}) returning id`;
    const [variant] = await sql<{ id: number }[]>`
      insert into edition_variants (edition_id, paper_ids) values (${editionId}, ${[`paper-of-${day}`]}::text[]) returning id`;
    // A sent delivery is the record of its papers while its partition lasts.
    for (const subscriberId of Object.values(readers)) {
      await sql`
        insert into deliveries (send_run_id, edition_id, subscriber_id, status, variant_id, sent_at)
        values (${run!.id}, ${editionId}, ${subscriberId}, 'sent', ${variant!.id}, ${day}::date)`;
    }
    return editionId;
  }

  /** The papers a reader is remembered to have been sent: by their sent deliveries, then by sent_papers. */
  const sentPapersOf = async (subscriberId: number) =>
    (await sql<{ paper_id: string }[]>`
      select p.paper_id from (
        select variant_id from deliveries where subscriber_id = ${subscriberId} and sent_at is not null
        union all
        select variant_id from sent_papers where subscriber_id = ${subscriberId}
      ) sent join edition_variants v on v.id = sent.variant_id cross join lateral unnest(v.paper_ids) as p(paper_id)
      order by p.paper_id`).map((row) => row.paper_id);

  const partitions = async (table: string) =>
    (await sql<{ name: string }[]>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = to_regclass(${table}) order by c.relname`).map((row) => row.name);

  const runRetention = () => maintenanceProcessor(test.runtime).process({ name: 'retention', data: {} } as Job);

  beforeAll(async () => {
    test = await createTestRuntime('retention', {}, { clock: () => NOW });
    sql = test.runtime.database.sql;
    const [active, goneLongAgo, goneRecently] = await insertReaders(sql, 3);
    readers = { active: active!, goneLongAgo: goneLongAgo!, goneRecently: goneRecently! };
    edition.ancient = await addEdition('2025-11-20'); // past both windows
    edition.old = await addEdition('2026-02-01'); // past the deliveries' window, within the sent papers'
    edition.oldStillSending = await addEdition('2026-02-02', 'sending');
    edition.recent = await addEdition('2026-05-25');
    await sql`update subscribers set status = 'unsubscribed', unsubscribed_at = '2026-02-10' where id = ${readers.goneLongAgo}`;
    await sql`update subscribers set status = 'unsubscribed', unsubscribed_at = '2026-05-28' where id = ${readers.goneRecently}`;
    await suppressReader(sql, readers.goneLongAgo, 'complaint', 'fbl');

    await sql`insert into papers (id, title, abstract, published_at) values ('2604.00001', 'A paper', 'x', '2026-04-01')`;
    // Three observations on a day past the 30 days, three on a recent day.
    for (const at of ['2026-04-10T08:00:00Z', '2026-04-10T12:00:00Z', '2026-04-10T20:00:00Z', '2026-05-30T08:00:00Z', '2026-05-30T12:00:00Z', '2026-05-30T20:00:00Z']) {
      await sql`
        insert into paper_stats (paper_id, daily_date, observed_at, upvotes, num_comments)
        values ('2604.00001', ${at.slice(0, 10)}, ${at}, ${Number(at.slice(11, 13))}, 0)`;
    }
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('drops old editions\' ledger tables whole, keeps the rest, forgets long-gone readers, thins old upvote history', async () => {
    expect(await partitions('deliveries')).toHaveLength(4);

    const result = await runRetention();
    expect(result).toEqual({
      deliveryPartitionsDropped: 2,
      sentPaperPartitionsDropped: 1,
      partitionsPostponed: 0,
      readersForgotten: 1,
      paperStatsRowsDeleted: 2,
    });

    // Deliveries: the ancient and old editions' tables are gone; a run still sending keeps its own.
    expect(await partitions('deliveries')).toEqual([`deliveries_e${edition.oldStillSending}`, `deliveries_e${edition.recent}`].sort());
    // Sent papers outlive deliveries: only the edition past 180 days is gone.
    expect(await partitions('sent_papers')).toEqual(
      [`sent_papers_e${edition.old}`, `sent_papers_e${edition.oldStillSending}`, `sent_papers_e${edition.recent}`].sort(),
    );

    // The dropped deliveries of the old edition left one sent_papers row per sent email.
    expect(await sql`select subscriber_id from sent_papers where edition_id = ${edition.old!} order by subscriber_id`).toEqual(
      [readers.active, readers.goneRecently].map((id) => ({ subscriber_id: String(id) })),
    );
    // The ancient edition has no ledger table left, nor variants.
    expect(await sql`select 1 from edition_variants where edition_id = ${edition.ancient!}`).toHaveLength(0);
    expect(await sql`select 1 from edition_variants where edition_id = ${edition.old!}`).toHaveLength(1);

    // The reader who unsubscribed 111 days ago has no history left; their suppression and row stay.
    expect(await sql`select 1 from sent_papers where subscriber_id = ${readers.goneLongAgo}`).toHaveLength(0);
    expect(await sql`select 1 from deliveries where subscriber_id = ${readers.goneLongAgo}`).toHaveLength(0);
    expect(await sql`select reason from suppressions`).toEqual([{ reason: 'complaint' }]);
    const [gone] = await sql`select status, history_dropped_at from subscribers where id = ${readers.goneLongAgo}`;
    expect(gone).toEqual({ status: 'unsubscribed', history_dropped_at: NOW });
    // A reader who left 4 days ago, and a reader still reading, keep theirs.
    for (const id of [readers.goneRecently, readers.active]) {
      expect(await sentPapersOf(id)).toEqual(['paper-of-2026-02-01', 'paper-of-2026-02-02', 'paper-of-2026-05-25']);
      expect(await sql`select 1 from deliveries where subscriber_id = ${id}`).toHaveLength(2);
    }

    // Upvote history: the old day keeps its last observation, the recent day all three.
    const stats = await sql<{ observed_at: Date }[]>`select observed_at from paper_stats order by observed_at`;
    expect(stats.map((row) => row.observed_at.toISOString())).toEqual([
      '2026-04-10T20:00:00.000Z',
      '2026-05-30T08:00:00.000Z',
      '2026-05-30T12:00:00.000Z',
      '2026-05-30T20:00:00.000Z',
    ]);
  });

  it('finds nothing more to do the same night', async () => {
    expect(await runRetention()).toEqual({
      deliveryPartitionsDropped: 0,
      sentPaperPartitionsDropped: 0,
      partitionsPostponed: 0,
      readersForgotten: 0,
      paperStatsRowsDeleted: 0,
    });
  });

  it('gives an edition whose ledger was dropped its tables back when a run of it starts', async () => {
    await createOrFindSendRun(sql, { editionId: edition.ancient!, kind: 'manual', audience: { kind: 'everyone', frequency: 'daily' }, createdBy: 'test' });
    expect(await partitions('deliveries')).toContain(`deliveries_e${edition.ancient}`);
    expect(await partitions('sent_papers')).toContain(`sent_papers_e${edition.ancient}`);
  });
});
