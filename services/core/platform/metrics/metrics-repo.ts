import type { Sql } from '../db/client.js';

export interface RunProgressRow {
  runId: number;
  editionKey: string;
  kind: string;
  total: number;
  settled: number;
  byStatus: Record<string, number>;
}

/**
 * Deliveries by status of every send run that is not completed (a handful at most), for the
 * scrape. Uses deliveries_run_status_idx; completed runs are left out, so the cost stays flat
 * however many editions were ever sent.
 */
export async function findUnfinishedRunProgress(sql: Sql): Promise<RunProgressRow[]> {
  const rows = await sql<{ id: string; key: string; kind: string; status: string | null; count: string }[]>`
    select r.id, e.key, r.kind, d.status, count(d.id) as count
    from send_runs r
    join editions e on e.id = r.edition_id
    left join deliveries d on d.send_run_id = r.id
    where r.status <> 'completed'
    group by r.id, e.key, r.kind, d.status
    order by r.id`;
  const runs = new Map<number, RunProgressRow>();
  for (const row of rows) {
    const id = Number(row.id);
    let run = runs.get(id);
    if (!run) {
      run = { runId: id, editionKey: row.key, kind: row.kind, total: 0, settled: 0, byStatus: { queued: 0, claimed: 0, sent: 0, failed: 0, skipped: 0 } };
      runs.set(id, run);
    }
    if (row.status === null) continue;
    const count = Number(row.count);
    run.byStatus[row.status] = count;
    run.total += count;
    if (row.status === 'sent' || row.status === 'failed' || row.status === 'skipped') run.settled += count;
  }
  return [...runs.values()];
}
