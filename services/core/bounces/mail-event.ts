import type { mailEventKind } from '../platform/db/schema.js';

/**
 * What came back about a message after the server's 250: a bounce or a complaint, from any
 * source (a DSN or feedback report received over SMTP, a provider's webhook). Every source turns
 * its input into these and hands them to `applyMailEvent`, the one place that decides what they do.
 */

export type MailEventKind = (typeof mailEventKind.enumValues)[number];

export interface MailEvent {
  /** Where it came from: `dsn`, `arf`, or a provider (`ses`, `postmark`, `sendgrid`, `mailgun`). */
  source: string;
  /** The event's identity within its source (a provider's event id, a report's own identity): stored once. */
  eventKey: string;
  kind: Exclude<MailEventKind, 'deferral'>;
  /**
   * Which message it is about. A source sets only what it can vouch for: over SMTP anyone can
   * send anything, so a report received there names its message by the signed VERP token alone;
   * an authenticated provider webhook may name it by Message-ID.
   */
  deliveryId?: number;
  verpToken?: string;
  messageId?: string;
  /** The recipient the report names: for logs and checks, and picks a reader only when `recipientVouched`. */
  recipient?: string;
  /**
   * Set only by a source that authenticated itself (a provider webhook checked by its signature or
   * credentials): when neither a token, a delivery id nor a Message-ID names a message of ours,
   * `recipient` names the reader, and the event is taken to be about their latest digest sent
   * before it happened. Postmark, for one, reports its own message id and never ours. Never set by
   * the SMTP receiver: anyone can send it a report naming any address.
   */
  recipientVouched?: boolean;
  /** Status code and diagnostic, e.g. "5.1.1 smtp; 550 5.1.1 user unknown". */
  detail: string;
  occurredAt: Date;
}

/** A reader's address anywhere in a report's text: a detail is stored and logged, and outlives an erased reader. */
const ADDRESS = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;

/** `text` with every address in it replaced by the word "address". */
export function withoutAddresses(text: string): string {
  return text.replace(ADDRESS, 'address');
}

/**
 * When the event happened: the source's time (an ISO string, or Unix seconds), or the time it
 * arrived when that is missing, unreadable, or in the future (a clock ahead of ours, or a liar).
 */
export function eventTime(value: string | number | null | undefined, receivedAt: Date): Date {
  const time = typeof value === 'number' ? new Date(value * 1000) : new Date(value ?? '');
  return Number.isNaN(time.getTime()) || time.getTime() > receivedAt.getTime() ? receivedAt : time;
}
