import type { Sql } from '../platform/db/client.js';
import type { sendRunStatus } from '../platform/db/schema.js';
import { settledStoredCounts, type DeliveryCounts } from './delivery-counts.js';

/** Data access for send runs: one run is one pass of an edition over an audience. */

export type SendRunKind = 'scheduled' | 'manual' | 'resend';
/**
 * fanning_out -> sending -> completed; fanning_out or sending -> paused (by an operator, or by
 * itself on a bounce or complaint spike) -> back where it was (resume) ; any but completed ->
 * cancelled. Completed and cancelled are final.
 */
export type SendRunStatus = (typeof sendRunStatus.enumValues)[number];

/** Who a run is for. Scheduled and manual runs reach readers of the edition's frequency. */
export type SendAudience =
  | { kind: 'due'; frequency: 'daily' | 'weekly'; dueBy: string }
  | { kind: 'everyone'; frequency: 'daily' | 'weekly' }
  | { kind: 'resend'; to: 'failed' | 'all' | string[] };

export interface SendRun {
  id: number;
  editionId: number;
  editionKey: string;
  editionKind: 'daily' | 'weekly';
  editionReadyAt: Date;
  kind: SendRunKind;
  status: SendRunStatus;
  audience: SendAudience;
  slot: Date | null;
  idempotencyKey: string | null;
  fanoutCursor: number;
  fanoutUpperBound: number;
  createdBy: string;
  createdAt: Date;
  fanoutCompletedAt: Date | null;
  /** When it completed or was cancelled. */
  completedAt: Date | null;
  /** Bounces and complaints counted against this run (in the SMTP conversation or reported after). */
  hardBounces: number;
  softBounces: number;
  complaints: number;
  /** Why and when it was last paused; kept after a resume, as the record of that pause. */
  pausedReason: string | null;
  pausedAt: Date | null;
  /** The deliveries by status it stored when it ended, once they are settled (settledStoredCounts); else undefined. */
  storedDeliveryCounts: DeliveryCounts | undefined;
}

export interface NewSendRun {
  editionId: number;
  kind: SendRunKind;
  audience: SendAudience;
  /** Scheduled runs: the 15-minute slot they serve (one run per edition and slot). */
  slot?: Date;
  idempotencyKey?: string;
  createdBy: string;
  /** A run for this one reader (`cli demo`): its keyset walk starts just before the id and ends at it. */
  onlySubscriberId?: number;
}

const RUN_COLUMNS = (sql: Sql) => sql`
  r.id, r.edition_id, e.key as edition_key, e.kind as edition_kind, e.assembled_at as edition_ready_at,
  r.kind, r.status, r.audience, r.slot, r.idempotency_key, r.fanout_cursor, r.fanout_upper_bound,
  r.created_by, r.created_at, r.fanout_completed_at, r.completed_at,
  r.hard_bounces, r.soft_bounces, r.complaints, r.paused_reason, r.paused_at, r.delivery_counts`;

interface RunRow {
  id: string;
  edition_id: string;
  edition_key: string;
  edition_kind: 'daily' | 'weekly';
  edition_ready_at: Date;
  kind: SendRunKind;
  status: SendRunStatus;
  audience: SendAudience;
  slot: Date | null;
  idempotency_key: string | null;
  fanout_cursor: string;
  fanout_upper_bound: string | null;
  created_by: string;
  created_at: Date;
  fanout_completed_at: Date | null;
  completed_at: Date | null;
  hard_bounces: number;
  soft_bounces: number;
  complaints: number;
  paused_reason: string | null;
  paused_at: Date | null;
  delivery_counts: unknown;
}

function toSendRun(row: RunRow): SendRun {
  return {
    id: Number(row.id),
    editionId: Number(row.edition_id),
    editionKey: row.edition_key,
    editionKind: row.edition_kind,
    editionReadyAt: row.edition_ready_at,
    kind: row.kind,
    status: row.status,
    audience: row.audience,
    slot: row.slot,
    idempotencyKey: row.idempotency_key,
    fanoutCursor: Number(row.fanout_cursor),
    fanoutUpperBound: Number(row.fanout_upper_bound ?? 0),
    createdBy: row.created_by,
    createdAt: row.created_at,
    fanoutCompletedAt: row.fanout_completed_at,
    completedAt: row.completed_at,
    hardBounces: row.hard_bounces,
    softBounces: row.soft_bounces,
    complaints: row.complaints,
    pausedReason: row.paused_reason,
    pausedAt: row.paused_at,
    storedDeliveryCounts: settledStoredCounts(row.delivery_counts),
  };
}

/**
 * Creates a run, or returns the one that already holds its slot or idempotency key (the unique
 * indexes make a double start impossible). The fan-out's upper bound is frozen now: readers who
 * sign up later are not part of this run.
 */
