import type { Sql } from '../platform/db/client.js';
import type { DigestReader } from '../digest/digest-message.js';
import { preferenceColumns, preferencesOf } from '../subscribers/preference-columns.js';
import type { Preferences } from '../subscribers/preferences.js';
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
  /** The section of each paper of a copy in sections; null for an all-trending copy. */
  paperSections: string[] | null;
  attempts: number;
  email: string;
  /** False when the reader unsubscribed or was suppressed after the fan-out. */
  stillWanted: boolean;
  /** The reader's settings as they are now (the grouping by topic, images, the footer's choices), read with the claim. */
  reader: DigestReader;
}

/**
 * A claim is stale once nobody has refreshed it for `staleAfterSeconds`: its execution died. A
 * live execution refreshes its claims well within that (refreshClaims). Postgres's own start
 * counts as a refresh, so claims do not all turn stale at once when the server comes back from an
 * outage longer than the window, before their live holders could refresh them.
 */
function claimIsStale(sql: Sql, staleAfterSeconds: number) {
  return sql`greatest(d.claimed_at, pg_postmaster_start_time()) < now() - make_interval(secs => ${staleAfterSeconds})`;
}

/**
 * Claims for the job execution holding `token` (one per execution: a job that BullMQ runs again,
 * with the same job id, while the first execution still sends, must not take the first one's
 * deliveries) the given deliveries of `run` that are queued, already claimed with this token (the
 * claim committed but its answer was lost with the connection) or whose claim is stale (its
 * execution died), and returns them with what sending needs. Deliveries that a live execution
 * holds are left out, and so is every delivery while the run is paused or cancelled (a pause
 * leaves them queued for the resume; see settleUnclaimableDeliveries). The UPDATE ... RETURNING is atomic:
 * two executions racing for one delivery never both get it.
 *
 * One statement, because it runs once a batch: the run's state and each variant's papers come
 * with the claim. A variant's papers come on the first of its rows only, and its readers share
 * one array, which keeps what a job holds while it runs small.
 */
export async function claimDeliveries(
  sql: Sql,
  run: { id: number; editionId: number },
  ids: number[],
  token: string,
  staleAfterSeconds: number,
): Promise<ClaimedDelivery[]> {
  if (ids.length === 0) return [];
  const rows = await sql<
    Array<
      Preferences & {
        id: string;
        send_run_id: string;
        edition_id: string;
        subscriber_id: string;
        variant_id: number | null;
        attempts: number;
        email: string;
        still_wanted: boolean;
        images: boolean;
        paper_ids: string[] | null;
        paper_sections: string[] | null;
      }
    >
  >`
    with claimed as (
      update deliveries d
      set status = 'claimed', claimed_at = now(), claimed_by = ${token}, attempts = d.attempts + 1
      from subscribers s
      where d.edition_id = ${run.editionId} and d.id = any(${ids}::bigint[]) and s.id = d.subscriber_id
        and (d.status = 'queued'
             or (d.status = 'claimed' and (d.claimed_by = ${token} or ${claimIsStale(sql, staleAfterSeconds)})))
        and not exists (select 1 from send_runs r where r.id = ${run.id} and r.status in ('paused', 'cancelled'))
      returning d.id, d.send_run_id, d.edition_id, d.subscriber_id, d.variant_id, d.attempts, s.email,
        (s.status = 'confirmed' and ${notSuppressed(sql, 's.email_normalized')}) as still_wanted,
        ${preferenceColumns(sql, 's')}, s.images
    ), numbered as (
      select claimed.*, row_number() over (partition by claimed.variant_id) as nth_of_variant from claimed
    )
    select c.*, v.paper_ids, v.paper_sections
    from numbered c left join edition_variants v on v.id = c.variant_id and c.nth_of_variant = 1`;
  const papers = new Map<number, { paperIds: string[]; paperSections: string[] | null }>();
  for (const row of rows) {
    if (row.variant_id !== null && row.paper_ids) {
      papers.set(row.variant_id, { paperIds: row.paper_ids, paperSections: row.paper_sections?.length ? row.paper_sections : null });
    }
  }
  return rows.map((row) => ({
    id: Number(row.id),
    sendRunId: Number(row.send_run_id),
    editionId: Number(row.edition_id),
    subscriberId: Number(row.subscriber_id),
    paperIds: (row.variant_id !== null && papers.get(row.variant_id)?.paperIds) || NO_PAPERS,
    paperSections: (row.variant_id !== null && papers.get(row.variant_id)?.paperSections) || null,
    attempts: row.attempts,
    email: row.email,
    stillWanted: row.still_wanted,
    reader: { ...preferencesOf(row), images: row.images },
  }));
}

