import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database, SqlExecutor } from '../platform/db/client.js';
import { suppressions, type suppressionReason } from '../platform/db/schema.js';
import { normalizeEmailAddress } from '../platform/mail/email-address.js';

/**
 * The suppression list: addresses nothing is ever sent to again. It is keyed by a SHA-256 of the
 * normalised address, so an erased reader's address is not kept in clear text, yet a new signup
 * or import of it is still recognised and refused. The hash has two forms, one in JavaScript and
 * one in SQL (for statements over many readers at once); they must stay equal, and a test holds
 * them to it.
 */

export type SuppressionReason = (typeof suppressionReason.enumValues)[number];

/** The key of an address on the suppression list. */
export function suppressionHash(address: string): string {
  return createHash('sha256').update(normalizeEmailAddress(address), 'utf8').digest('hex');
}

/**
 * `suppressionHash` computed inside Postgres. `column` names a normalised-address column,
 * e.g. "s.email_normalized".
 */
export function suppressionHashOf(sql: SqlExecutor, column: string) {
  return sql`encode(sha256(convert_to(${sql(column)}, 'UTF8')), 'hex')`;
}

/** True for rows whose address is not on the suppression list. */
export function notSuppressed(sql: SqlExecutor, column: string) {
  return sql`not exists (select 1 from suppressions x where x.email_hash = ${suppressionHashOf(sql, column)})`;
}

export async function isAddressSuppressed(db: Database, address: string): Promise<boolean> {
  const rows = await db
    .select({ hash: suppressions.emailHash })
    .from(suppressions)
    .where(eq(suppressions.emailHash, suppressionHash(address)))
    .limit(1);
  return rows.length > 0;
}

/** Which of the given suppression hashes are on the suppression list. */
export async function findSuppressedHashes(sql: SqlExecutor, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await sql<{ email_hash: string }[]>`select email_hash from suppressions where email_hash = any(${hashes}::text[])`;
  return new Set(rows.map((row) => row.email_hash));
}

/** Puts a reader's address on the suppression list; an address already there keeps its first reason. */
export async function suppressReader(sql: SqlExecutor, subscriberId: number, reason: SuppressionReason, detail: string): Promise<void> {
  await sql`
    insert into suppressions (email_hash, reason, detail)
    select ${suppressionHashOf(sql, 'email_normalized')}, ${reason}::suppression_reason, ${detail}
    from subscribers where id = ${subscriberId}
    on conflict (email_hash) do nothing`;
}
