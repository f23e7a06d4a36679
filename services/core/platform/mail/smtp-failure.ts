/**
 * What a failed SMTP send means for the delivery:
 * - `transient`: try again later with backoff (4xx, connection lost, timeout, a full mailbox);
 * - `throttled`: the server asks the sender to slow down (421, 451 4.7.x, `454 Throttling
 *   failure`, a 4xx naming a rate or a limit) or says a sending quota is spent (Microsoft's
 *   `554 5.2.0 ... SubmissionQuotaExceeded`, SES's daily quota): nothing is wrong with the reader
 *   or the message, so the delivery waits and the whole send backs off (throttleBackoffMs);
 * - `permanent-recipient`: the mailbox is gone (5.1.x, 5.2.1, 550/551/553 "user unknown" at
 *   RCPT) or its address cannot be carried (5.6.7, a non-ASCII address without SMTPUTF8): fail
 *   the delivery and suppress the address;
 * - `permanent-message`: this message was refused (5.7.x policy, content, authentication,
 *   and other 5xx): fail the delivery but keep the reader, the sender has something to fix.
 *
 * The enhanced status code (RFC 3463) in `error.response` decides when present, since the
 * basic code is ambiguous (550 is used for "no such user" and for "spam" alike).
 */

export type SmtpFailureKind = 'transient' | 'throttled' | 'permanent-recipient' | 'permanent-message';

export interface SmtpFailure {
  kind: SmtpFailureKind;
  /** Basic reply code (550), when the server answered. */
  responseCode: number | undefined;
  /** Enhanced status code ("5.1.1"), when the reply carried one. */
  enhancedStatus: string | undefined;
  /** One line for the ledger's last_error: code and the server's words. */
  reason: string;
}

/** nodemailer's error codes for a connection that failed or was lost, and Node's socket errors. */
const CONNECTION_CODES = new Set([
  'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE',
  'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EAUTH', 'ENOAUTH', 'EPROXY',
]);

const USER_UNKNOWN =
  /user unknown|unknown user|no such (user|mailbox|recipient)|mailbox (unavailable|not found|does not exist)|does not exist|recipient (address )?rejected|invalid recipient|address rejected|not a valid mailbox|unrouteable address/i;

/** Words of a reply about the sender's rate or quota, not about one reader. */
const SENDER_LIMIT =
  /throttl|rate limit|rate exceeded|sending rate|too many (messages|emails|mails|connections)|submission ?quota|sending (quota|limit)|(daily|hourly) (user )?(sending |message )?(quota|limit)|message quota|slow down/i;

/** A mailbox that is full: about this reader only, and it may empty (a soft bounce). */
const MAILBOX_FULL = /mailbox (is )?full|over ?quota|quota exceeded for (this )?(recipient|mailbox|user)|insufficient (system )?storage|exceeded storage/i;

/** Greylisting defers one sender-recipient pair: slowing every reader down would not help. */
const GREYLIST = /grey ?list|gray ?list/i;

const POLICY = /relay|spam|policy|access denied|block|blacklist|denylist|reputation|authenticat|dmarc|spf|dkim/i;

interface SmtpErrorLike {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  message?: unknown;
  permanent?: unknown;
}

function field<T>(value: unknown, type: 'string' | 'number'): T | undefined {
  return typeof value === type ? (value as T) : undefined;
}

/** The first enhanced status code in a reply ("550 5.1.1 <x>: ..." gives "5.1.1"). */
export function enhancedStatusOf(response: string): string | undefined {
  return /(?:^|[\s-])([245]\.\d{1,3}\.\d{1,3})(?=\s|$|[;:,.)])/.exec(response)?.[1];
}

function recipientOrMessage(enhanced: string | undefined, responseCode: number | undefined, response: string, command: string | undefined): SmtpFailureKind {
  if (enhanced) {
    const [, subject, detail] = enhanced.split('.').map(Number);
    // X.1.7 and X.1.8 are about the sender's address; the rest of X.1 is the recipient's.
    if (subject === 1) return detail === 7 || detail === 8 ? 'permanent-message' : 'permanent-recipient';
    if (subject === 2 && detail === 1) return 'permanent-recipient';
    // X.6.7: "non-ASCII addresses not permitted for that sender/recipient" (RFC 6531). MAIL_FROM
    // is ASCII (config checks it), so it is the reader's address that cannot be delivered here.
    if (subject === 6 && detail === 7) return 'permanent-recipient';
    return 'permanent-message';
  }
  // Without an enhanced code the words decide: 550 is also "relaying denied" or "spam", and
  // suppressing on those would drop good readers (every one of them, for a relay problem).
  if (POLICY.test(response)) return 'permanent-message';
  if ((responseCode === 550 || responseCode === 551 || responseCode === 553) && USER_UNKNOWN.test(response)) return 'permanent-recipient';
  // 551 "user not local" and 553 "mailbox name not allowed" name the recipient at RCPT TO.
  if ((responseCode === 551 || responseCode === 553) && /^RCPT/i.test(command ?? '')) return 'permanent-recipient';
  return 'permanent-message';
}