const NO_PAPERS: string[] = [];

/**
 * Settles the deliveries among `ids` that a claim refused and nobody else will send, and returns
 * how many: those whose reader no longer exists are deleted (the ledger keeps no foreign key to
 * the reader, migration 0015: a fan-out that read a reader just before an operator erased them
 * can still write their delivery, and erasure leaves no history), and, when the run was
 * cancelled, its queued ones (a retry released after the cancel) and those a dead execution
 * held are skipped. A paused run's stay queued for its resume. Called only when a claim took
 * fewer deliveries than its batch named.
 */
export async function settleUnclaimableDeliveries(
  sql: Sql,
  run: { id: number; editionId: number },
  ids: number[],
  staleAfterSeconds: number,
): Promise<{ erased: number; cancelled: number }> {
  if (ids.length === 0) return { erased: 0, cancelled: 0 };
  const [row] = await sql<{ erased: string; cancelled: string }[]>`
    with erased as (
      delete from deliveries d
      where d.edition_id = ${run.editionId} and d.id = any(${ids}::bigint[]) and d.status = 'queued'
        and not exists (select 1 from subscribers s where s.id = d.subscriber_id)
      returning d.id
    ), cancelled as (
      update deliveries d set status = 'skipped', last_error = 'the run was cancelled'
      where d.edition_id = ${run.editionId} and d.id = any(${ids}::bigint[]) and d.send_run_id = ${run.id}
        and (d.status = 'queued' or (d.status = 'claimed' and ${claimIsStale(sql, staleAfterSeconds)}))
        and exists (select 1 from subscribers s where s.id = d.subscriber_id)
        and exists (select 1 from send_runs r where r.id = ${run.id} and r.status = 'cancelled')
      returning d.id
    )
    select (select count(*) from erased) as erased, (select count(*) from cancelled) as cancelled`;
  return { erased: Number(row?.erased ?? 0), cancelled: Number(row?.cancelled ?? 0) };
}

/**
 * One delivery's claim: the execution that holds it (see claimDeliveries). The edition names the
 * ledger partition, so each statement reads that one table, not every edition's.
 */
export interface HeldClaim {
  id: number;
  editionId: number;
  token: string;
}

/** The editions of `claims`, for `edition_id = any(...)`: Postgres then prunes the other partitions. */
const editionsOf = (claims: ReadonlyArray<HeldClaim>): number[] => [...new Set(claims.map((claim) => claim.editionId))];

/** Keeps claims of live executions fresh, so nobody takes them over as stale. */
export async function refreshClaims(sql: Sql, held: ReadonlyArray<HeldClaim>): Promise<void> {
  if (held.length === 0) return;
  await sql`
    update deliveries d set claimed_at = now()
    from unnest(${held.map((h) => h.id)}::bigint[], ${held.map((h) => h.token)}::text[]) as h(id, token)
    where d.edition_id = any(${editionsOf(held)}::bigint[]) and d.id = any(${held.map((h) => h.id)}::bigint[])
      and d.id = h.id and d.status = 'claimed' and d.claimed_by = h.token`;
}

