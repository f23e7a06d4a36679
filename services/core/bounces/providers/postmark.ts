import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { eventTime, type MailEvent } from '../mail-event.js';
import { storedDetail, type ProviderReading } from './provider-reading.js';

/**
 * Postmark's bounce and spam complaint webhooks. Postmark signs nothing: the webhook URL carries
 * HTTP basic-auth credentials (`https://user:password@host/webhooks/postmark`), checked here in
 * constant time. Each request holds one record (https://postmarkapp.com/developer/webhooks).
 *
 * Postmark's `MessageID` is its own id, never our Message-ID, and it rewrites the return path, so
 * an event names its message by nothing of ours: it names the reader by `Email`, which an
 * authenticated source may vouch for (see MailEvent.recipientVouched).
 */

/** Whether an `Authorization` header carries exactly the configured `user:password`. */
export function postmarkCredentialsMatch(configured: string, authorization: string | undefined): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(authorization ?? '');
  const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  // Digests first: equal lengths for timingSafeEqual, and nothing learnt from how long either is.
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(configured)) && match !== null;
}

/**
 * Postmark's bounce types (its Bounce API's type list) that are about the reader's address:
 * - hard: the address does not exist or is invalid;
 * - soft: a delivery given up on for now (mailbox full, disabled, over quota; a DNS failure):
 *   counted toward SOFT_BOUNCE_LIMIT in a row.
 * Every other type is not acted on: `Transient` is a delay notice (the message may still
 * arrive), auto-replies and challenge mails are not bounces, and `Blocked`, `SpamNotification`,
 * `DMARCPolicy`, `VirusNotification`, `SMTPApiError` and the like are about our message or our
 * sending, not the reader (suppressing on them would drop good readers).
 */
const BOUNCE_KIND_OF_TYPE: Readonly<Record<string, MailEvent['kind']>> = {
  HardBounce: 'hard_bounce',
  BadEmailAddress: 'hard_bounce',
  SoftBounce: 'soft_bounce',
  DnsError: 'soft_bounce',
};

const record = z.object({
  RecordType: z.string().max(64),
});

const bounceRecord = z.object({
  RecordType: z.enum(['Bounce', 'SpamComplaint']),
  // Postmark's ids are 64-bit (its documented example is past 2^53, where JSON.parse loses
  // digits): taken as any whole number, and the event key adds the time to stay unique.
  ID: z.number().nonnegative().refine(Number.isInteger, 'must be a whole number'),
  Type: z.string().max(64),
  Email: z.string().max(320),
  BouncedAt: z.string().max(64).optional(),
  Details: z.string().optional(),
  Description: z.string().optional(),
});

/** The record Postmark posted, as mail events (none for a delivery, open, click or a type not acted on). */
export function readPostmarkRecord(body: unknown, receivedAt: Date): ProviderReading {
  const head = record.safeParse(body);
  if (!head.success) return { malformed: 'the body must be a JSON object with a "RecordType"' };
  const { RecordType: recordType } = head.data;
  if (recordType !== 'Bounce' && recordType !== 'SpamComplaint') return { events: [], ignored: [`record type ${recordType}`] };
  const parsed = bounceRecord.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { malformed: `${recordType} record: "${issue.path.join('.')}" ${issue.message}` };
  }
  const bounce = parsed.data;
  const kind = recordType === 'SpamComplaint' ? 'complaint' : BOUNCE_KIND_OF_TYPE[bounce.Type];
  if (!kind) return { events: [], ignored: [`bounce type ${bounce.Type}: not about the reader's address`] };
  return {
    events: [
      {
        source: 'postmark',
        eventKey: `${bounce.ID}@${bounce.BouncedAt ?? ''}`,
        kind,
        recipient: bounce.Email,
        recipientVouched: true,
        detail: storedDetail([bounce.Type, bounce.Details || bounce.Description]) || bounce.Type,
        occurredAt: eventTime(bounce.BouncedAt, receivedAt),
      },
    ],
    ignored: [],
  };
}
