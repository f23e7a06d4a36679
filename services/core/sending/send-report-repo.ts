import type { Sql } from '../platform/db/client.js';
import { emptyDeliveryCounts, type DeliveryCounts } from './delivery-counts.js';

/** Read-only queries behind reports of send runs (admin API, CLI, metrics): their delivery counts. */

/**
 * Deliveries by status of each of `runIds` (zeros included), counted on
 * deliveries_run_status_idx (an index-only scan per run).
 */
export async function countDeliveriesOfRuns(sql: Sql, runIds: number[]): Promise<Map<number, DeliveryCounts>> {
  const counts = new Map<number, DeliveryCounts>(runIds.map((id) => [id, emptyDeliveryCounts()]));
  if (runIds.length === 0) return counts;
  const rows = await sql<{ send_run_id: string; status: keyof DeliveryCounts; count: string }[]>`
    select send_run_id, status, count(*) as count from deliveries
    where send_run_id = any(${runIds}::bigint[])
    group by send_run_id, status`;
  for (const row of rows) counts.get(Number(row.send_run_id))![row.status] = Number(row.count);
  return counts;
}