/**
 * Marks claimed deliveries sent. Takes many at once: the sender writes the marks of every message
 * answered within a short while (createSentMarker). Only the claim's holder marks; running it
 * again changes nothing. A delivery a bounce report already marked bounced between the server's
 * 250 and this write stays bounced (with its sent time recorded): the report told the truth about
 * it. The sent time is also what keeps the delivery's papers from being sent to the reader again
 * (the fan-out reads it), so "sent" and "never these papers again" are one write. The claim token
 * is cleared: a sent delivery is never claimed again, and the row stays smaller.
 *
 * This is the send's most frequent statement. It names the edition's partition itself and is
 * meant for DatabaseClient.genericPlanSql: its one generic plan is then kept, where a statement on
 * the partitioned table would be planned at each call or lock every partition (measured, 7 marks
 * a write: about 150 instead of 410-460 µs of Postgres CPU). A partition that retention dropped
 * meanwhile has nothing left to mark: its edition and number of marks are returned, for a warning.
 */
export async function markDeliveriesSent(sql: Sql, sent: ReadonlyArray<HeldClaim>): Promise<Array<{ editionId: number; marks: number }>> {
  const dropped: Array<{ editionId: number; marks: number }> = [];
  for (const editionId of editionsOf(sent)) {
    const marks = sent.filter((claim) => claim.editionId === editionId);
    try {
      await sql`
        update ${sql(ledgerPartition(editionId))} d
        set status = case when d.status = 'claimed' then 'sent'::delivery_status else d.status end,
            last_error = case when d.status = 'claimed' then null else d.last_error end,
            claimed_by = null, sent_at = now()
        from unnest(${marks.map((s) => s.id)}::bigint[], ${marks.map((s) => s.token)}::text[]) as done(id, token)
        where d.edition_id = ${editionId} and d.id = done.id and d.claimed_by = done.token
          and (d.status = 'claimed' or (d.status = 'bounced' and d.sent_at is null))`;
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
      dropped.push({ editionId, marks: marks.length });
    }
  }
  return dropped;
}

const UNDEFINED_TABLE = '42P01';

/** The ledger partition of an edition's deliveries (paperboy_ledger_partitions, migration 0008). */
const ledgerPartition = (editionId: number): string => `deliveries_e${editionId}`;

export async function markDeliveryFailed(sql: Sql, claim: HeldClaim, error: string): Promise<void> {
  await sql`
    update deliveries set status = 'failed', last_error = ${error}
    where edition_id = ${claim.editionId} and id = ${claim.id} and status = 'claimed' and claimed_by = ${claim.token}`;
}

/** A transient failure: back to queued, to be claimed again by the job's retry. */
export async function releaseDeliveryForRetry(sql: Sql, claim: HeldClaim, error: string): Promise<void> {
  await sql`
    update deliveries set status = 'queued', last_error = ${error}
    where edition_id = ${claim.editionId} and id = ${claim.id} and status = 'claimed' and claimed_by = ${claim.token}`;
}

/** Claims an execution gives back unattempted (it failed before their turn, or the server throttled the batch): queued again, as they were. */
export async function releaseUnattemptedClaims(sql: Sql, editionId: number, ids: number[], token: string, reason?: string): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update deliveries set status = 'queued', attempts = attempts - 1, last_error = coalesce(${reason ?? null}, last_error)
    where edition_id = ${editionId} and id = any(${ids}::bigint[]) and status = 'claimed' and claimed_by = ${token}`;
}

export async function markDeliveriesSkipped(sql: Sql, editionId: number, ids: number[], token: string, reason: string): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update deliveries set status = 'skipped', last_error = ${reason}
    where edition_id = ${editionId} and id = any(${ids}::bigint[]) and status = 'claimed' and claimed_by = ${token}`;
}

/**
 * Whether one of the next `window` ledger rows after `afterId` is a delivery of the run still
 * queued or claimed: a short range of the primary key, which mostly stops at its first row (the
 * next job's batch, waiting or being sent). A job that sees one skips the run's completion check:
 * the run is not settled, and that delivery's job checks when it ends, after its own marks (a
 * dead execution's claim is taken over, and its new job checks). Whichever job ends last finds
 * nothing unsettled and checks. The full check reads all the run's rows in the edition's
 * partition (no index holds the status: its updates would not be HOT); near the end of a run,
 * where this finds nothing, it runs as before. A job asks this only when no batch of the run
 * further on is held in its own process (ClaimKeeper.holdsLaterClaim).
 */
