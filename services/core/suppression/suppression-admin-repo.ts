import type { SqlExecutor } from '../platform/db/client.js';
import type { SuppressionReason } from './suppression-repo.js';

/** Data access for operators looking at the suppression list and lifting an entry. */

export interface SuppressionRow {
  emailHash: string;
  reason: SuppressionReason;
  detail: string | null;
  createdAt: Date;
  /** Where a page after this entry starts: its time in microseconds (Postgres keeps them, Date does not) and its hash. */
  cursor: string;
}

interface Row {
  email_hash: string;
  reason: SuppressionReason;
  detail: string | null;
  created_at: Date;
  created_us: string;
}

const toSuppression = (row: Row): SuppressionRow => ({
  emailHash: row.email_hash,
  reason: row.reason,
  detail: row.detail,
  createdAt: row.created_at,
  cursor: `${row.created_us}.${row.email_hash}`,
});

const COLUMNS = (sql: SqlExecutor) => sql`email_hash, reason, detail, created_at, (extract(epoch from created_at) * 1000000)::bigint as created_us`;

export interface SuppressionPageQuery {
  reason?: SuppressionReason;
  /** Entries made at or after `since` and before `until`. */
  since?: Date;
  until?: Date;
  /** Keyset: entries after this one (its `cursor`, split), newest first. */
  after?: { createdUs: bigint; emailHash: string };
  limit: number;
}

/** Entries newest first, `limit` of them, filtered by reason and time. */
export async function findSuppressionPage(sql: SqlExecutor, query: SuppressionPageQuery): Promise<SuppressionRow[]> {
  const rows = await sql<Row[]>`
    select ${COLUMNS(sql)} from suppressions
    where (${query.reason ?? null}::suppression_reason is null or reason = ${query.reason ?? null}::suppression_reason)
      and (${query.since ?? null}::timestamptz is null or created_at >= ${query.since ?? null}::timestamptz)
      and (${query.until ?? null}::timestamptz is null or created_at < ${query.until ?? null}::timestamptz)
      and (${query.after?.createdUs.toString() ?? null}::bigint is null
           or (created_at, email_hash) < (timestamptz 'epoch' + ${query.after?.createdUs.toString() ?? null}::bigint * interval '1 microsecond', ${query.after?.emailHash ?? ''}))
    order by created_at desc, email_hash desc
    limit ${query.limit}`;
  return rows.map(toSuppression);
}

export async function findSuppression(sql: SqlExecutor, emailHash: string): Promise<SuppressionRow | undefined> {
  const [row] = await sql<Row[]>`select ${COLUMNS(sql)} from suppressions where email_hash = ${emailHash}`;
  return row ? toSuppression(row) : undefined;
}

/** Removes an entry; returns what it was, or undefined when there was none. */
export async function deleteSuppression(sql: SqlExecutor, emailHash: string): Promise<SuppressionRow | undefined> {
  const [row] = await sql<Row[]>`delete from suppressions where email_hash = ${emailHash} returning ${COLUMNS(sql)}`;
  return row ? toSuppression(row) : undefined;
}
