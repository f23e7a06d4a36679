import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient, SqlExecutor } from '../platform/db/client.js';
import { deliveryIdOfMessageId } from '../platform/mail/digest-message-id.js';
import { normalizeEmailAddress } from '../platform/mail/email-address.js';
import { verifyReturnPathToken } from '../platform/tokens/return-path.js';
import { markUnsubscribedWith } from '../subscribers/subscriber-repo.js';
import { incrementRunCounter } from '../sending/run-control-repo.js';
import { suppressReader } from '../suppression/suppression-repo.js';
import {
  findDeliveryById,
  findReaderByAddress,
  hasEarlierComplaint,
  insertMailEvent,
  lockSubscriber,
  markDeliveryBounced,
  setSoftBounceStreak,
  softBounceNeighbourhood,
  type AddressedReader,
  type EventDelivery,
  type LedgerEntry,
} from './bounce-repo.js';
import type { MailEvent } from './mail-event.js';

/**
 * The one place that decides what a bounce or complaint does, whatever brought it in:
 * - hard bounce: the address is suppressed (`hard_bounce`), the delivery marked `bounced`, the
 *   run's hard_bounces counted;
 * - soft bounce: the delivery is marked `bounced` (this copy did not arrive) and the run's
 *   soft_bounces counted; the address is suppressed once SOFT_BOUNCE_LIMIT of the reader's
 *   digests in a row soft-bounced (counted from the ledger when a bounce arrives, so the send
 *   path writes nothing for it, and a digest that went through breaks the row);
 * - complaint: the reader is unsubscribed and the address suppressed (`complaint`) at once, and
 *   the run's complaints counted.
 * Each event is stored once per (source, event key), in the same transaction as its effects: a
 * report delivered twice changes nothing the second time, and a crash leaves all or nothing.
 */

export interface BounceDeps {
  database: Pick<DatabaseClient, 'sql' | 'installationId'>;
  clock: Clock;
  config: Pick<Config, 'secretKey'> & { bounces: Pick<Config['bounces'], 'softBounceLimit'> };
}

export type MailEventOutcome =
  | {
      applied: true;
      kind: MailEvent['kind'];
      subscriberId: number;
      deliveryId: number | undefined;
      /** The address went on the suppression list (or was on it already). */
      suppressed: boolean;
      /** Soft bounces in a row through this one (soft bounces of a digest only). */
      softBounceStreak?: number;
    }
  | { applied: false; reason: 'duplicate' | 'forged-token' | 'unknown-message' };

interface Target {
  subscriberId: number;
  delivery: EventDelivery | undefined;
}

/** The lookups that find what an event is about: the ledger's, or a unit test's. */
export interface TargetLookups {
  deliveryById(id: number): Promise<EventDelivery | undefined>;
  /** By a Message-ID, with or without its angle brackets. */
  deliveryByMessageId(messageId: string): Promise<EventDelivery | undefined>;
  readerByAddress(emailNormalized: string, sentBy: Date): Promise<AddressedReader | undefined>;
}

/**
 * The ledger's lookups. A Message-ID is not stored: one of this installation's digests carries
 * its delivery id (digest-message-id.ts); any other names no delivery of ours.
 */
function ledgerLookups(sql: SqlExecutor, installationId: string): TargetLookups {
  return {
    deliveryById: (id) => findDeliveryById(sql, id),
    deliveryByMessageId: async (messageId) => {
      const id = deliveryIdOfMessageId(messageId, installationId);
      return id === undefined ? undefined : findDeliveryById(sql, id);
    },
    readerByAddress: (emailNormalized, sentBy) => findReaderByAddress(sql, emailNormalized, sentBy),
  };
}

/**
 * Sources anyone can feed (reports received over SMTP): whatever they say, a recipient address
 * never picks a reader for them.
 */
const UNAUTHENTICATED_SOURCES: ReadonlySet<string> = new Set(['dsn', 'arf']);

/**
 * How far past a provider's event time our own clock may have marked the message sent: the
 * message is marked sent after the server's 250, and the provider's clock is not ours.
 */
const SENT_CLOCK_SKEW_MS = 10 * 60_000;

/**
 * Which reader and delivery the event is about, tried in this order: the signed VERP token (a
 * token that does not verify names nobody: the event is refused, never matched some other way),
 * the delivery id, the Message-ID, and last, for an authenticated source only, the recipient
 * address (`recipientVouched`): that reader and their latest digest sent before the event.
 */
export async function resolveTarget(lookups: TargetLookups, secretKey: string, event: MailEvent): Promise<Target | 'forged-token' | undefined> {
  if (event.verpToken !== undefined) {
    const check = verifyReturnPathToken(secretKey, event.verpToken);
    if (!check.ok) return 'forged-token';
    if (check.subject.kind === 'reader-mail') return { subscriberId: check.subject.subscriberId, delivery: undefined };
    const delivery = await lookups.deliveryById(check.subject.deliveryId);
    return delivery && { subscriberId: delivery.subscriberId, delivery };
  }
  const delivery =
    event.deliveryId !== undefined
      ? await lookups.deliveryById(event.deliveryId)
      : event.messageId
        ? await lookups.deliveryByMessageId(event.messageId)
        : undefined;
  if (delivery) return { subscriberId: delivery.subscriberId, delivery };
  if (event.recipientVouched && event.recipient && !UNAUTHENTICATED_SOURCES.has(event.source)) {
    const sentBy = new Date(event.occurredAt.getTime() + SENT_CLOCK_SKEW_MS);
    const reader = await lookups.readerByAddress(normalizeEmailAddress(event.recipient), sentBy);
    return reader && { subscriberId: reader.subscriberId, delivery: reader.delivery };
  }
  return undefined;
}

