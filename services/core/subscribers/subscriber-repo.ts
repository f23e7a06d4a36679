import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database, Sql, SqlExecutor } from '../platform/db/client.js';
import { deliveries, editions, editionVariants, readerMailOutbox, subscribers, type ReaderMailKind } from '../platform/db/schema.js';
import type { Executor } from '../papers/paper-repo.js';
import { preferencesOf } from './preference-columns.js';
import type { Preferences } from './preferences.js';
import type { MailSlot } from './mail-slot.js';
import { suppressionHash } from '../suppression/suppression-repo.js';

/**
 * Every query about readers. Each statement that changes a reader's state is a single UPDATE
 * whose WHERE clause states the transition it allows, so concurrent requests (a double click,
 * fifty signups at once, a mailbox provider's one-click POST racing the button) serialise on the
 * row lock and each sees the outcome of the one before.
 */

export type SubscriberRow = typeof subscribers.$inferSelect;
export type SubscriberStatus = SubscriberRow['status'];

export interface ConsentRecord {
  at: Date;
  ip: string | null;
  userAgent: string | null;
  /** Version of the form and consent text, e.g. "signup-v1". */
  form: string;
  source: SubscriberRow['consentSource'];
}

/** How many transactional emails (confirmations, fresh links) one address gets per window. */
const MAIL_SLOTS_PER_WINDOW = 3;
const MAIL_WINDOW_SECONDS = 3600;

const slotColumns = {
  subscriberId: subscribers.id,
  windowStartedAt: subscribers.confirmationWindowStartedAt,
  sentInWindow: subscribers.confirmationsSentInWindow,
};

/** A slot row as returned by an UPDATE that just set the window, so the start is never null. */
function toSlot(row: { subscriberId: number; windowStartedAt: Date | null; sentInWindow: number } | undefined): MailSlot | undefined {
  if (!row) return undefined;
  return { subscriberId: row.subscriberId, windowStartedAt: row.windowStartedAt ?? new Date(0), sentInWindow: row.sentInWindow };
}

function timestamp(value: Date): SQL {
  return sql`${value.toISOString()}::timestamptz`;
}

/**
 * SET and WHERE fragments that take one slot of the window: a window older than an hour starts
 * afresh at `now` with one email; otherwise the count grows, and the WHERE refuses the fourth.
 * In an UPDATE, column references in SET read the row's values before the update.
 */
function takeMailSlot(now: Date) {
  const cutoff = new Date(now.getTime() - MAIL_WINDOW_SECONDS * 1000);
  const windowOver = sql`(${subscribers.confirmationWindowStartedAt} is null or ${subscribers.confirmationWindowStartedAt} <= ${timestamp(cutoff)})`;
  return {
    set: {
      confirmationWindowStartedAt: sql`case when ${windowOver} then ${timestamp(now)} else ${subscribers.confirmationWindowStartedAt} end`,
      confirmationsSentInWindow: sql`case when ${windowOver} then 1 else ${subscribers.confirmationsSentInWindow} + 1 end`,
    },
    allowed: sql`(${windowOver} or ${subscribers.confirmationsSentInWindow} < ${MAIL_SLOTS_PER_WINDOW})`,
  };
}

function consentColumns(consent: ConsentRecord) {
  return {
    consentAt: consent.at,
    consentIp: consent.ip,
    consentUserAgent: consent.userAgent,
    consentForm: consent.form,
    consentSource: consent.source,
  };
}

export async function findSubscriberById(db: Database, id: number): Promise<SubscriberRow | undefined> {
  const [row] = await db.select().from(subscribers).where(eq(subscribers.id, id)).limit(1);
  return row;
}

export async function findSubscriberByNormalizedEmail(db: Database, normalized: string): Promise<SubscriberRow | undefined> {
  const [row] = await db.select().from(subscribers).where(eq(subscribers.emailNormalized, normalized)).limit(1);
  return row;
}

/**
 * The arXiv categories some confirmed daily reader chose, sorted: the sections a daily edition
 * freezes, and (with `ARXIV_CATEGORIES`) the listings the scheduled arXiv ingest fetches.
 * (Weekly digests are trending only.) One scan of the readers (a parallel sequential scan: about
 * 0.6 s at a million readers), run once by each daily ingest and each daily edition; a partial
 * index on the chosen lists saved only a third of that, not worth its upkeep on every signup.
 */
