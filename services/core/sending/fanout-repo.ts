import type { Sql } from '../platform/db/client.js';
import { preferenceColumns, preferencesOf } from '../subscribers/preference-columns.js';
import type { Preferences } from '../subscribers/preferences.js';
import { notSuppressed } from '../suppression/suppression-repo.js';
import { variantIdsOf, variantName } from './edition-variants-repo.js';

/** Data access for the fan-out: walking readers by keyset and writing the delivery ledger. */

export interface FanoutReader extends Preferences {
  id: number;
}

/**
 * The next `limit` confirmed, unsuppressed readers of a frequency with `afterId < id <= upToId`,
 * leaving out readers paused until a time still to come by the database clock (they resume by themselves),
 * in id order. Keyset pagination on the primary key: each page is an index range scan, however
 * far into a million readers the walk is, and a restart continues from the saved cursor.
 */
export async function nextFanoutReaders(
  sql: Sql,
  page: { frequency: 'daily' | 'weekly'; afterId: number; upToId: number; limit: number },
): Promise<FanoutReader[]> {
  const rows = await sql<FanoutReaderRow[]>`
    select s.id, ${preferenceColumns(sql, 's')}
    from subscribers s
    where s.status = 'confirmed' and s.frequency = ${page.frequency}
      and s.id > ${page.afterId} and s.id <= ${page.upToId}
      and (s.paused_until is null or s.paused_until <= now())
      and ${notSuppressed(sql, 's.email_normalized')}
    order by s.id
    limit ${page.limit}`;
  return rows.map(toFanoutReader);
}

/** A reader row as the fan-out and resend queries select it. */
export interface FanoutReaderRow extends Preferences {
  id: string;
}

export function toFanoutReader(row: FanoutReaderRow): FanoutReader {
  return { id: Number(row.id), ...preferencesOf(row) };
}

/**
 * Which of `paperIds` each of `subscriberIds` was already sent, or is being sent: the papers of
 * their deliveries with a sent time or still queued or claimed (also while retrying) and, for
 * editions whose deliveries retention dropped, of their sent_papers rows. Papers on their way
 * count because sections overlap other days' trending (cs.CL on D, trending on D+1): D's copy may
 * still be queued when D+1 fans out, and the contract is never the same paper twice. The price:
 * if that copy then fails for good, the reader misses the paper (a cancelled run skips its queued
 * copies, which then no longer count). A paper was sent with an edition that holds it, so only
 * those editions' partitions are read. The editions are looked up first and passed as a parameter: Postgres prunes partitions
 * by a parameter, not by the result of a subquery in the same statement (it would read every
 * edition's partition).
 */
export async function findAlreadySentPapers(sql: Sql, subscriberIds: number[], paperIds: string[]): Promise<Map<number, Set<string>>> {
  const sent = new Map<number, Set<string>>();
  if (subscriberIds.length === 0 || paperIds.length === 0) return sent;
  // A paper of an arXiv section was sent with the daily edition the section belongs to.
  const editions = await sql<{ edition_id: string }[]>`
    select edition_id from edition_papers where paper_id = any(${paperIds}::text[])
    union
    select s.edition_id from edition_sections s join edition_papers p on p.edition_id = s.section_edition_id
    where p.paper_id = any(${paperIds}::text[])`;
  if (editions.length === 0) return sent;
  const editionIds = editions.map((row) => row.edition_id);
  const rows = await sql<{ subscriber_id: string; paper_id: string }[]>`
    with sent as (
      select subscriber_id, variant_id from deliveries
      where edition_id = any(${editionIds}::bigint[]) and subscriber_id = any(${subscriberIds}::bigint[])
        and (sent_at is not null or status in ('queued', 'claimed')) and variant_id is not null
      union
      select subscriber_id, variant_id from sent_papers
      where edition_id = any(${editionIds}::bigint[]) and subscriber_id = any(${subscriberIds}::bigint[])
    )
    select distinct sent.subscriber_id, p.paper_id
    from sent join edition_variants v on v.id = sent.variant_id
    cross join lateral unnest(v.paper_ids) as p(paper_id)
    where p.paper_id = any(${paperIds}::text[])`;
  for (const row of rows) {
    const id = Number(row.subscriber_id);
    let papers = sent.get(id);
    if (!papers) sent.set(id, (papers = new Set()));
    papers.add(row.paper_id);
  }
  return sent;
}

/** Readers among `subscriberIds` who already have their (non-resend) copy of the edition. */
export async function findReadersWithCopy(sql: Sql, editionId: number, subscriberIds: number[]): Promise<Set<number>> {
  if (subscriberIds.length === 0) return new Set();
  const rows = await sql<{ subscriber_id: string }[]>`
    select subscriber_id from deliveries
    where edition_id = ${editionId} and not resend and subscriber_id = any(${subscriberIds}::bigint[])`;
  return new Set(rows.map((row) => Number(row.subscriber_id)));
}

export interface PlannedDelivery {
  subscriberId: number;
  /** Empty: nothing left for this reader; recorded as skipped. */
  paperIds: string[];
  /** The section of each paper (section-selection.ts); empty for an all-trending copy. */
  paperSections: readonly string[];
}

/**
 * Writes one ledger row per planned delivery in a single statement and returns the ids of the
 * queued ones it created. Each names its selection by variant (edition-variants-repo.ts; `variants`
 * carries the ids a fan-out resolved on earlier pages). ON CONFLICT DO NOTHING on the reader's
 * copy key (deliveries_reader_copy_key): a repeated batch adds nothing, and two runs racing over
 * the same reader give them one first copy.
 */
export async function insertDeliveries(
  sql: Sql,
  run: { id: number; editionId: number; resend: boolean },
  planned: PlannedDelivery[],
  variants: Map<string, number> = new Map(),
): Promise<{ queuedIds: number[]; inserted: number }> {
  if (planned.length === 0) return { queuedIds: [], inserted: 0 };
  const selections = planned.filter((p) => p.paperIds.length > 0);
  await variantIdsOf(sql, run.editionId, selections, variants);
  const variantOf = (p: PlannedDelivery) => (p.paperIds.length === 0 ? null : variants.get(variantName(p))!);
  const rows = await sql<{ id: string; status: string }[]>`
    insert into deliveries (send_run_id, edition_id, subscriber_id, status, resend, variant_id, last_error)
    select ${run.id}, ${run.editionId}, p.subscriber_id,
           (case when p.variant_id is null then 'skipped' else 'queued' end)::delivery_status,
           ${run.resend},
           p.variant_id,
           case when p.variant_id is null then 'nothing new for this reader' end
    from unnest(${planned.map((p) => p.subscriberId)}::bigint[], ${planned.map(variantOf)}::int[])
         as p(subscriber_id, variant_id)
    on conflict do nothing
    returning id, status`;
  return { queuedIds: rows.filter((row) => row.status === 'queued').map((row) => Number(row.id)), inserted: rows.length };
}