export async function hasUnsettledDeliveryAhead(sql: Sql, run: { id: number; editionId: number }, afterId: number, window = 256): Promise<boolean> {
  // The id range is closed as well, so the walk stays bounded whatever plan Postgres picks; it
  // leaves room for ids that other runs' fan-outs (or conflicting inserts) took meanwhile.
  const rows = await sql`
    select 1 from (
      select send_run_id, status from deliveries
      where edition_id = ${run.editionId} and id > ${afterId} and id <= ${afterId + 8 * window}
      order by id limit ${window}
    ) ahead
    where ahead.send_run_id = ${run.id} and ahead.status in ('queued', 'claimed')
    limit 1`;
  return rows.length > 0;
}

export interface StrandedBatch {
  sendRunId: number;
  deliveryIds: number[];
}

/**
 * Deliveries left queued past `before` or claimed by an execution that died (a stale claim, see
 * claimIsStale), grouped by run, oldest first, at most `limit`: their job was lost (a crash, a
 * Redis flush). A claim a live execution keeps fresh is not stranded, whatever its age. Only runs
 * that send have them (those of paused runs wait for their resume), so only their editions'
 * partitions are read, passed as parameters so that Postgres prunes the others. A queued row was
 * last touched when it was written or, released for a retry, after its last claim: no index is
 * kept on a time every status update would change (that would make each update non-HOT).
 */
export async function findStrandedDeliveries(sql: Sql, before: Date, staleAfterSeconds: number, limit: number): Promise<StrandedBatch[]> {
  const runs = await sql<{ id: string; edition_id: string }[]>`
    select id, edition_id from send_runs where status in ('fanning_out', 'sending')`;
  if (runs.length === 0) return [];
  const rows = await sql<{ id: string; send_run_id: string }[]>`
    select d.id, d.send_run_id from deliveries d
    where d.edition_id = any(${[...new Set(runs.map((run) => run.edition_id))]}::bigint[])
      and d.send_run_id = any(${runs.map((run) => run.id)}::bigint[])
      and ((d.status = 'queued' and greatest(d.created_at, d.claimed_at) < ${before})
           or (d.status = 'claimed' and ${claimIsStale(sql, staleAfterSeconds)}))
    order by d.id
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

/**
 * Deliveries of a run, after `afterId`, that no live execution holds: queued ones, and claimed ones
 * whose claim went stale (their execution died: a killed CLI or worker). For enqueueing when a
 * fan-out resumes, a paused run resumes, or a run is given back the jobs it lost.
 */
export async function findDeliveryIdsToEnqueue(sql: Sql, run: { id: number; editionId: number }, afterId: number, staleAfterSeconds: number, limit: number): Promise<number[]> {
  const rows = await sql<{ id: string }[]>`
    select d.id from deliveries d
    where d.edition_id = ${run.editionId} and d.send_run_id = ${run.id} and d.id > ${afterId}
      and (d.status = 'queued' or (d.status = 'claimed' and ${claimIsStale(sql, staleAfterSeconds)}))
    order by d.id limit ${limit}`;
  return rows.map((row) => Number(row.id));
}

/** What one delivery gave its reader: the papers of its variant, and the reader's topics now. */
export interface DeliveredCopy {
  paperIds: string[];
  /** The section of each paper; empty for an all-trending copy. */
  paperSections: string[];
  topics: string[];
}

/**
 * The copy a delivery of the edition carried; undefined when there is no such delivery of this
 * edition (retention dropped it, or the id is another edition's) or it was never given papers.
 */
export async function findDeliveredCopy(sql: Sql, editionId: number, deliveryId: number): Promise<DeliveredCopy | undefined> {
  // edition_id first: the ledger is partitioned by it, so this reads one partition's index.
  const [row] = await sql<{ paper_ids: string[]; paper_sections: string[]; topics: string[] }[]>`
    select v.paper_ids, v.paper_sections, s.topics
    from deliveries d
    join edition_variants v on v.id = d.variant_id
    join subscribers s on s.id = d.subscriber_id
    where d.edition_id = ${editionId} and d.id = ${deliveryId}`;
  return row ? { paperIds: row.paper_ids, paperSections: row.paper_sections, topics: row.topics } : undefined;
}