export async function findDailyReaderCategories(db: Executor): Promise<string[]> {
  const rows = await db
    .selectDistinct({ category: sql<string>`unnest(${subscribers.arxivCategories})` })
    .from(subscribers)
    .where(and(eq(subscribers.status, 'confirmed'), eq(subscribers.frequency, 'daily'), sql`cardinality(${subscribers.arxivCategories}) > 0`));
  return rows.map((row) => row.category).sort();
}

export interface NewPendingSubscriber {
  email: string;
  emailNormalized: string;
  preferences: Preferences;
  consent: ConsentRecord;
  now: Date;
}

export type SignupWrite = 'created' | 'known' | 'suppressed';

/**
 * The signup of an address: one statement, since it is the one hot path a flood of requests
 * takes. A suppressed address writes nothing; a new one becomes a pending reader holding the
 * first mail slot of a fresh window, with its confirmation email queued in the outbox; a known
 * one ('known') is left to `reopenSubscription`. The unique index on `email_normalized` makes
 * concurrent signups of one address race-safe: ON CONFLICT DO NOTHING waits for a concurrent
 * insert to commit and then yields no row, so exactly one caller creates the reader.
 * Raw postgres.js rather than drizzle: a named prepared statement, planned once per connection.
 */
export async function insertPendingSubscriber(sql: Sql, reader: NewPendingSubscriber): Promise<SignupWrite> {
  const { preferences: p, consent: c, now } = reader;
  const [outcome] = await sql<{ suppressed: boolean; created: boolean }[]>`
    with suppressed as (
      select 1 from suppressions where email_hash = ${suppressionHash(reader.emailNormalized)}
    ), created as (
      insert into subscribers (
        email, email_normalized, status, frequency, weekday, send_hour, time_zone, topics, max_papers, trending, arxiv_categories,
        consent_at, consent_ip, consent_user_agent, consent_form, consent_source,
        confirmation_window_started_at, confirmations_sent_in_window, created_at, updated_at)
      select ${reader.email}, ${reader.emailNormalized}, 'pending', ${p.frequency}::digest_frequency, ${p.weekday}, ${p.sendHour},
        ${p.timeZone}, ${p.topics}::text[], ${p.maxPapers}, ${p.trending}, ${p.arxivCategories}::text[],
        ${c.at}, ${c.ip}, ${c.userAgent}, ${c.form}, ${c.source}::consent_source,
        ${now}, 1, ${now}, ${now}
      where not exists (select 1 from suppressed)
      on conflict (email_normalized) do nothing
      returning id, confirmation_window_started_at, confirmations_sent_in_window
    ), queued as (
      insert into reader_mail_outbox (subscriber_id, kind, window_started_at, sent_in_window)
      select id, 'confirmation', confirmation_window_started_at, confirmations_sent_in_window from created
    )
    select exists (select 1 from suppressed) as suppressed, exists (select 1 from created) as created`;
  if (outcome?.suppressed) return 'suppressed';
  return outcome?.created ? 'created' : 'known';
}

type SlotClaim = (tx: Pick<Database, 'update'>) => Promise<MailSlot | undefined>;

/**
 * Takes a mail slot and queues the email it was taken for, in one transaction: a slot is never
 * used up without its email in the outbox, and no email is queued without a slot.
 */
async function claimSlotAndQueue(db: Database, kind: ReaderMailKind, claim: SlotClaim): Promise<MailSlot | undefined> {
  return db.transaction(async (tx) => {
    const slot = await claim(tx);
    if (slot) {
      await tx.insert(readerMailOutbox).values({
        subscriberId: slot.subscriberId,
        kind,
        windowStartedAt: slot.windowStartedAt,
        sentInWindow: slot.sentInWindow,
      });
    }
    return slot;
  });
}

