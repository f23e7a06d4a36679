import type { Sql } from '../platform/db/client.js';
import { notSuppressed } from '../suppression/suppression-repo.js';

/**
 * Data access for the delivery ledger's state machine:
 * queued -> claimed -> sent | failed | queued (transient failure, retried) ; queued -> skipped.
 * A delivery is claimed before the SMTP conversation and marked sent right after it, so a
 * retried job never sends what was sent.
 */

export interface ClaimedDelivery {
  id: number;
  sendRunId: number;
  editionId: number;
  subscriberId: number;
  paperIds: string[];
  attempts: number;
  email: string;
  /** False when the reader unsubscribed or was suppressed after the fan-out. */
  stillWanted: boolean;
}

/**
 * Claims for job `jobId` the given deliveries that are queued, claimed by an earlier attempt of
 * the same job (its worker died; BullMQ hands a stalled job to another worker), or claimed so
 * long ago that their worker must have died (`staleClaimBefore`), and returns them with what
 * sending needs. The UPDATE ... RETURNING is atomic: two workers racing for one delivery never
 * both get it.
 */
export async function claimDeliveries(sql: Sql, ids: number[], jobId: string, staleClaimBefore: Date): Promise<ClaimedDelivery[]> {
  if (ids.length === 0) return [];
  const rows = await sql<
    { id: string; send_run_id: string; edition_id: string; subscriber_id: string; paper_list: string; attempts: number; email: string; still_wanted: boolean }[]
  >`
    update deliveries d
    set status = 'claimed', claimed_at = now(), claimed_by = ${jobId}, attempts = d.attempts + 1, updated_at = now()
    from subscribers s
    where d.id = any(${ids}::bigint[]) and s.id = d.subscriber_id
      and (d.status = 'queued'
           or (d.status = 'claimed' and (d.claimed_by = ${jobId} or d.claimed_at < ${staleClaimBefore})))
    returning d.id, d.send_run_id, d.edition_id, d.subscriber_id, array_to_string(d.paper_ids, ',') as paper_list, d.attempts, s.email,
      (s.status = 'confirmed' and ${notSuppressed(sql, 's.email_normalized')}) as still_wanted`;
  // Most readers of a batch get the same papers: they share one array, which keeps what a job
  // holds while it runs small (paper ids never contain commas; the fan-out joins them the same way).
  const paperLists = new Map<string, string[]>();
  const paperIdsOf = (list: string) => {
    let ids = paperLists.get(list);
    if (!ids) paperLists.set(list, (ids = list === '' ? [] : list.split(',')));
    return ids;
  };
  return rows.map((row) => ({
    id: Number(row.id),
    sendRunId: Number(row.send_run_id),
    editionId: Number(row.edition_id),
    subscriberId: Number(row.subscriber_id),
    paperIds: paperIdsOf(row.paper_list),
    attempts: row.attempts,
    email: row.email,
    stillWanted: row.still_wanted,
  }));
}

/**
 * Marks claimed deliveries sent and records their papers as sent to the readers, in one
 * statement, so "sent" and "never this paper again" cannot disagree. Takes many at once: the
 * sender writes the marks of every message answered while the previous write was in flight.
 */
export async function markDeliveriesSent(sql: Sql, sent: ReadonlyArray<{ id: number; messageId: string }>): Promise<void> {
  if (sent.length === 0) return;
  await sql`
    with done as (
      select * from unnest(${sent.map((s) => s.id)}::bigint[], ${sent.map((s) => s.messageId)}::text[]) as v(id, message_id)
    ), sent as (
      update deliveries d set status = 'sent', message_id = done.message_id, sent_at = now(), last_error = null, updated_at = now()
      from done
      where d.id = done.id and d.status = 'claimed'
      returning d.id, d.subscriber_id, d.paper_ids
    )
    insert into sent_papers (subscriber_id, paper_id, delivery_id)
    select sent.subscriber_id, unnest(sent.paper_ids), sent.id from sent
    on conflict do nothing`;
}

export async function markDeliveryFailed(sql: Sql, id: number, error: string): Promise<void> {
  await sql`
    update deliveries set status = 'failed', last_error = ${error}, updated_at = now()
    where id = ${id} and status = 'claimed'`;
}

/** A transient failure: back to queued, to be claimed again by the job's retry. */
export async function releaseDeliveryForRetry(sql: Sql, id: number, error: string): Promise<void> {
  await sql`
    update deliveries set status = 'queued', last_error = ${error}, updated_at = now()
    where id = ${id} and status = 'claimed'`;
}

/** Claimed deliveries a batch did not get to (the server throttled it): back to queued. */
export async function releaseDeliveriesForRetry(sql: Sql, ids: number[], reason: string): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update deliveries set status = 'queued', last_error = ${reason}, updated_at = now()
    where id = any(${ids}::bigint[]) and status = 'claimed'`;
}

export async function markDeliveriesSkipped(sql: Sql, ids: number[], reason: string): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update deliveries set status = 'skipped', last_error = ${reason}, updated_at = now()
    where id = any(${ids}::bigint[]) and status = 'claimed'`;
}

/**
 * Whether one of the next `window` ledger rows after `afterId` is a queued delivery of the run:
 * a short walk of the primary key. A job that sees one skips the run's completion check (the
 * run is not settled, and that delivery's job checks when it ends). The full check walks the
 * (run, status) index, whose 'queued' range fills with dead entries as a big run progresses (a
 * million-reader run made it the most expensive statement of the send); near the end of a
 * run, where this finds nothing, the full check runs as before.
 */
export async function hasQueuedDeliveryAhead(sql: Sql, runId: number, afterId: number, window = 256): Promise<boolean> {
  const rows = await sql`
    select 1 from (select send_run_id, status from deliveries where id > ${afterId} order by id limit ${window}) ahead
    where ahead.send_run_id = ${runId} and ahead.status = 'queued'
    limit 1`;
  return rows.length > 0;
}

export interface StrandedBatch {
  sendRunId: number;
  deliveryIds: number[];
}

/**
 * Deliveries left queued or claimed past `before` (their job was lost: a crash, a Redis flush),
 * grouped by run, oldest first, at most `limit`. Those of paused runs wait for their resume.
 */
export async function findStrandedDeliveries(sql: Sql, before: Date, limit: number): Promise<StrandedBatch[]> {
  const rows = await sql<{ id: string; send_run_id: string }[]>`
    select id, send_run_id from deliveries
    where status in ('queued', 'claimed') and updated_at < ${before}
      and send_run_id not in (select id from send_runs where status = 'paused')
    order by id
    limit ${limit}`;
  const byRun = new Map<number, number[]>();
  for (const row of rows) {
    const runId = Number(row.send_run_id);
    let ids = byRun.get(runId);
    if (!ids) byRun.set(runId, (ids = []));
    ids.push(Number(row.id));
  }
  return [...byRun].map(([sendRunId, deliveryIds]) => ({ sendRunId, deliveryIds }));
}

/** Queued deliveries of a run, after `afterId`, for enqueueing (used when a fan-out resumes). */
export async function findQueuedDeliveryIds(sql: Sql, runId: number, afterId: number, limit: number): Promise<number[]> {
  const rows = await sql<{ id: string }[]>`
    select id from deliveries where send_run_id = ${runId} and status = 'queued' and id > ${afterId}
    order by id limit ${limit}`;
  return rows.map((row) => Number(row.id));
}
