import { createHash } from 'node:crypto';
import { returnPathTokenOf } from '../platform/tokens/return-path.js';
import { eventTime, withoutAddresses, type MailEvent } from './mail-event.js';
import { allParts, decodeEncodedWords, headerOf, parseFieldBlocks, parseMimeMessage, type MimePart } from './mime-parts.js';

/**
 * What a message received by the bounce receiver says, as mail events: a delivery status
 * notification (RFC 3464) with failed recipients gives hard or soft bounces, a feedback report
 * (ARF, RFC 5965) a complaint; anything else (an auto-reply, RFC 3834; a "delayed" notice; a
 * human's answer; junk) is ignored with the reason. Pure: the caller checks the tokens and
 * applies the events.
 *
 * The message is tied to one of ours by the signed VERP token of the address it was sent to
 * (a DSN goes to the envelope sender of the failed message) or, for a feedback report, the
 * envelope sender the report quotes. Message-IDs in a report are not used: anyone can write
 * a report naming any Message-ID, and ours are easy to guess.
 */

export type InboundReading = { events: MailEvent[] } | { ignored: string };

export interface InboundContext {
  /** RCPT TO addresses of the SMTP envelope. */
  envelopeRecipients: readonly string[];
  bounceDomain: string;
  receivedAt: Date;
}

/** What a failed recipient's status means for the reader: gone, maybe temporarily, or not about them at all. */
export type FailureClass = 'hard' | 'soft' | 'message';

const USER_UNKNOWN =
  /user unknown|unknown user|no such (user|mailbox|recipient|address)|mailbox (unavailable|not found|does not exist|disabled)|does ?n[o']t exist|recipient not found|invalid (recipient|mailbox)|address rejected|not a valid mailbox|unrouteable address|account (is |has been )?(disabled|inactive|deactivated)|doesn't have a [\w.-]+ account/i;
const POLICY = /spam|policy|blocked|block ?list|blacklist|denylist|reputation|authenticat|dmarc|\bspf\b|dkim|relay(ing)? (denied|not permitted)|access denied|rate limit/i;

/** The first enhanced status code (RFC 3463) in a text: "550 5.1.1 <x>: ..." gives "5.1.1". */
function enhancedCodeIn(text: string): string | undefined {
  return /(?:^|[\s;(-])([245]\.\d{1,3}\.\d{1,3})(?=$|[\s;:,.)\]])/.exec(text)?.[1];
}

/**
 * Classifies a failed recipient by its Status (and the Diagnostic-Code's words where the code
 * alone cannot tell):
 * - hard: the address is gone: X.1.x about the recipient (bad mailbox, bad domain, moved), 5.2.1
 *   (mailbox disabled), or an unspecific 5.0.0 whose diagnostic says the user is unknown;
 * - soft: it may work again: any 4.x.x given up on, 5.2.2 mailbox full, 5.2.0 and 5.2.4, 5.3.x and
 *   5.4.x (the receiving system, routing);
 * - message: about our message or us, not the address: 5.7.x policy (spam, DMARC, blocklists),
 *   5.6.x content, 5.2.3 too big, X.1.7 and X.1.8 (the sender's address), and unspecific
 *   5.x codes without user-unknown words. Suppressing on those would drop good readers (all of
 *   a provider's, on a blocklisting).
 */
export function classifyFailedRecipient(status: string | undefined, diagnostic: string): FailureClass {
  let code = status ? enhancedCodeIn(` ${status}`) : undefined;
  const fromDiagnostic = enhancedCodeIn(diagnostic);
  // Exim (and others) put 5.0.0 in Status and the remote server's own code in the diagnostic.
  if (fromDiagnostic && (!code || /^\d\.0\.0$/.test(code)) && fromDiagnostic[0] === (code ?? fromDiagnostic)[0]) code = fromDiagnostic;
  if (!code) {
    const basic = /(?:^|[\s;])([45])\d\d(?=[\s-]|$)/.exec(diagnostic)?.[1];
    if (basic === '4') return 'soft';
    if (POLICY.test(diagnostic)) return 'message';
    return USER_UNKNOWN.test(diagnostic) ? 'hard' : 'message';
  }
  const [klass, subject, detail] = code.split('.').map(Number) as [number, number, number];
  if (klass === 4) return 'soft';
  if (klass !== 5) return 'message';
  const wordsSayGone = USER_UNKNOWN.test(diagnostic) && !POLICY.test(diagnostic);
  switch (subject) {
    case 1:
      if (detail === 7 || detail === 8) return 'message';
      if (detail === 0) return wordsSayGone ? 'hard' : 'message';
      return 'hard';
    case 2:
      if (detail === 1) return 'hard';
      return detail === 3 ? 'message' : 'soft';
    case 3:
    case 4:
      return 'soft';
    case 0:
    case 5:
      return wordsSayGone ? 'hard' : 'message';
    default:
      return 'message';
  }
}