/**
 * A 4xx that asks the sender, not this one reader, to wait: 421 (the server closes the
 * conversation, usually "too many connections" or "try later"), 4.7.x policy deferrals other
 * than greylisting, and any 4xx whose words name a rate, a limit or a quota (`454 Throttling
 * failure: Maximum sending rate exceeded`).
 */
function isThrottle(responseCode: number | undefined, enhanced: string | undefined, response: string): boolean {
  if (GREYLIST.test(response)) return false;
  if (responseCode === 421) return true;
  if (enhanced?.startsWith('4.7.') && (responseCode === 451 || responseCode === 450 || responseCode === 421 || responseCode === 454)) return true;
  return SENDER_LIMIT.test(response);
}

/**
 * How long the whole send waits after a throttled answer: `baseMs` for a server asking to slow
 * down now, twelve times that for a spent sending quota (5.x.x), which a few seconds do not refill.
 */
export function throttleBackoffMs(failure: SmtpFailure, baseMs: number): number {
  const quota = (failure.enhancedStatus?.[0] ?? String(failure.responseCode ?? '')[0]) === '5';
  return quota ? baseMs * 12 : baseMs;
}

export function classifySmtpFailure(error: unknown): SmtpFailure {
  const e = (error && typeof error === 'object' ? error : { message: String(error) }) as SmtpErrorLike;
  const code = field<string>(e.code, 'string');
  const response = field<string>(e.response, 'string') ?? '';
  const command = field<string>(e.command, 'string');
  const message = field<string>(e.message, 'string') ?? '';
  const responseCode = field<number>(e.responseCode, 'number') ?? (/^([2-5]\d\d)[\s-]/.exec(response) ? Number(response.slice(0, 3)) : undefined);
  const enhancedStatus = response ? enhancedStatusOf(response) : undefined;
  const reason = `${responseCode ?? code ?? 'error'}: ${(response || message).replace(/\s+/g, ' ').trim()}`.slice(0, 500);
  const result = (kind: SmtpFailureKind): SmtpFailure => ({ kind, responseCode, enhancedStatus, reason });

  // The enhanced class wins over the basic code: "550 4.7.1 try later" is a deferral.
  const statusClass = enhancedStatus?.[0] ?? (responseCode ? String(responseCode)[0] : undefined);
  if (statusClass === '4') return result(isThrottle(responseCode, enhancedStatus, response) ? 'throttled' : 'transient');
  if (statusClass === '5') {
    // X.2.x is the mailbox's state: a spent sending quota is the sender's, a full mailbox the
    // reader's (it may empty); neither is a reason to give the reader up.
    // (Gmail says its daily sending limit with 5.4.5.)
    if (enhancedStatus === '5.4.5' && SENDER_LIMIT.test(response)) return result('throttled');
    if (enhancedStatus?.startsWith('5.2.') && enhancedStatus !== '5.2.1' && enhancedStatus !== '5.2.3') {
      if (SENDER_LIMIT.test(response)) return result('throttled');
      if (enhancedStatus === '5.2.2' || MAILBOX_FULL.test(response)) return result('transient');
    }
    if (!enhancedStatus && responseCode === 552 && MAILBOX_FULL.test(response)) return result('transient');
    return result(recipientOrMessage(enhancedStatus, responseCode, response, command));
  }

  if (code && CONNECTION_CODES.has(code)) return result('transient');
  if (/connection (closed|lost|reset|refused)|socket|timed? ?out|greeting never received/i.test(message)) return result('transient');
  // nodemailer 10.2+ flags 5xx answers as permanent; without a code we cannot say more.
  if (e.permanent === true) return result('permanent-message');
  // Unknown: retrying is the safe choice, the job's attempts are bounded.
  return result('transient');
}
