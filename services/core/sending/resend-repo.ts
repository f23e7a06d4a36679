import type { Sql } from '../platform/db/client.js';
import { preferenceColumns } from '../subscribers/preference-columns.js';
import { notSuppressed } from '../suppression/suppression-repo.js';
import { toFanoutReader, type FanoutReader, type FanoutReaderRow } from './fanout-repo.js';

/**
 * Data access for resends: the readers a resend reaches, walked by keyset on the subscriber id
 * (like the fan-out), and counted for a dry run. Every query keeps the two rules of the
 * contract: only confirmed readers, never a suppressed address.
 */

const NOT_SUPPRESSED = (sql: Sql) => notSuppressed(sql, 's.email_normalized');

export interface ResendReader extends FanoutReader {
  /** "failed" resends: the papers of the copy that failed (and their sections), sent again as they were. */
  failedCopy?: { paperIds: string[]; paperSections: string[] };
}

type ReaderRow = FanoutReaderRow & { paper_ids?: string[] | null; paper_sections?: string[] | null };

function toReader(row: ReaderRow): ResendReader {
  return { ...toFanoutReader(row), ...(row.paper_ids ? { failedCopy: { paperIds: row.paper_ids, paperSections: row.paper_sections ?? [] } } : {}) };
}

export interface ResendPage {
  editionId: number;
  afterId: number;
  upToId: number;
  limit: number;
}

/**
 * Readers whose latest delivery of the edition failed (a later copy of any status, e.g. a
 * resend that went out, takes them off the list), in subscriber id order from `afterId`. The
 * walk follows deliveries_reader_copy_key; the NOT EXISTS picks the latest row per reader.
 */
export async function nextFailedReaders(sql: Sql, page: ResendPage): Promise<ResendReader[]> {
  const rows = await sql<ReaderRow[]>`
    select s.id, ${preferenceColumns(sql, 's')}, v.paper_ids, v.paper_sections
    from deliveries d
    join subscribers s on s.id = d.subscriber_id
    left join edition_variants v on v.id = d.variant_id
    where d.edition_id = ${page.editionId} and d.status = 'failed'
      and d.subscriber_id > ${page.afterId} and d.subscriber_id <= ${page.upToId}
      and not exists (select 1 from deliveries n where n.subscriber_id = d.subscriber_id and n.edition_id = d.edition_id and n.id > d.id)
      and s.status = 'confirmed' and ${NOT_SUPPRESSED(sql)}
    order by d.subscriber_id
    limit ${page.limit}`;
  return rows.map(toReader);
}

/** Confirmed, unsuppressed readers among the normalised addresses, in id order from `afterId`. */
export async function nextListedReaders(sql: Sql, emails: readonly string[], page: Omit<ResendPage, 'editionId'>): Promise<ResendReader[]> {
  if (emails.length === 0) return [];
  const rows = await sql<ReaderRow[]>`
    select s.id, ${preferenceColumns(sql, 's')}
    from subscribers s
    where s.email_normalized = any(${emails as string[]}::text[])
      and s.id > ${page.afterId} and s.id <= ${page.upToId}
      and s.status = 'confirmed' and ${NOT_SUPPRESSED(sql)}
    order by s.id
    limit ${page.limit}`;
  return rows.map(toReader);
}

/** Which of the normalised addresses a list resend would reach (for the dry run and its report). */
export async function findListedRecipients(sql: Sql, emails: readonly string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await sql<{ email_normalized: string }[]>`
    select s.email_normalized from subscribers s
    where s.email_normalized = any(${emails as string[]}::text[]) and s.status = 'confirmed' and ${NOT_SUPPRESSED(sql)}`;
  return new Set(rows.map((row) => row.email_normalized));
}

/** How many confirmed, unsuppressed readers of a frequency there are now ("all" dry run). */
export async function countConfirmedReaders(sql: Sql, frequency: 'daily' | 'weekly'): Promise<number> {
  const [row] = await sql<{ count: string }[]>`
    select count(*) as count from subscribers s
    where s.status = 'confirmed' and s.frequency = ${frequency} and ${NOT_SUPPRESSED(sql)}`;
  return Number(row?.count ?? 0);
}

/** How many readers' latest delivery of the edition failed and could be sent again now ("failed" dry run). */
export async function countFailedReaders(sql: Sql, editionId: number): Promise<number> {
  const [row] = await sql<{ count: string }[]>`
    select count(*) as count
    from deliveries d join subscribers s on s.id = d.subscriber_id
    where d.edition_id = ${editionId} and d.status = 'failed'
      and not exists (select 1 from deliveries n where n.subscriber_id = d.subscriber_id and n.edition_id = d.edition_id and n.id > d.id)
      and s.status = 'confirmed' and ${NOT_SUPPRESSED(sql)}`;
  return Number(row?.count ?? 0);
}
