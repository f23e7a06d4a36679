import type { SqlExecutor } from '../platform/db/client.js';
import type { SmtpFailure } from '../platform/mail/smtp-failure.js';
import { suppressReader } from './suppression-repo.js';

/**
 * Decides when a reader goes on the suppression list because of what happened to their mail, and
 * records it. Every sender (digests, reader mail) hands its permanent failures here.
 */

/**
 * After SMTP refused a message: a mailbox that does not exist (`permanent-recipient`) never will,
 * so the reader's address is suppressed and nothing is sent to it again. Any other refusal is the
 * sender's problem, not the reader's, and changes nothing. Answers whether the reader was suppressed.
 */
export async function suppressAfterSmtpRefusal(sql: SqlExecutor, subscriberId: number, failure: SmtpFailure): Promise<boolean> {
  if (failure.kind !== 'permanent-recipient') return false;
  await suppressReader(sql, subscriberId, 'hard_bounce', failure.reason);
  return true;
}

/**
 * After the reader's stored address could not be put into a message at all (e.g. a space or a
 * bracket stored before signups were checked): it will fail the same way on every edition, so it
 * is suppressed at once, as a hard bounce (the reason list has no closer value). A non-ASCII local
 * part that the mail server cannot take is refused by the transport as 553 5.6.7 instead, and
 * suppressed by suppressAfterSmtpRefusal.
 */
export async function suppressUndeliverableAddress(sql: SqlExecutor, subscriberId: number, reason: string): Promise<void> {
  await suppressReader(sql, subscriberId, 'hard_bounce', reason);
}
