import type { Sql, SqlExecutor } from '../platform/db/client.js';
import type { SendRunStatus } from './send-run-repo.js';

/** Data access for holding, continuing and stopping send runs, and for what decides a pause. */

/** Pauses a run that is fanning out or sending; false when it is in no state to pause. */
export async function markRunPaused(sql: Sql, runId: number, reason: string): Promise<boolean> {
  const rows = await sql`
    update send_runs set status = 'paused', paused_reason = ${reason}, paused_at = now()
    where id = ${runId} and status in ('fanning_out', 'sending')
    returning id`;
  return rows.length > 0;
}

/**
 * Puts a paused run back where it was: fanning out when its fan-out had not finished, else
 * sending. Returns that status, or undefined when the run was not paused.
 */
export async function markRunResumed(sql: Sql, runId: number): Promise<SendRunStatus | undefined> {
  const [row] = await sql<{ status: SendRunStatus }[]>`
    update send_runs set status = case when fanout_completed_at is null then 'fanning_out'::send_run_status else 'sending'::send_run_status end
    where id = ${runId} and status = 'paused'
    returning status`;
  return row?.status;
}

/**
 * Ends a run that is not completed as cancelled and, in the same statement, marks its queued
 * deliveries skipped with `reason`. Deliveries a worker holds at that moment finish as they
 * will (the worker learns of the cancel at its next batch). Returns undefined when the run was
 * completed or cancelled already.
 */
export async function markRunCancelled(sql: Sql, run: { id: number; editionId: number }, reason: string): Promise<{ skipped: number } | undefined> {
  const [row] = await sql<{ cancelled: string; skipped: string }[]>`
    with run as (
      update send_runs set status = 'cancelled', completed_at = now()
      where id = ${run.id} and status in ('fanning_out', 'sending', 'paused')
      returning id
    ), skipped as (
      update deliveries d set status = 'skipped', last_error = ${reason}
      from run where d.edition_id = ${run.editionId} and d.send_run_id = run.id and d.status = 'queued'
      returning d.id
    )
    select (select count(*) from run) as cancelled, (select count(*) from skipped) as skipped`;
  return Number(row?.cancelled) > 0 ? { skipped: Number(row?.skipped) } : undefined;
}

export type RunCounter = 'hard_bounces' | 'soft_bounces' | 'complaints';

/**
 * Counts one bounce or complaint of a run (they drive the auto-pause): a recipient refused during
 * the SMTP conversation, or a report that came back after the server's 250 (core/bounces).
 */
export async function incrementRunCounter(sql: SqlExecutor, runId: number, counter: RunCounter): Promise<void> {
  await sql`update send_runs set ${sql(counter)} = ${sql(counter)} + 1 where id = ${runId}`;
}

/** Deliveries of a run that went to the server (sent, failed, bounced): the run's rows in its edition's partition. */
export async function countRunAttempts(sql: Sql, run: { id: number; editionId: number }): Promise<number> {
  const [row] = await sql<{ count: string }[]>`
    select count(*) as count from deliveries
    where edition_id = ${run.editionId} and send_run_id = ${run.id} and status in ('sent', 'failed', 'bounced')`;
  return Number(row?.count ?? 0);
}

/** A paused run of the edition, if there is one: the schedule starts no new run beside it. */
export async function findPausedRunOfEdition(sql: Sql, editionId: number): Promise<{ id: number; pausedReason: string | null } | undefined> {
  const [row] = await sql<{ id: string; paused_reason: string | null }[]>`
    select id, paused_reason from send_runs where edition_id = ${editionId} and status = 'paused' order by id limit 1`;
  return row ? { id: Number(row.id), pausedReason: row.paused_reason } : undefined;
}