/** One event a report or a webhook request carried, and what applying it did. */
export interface AppliedMailEvent {
  event: MailEvent;
  outcome: MailEventOutcome;
}

/** Told of each event once applying it is done (its write committed), before the next one is applied. */
export type OnMailEventApplied = (applied: AppliedMailEvent) => void;

/**
 * Applies the events of one report or webhook request in order. Should Postgres go away midway,
 * the error propagates with the earlier events stored: the sender's retry finds them duplicates.
 * `onApplied` hears of each event as it is applied, so that those stored before such a failure
 * are logged and counted too (the retry sees them only as duplicates).
 */
export async function applyMailEvents(deps: BounceDeps, events: readonly MailEvent[], onApplied?: OnMailEventApplied): Promise<AppliedMailEvent[]> {
  const applied: AppliedMailEvent[] = [];
  for (const event of events) {
    const done = { event, outcome: await applyMailEvent(deps, event) };
    applied.push(done);
    onApplied?.(done);
  }
  return applied;
}

/**
 * How many soft-bounced digests in a row `entries` (one reader's accepted digests in send order)
 * hold through `deliveryId`, counting both ways: reports arrive in any order, so the third of
 * three may be the first one reported.
 */
export function softBounceStreakThrough(entries: readonly LedgerEntry[], deliveryId: number): number {
  const at = entries.findIndex((entry) => entry.deliveryId === deliveryId);
  if (at < 0 || !entries[at]!.softBounced) return 0;
  let first = at;
  let last = at;
  while (first > 0 && entries[first - 1]!.softBounced) first -= 1;
  while (last < entries.length - 1 && entries[last + 1]!.softBounced) last += 1;
  return last - first + 1;
}

export async function applyMailEvent(deps: BounceDeps, event: MailEvent): Promise<MailEventOutcome> {
  const { sql } = deps.database;
  const target = await resolveTarget(ledgerLookups(sql, await deps.database.installationId()), deps.config.secretKey, event);
  if (target === 'forged-token') return { applied: false, reason: 'forged-token' };
  if (!target) return { applied: false, reason: 'unknown-message' };
  const { subscriberId, delivery } = target;
  const limit = deps.config.bounces.softBounceLimit;

  return sql.begin(async (tx): Promise<MailEventOutcome> => {
    // A reader erased since the message went out: nothing left to act on (the erasure kept the
    // address suppressed).
    if (!(await lockSubscriber(tx, subscriberId))) return { applied: false, reason: 'unknown-message' };
    const eventId = await insertMailEvent(tx, {
      source: event.source,
      eventKey: event.eventKey,
      kind: event.kind,
      deliveryId: delivery?.id ?? null,
      subscriberId,
      sendRunId: delivery?.sendRunId ?? null,
      detail: event.detail,
      occurredAt: event.occurredAt,
    });
    if (eventId === undefined) return { applied: false, reason: 'duplicate' };
    const applied = { applied: true as const, kind: event.kind, subscriberId, deliveryId: delivery?.id };

    if (event.kind === 'complaint') {
      if (delivery && !(await hasEarlierComplaint(tx, subscriberId, delivery.id, eventId))) {
        await incrementRunCounter(tx, delivery.sendRunId, 'complaints');
      }
      await markUnsubscribedWith(tx, subscriberId, deps.clock());
      await suppressReader(tx, subscriberId, 'complaint', `complaint: ${event.detail}`);
      return { ...applied, suppressed: true };
    }

    if (event.kind === 'hard_bounce') {
      if (delivery && (await markDeliveryBounced(tx, delivery.id, event.detail))) {
        await incrementRunCounter(tx, delivery.sendRunId, 'hard_bounces');
      }
      await suppressReader(tx, subscriberId, 'hard_bounce', event.detail);
      return { ...applied, suppressed: true };
    }

    // A soft bounce of a transactional email is recorded, nothing more: the streak is about digests.
    if (!delivery) return { ...applied, suppressed: false };
    if (await markDeliveryBounced(tx, delivery.id, event.detail)) await incrementRunCounter(tx, delivery.sendRunId, 'soft_bounces');
    const streak = softBounceStreakThrough(await softBounceNeighbourhood(tx, subscriberId, delivery.id, limit), delivery.id);
    await setSoftBounceStreak(tx, subscriberId, streak);
    const suppressed = streak >= limit;
    if (suppressed) await suppressReader(tx, subscriberId, 'hard_bounce', `${streak} soft bounces in a row, the last: ${event.detail}`);
    return { ...applied, suppressed, softBounceStreak: streak };
  });
}
