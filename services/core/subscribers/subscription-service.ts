import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError, NotFoundError, type ErrorDetail } from '../platform/errors.js';
import { mailboxDomain } from '../platform/mail/address.js';
import { digestMessageId } from '../platform/mail/digest-message-id.js';
import { checkEmailAddress, smtpUtf8RefusalMessage } from '../platform/mail/email-address.js';
import type { MailTransport } from '../platform/mail/transport.js';
import { preferencesOf } from './preference-columns.js';
import { checkPreferences, DEFAULT_PREFERENCES, storedTopic, type Frequency, type Preferences } from './preferences.js';
import {
  claimMailSlot,
  confirmPendingSubscriber,
  findSubscriberById,
  findSubscriberByNormalizedEmail,
  insertPendingSubscriber,
  listDeliveriesOf,
  listSentPapersOf,
  markUnsubscribed,
  removeSubscriberTopic,
  reopenSubscription,
  restoreConfirmedSubscriber,
  restorePendingSubscriber,
  setPausedUntil,
  updateSubscriberPreferences,
  type ConsentRecord,
  type SubscriberRow,
} from './subscriber-repo.js';
import { isAddressSuppressed } from '../suppression/suppression-repo.js';

/**
 * What a reader can do to their own subscription. Callers (the API, the CLI) get an outcome for
 * logs and tests, but the public answer to a signup must not depend on it: whether an address is
 * known is nobody's business but its owner's, who learns it from their inbox.
 */

const SIGNUP_FORM_VERSION = 'signup-v1';
const RESUBSCRIBE_FORM_VERSION = 'resubscribe-v1';

/** Who asked, for the consent record (GDPR Art. 7(1)). */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  source: ConsentRecord['source'];
}

export type SubscribeOutcome =
  | 'created'
  | 'confirmation-resent'
  | 'throttled'
  | 'already-confirmed'
  | 'suppressed';

export type ConfirmOutcome = 'confirmed' | 'already-confirmed' | 'unsubscribed';
export type UnsubscribeOutcome = 'unsubscribed' | 'already-unsubscribed' | 'unknown';
export type ResubscribeOutcome = 'resubscribed' | 'already-subscribed' | 'confirmation-sent' | 'throttled' | 'suppressed';
export type FreshLinkOutcome = 'sent' | 'throttled' | 'unknown' | 'suppressed';
export type StopTopicOutcome = 'removed' | 'not-a-topic';

/** The pauses a reader may choose, in weeks. */
export const PAUSE_WEEKS = [1, 2, 4] as const;
const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface SubscriberExport {
  exportedAt: string;
  subscriber: {
    id: number;
    email: string;
    status: SubscriberRow['status'];
    preferences: Preferences;
    /** No digest before this instant; null when not paused. */
    pausedUntil: string | null;
    images: boolean;
    createdAt: string;
    updatedAt: string;
    confirmedAt: string | null;
    unsubscribedAt: string | null;
  };
  consent: { at: string | null; ip: string | null; userAgent: string | null; form: string | null; source: string; confirmedAt: string | null };
  deliveries: Array<{ id: number; edition: string; status: string; paperIds: string[]; messageId: string | null; createdAt: string; sentAt: string | null }>;
  sentPapers: Array<{ paperId: string; title: string; sentAt: string }>;
}

export interface SubscriptionServiceDeps {
  database: Pick<DatabaseClient, 'db' | 'sql' | 'installationId'>;
  /** The sender's address, whose domain the digests' Message-IDs carry (the export shows them). */
  config: { mail: Pick<Config['mail'], 'from'> };
  clock: Clock;
  /** Asked whether an address with a non-ASCII local part can be mailed at all. */
  mail: Pick<MailTransport, 'smtpUtf8'>;
}

const MAX_USER_AGENT_LENGTH = 512;