/**
 * A signup of a known address that is pending or unsubscribed: back to pending with the new
 * consent record and preferences, taking a mail slot and queuing the confirmation. Returns
 * nothing when the address is confirmed (nothing changes) or its window is used up. The stored
 * spelling of the address stays: the new one names the same mailbox, and since a signup needs
 * no proof of anything, a stranger's signup must not rewrite how a reader's address reads.
 */
export async function reopenSubscription(db: Database, reader: NewPendingSubscriber): Promise<MailSlot | undefined> {
  const slot = takeMailSlot(reader.now);
  return claimSlotAndQueue(db, 'confirmation', async (tx) => {
    const [claimed] = await tx
      .update(subscribers)
      .set({
        status: 'pending',
        ...preferencesOf(reader.preferences),
        ...consentColumns(reader.consent),
        // A new consent needs a new confirmation; the old one no longer stands for it.
        confirmedAt: null,
        ...slot.set,
        updatedAt: reader.now,
      })
      .where(and(eq(subscribers.emailNormalized, reader.emailNormalized), inArray(subscribers.status, ['pending', 'unsubscribed']), slot.allowed))
      .returning(slotColumns);
    return toSlot(claimed);
  });
}

/** Takes a mail slot for a transactional email to this reader (e.g. fresh links) and queues it; none left → undefined. */
export async function claimMailSlot(db: Database, subscriberId: number, kind: ReaderMailKind, now: Date): Promise<MailSlot | undefined> {
  const slot = takeMailSlot(now);
  return claimSlotAndQueue(db, kind, async (tx) => {
    const [claimed] = await tx
      .update(subscribers)
      .set({ ...slot.set, updatedAt: now })
      .where(and(eq(subscribers.id, subscriberId), slot.allowed))
      .returning(slotColumns);
    return toSlot(claimed);
  });
}

/** pending → confirmed. Returns the row when this call confirmed it; undefined when it was not pending. */
export async function confirmPendingSubscriber(db: Database, id: number, now: Date): Promise<SubscriberRow | undefined> {
  const [row] = await db
    .update(subscribers)
    .set({ status: 'confirmed', confirmedAt: now, unsubscribedAt: null, updatedAt: now })
    .where(and(eq(subscribers.id, id), eq(subscribers.status, 'pending')))
    .returning();
  return row;
}

/** Any status → unsubscribed. Returns the row when this call changed it; undefined when already unsubscribed or gone. */
export async function markUnsubscribed(db: Database, id: number, now: Date): Promise<SubscriberRow | undefined> {
  const [row] = await db
    .update(subscribers)
    .set({ status: 'unsubscribed', unsubscribedAt: now, updatedAt: now })
    .where(and(eq(subscribers.id, id), sql`${subscribers.status} <> 'unsubscribed'`))
    .returning();
  return row;
}

/**
 * `markUnsubscribed` for a caller inside a transaction of raw statements (a complaint unsubscribes
 * and suppresses together). True when this call changed the status.
 */
export async function markUnsubscribedWith(sql: SqlExecutor, id: number, now: Date): Promise<boolean> {
  const rows = await sql`
    update subscribers set status = 'unsubscribed', unsubscribed_at = ${now}, updated_at = ${now}
    where id = ${id} and status <> 'unsubscribed'
    returning id`;
  return rows.length > 0;
}

/**
 * unsubscribed → confirmed, for a reader who had confirmed the address before and now asks to
 * come back from a link only they received. Records the new consent.
 */
export async function restoreConfirmedSubscriber(
  db: Database,
  id: number,
  consent: ConsentRecord,
  changes: Partial<Preferences>,
): Promise<SubscriberRow | undefined> {
  const [row] = await db
    .update(subscribers)
    .set({ status: 'confirmed', unsubscribedAt: null, ...consentColumns(consent), ...changes, updatedAt: consent.at })
    .where(and(eq(subscribers.id, id), eq(subscribers.status, 'unsubscribed'), sql`${subscribers.confirmedAt} is not null`))
    .returning();
  return row;
}

/**
 * unsubscribed (never confirmed) or pending → pending with a new consent record, taking a mail
 * slot and queuing the confirmation.
 */
