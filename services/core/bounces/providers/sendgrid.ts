import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { classifyFailedRecipient } from '../inbound-report.js';
import { eventTime, type MailEvent } from '../mail-event.js';
import { storedDetail, withinSignatureWindow, type ProviderReading } from './provider-reading.js';

/**
 * SendGrid's signed Event Webhook: a JSON array of events, signed with ECDSA (P-256, SHA-256)
 * over the timestamp header followed by the exact bytes of the body; the signature (base64 DER)
 * is in `X-Twilio-Email-Event-Webhook-Signature`, the timestamp (Unix seconds) in
 * `X-Twilio-Email-Event-Webhook-Timestamp`, and the verification key is the base64 public key
 * SendGrid shows when signing is turned on. A replayed request carries events already stored,
 * so it changes nothing; one outside the window is refused.
 */

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** The verification key from its configured form (base64 DER, as SendGrid shows it). */
export function sendgridVerificationKey(base64Der: string): KeyObject {
  return createPublicKey({ key: Buffer.from(base64Der, 'base64'), format: 'der', type: 'spki' });
}

export type SendgridSignatureCheck = { ok: true } | { ok: false; problem: 'missing' | 'forged' | 'stale' };

/** Checks the signature over `timestamp + body` and the timestamp's window; never throws. */
export function verifySendgridSignature(
  key: KeyObject,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: Buffer,
  now: Date,
): SendgridSignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, problem: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || signature.length > 200) return { ok: false, problem: 'forged' };
  let valid: boolean;
  try {
    valid = verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // a signature that is not DER at all
  }
  if (!valid) return { ok: false, problem: 'forged' };
  // Checked after the signature: the timestamp is only worth anything once it is known to be SendGrid's.
  return withinSignatureWindow(Number(timestamp), now) ? { ok: true } : { ok: false, problem: 'stale' };
}

const sendgridEvent = z.object({
  event: z.string().max(64),
  email: z.string().max(320).optional(),
  timestamp: z.number().optional(),
  'smtp-id': z.string().max(998).optional(),
  sg_event_id: z.string().min(1).max(200).optional(),
  type: z.string().max(64).optional(),
  status: z.string().max(64).optional(),
  reason: z.string().optional(),
});

/**
 * Drop reasons that mean SendGrid will never deliver to the address again: it bounced (hard) or
 * complained before, and SendGrid keeps it on its own suppression list. Acting on them suppresses
 * the reader here too, instead of queuing copies for them that SendGrid throws away. The other
 * reasons (unsubscribed from a SendGrid group, invalid SMTPAPI header, spam content, quota) say
 * nothing about the reader's address.
 */
const DROP_KINDS: Readonly<Record<string, MailEvent['kind']>> = {
  'Bounced Address': 'hard_bounce',
  'Spam Reporting Address': 'complaint',
};

type SendgridEvent = z.output<typeof sendgridEvent>;

/**
 * What one event does: `bounce` is a hard bounce (SendGrid's own classification: it suppresses
 * the address after one); `blocked` is a refusal SendGrid does not hold against the address,
 * taken as a soft bounce unless its status and reason are about our message or our sending
 * (policy, spam, reputation: the bounce receiver's classification), which suppresses no one;
 * `spamreport` is a complaint; `dropped` as DROP_KINDS says; everything else (processed,
 * deferred, delivered, opens, clicks, unsubscribes) is not a bounce or a complaint.
 */
function kindOf(event: SendgridEvent): { kind: MailEvent['kind'] } | { ignored: string } {
  switch (event.event) {
    case 'bounce':
      if (event.type !== 'blocked') return { kind: 'hard_bounce' };
      if (classifyFailedRecipient(event.status, event.reason ?? '') !== 'message') return { kind: 'soft_bounce' };
      return { ignored: `blocked for our message or sending: ${storedDetail([event.status, event.reason])}` };
    case 'spamreport':
      return { kind: 'complaint' };
    case 'dropped': {
      const kind = DROP_KINDS[event.reason ?? ''];
      return kind ? { kind } : { ignored: `dropped (${storedDetail([event.reason]) || 'no reason given'})` };
    }
    default:
      return { ignored: `${event.event} event` };
  }
}

/** A batch of events as mail events; the body's bytes are parsed here, after the signature was checked over them. */
export function readSendgridEvents(body: Buffer, receivedAt: Date): ProviderReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { malformed: 'the body is not valid JSON' };
  }
  if (!Array.isArray(parsed)) return { malformed: 'the body must be a JSON array of events' };
  const events: MailEvent[] = [];
  const ignored: string[] = [];
  parsed.forEach((item, index) => {
    const read = sendgridEvent.safeParse(item);
    if (!read.success) {
      const issue = read.error.issues[0]!;
      ignored.push(`event ${index}: unreadable ("${issue.path.join('.')}" ${issue.message})`);
      return;
    }
    const event = read.data;
    const meaning = kindOf(event);
    if ('ignored' in meaning) {
      ignored.push(meaning.ignored);
      return;
    }
    // Without its id an event cannot be stored once; SendGrid sends one with every event.
    if (!event.sg_event_id || (!event['smtp-id'] && !event.email)) {
      ignored.push(`event ${index} (${event.event}): no sg_event_id, or neither smtp-id nor email`);
      return;
    }
    events.push({
      source: 'sendgrid',
      eventKey: event.sg_event_id,
      kind: meaning.kind,
      ...(event['smtp-id'] ? { messageId: event['smtp-id'] } : {}),
      ...(event.email ? { recipient: event.email, recipientVouched: true } : {}),
      detail: storedDetail([event.event === 'bounce' ? event.type : event.event, event.status, event.reason]) || event.event,
      occurredAt: eventTime(event.timestamp, receivedAt),
    });
  });
  return { events, ignored };
}
