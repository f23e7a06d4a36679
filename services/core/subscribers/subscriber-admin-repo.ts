import type { Sql, SqlExecutor } from '../platform/db/client.js';
import { preferenceColumns, preferencesOf } from './preference-columns.js';
import type { Preferences } from './preferences.js';
import { notSuppressed, suppressReader } from '../suppression/suppression-repo.js';

/**
 * Operator queries about readers: look-up, erasure, bulk import and export. Bulk statements
 * take a whole batch through unnest (one round trip per batch), so a million rows is a few
 * hundred statements, not a million.
 */

export interface SubscriberListRow extends Preferences {
  id: number;
  email: string;
  status: 'pending' | 'confirmed' | 'unsubscribed';
  consentAt: Date | null;
  consentSource: string;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
  createdAt: Date;
  /** No digest before this instant (the reader's pause); null when never paused or resumed. */
  pausedUntil: Date | null;
  images: boolean;
}

type RawRow = Preferences & {
  id: string;
  email: string;
  status: SubscriberListRow['status'];
  consent_at: Date | null;
  consent_source: string;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
  created_at: Date;
  paused_until: Date | null;
  images: boolean;
};

const LIST_COLUMNS = (sql: Sql) => sql`
  id, email, status, ${preferenceColumns(sql, 'subscribers')},
  consent_at, consent_source, confirmed_at, unsubscribed_at, created_at, paused_until, images`;

function toListRow(row: RawRow): SubscriberListRow {
  return {
    id: Number(row.id),
    email: row.email,
    status: row.status,
    ...preferencesOf(row),
    consentAt: row.consent_at,
    consentSource: row.consent_source,
    confirmedAt: row.confirmed_at,
    unsubscribedAt: row.unsubscribed_at,
    createdAt: row.created_at,
    pausedUntil: row.paused_until,
    images: row.images,
  };
}

/**
 * Readers in id order after `afterId` (keyset paging), optionally those whose normalised address
 * contains `query` and/or with a status. The walk follows the primary key and stops at `limit`
 * matches, so a page costs the same on page one and page ten thousand.
 */
export async function listSubscribers(
  sql: Sql,
  filter: { query?: string; status?: SubscriberListRow['status']; afterId: number; limit: number },
): Promise<SubscriberListRow[]> {
  const query = filter.query?.trim().toLowerCase();
  const rows = await sql<RawRow[]>`
    select ${LIST_COLUMNS(sql)} from subscribers
    where id > ${filter.afterId}
      ${query ? sql`and strpos(email_normalized, ${query}) > 0` : sql``}
      ${filter.status ? sql`and status = ${filter.status}` : sql``}
    order by id
    limit ${filter.limit}`;
  return rows.map(toListRow);
}

/**
 * Erases a reader: records the hashed address as suppressed (so it cannot be signed up or
 * imported again) and deletes the row; owed mail goes with it by ON DELETE CASCADE, deliveries
 * and sent papers (no foreign key, see the schema) right after. One transaction: there is never
 * a moment with neither the row nor the suppression. A fan-out that read the reader before the
 * erasure may still write a delivery after it; its claim deletes it (settleUnclaimableDeliveries).
 * Returns false when there was no such reader.
 */
export async function eraseSubscriber(sql: Sql, id: number): Promise<boolean> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ email_normalized: string }[]>`select email_normalized from subscribers where id = ${id} for update`;
    if (!row) return false;
    await suppressReader(tx, id, 'erased', 'erased by an operator');
    await tx`delete from subscribers where id = ${id}`;
    // Every edition's partition, by its reader index (deliveries_reader_copy_key).
    await tx`delete from deliveries where subscriber_id = ${id}`;
    // After the reader's deliveries are gone: a send marking one of them waited for this
    // transaction's delete, so whatever it recorded is visible here, and nothing comes later.
    await tx`delete from sent_papers where subscriber_id = ${id}`;
    return true;
  }) as Promise<boolean>;
}

export interface ImportedSubscriber extends Preferences {
  email: string;
  emailNormalized: string;
  status: 'pending' | 'confirmed' | 'unsubscribed';
  consentAt: Date | null;
}

/**
 * Upserts a batch of imported readers in one statement (unique addresses within the batch).
 * New addresses are inserted as given. For a known address only two changes are allowed, so a
 * re-import is a no-op and an import never overrides a reader's own choice:
 *   - the list says "unsubscribed": the reader is unsubscribed (opt-outs are honoured);
 *   - the reader is pending and the list says "confirmed" (consent collected): confirmed.
 * Preferences of known readers are left alone. Suppressed addresses are never inserted (also
 * filtered before; the NOT EXISTS closes the race with an erasure). Returns what changed.
 */
