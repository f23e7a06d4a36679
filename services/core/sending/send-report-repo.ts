import type { Sql } from '../platform/db/client.js';
import { emptyDeliveryCounts, settledStoredCounts, type DeliveryCounts } from './delivery-counts.js';

/** Read-only queries behind reports of send runs (admin API, CLI, metrics): their delivery counts. */

/**
 * The counts stored on those of `runIds` that ended (completed or cancelled) and whose counts
 * are settled (settledStoredCounts): one primary-key read per run, however large it was, and
 * still there once retention dropped the edition's deliveries.
 */
export async function findStoredDeliveryCounts(sql: Sql, runIds: number[]): Promise<Map<number, DeliveryCounts>> {
  const stored = new Map<number, DeliveryCounts>();
  if (runIds.length === 0) return stored;
  const rows = await sql<{ id: string; delivery_counts: unknown }[]>`
    select id, delivery_counts from send_runs
    where id = any(${runIds}::bigint[]) and status in ('completed', 'cancelled') and delivery_counts is not null`;
  for (const row of rows) {
    const counts = settledStoredCounts(row.delivery_counts);
    if (counts) stored.set(Number(row.id), counts);
  }
  return stored;
}

/**
 * Deliveries by status of each of `runIds` (zeros included), counted in their editions'
 * partitions (passed as a parameter, so Postgres reads no other edition's). No index holds the
 * status (a status update would then never be HOT): the count reads the runs' rows.
 */
export async function countDeliveriesOfRuns(sql: Sql, runIds: number[]): Promise<Map<number, DeliveryCounts>> {
  const counts = new Map<number, DeliveryCounts>(runIds.map((id) => [id, emptyDeliveryCounts()]));
  if (runIds.length === 0) return counts;
  const editions = await sql<{ edition_id: string }[]>`select distinct edition_id from send_runs where id = any(${runIds}::bigint[])`;
  const rows = await sql<{ send_run_id: string; status: keyof DeliveryCounts; count: string }[]>`
    select send_run_id, status, count(*) as count from deliveries
    where edition_id = any(${editions.map((row) => row.edition_id)}::bigint[]) and send_run_id = any(${runIds}::bigint[])
    group by send_run_id, status`;
  for (const row of rows) counts.get(Number(row.send_run_id))![row.status] = Number(row.count);
  return counts;
}