export async function restorePendingSubscriber(
  db: Database,
  id: number,
  consent: ConsentRecord,
  changes: Partial<Preferences>,
): Promise<MailSlot | undefined> {
  const slot = takeMailSlot(consent.at);
  return claimSlotAndQueue(db, 'confirmation', async (tx) => {
    const [claimed] = await tx
      .update(subscribers)
      .set({ status: 'pending', unsubscribedAt: null, ...consentColumns(consent), ...changes, ...slot.set, updatedAt: consent.at })
      .where(
        and(
          eq(subscribers.id, id),
          sql`(${subscribers.status} = 'pending' or (${subscribers.status} = 'unsubscribed' and ${subscribers.confirmedAt} is null))`,
          slot.allowed,
        ),
      )
      .returning(slotColumns);
    return toSlot(claimed);
  });
}

export async function updateSubscriberPreferences(
  db: Database,
  id: number,
  changes: Partial<Preferences> & { images?: boolean },
  now: Date,
): Promise<SubscriberRow | undefined> {
  const [row] = await db
    .update(subscribers)
    .set({ ...changes, updatedAt: now })
    .where(eq(subscribers.id, id))
    .returning();
  return row;
}

/** Pauses (an instant) or resumes (null) a reader's digest. */
export async function setPausedUntil(db: Database, id: number, pausedUntil: Date | null, now: Date): Promise<SubscriberRow | undefined> {
  const [row] = await db.update(subscribers).set({ pausedUntil, updatedAt: now }).where(eq(subscribers.id, id)).returning();
  return row;
}

/**
 * Takes one topic off a reader's list in one statement (so two stop links clicked at once both
 * count). Returns the row, changed or not; undefined when the reader does not exist.
 */
export async function removeSubscriberTopic(db: Database, id: number, topic: string, now: Date): Promise<SubscriberRow | undefined> {
  const [changed] = await db
    .update(subscribers)
    .set({ topics: sql`array_remove(${subscribers.topics}, ${topic})`, updatedAt: now })
    .where(and(eq(subscribers.id, id), sql`${topic} = any(${subscribers.topics})`))
    .returning();
  return changed ?? findSubscriberById(db, id);
}

export interface DeliveryRecord {
  id: number;
  edition: string;
  status: string;
  paperIds: string[];
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** Every delivery of one reader with its edition's key and its papers, oldest first (the GDPR export). */
export async function listDeliveriesOf(db: Database, subscriberId: number): Promise<DeliveryRecord[]> {
  const rows = await db
    .select({
      id: deliveries.id,
      edition: editions.key,
      status: deliveries.status,
      paperIds: editionVariants.paperIds,
      attempts: deliveries.attempts,
      lastError: deliveries.lastError,
      createdAt: deliveries.createdAt,
      sentAt: deliveries.sentAt,
    })
    .from(deliveries)
    .innerJoin(editions, eq(editions.id, deliveries.editionId))
    .leftJoin(editionVariants, eq(editionVariants.id, deliveries.variantId))
    .where(eq(deliveries.subscriberId, subscriberId))
    .orderBy(asc(deliveries.id));
  return rows.map((row) => ({ ...row, paperIds: row.paperIds ?? [] }));
}

export interface SentPaperRecord {
  paperId: string;
  title: string;
  sentAt: Date;
}

/**
 * Every paper one reader has been sent, oldest first (the GDPR export): those of their deliveries
 * with a sent time, and of their sent_papers rows (kept after the deliveries are dropped).
 */
export async function listSentPapersOf(sql: Sql, subscriberId: number): Promise<SentPaperRecord[]> {
  const rows = await sql<{ paper_id: string; title: string; sent_at: Date }[]>`
    with sent as (
      select variant_id, sent_at from deliveries where subscriber_id = ${subscriberId} and sent_at is not null and variant_id is not null
      union all
      select variant_id, sent_at from sent_papers where subscriber_id = ${subscriberId}
    )
    select p.id as paper_id, p.title, sent.sent_at
    from sent join edition_variants v on v.id = sent.variant_id
    cross join lateral unnest(v.paper_ids) as sp(paper_id)
    join papers p on p.id = sp.paper_id
    order by sent.sent_at, p.id`;
  return rows.map((row) => ({ paperId: row.paper_id, title: row.title, sentAt: row.sent_at }));
}