export async function upsertImportedSubscribers(
  sql: SqlExecutor,
  rows: ImportedSubscriber[],
  meta: { now: Date; consentForm: string },
): Promise<{ created: number; updated: number }> {
  if (rows.length === 0) return { created: 0, updated: 0 };
  const now = meta.now.toISOString();
  // `trending` goes as text: postgres.js would send a boolean array as one boolean.
  const result = await sql<{ created: boolean }[]>`
    insert into subscribers as s (
      email, email_normalized, status, frequency, weekday, send_hour, time_zone, topics, max_papers, trending, arxiv_categories,
      consent_at, consent_source, consent_form, confirmed_at, unsubscribed_at, created_at, updated_at)
    select r.email, r.email_normalized, r.status::subscriber_status, r.frequency::digest_frequency, r.weekday, r.send_hour,
           r.time_zone, case when r.topics = '' then '{}'::text[] else string_to_array(r.topics, E'\\n') end, r.max_papers,
           r.trending::boolean, case when r.arxiv_categories = '' then '{}'::text[] else string_to_array(r.arxiv_categories, ' ') end,
           r.consent_at, 'import', ${meta.consentForm},
           case when r.status = 'confirmed' then ${now}::timestamptz end,
           case when r.status = 'unsubscribed' then ${now}::timestamptz end,
           ${now}::timestamptz, ${now}::timestamptz
    from unnest(
      ${rows.map((r) => r.email)}::text[], ${rows.map((r) => r.emailNormalized)}::text[], ${rows.map((r) => r.status)}::text[],
      ${rows.map((r) => r.frequency)}::text[], ${rows.map((r) => r.weekday)}::int2[], ${rows.map((r) => r.sendHour)}::int2[],
      ${rows.map((r) => r.timeZone)}::text[], ${rows.map((r) => r.topics.join('\n'))}::text[], ${rows.map((r) => r.maxPapers)}::int2[],
      ${rows.map((r) => String(r.trending))}::text[], ${rows.map((r) => r.arxivCategories.join(' '))}::text[],
      ${rows.map((r) => r.consentAt?.toISOString() ?? null) as string[]}::timestamptz[]
    ) as r(email, email_normalized, status, frequency, weekday, send_hour, time_zone, topics, max_papers, trending, arxiv_categories, consent_at)
    where ${notSuppressed(sql, 'r.email_normalized')}
    on conflict (email_normalized) do update set
      status = case when excluded.status = 'unsubscribed' then 'unsubscribed'::subscriber_status else 'confirmed'::subscriber_status end,
      confirmed_at = case when excluded.status = 'confirmed' then excluded.confirmed_at else s.confirmed_at end,
      unsubscribed_at = case when excluded.status = 'unsubscribed' then excluded.unsubscribed_at else s.unsubscribed_at end,
      consent_at = case when excluded.status = 'confirmed' then excluded.consent_at else s.consent_at end,
      consent_source = case when excluded.status = 'confirmed' then excluded.consent_source else s.consent_source end,
      consent_form = case when excluded.status = 'confirmed' then excluded.consent_form else s.consent_form end,
      updated_at = excluded.updated_at
    where (excluded.status = 'unsubscribed' and s.status <> 'unsubscribed')
       or (excluded.status = 'confirmed' and s.status = 'pending')
    returning (xmax = 0) as created`;
  const created = result.filter((row) => row.created).length;
  return { created, updated: result.length - created };
}

export async function countSubscribers(sql: Sql): Promise<number> {
  const [row] = await sql<{ count: string }[]>`select count(*) as count from subscribers`;
  return Number(row?.count ?? 0);
}

/** Readers of any status but the one at `emailNormalized`. */
export async function countSubscribersOtherThan(sql: Sql, emailNormalized: string): Promise<number> {
  const [row] = await sql<{ count: string }[]>`select count(*) as count from subscribers where email_normalized <> ${emailNormalized}`;
  return Number(row?.count ?? 0);
}

/**
 * Every reader in id order, `batchSize` rows at a time through a server-side cursor (postgres.js
 * `cursor`), so an export of a million readers holds one batch in memory at a time.
 */
export async function* streamSubscribers(sql: Sql, batchSize = 2000): AsyncGenerator<SubscriberListRow[]> {
  const cursor = sql<RawRow[]>`select ${LIST_COLUMNS(sql)} from subscribers order by id`.cursor(batchSize);
  for await (const rows of cursor) yield rows.map(toListRow);
}
