import type { DatabaseClient } from '../platform/db/client.js';
import { NotFoundError } from '../platform/errors.js';
import { eraseSubscriber as eraseSubscriberRow, listSubscribers, type SubscriberListRow } from './subscriber-admin-repo.js';

/** Operators' look-up and erasure of readers (bulk import and export have modules of their own). */

export interface SubscriberAdminDeps {
  database: Pick<DatabaseClient, 'sql'>;
}

export interface SubscriberFilter {
  /** Any part of the address, case-insensitive. */
  query?: string;
  status?: SubscriberListRow['status'];
  afterId: number;
  limit: number;
}

export interface SubscriberPage {
  subscribers: SubscriberListRow[];
  /** The `afterId` of the next page; null on the last one. */
  next: number | null;
}

/** One page of readers in id order. */
export async function findSubscribers(deps: SubscriberAdminDeps, filter: SubscriberFilter): Promise<SubscriberPage> {
  const rows = await listSubscribers(deps.database.sql, filter);
  const last = rows[rows.length - 1];
  return { subscribers: rows, next: rows.length === filter.limit && last ? last.id : null };
}

/**
 * Erases a reader (GDPR): the row, their deliveries and sent-paper history go, and only a hash
 * of the address stays, on the suppression list. Throws NotFoundError when there is no such reader.
 */
export async function eraseSubscriber(deps: SubscriberAdminDeps, id: number): Promise<void> {
  if (!(await eraseSubscriberRow(deps.database.sql, id))) throw new NotFoundError(`No subscriber ${id}`);
}
