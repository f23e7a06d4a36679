import type postgres from 'postgres';
import type { Sql } from '../db/client.js';

/** The pool or one of its transactions: both build query fragments. */
type QueryBuilder = Sql | postgres.TransactionSql;

/**
 * The suppression hash (see suppression.ts) computed inside Postgres, so a query can filter or
 * record suppressions of many readers in one statement. Must stay equal to `suppressionHash`.
 * `column` names a normalised-address column, e.g. "s.email_normalized".
 */
export function suppressionHashOf(sql: QueryBuilder, column: string) {
  return sql`encode(sha256(convert_to(${sql(column)}, 'UTF8')), 'hex')`;
}

/** True for rows whose address is not on the suppression list. */
export function notSuppressed(sql: QueryBuilder, column: string) {
  return sql`not exists (select 1 from suppressions x where x.email_hash = ${suppressionHashOf(sql, column)})`;
}
