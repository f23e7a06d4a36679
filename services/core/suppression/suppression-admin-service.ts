import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError, NotFoundError } from '../platform/errors.js';
import { deleteSuppression, findSuppression, findSuppressionPage, type SuppressionRow } from './suppression-admin-repo.js';
import { suppressionHash, type SuppressionReason } from './suppression-repo.js';

/**
 * The suppression list as operators see it. Entries are keyed by a hash of the address and the
 * list never shows an address: an operator who wants to know about one searches for it (its
 * hash is looked up). The details (an SMTP server's answer) often quote the address, so the
 * listing blanks addresses out of them.
 */

interface Deps {
  database: DatabaseClient;
}

const ADDRESS = /[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g;

/** An entry as listed: its details without any address in them. */
export function withoutAddresses(row: SuppressionRow): SuppressionRow {
  return { ...row, detail: row.detail?.replace(ADDRESS, '[address]') ?? null };
}

export interface SuppressionListQuery {
  reason?: SuppressionReason;
  since?: Date;
  until?: Date;
  /** The `next` of the previous page. */
  after?: string;
  limit: number;
}

/** A page of entries, newest first, and where the next starts (null after the last). */
export async function listSuppressions(deps: Deps, query: SuppressionListQuery): Promise<{ suppressions: SuppressionRow[]; next: string | null }> {
  let after: { createdUs: bigint; emailHash: string } | undefined;
  if (query.after !== undefined) {
    const match = /^(\d{1,18})\.([0-9a-f]{64})$/.exec(query.after);
    if (!match) throw new InvalidInputError('after must be the `next` of an earlier page', [{ field: 'after', message: 'not a page cursor' }]);
    after = { createdUs: BigInt(match[1]!), emailHash: match[2]! };
  }
  const rows = await findSuppressionPage(deps.database.sql, { ...query, after, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  return { suppressions: page.map(withoutAddresses), next: rows.length > query.limit ? (page.at(-1)?.cursor ?? null) : null };
}

/** Whether `address` is suppressed, and why (shown in full: the operator named the address). */
export async function lookUpSuppression(deps: Deps, address: string): Promise<SuppressionRow | undefined> {
  return findSuppression(deps.database.sql, suppressionHash(address));
}

/** Lifts an entry: mail may go to that address again. Returns what it was. */
export async function liftSuppression(deps: Deps, emailHash: string): Promise<SuppressionRow> {
  const lifted = await deleteSuppression(deps.database.sql, emailHash);
  if (!lifted) throw new NotFoundError(`No suppression with hash ${emailHash}`);
  return lifted;
}