/** `rfc822; reader@example.org` → `reader@example.org`. */
function addressField(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const address = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  return address.trim().replace(/^<|>$/g, '') || undefined;
}

/**
 * `smtp; 550 5.1.1 <a@b>: ...` → `550 5.1.1 <address>: ...`. Addresses are taken out: the detail
 * is stored and logged, and neither may keep a reader's address (an erased one least of all).
 */
export function diagnosticText(value: string | undefined): string {
  if (!value) return '';
  return withoutAddresses(value.replace(/^\s*[a-z-]+\s*;\s*/i, '')).trim();
}

/**
 * The report's own identity: its Message-ID, or a digest of its bytes when it has none. Event
 * keys put the token before it: a report is about one message, and two reports that share a
 * Message-ID (a careless MTA) must not hide each other.
 */
function reportIdentity(message: MimePart, raw: Buffer | string): string {
  const messageId = headerOf(message, 'message-id')?.trim();
  if (messageId && messageId.length <= 250) return messageId;
  return `sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
}

function occurredAt(message: MimePart, receivedAt: Date): Date {
  // A missing, unreadable or future Date (clocks and liars) counts as the moment it arrived.
  return eventTime(headerOf(message, 'date'), receivedAt);
}

function firstToken(addresses: ReadonlyArray<string | undefined>, domain: string): string | undefined {
  for (const address of addresses) {
    const token = address ? returnPathTokenOf(address, domain) : undefined;
    if (token) return token;
  }
  return undefined;
}

function bareAddresses(header: string | undefined): string[] {
  return [...(header ?? '').matchAll(/<?([^\s<>,;"]+@[^\s<>,;"]+)>?/g)].map((m) => m[1]!);
}

function readDeliveryStatus(message: MimePart, report: MimePart, raw: Buffer | string, context: InboundContext): InboundReading {
  const [, ...recipients] = parseFieldBlocks(report.body);
  const field = (block: Map<string, string[]>, name: string) => block.get(name)?.[0];
  const failed = recipients.filter((block) => field(block, 'action')?.trim().toLowerCase().startsWith('failed'));
  if (failed.length === 0) {
    const actions = [...new Set(recipients.map((block) => field(block, 'action')?.trim().toLowerCase() ?? 'none'))].join(', ') || 'none';
    return { ignored: `delivery status report without a failed recipient (action: ${actions})` };
  }
  // A DSN goes to the failed message's envelope sender: our bounces+TOKEN address.
  const token = firstToken([...context.envelopeRecipients, ...bareAddresses(headerOf(message, 'to'))], context.bounceDomain);
  if (!token) return { ignored: 'delivery status report for an address without a return-path token: names no message of ours' };

  const identity = reportIdentity(message, raw);
  const when = occurredAt(message, context.receivedAt);
  const events: MailEvent[] = [];
  const notCounted: string[] = [];
  failed.forEach((block, index) => {
    const status = field(block, 'status')?.trim();
    const diagnostic = diagnosticText(field(block, 'diagnostic-code'));
    const recipient = addressField(field(block, 'original-recipient')) ?? addressField(field(block, 'final-recipient'));
    const detail = [status, diagnostic].filter(Boolean).join(' ').slice(0, 500) || 'failed (no status given)';
    const kind = classifyFailedRecipient(status, diagnostic);
    if (kind === 'message') {
      notCounted.push(detail);
      return;
    }
    events.push({
      source: 'dsn',
      eventKey: `${token}/${identity}/${recipient?.toLowerCase() ?? index}`,
      kind: kind === 'hard' ? 'hard_bounce' : 'soft_bounce',
      verpToken: token,
      ...(recipient ? { recipient } : {}),
      detail,
      occurredAt: when,
    });
  });
  if (events.length === 0) return { ignored: `refused for reasons of the message or the sender, not the reader's address: ${notCounted[0]}` };
  return { events };
}

