import { z } from 'zod';
import { returnPathTokenOf } from '../../platform/tokens/return-path.js';
import { diagnosticText } from '../inbound-report.js';
import { eventTime, type MailEvent } from '../mail-event.js';
import { storedDetail } from './provider-reading.js';

/**
 * Amazon SES bounce and complaint notifications (the `Message` of an SNS notification), read as
 * MailEvents. Both shapes SES publishes are read: identity notifications (`notificationType`) and
 * configuration-set event publishing (`eventType`); their `mail`, `bounce` and `complaint` objects
 * are the same. Reference: "Amazon SNS notification contents for Amazon SES" (SES developer guide).
 *
 * - Bounce, bounceType Permanent: a hard bounce (SES has decided the address is gone, and
 *   suppresses it itself); Transient and Undetermined: a soft bounce. Undetermined ("SES was
 *   unable to determine a specific bounce reason") is soft because a hard bounce suppresses for
 *   good on one report, while soft bounces suppress after SOFT_BOUNCE_LIMIT in a row: an address
 *   that really is gone is still dropped, a good one is not lost to one unreadable report.
 *   Transient bounces about our message (ContentRejected, AttachmentRejected, MessageTooLarge)
 *   are ignored, as the DSN reader ignores 5.6.x, 5.7.x and 5.2.3: the reader's address is fine.
 * - Complaint: a complaint for each complained recipient, except a feedback type `not-spam`
 *   (RFC 5965: the reporter says the message is not spam, e.g. undoing a misfiled one).
 * - Anything else (Delivery, Send, Open, Reject, DeliveryDelay...): ignored.
 *
 * The message is named by the VERP token of `mail.source` (the envelope sender we gave SES) when
 * it is our bounce address, else by our own Message-ID as the original headers carry it; never
 * by SES's `mail.messageId`, which is SES's id and names nothing of ours.
 */

export type SesReading = { events: MailEvent[] } | { ignored: string };

export interface SesContext {
  /** The SNS message's id: the event key when SES gives no feedback id. */
  snsMessageId: string;
  bounceDomain: string | undefined;
  receivedAt: Date;
}

const text = z.string().nullish();

const sesNotification = z.object({
  notificationType: text,
  eventType: text,
  mail: z
    .object({
      messageId: text,
      source: text,
      commonHeaders: z.object({ messageId: text }).nullish(),
      headers: z.array(z.object({ name: z.string(), value: z.string() })).nullish(),
    })
    .nullish(),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: text,
      bouncedRecipients: z.array(z.object({ emailAddress: z.string(), status: text, diagnosticCode: text })),
      timestamp: text,
      feedbackId: text,
    })
    .nullish(),
  complaint: z
    .object({
      complainedRecipients: z.array(z.object({ emailAddress: z.string() })),
      complaintFeedbackType: text,
      userAgent: text,
      timestamp: text,
      feedbackId: text,
    })
    .nullish(),
});

type SesMail = NonNullable<z.output<typeof sesNotification>['mail']>;

/** Transient bounce subtypes about our message, not the reader's address. */
const MESSAGE_BOUNCE_SUBTYPES = new Set(['ContentRejected', 'AttachmentRejected', 'MessageTooLarge']);

/** Which of our messages the notification is about: the VERP token, or our Message-ID. */
function targetOf(mail: SesMail | null | undefined, bounceDomain: string | undefined): Pick<MailEvent, 'verpToken' | 'messageId'> {
  const token = mail?.source && bounceDomain ? returnPathTokenOf(mail.source, bounceDomain) : undefined;
  if (token) return { verpToken: token };
  const sesId = mail?.messageId?.trim().replace(/^<|>$/g, '');
  const candidates = [mail?.commonHeaders?.messageId, mail?.headers?.find((header) => header.name.toLowerCase() === 'message-id')?.value];
  for (const candidate of candidates) {
    const bare = candidate?.trim().replace(/^<|>$/g, '');
    if (bare && bare !== sesId && bare.length <= 250) return { messageId: bare };
  }
  return {};
}

export function readSesNotification(message: string, context: SesContext): SesReading {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ignored: 'the SNS message is not JSON: not an SES notification' };
  }
  const parsed = sesNotification.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ignored: `not an SES notification we can read (${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'})` };
  }
  const notification = parsed.data;
  const type = notification.notificationType ?? notification.eventType;
  const target = targetOf(notification.mail, context.bounceDomain);
  const keyOf = (feedbackId: string | null | undefined, recipient: string) => `${feedbackId ?? `sns:${context.snsMessageId}`}/${recipient.trim().toLowerCase()}`;

  if (type === 'Bounce' && notification.bounce) {
    const bounce = notification.bounce;
    if (bounce.bounceType === 'Transient' && MESSAGE_BOUNCE_SUBTYPES.has(bounce.bounceSubType ?? '')) {
      return { ignored: `SES transient bounce ${bounce.bounceSubType}: about our message, not the reader's address` };
    }
    const kind = bounce.bounceType === 'Permanent' ? 'hard_bounce' : 'soft_bounce';
    const classification = `(SES ${bounce.bounceType}/${bounce.bounceSubType ?? 'unspecified'})`;
    const events = bounce.bouncedRecipients.map(
      (recipient): MailEvent => ({
        source: 'ses',
        eventKey: keyOf(bounce.feedbackId, recipient.emailAddress),
        kind,
        ...target,
        recipient: recipient.emailAddress,
        detail: storedDetail([recipient.status?.trim(), diagnosticText(recipient.diagnosticCode ?? undefined), classification]),
        occurredAt: eventTime(bounce.timestamp, context.receivedAt),
      }),
    );
    return events.length > 0 ? { events } : { ignored: 'SES bounce without bounced recipients' };
  }

  if (type === 'Complaint' && notification.complaint) {
    const complaint = notification.complaint;
    const feedbackType = complaint.complaintFeedbackType?.trim().toLowerCase();
    if (feedbackType === 'not-spam') return { ignored: 'SES complaint of feedback type not-spam: not a complaint' };
    const events = complaint.complainedRecipients.map(
      (recipient): MailEvent => ({
        source: 'ses',
        eventKey: keyOf(complaint.feedbackId, recipient.emailAddress),
        kind: 'complaint',
        ...target,
        recipient: recipient.emailAddress,
        detail: `feedback-type ${feedbackType ?? 'unspecified'} (${diagnosticText(complaint.userAgent ?? undefined) || 'SES'})`.slice(0, 500),
        occurredAt: eventTime(complaint.timestamp, context.receivedAt),
      }),
    );
    return events.length > 0 ? { events } : { ignored: 'SES complaint without complained recipients' };
  }

  return { ignored: `SES ${type ?? 'untyped'} notification: not a bounce or complaint` };
}