export async function createOrFindSendRun(sql: Sql, run: NewSendRun): Promise<{ run: SendRun; created: boolean }> {
  // The edition's ledger tables were made when it was assembled, unless retention dropped them since.
  await sql`select paperboy_ledger_partitions(${run.editionId})`;
  const inserted = await sql<{ id: string }[]>`
    insert into send_runs (edition_id, kind, audience, slot, idempotency_key, created_by, fanout_cursor, fanout_upper_bound)
    values (${run.editionId}, ${run.kind}, ${sql.json(run.audience as never)}, ${run.slot ?? null},
            ${run.idempotencyKey ?? null}, ${run.createdBy},
            ${run.onlySubscriberId === undefined ? 0 : run.onlySubscriberId - 1},
            coalesce(${run.onlySubscriberId ?? null}::bigint, (select coalesce(max(id), 0) from subscribers)))
    on conflict do nothing
    returning id`;
  if (inserted[0]) {
    return { run: (await findSendRun(sql, Number(inserted[0].id))) as SendRun, created: true };
  }
  const [existing] = await sql<RunRow[]>`
    select ${RUN_COLUMNS(sql)} from send_runs r join editions e on e.id = r.edition_id
    where (${run.idempotencyKey ?? null}::text is not null and r.idempotency_key = ${run.idempotencyKey ?? null})
       or (${run.slot ?? null}::timestamptz is not null and r.edition_id = ${run.editionId} and r.slot = ${run.slot ?? null})
    limit 1`;
  if (!existing) throw new Error('send run conflicted but no existing run was found');
  return { run: toSendRun(existing), created: false };
}

export async function findSendRun(sql: Sql, id: number): Promise<SendRun | undefined> {
  const [row] = await sql<RunRow[]>`select ${RUN_COLUMNS(sql)} from send_runs r join editions e on e.id = r.edition_id where r.id = ${id}`;
  return row ? toSendRun(row) : undefined;
}

/** The runs of `editionIds`, newest first, in one query. */
export async function findSendRunsOfEditions(sql: Sql, editionIds: number[]): Promise<SendRun[]> {
  if (editionIds.length === 0) return [];
  const rows = await sql<RunRow[]>`
    select ${RUN_COLUMNS(sql)} from send_runs r join editions e on e.id = r.edition_id
    where r.edition_id = any(${editionIds}::bigint[]) order by r.id desc`;
  return rows.map(toSendRun);
}

/** Runs fanning out, sending or paused (not completed, not cancelled), for reconcile and metrics. */
export async function findUnfinishedSendRuns(sql: Sql): Promise<SendRun[]> {
  const rows = await sql<RunRow[]>`
    select ${RUN_COLUMNS(sql)} from send_runs r join editions e on e.id = r.edition_id
    where r.status in ('fanning_out', 'sending', 'paused') order by r.id`;
  return rows.map(toSendRun);
}

/** The newest manual run of an edition that is still fanning out or sending, if any (a paused one is the operator's to resume). */
export async function findUnfinishedManualRun(sql: Sql, editionId: number): Promise<SendRun | undefined> {
  const [row] = await sql<RunRow[]>`
    select ${RUN_COLUMNS(sql)} from send_runs r join editions e on e.id = r.edition_id
    where r.edition_id = ${editionId} and r.kind = 'manual' and r.status in ('fanning_out', 'sending')
    order by r.id desc limit 1`;
  return row ? toSendRun(row) : undefined;
}

/**
 * Records the fan-out's keyset checkpoint: a restarted fan-out continues after `cursor`. Returns
 * the run's status, so a fan-out stops once its run was paused or cancelled.
 */
export async function saveFanoutCursor(sql: Sql, runId: number, cursor: number): Promise<SendRunStatus | undefined> {
  const [row] = await sql<{ status: SendRunStatus }[]>`
    update send_runs set fanout_cursor = greatest(fanout_cursor, ${cursor}) where id = ${runId} returning status`;
  return row?.status;
}

/**
 * Ends the fan-out of a run walked up to `upperBound`. Returns false when the run's bound moved
 * meanwhile (a resumed send took in newer readers): the fan-out has more to walk.
 */
export async function markFanoutComplete(sql: Sql, runId: number, upperBound: number): Promise<boolean> {
  const rows = await sql`
    update send_runs set status = 'sending', fanout_completed_at = coalesce(fanout_completed_at, now())
    where id = ${runId} and status = 'fanning_out' and coalesce(fanout_upper_bound, 0) = ${upperBound}
    returning id`;
  return rows.length > 0;
}

/**
 * Takes the readers who signed up since an unfinished run froze its audience into it: raises its
 * upper bound to the newest reader and, when there is someone new, sends it back to fanning out,
 * where the walk continues from its checkpoint. Returns true when it reopened the fan-out.
 */
export async function extendRunToNewReaders(sql: Sql, runId: number): Promise<boolean> {
  const rows = await sql`
    update send_runs r
    set fanout_upper_bound = newest.id, status = 'fanning_out', fanout_completed_at = null
    from (select coalesce(max(id), 0) as id from subscribers) newest
    where r.id = ${runId} and r.status in ('fanning_out', 'sending') and coalesce(r.fanout_upper_bound, 0) < newest.id
    returning r.id`;
  return rows.length > 0;
}

/**
 * Completes a run whose fan-out is done and whose deliveries are all settled (sent, failed or
 * skipped). Returns true when this call completed it.
 */
export async function completeSendRunIfSettled(sql: Sql, runId: number): Promise<boolean> {
  const rows = await sql`
    update send_runs r set status = 'completed', completed_at = now()
    where r.id = ${runId} and r.status = 'sending'
      and not exists (select 1 from deliveries d where d.edition_id = r.edition_id and d.send_run_id = r.id and d.status in ('queued', 'claimed'))
    returning r.id`;
  return rows.length > 0;
}

/** A scheduled run that found nobody due leaves no trace (24 empty runs a day help no one). */
export async function deleteRunWithoutDeliveries(sql: Sql, runId: number): Promise<boolean> {
  const rows = await sql`
    delete from send_runs r where r.id = ${runId}
      and not exists (select 1 from deliveries d where d.edition_id = r.edition_id and d.send_run_id = r.id)
    returning r.id`;
  return rows.length > 0;
}