/** Feedback types that are a reader's complaint; `not-spam` and `auth-failure` (RFC 6591) are not. */
const COMPLAINT_TYPES = new Set(['abuse', 'fraud', 'virus', 'other']);

function readFeedbackReport(message: MimePart, container: MimePart, report: MimePart, raw: Buffer | string, context: InboundContext): InboundReading {
  const [fields] = parseFieldBlocks(report.body);
  const value = (name: string) => fields?.get(name)?.[0]?.trim();
  const feedbackType = value('feedback-type')?.toLowerCase();
  if (!feedbackType) return { ignored: 'feedback report without a Feedback-Type' };
  if (!COMPLAINT_TYPES.has(feedbackType)) return { ignored: `feedback report of type ${feedbackType}: not a complaint` };

  // The reported message's envelope sender is our bounces+TOKEN address: quoted as
  // Original-Mail-From, or in the Return-Path of the returned message or its headers.
  const returned = container.parts.find((part) => part.contentType === 'message/rfc822' || part.contentType === 'message/global' || part.contentType === 'text/rfc822-headers');
  const original = returned?.parts[0];
  const token = firstToken(
    [addressField(value('original-mail-from')), ...bareAddresses(original ? headerOf(original, 'return-path') : undefined), ...context.envelopeRecipients],
    context.bounceDomain,
  );
  if (!token) return { ignored: 'feedback report about a message without our return-path token: names no message of ours' };
  const recipient = addressField(value('original-rcpt-to'));
  const reporter = value('user-agent') ?? value('reporting-mta') ?? 'unknown reporter';
  return {
    events: [
      {
        source: 'arf',
        eventKey: `${token}/${reportIdentity(message, raw)}`,
        kind: 'complaint',
        verpToken: token,
        ...(recipient ? { recipient } : {}),
        detail: `feedback-type ${feedbackType} (${reporter})`.slice(0, 500),
        occurredAt: occurredAt(message, context.receivedAt),
      },
    ],
  };
}

const AUTO_REPLY_SUBJECT =
  /^(auto(matic|matische)?[ -]?(reply|response|antwort|risposta)|autoreply|auto:|out of (the )?office|vacation|away from|abwesenheit|r[ée]ponse automatique|respuesta autom[aá]tica|ooo\b)/i;

/** Why a message is an auto-reply (RFC 3834, and the headers and subjects vacation programs use), or undefined. */
export function autoReplyReason(message: MimePart): string | undefined {
  const submitted = headerOf(message, 'auto-submitted')?.toLowerCase();
  if (submitted && !submitted.startsWith('no')) return `Auto-Submitted: ${submitted}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) if (message.headers.has(name)) return name;
  if (/^(auto_reply|autoreply)$/i.test(headerOf(message, 'precedence') ?? '')) return 'Precedence: auto_reply';
  const subject = decodeEncodedWords(headerOf(message, 'subject') ?? '').trim();
  if (AUTO_REPLY_SUBJECT.test(subject)) return `subject "${subject.slice(0, 60)}"`;
  return undefined;
}

/** Reads one received message. Never throws: what it cannot read is ignored, with the reason. */
export function readInboundReport(raw: Buffer | string, context: InboundContext): InboundReading {
  let message: MimePart;
  try {
    message = parseMimeMessage(raw);
  } catch {
    return { ignored: 'not a readable message' };
  }
  // A report is multipart/report with its report part; some MTAs nest it one level down
  // (multipart/mixed around it), so the parts are searched, not just the top level.
  const reports = allParts(message).filter((part) => part.contentType === 'multipart/report');
  for (const container of reports) {
    const reportType = container.params['report-type']?.toLowerCase();
    const statusPart = container.parts.find((part) => part.contentType === 'message/delivery-status' || part.contentType === 'message/global-delivery-status');
    if (statusPart && reportType !== 'feedback-report') return readDeliveryStatus(message, statusPart, raw, context);
    const feedbackPart = container.parts.find((part) => part.contentType === 'message/feedback-report');
    if (feedbackPart) return readFeedbackReport(message, container, feedbackPart, raw, context);
  }
  const auto = autoReplyReason(message);
  if (auto) return { ignored: `auto-reply (${auto})` };
  return { ignored: 'neither a delivery status notification nor a feedback report' };
}
