import type { SqlExecutor } from '../platform/db/client.js';

/** Data access for the suppression list that the sending side needs in SQL. */

/**
 * The suppression hash (see suppression.ts) computed inside Postgres, so a query can filter or
 * record suppressions of many readers in one statement. Must stay equal to `suppressionHash`.
 * `column` names a normalised-address column, e.g. "s.email_normalized".
 */
export function suppressionHashOf(sql: SqlExecutor, column: string) {
  return sql`encode(sha256(convert_to(${sql(column)}, 'UTF8')), 'hex')`;
}

/** True for rows whose address is not on the suppression list. */
export function notSuppressed(sql: SqlExecutor, column: string) {
  return sql`not exists (select 1 from suppressions x where x.email_hash = ${suppressionHashOf(sql, column)})`;
}

/**
 * A permanent recipient failure (mailbox unknown or disabled): the reader's address goes on the
 * suppression list, hashed as everywhere else, so nothing is ever sent to it again.
 */
export async function suppressBouncedReader(sql: SqlExecutor, subscriberId: number, detail: string): Promise<void> {
  await sql`
    insert into suppressions (email_hash, reason, detail)
    select ${suppressionHashOf(sql, 'email_normalized')}, 'hard_bounce', ${detail}
    from subscribers where id = ${subscriberId}
    on conflict (email_hash) do nothing`;
}
