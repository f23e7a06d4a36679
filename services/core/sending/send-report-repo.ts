import type { Sql } from '../platform/db/client.js';
import { emptyDeliveryCounts, type DeliveryCounts } from './delivery-counts.js';

/** Read-only queries behind reports of send runs (admin API, CLI, metrics): their delivery counts. */

/**
 * Deliveries by status of each of `runs` (zeros included), counted in their editions'
 * partitions (passed as a parameter, so Postgres reads no other edition's). No index holds the
 * status (a status update would then never be HOT): the count reads the runs' rows.
 */
export async function countDeliveriesOfRuns(sql: Sql, runs: ReadonlyArray<{ id: number; editionId: number }>): Promise<Map<number, DeliveryCounts>> {
  const counts = new Map<number, DeliveryCounts>(runs.map((run) => [run.id, emptyDeliveryCounts()]));
  if (runs.length === 0) return counts;
  const editionIds = [...new Set(runs.map((run) => run.editionId))];
  const rows = await sql<{ send_run_id: string; status: keyof DeliveryCounts; count: string }[]>`
    select send_run_id, status, count(*) as count from deliveries
    where edition_id = any(${editionIds}::bigint[]) and send_run_id = any(${runs.map((run) => run.id)}::bigint[])
    group by send_run_id, status`;
  for (const row of rows) counts.get(Number(row.send_run_id))![row.status] = Number(row.count);
  return counts;
}
