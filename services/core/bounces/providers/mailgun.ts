import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { returnPathTokenOf } from '../../platform/tokens/return-path.js';
import { classifyFailedRecipient } from '../inbound-report.js';
import { eventTime, type MailEvent } from '../mail-event.js';
import { storedDetail, withinSignatureWindow, type ProviderReading } from './provider-reading.js';

/**
 * Mailgun's webhooks: a JSON body `{ signature: { timestamp, token, signature }, "event-data" }`
 * where `signature` is the hex HMAC-SHA256, keyed with the webhook signing key, of timestamp and
 * token concatenated (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks).
 * The signature does not cover `event-data`: a captured request could carry other events under
 * the same signature, so a timestamp outside the window is refused and each token is accepted once
 * (the caller remembers tokens for as long as their timestamp can pass).
 */

const signedBody = z.object({
  signature: z.object({
    timestamp: z
      .union([z.string(), z.number()])
      .transform(String)
      .pipe(z.string().regex(/^\d{1,12}$/, 'must be Unix seconds')),
    token: z.string().min(1).max(200),
    signature: z.string().max(200),
    'parent-signature': z.string().max(200).optional(),
  }),
  'event-data': z.object({
    event: z.string().max(64),
    id: z.string().min(1).max(200),
    timestamp: z.number().optional(),
    severity: z.string().max(32).optional(),
    reason: z.string().max(200).optional(),
    recipient: z.string().max(320).optional(),
    envelope: z.object({ sender: z.string().max(998).optional() }).optional(),
    message: z.object({ headers: z.object({ 'message-id': z.string().max(998).optional() }).optional() }).optional(),
    'delivery-status': z
      .object({
        code: z.union([z.number(), z.string().max(16)]).optional(),
        message: z.string().optional(),
        description: z.string().optional(),
      })
      .optional(),
  }),
});

export type MailgunWebhook = z.output<typeof signedBody>;
export type MailgunSignature = MailgunWebhook['signature'];
type MailgunEventData = MailgunWebhook['event-data'];

/** The body, read far enough to check its signature and its event; or what is wrong with it. */
export function parseMailgunWebhook(body: unknown): { webhook: MailgunWebhook } | { malformed: string } {
  const parsed = signedBody.safeParse(body);
  if (parsed.success) return { webhook: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { malformed: `"${issue.path.join('.') || 'body'}" ${issue.message} (a Mailgun webhook is a JSON object with "signature" and "event-data")` };
}

export type MailgunSignatureCheck = { ok: true } | { ok: false; problem: 'forged' | 'stale' };

/**
 * Checks the HMAC in constant time (the account's own signature, or, for a subaccount's domain,
 * the parent account's), then the timestamp's window. The token's first use is the caller's check.
 */
export function verifyMailgunSignature(signingKey: string, signature: MailgunSignature, now: Date): MailgunSignatureCheck {
  const expected = createHmac('sha256', signingKey).update(`${signature.timestamp}${signature.token}`, 'utf8').digest();
  const matches = (given: string | undefined) =>
    given !== undefined && /^[0-9a-f]{64}$/i.test(given) && timingSafeEqual(Buffer.from(given, 'hex'), expected);
  if (!matches(signature.signature) && !matches(signature['parent-signature'])) return { ok: false, problem: 'forged' };
  return withinSignatureWindow(Number(signature.timestamp), now) ? { ok: true } : { ok: false, problem: 'stale' };
}

/**
 * What a `failed` event means. `temporary` is not acted on: Mailgun retries the message itself
 * and reports `permanent` if it gives up (marking the copy bounced now would be wrong when a retry
 * gets through, and would count toward the reader's soft-bounce row). `permanent` is classified
 * by its status and words as the bounce receiver classifies a DSN: gone (hard), given up on for
 * now, e.g. a full mailbox after Mailgun's retries (soft), or about our message or sending
 * (policy, spam, reputation: not held against the reader). `suppress-bounce` is Mailgun refusing
 * to send to an address that bounced before: hard.
 */
function failureKind(data: MailgunEventData): { kind: MailEvent['kind'] } | { ignored: string } {
  if (data.severity !== 'permanent') return { ignored: `${data.severity ?? 'unspecified'} failure: Mailgun retries it` };
  if (data.reason === 'suppress-bounce') return { kind: 'hard_bounce' };
  const status = data['delivery-status'];
  const diagnostic = storedDetail([status?.code, status?.message || status?.description]);
  const failure = classifyFailedRecipient(undefined, diagnostic);
  if (failure === 'message') return { ignored: `permanent failure for our message or sending: ${diagnostic || data.reason || 'no detail'}` };
  return { kind: failure === 'hard' ? 'hard_bounce' : 'soft_bounce' };
}

/**
 * The event as a mail event, tied to its message by the VERP token of its envelope sender (when
 * BOUNCE_DOMAIN is set), else its Message-ID, else its recipient (vouched for: the request is signed).
 */
export function readMailgunEvent(data: MailgunEventData, context: { bounceDomain: string | undefined; receivedAt: Date }): ProviderReading {
  let meaning: { kind: MailEvent['kind'] } | { ignored: string };
  if (data.event === 'complained') meaning = { kind: 'complaint' };
  else if (data.event === 'failed') meaning = failureKind(data);
  else meaning = { ignored: `${data.event} event` };
  if ('ignored' in meaning) return { events: [], ignored: [meaning.ignored] };

  const sender = data.envelope?.sender;
  const verpToken = sender && context.bounceDomain ? returnPathTokenOf(sender, context.bounceDomain) : undefined;
  const messageId = data.message?.headers?.['message-id'];
  const status = data['delivery-status'];
  return {
    events: [
      {
        source: 'mailgun',
        // Mailgun promises an event id unique within a day; with the event's time it is unique for good.
        eventKey: `${data.id}@${data.timestamp ?? ''}`,
        kind: meaning.kind,
        ...(verpToken ? { verpToken } : {}),
        ...(messageId ? { messageId } : {}),
        ...(data.recipient ? { recipient: data.recipient, recipientVouched: true } : {}),
        detail: storedDetail([data.event, data.reason, status?.code, status?.message || status?.description]) || data.event,
        occurredAt: eventTime(data.timestamp, context.receivedAt),
      },
    ],
    ignored: [],
  };
}