/** One problem: its message. Several: which fields, so a JSON client sees them at a glance. */
function summarizeDetails(details: ErrorDetail[]): string {
  if (details.length === 1) return (details[0] as ErrorDetail).message;
  return `${details.length} fields need correcting: ${details.map((d) => d.field).join(', ')}`;
}

/** The images choice of a form or JSON body: undefined when not given. */
function parseImagesChoice(value: unknown): boolean | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'on' || value === 'true') return true;
  if (value === false || value === 'off' || value === 'false') return false;
  return 'invalid';
}

export function createSubscriptionService(deps: SubscriptionServiceDeps) {
  const { db, sql } = deps.database;

  function consentFrom(context: RequestContext, form: string): ConsentRecord {
    return {
      at: deps.clock(),
      ip: context.ip ? context.ip.slice(0, 64) : null,
      userAgent: context.userAgent ? context.userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
      form,
      source: context.source,
    };
  }

  async function requireSubscriber(id: number): Promise<SubscriberRow> {
    const row = await findSubscriberById(db, id);
    if (!row) throw new NotFoundError('This subscription no longer exists');
    return row;
  }

  /**
   * An address with a non-ASCII local part is taken only while the mail server offers SMTPUTF8
   * (no reader is signed up to mail that cannot reach them): why not, for the reader.
   */
  async function undeliverableReason(email: { address: string; smtpUtf8: boolean }): Promise<string | undefined> {
    if (!email.smtpUtf8 || (await deps.mail.smtpUtf8()).support === 'offered') return undefined;
    return smtpUtf8RefusalMessage(email.address);
  }

  /** Validates a signup; throws InvalidInputError naming every bad field. */
  async function parseSignup(input: Record<string, unknown>): Promise<{ email: string; normalized: string; preferences: Preferences }> {
    const details: ErrorDetail[] = [];
    const email = checkEmailAddress(input.email);
    const emailProblem = email.ok ? await undeliverableReason(email) : email.message;
    if (emailProblem) details.push({ field: 'email', message: emailProblem });
    const preferences = checkPreferences(input, DEFAULT_PREFERENCES);
    if (!preferences.ok) details.push(...preferences.details);
    if (!email.ok || emailProblem || !preferences.ok) {
      throw new InvalidInputError(summarizeDetails(details), details);
    }
    return { email: email.address, normalized: email.normalized, preferences: preferences.preferences };
  }

  return {
    /**
     * A signup. New address: a pending reader and a confirmation email. Pending or unsubscribed:
     * pending again with this consent and a confirmation (at most three emails an hour).
     * Confirmed: nothing at all (a "you are already subscribed" email would let anyone mail any
     * reader at will). Suppressed: nothing, and no row.
     */
    async subscribe(input: Record<string, unknown>, context: RequestContext): Promise<SubscribeOutcome> {
      const signup = await parseSignup(input);
      const reader = {
        email: signup.email,
        emailNormalized: signup.normalized,
        preferences: signup.preferences,
        consent: consentFrom(context, SIGNUP_FORM_VERSION),
        now: deps.clock(),
      };
      const written = await insertPendingSubscriber(sql, reader);
      if (written !== 'known') return written;
      if (await reopenSubscription(db, reader)) return 'confirmation-resent';
      const existing = await findSubscriberByNormalizedEmail(db, signup.normalized);
      return existing?.status === 'confirmed' ? 'already-confirmed' : 'throttled';
    },

    /** Confirms a pending reader; confirming twice is fine. An unsubscribed reader stays unsubscribed. */
    async confirm(subscriberId: number): Promise<{ outcome: ConfirmOutcome; subscriber: SubscriberRow }> {
      const confirmed = await confirmPendingSubscriber(db, subscriberId, deps.clock());
      if (confirmed) return { outcome: 'confirmed', subscriber: confirmed };
      const row = await requireSubscriber(subscriberId);
      return { outcome: row.status === 'confirmed' ? 'already-confirmed' : 'unsubscribed', subscriber: row };
    },

    /** Stops all mail at once. Idempotent; a reader erased meanwhile gets no mail either. */
    async unsubscribe(subscriberId: number): Promise<UnsubscribeOutcome> {
      const changed = await markUnsubscribed(db, subscriberId, deps.clock());
      if (changed) return 'unsubscribed';
      const row = await findSubscriberById(db, subscriberId);
      return row ? 'already-unsubscribed' : 'unknown';
    },

    /**
     * Undoes an unsubscribe from the reader's own link. A reader who had confirmed the address is
     * confirmed again straight away (the link proves the mailbox); one who never confirmed gets a
     * confirmation email. `frequency` switches to weekly (or daily) on the way.
     */
    async resubscribe(subscriberId: number, context: RequestContext, frequency?: Frequency): Promise<ResubscribeOutcome> {
      const row = await requireSubscriber(subscriberId);
      if (await isAddressSuppressed(db, row.emailNormalized)) return 'suppressed';
      const changes: Partial<Preferences> = frequency ? { frequency } : {};
      if (row.status === 'confirmed') {
        if (frequency && frequency !== row.frequency) await updateSubscriberPreferences(db, subscriberId, changes, deps.clock());
        return 'already-subscribed';
      }
      const consent = consentFrom(context, RESUBSCRIBE_FORM_VERSION);
      if (await restoreConfirmedSubscriber(db, subscriberId, consent, changes)) return 'resubscribed';
      if (await restorePendingSubscriber(db, subscriberId, consent, changes)) return 'confirmation-sent';
      // Confirmed by a concurrent request meanwhile, or the mail window is used up.
      const now = await requireSubscriber(subscriberId);
      return now.status === 'confirmed' ? 'already-subscribed' : 'throttled';
    },

    /**
     * Validates and stores preferences; fields left out keep their stored values. `images` (card
     * thumbnails) is a boolean, or "on"/"off" from a form.
     */
    async updatePreferences(subscriberId: number, input: Record<string, unknown>): Promise<SubscriberRow> {
      const row = await requireSubscriber(subscriberId);
      const checked = checkPreferences(input, preferencesOf(row));
      const images = parseImagesChoice(input.images);
      const details = [...(checked.ok ? [] : checked.details), ...(images === 'invalid' ? [{ field: 'images', message: 'Images must be on or off' }] : [])];
      if (!checked.ok || images === 'invalid') {
        throw new InvalidInputError(summarizeDetails(details), details);
      }
      const changes = images === undefined ? checked.preferences : { ...checked.preferences, images };
      const updated = await updateSubscriberPreferences(db, subscriberId, changes, deps.clock());
      if (!updated) throw new NotFoundError('This subscription no longer exists');
      return updated;
    },

    /**
     * "Stop this topic" from a digest: takes the topic off the reader's list. `topic` is matched
     * as stored (lower-cased, spaces collapsed); one that is not on the list changes nothing.
     */
    async stopTopic(subscriberId: number, topic: string): Promise<{ outcome: StopTopicOutcome; subscriber: SubscriberRow }> {
      const wanted = storedTopic(topic);
      const before = await requireSubscriber(subscriberId);
      if (!before.topics.includes(wanted)) return { outcome: 'not-a-topic', subscriber: before };
      const after = await removeSubscriberTopic(db, subscriberId, wanted, deps.clock());
      if (!after) throw new NotFoundError('This subscription no longer exists');
      return { outcome: 'removed', subscriber: after };
    },

    /** No digests for 1, 2 or 4 weeks from now; they start again by themselves. */
    async pause(subscriberId: number, weeksInput: unknown): Promise<SubscriberRow> {
      const weeks = typeof weeksInput === 'string' && /^\d+$/.test(weeksInput.trim()) ? Number(weeksInput) : weeksInput;
      if (!PAUSE_WEEKS.includes(weeks as (typeof PAUSE_WEEKS)[number])) {
        const message = `Pause for ${PAUSE_WEEKS.slice(0, -1).join(', ')} or ${PAUSE_WEEKS.at(-1)} weeks`;
        throw new InvalidInputError(message, [{ field: 'weeks', message }]);
      }
      const now = deps.clock();
      const row = await setPausedUntil(db, subscriberId, new Date(now.getTime() + (weeks as number) * WEEK_MS), now);
      if (!row) throw new NotFoundError('This subscription no longer exists');
      return row;
    },

    /** Ends a pause now (nothing to do when not paused). */
    async resume(subscriberId: number): Promise<SubscriberRow> {
      const row = await setPausedUntil(db, subscriberId, null, deps.clock());
      if (!row) throw new NotFoundError('This subscription no longer exists');
      return row;
    },

    /**
     * "Send me a fresh link": a pending reader gets the confirmation again, any other reader an
     * email with their preference and unsubscribe links; same mail window as signups. The caller
     * answers the same whatever the outcome.
     */
    async requestFreshLink(emailInput: unknown): Promise<FreshLinkOutcome> {
      const email = checkEmailAddress(emailInput);
      if (!email.ok) throw new InvalidInputError(email.message, [{ field: 'email', message: email.message }]);
      const undeliverable = await undeliverableReason(email);
      if (undeliverable) throw new InvalidInputError(undeliverable, [{ field: 'email', message: undeliverable }]);
      if (await isAddressSuppressed(db, email.normalized)) return 'suppressed';
      const row = await findSubscriberByNormalizedEmail(db, email.normalized);
      if (!row) return 'unknown';
      const kind = row.status === 'pending' ? 'confirmation' : 'manage-links';
      return (await claimMailSlot(db, row.id, kind, deps.clock())) ? 'sent' : 'throttled';
    },

    async findSubscriber(subscriberId: number): Promise<SubscriberRow | undefined> {
      return findSubscriberById(db, subscriberId);
    },

    /** Everything stored about one reader (GDPR Art. 15 and 20). */
    async exportSubscriberData(subscriberId: number): Promise<SubscriberExport> {
      const row = await requireSubscriber(subscriberId);
      const [deliveryRows, sentRows, installationId] = await Promise.all([
        listDeliveriesOf(db, subscriberId),
        listSentPapersOf(sql, subscriberId),
        deps.database.installationId(),
      ]);
      // Not stored: formed as the digest was (digest-message-id.ts), for a delivery that went out.
      const messageIdOf = (d: { id: number; sentAt: Date | null }) =>
        d.sentAt ? digestMessageId(d.id, installationId, mailboxDomain(deps.config.mail.from)) : null;
      const iso = (value: Date | null) => (value ? value.toISOString() : null);
      return {
        exportedAt: deps.clock().toISOString(),
        subscriber: {
          id: row.id,
          email: row.email,
          status: row.status,
          preferences: preferencesOf(row),
          pausedUntil: iso(row.pausedUntil),
          images: row.images,
          createdAt: row.createdAt.toISOString(),
          updatedAt: row.updatedAt.toISOString(),
          confirmedAt: iso(row.confirmedAt),
          unsubscribedAt: iso(row.unsubscribedAt),
        },
        consent: {
          at: iso(row.consentAt),
          ip: row.consentIp,
          userAgent: row.consentUserAgent,
          form: row.consentForm,
          source: row.consentSource,
          confirmedAt: iso(row.confirmedAt),
        },
        deliveries: deliveryRows.map((d) => ({
          id: d.id,
          edition: d.edition,
          status: d.status,
          paperIds: d.paperIds,
          messageId: messageIdOf(d),
          createdAt: d.createdAt.toISOString(),
          sentAt: iso(d.sentAt),
        })),
        sentPapers: sentRows.map((p) => ({ paperId: p.paperId, title: p.title, sentAt: p.sentAt.toISOString() })),
      };
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
