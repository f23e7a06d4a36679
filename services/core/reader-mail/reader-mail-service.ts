import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { mailboxDomain } from '../platform/mail/address.js';
import type { MailTransport } from '../platform/mail/transport.js';
import { returnPathAddress } from '../platform/tokens/return-path.js';
import { CONFIRMATION_TOKEN_TTL_SECONDS } from '../platform/tokens/tokens.js';
import { classifySmtpFailure } from '../platform/mail/smtp-failure.js';
import { preferencesOf } from '../subscribers/preference-columns.js';
import { describePreferences } from '../subscribers/preferences.js';
import { confirmationUrl, readerLinks } from '../subscribers/reader-links.js';
import { findSubscriberById, type SubscriberRow } from '../subscribers/subscriber-repo.js';
import { isAddressSuppressed } from '../suppression/suppression-repo.js';
import { suppressAfterSmtpRefusal } from '../suppression/suppression-service.js';
import type { ReaderMailKind } from '../platform/db/schema.js';
import type { ReaderMailRenderer, ReaderMailValues } from './reader-mail-renderer.js';

export interface ReaderMailDeps {
  database: Pick<DatabaseClient, 'db' | 'sql' | 'installationId'>;
  mail: Pick<MailTransport, 'send'>;
  clock: Clock;
  config: Pick<Config, 'publicUrl' | 'secretKey'> & { mail: Pick<Config['mail'], 'from' | 'postalAddress' | 'bounceDomain'> };
  /** One per process: it compiles each template once. */
  renderer: ReaderMailRenderer;
}

/** Sent; not sent because it is no longer owed; or refused by SMTP for good (worth no retry). */
export type ReaderMailResult = { sent: true; messageId: string } | { sent: false; skipped: string } | { sent: false; refused: string };

function valuesFor(deps: ReaderMailDeps, kind: ReaderMailKind, row: SubscriberRow): ReaderMailValues {
  const { config } = deps;
  const common = { postalAddress: config.mail.postalAddress };
  if (kind === 'confirmation') {
    const expiresAt = new Date(deps.clock().getTime() + CONFIRMATION_TOKEN_TTL_SECONDS * 1000);
    return {
      ...common,
      confirmUrl: confirmationUrl(config, row.id, expiresAt),
      schedule: describePreferences(preferencesOf(row)),
      validFor: `${Math.round(CONFIRMATION_TOKEN_TTL_SECONDS / 3600)} hours`,
    };
  }
  return {
    ...common,
    status: row.status === 'unsubscribed' ? 'unsubscribed, no digests' : describePreferences(preferencesOf(row)),
    ...readerLinks(config, row.id),
  };
}

/**
 * Sends one transactional email to one reader: the double opt-in confirmation or a fresh set of
 * links. Reads the reader at send time, so a reader who confirmed, left or was erased since the
 * email was owed gets nothing. `messageKey` names this email for good (the job id): every attempt
 * carries the same Message-ID, so a retry after a lost SMTP answer reads as one message.
 * A transient SMTP failure (4xx, a lost connection) is thrown for the caller to retry; a
 * permanent one is answered as `refused`, after suppressing the reader when the mailbox is gone.
 */
export async function sendReaderMail(
  deps: ReaderMailDeps,
  request: { kind: ReaderMailKind; subscriberId: number; messageKey: string },
): Promise<ReaderMailResult> {
  const { kind, subscriberId } = request;
  const { db, sql } = deps.database;
  const row = await findSubscriberById(db, subscriberId);
  if (!row) return { sent: false, skipped: 'subscriber no longer exists' };
  if (kind === 'confirmation' && row.status !== 'pending') return { sent: false, skipped: `subscriber is ${row.status}` };
  if (await isAddressSuppressed(db, row.emailNormalized)) return { sent: false, skipped: 'address is suppressed' };

  const content = await deps.renderer.render(kind, valuesFor(deps, kind, row));
  const { bounceDomain } = deps.config.mail;
  // With BOUNCE_DOMAIN, a bounce of this email names the reader and the email (VERP).
  const envelope = bounceDomain
    ? { from: returnPathAddress(deps.config.secretKey, bounceDomain, { kind: 'reader-mail', subscriberId, mail: kind }), to: [row.email] }
    : undefined;
  try {
    const sent = await deps.mail.send({
      from: deps.config.mail.from,
      to: row.email,
      ...(envelope ? { envelope } : {}),
      subject: content.subject,
      text: content.text,
      html: content.html,
      // Beside the job id, the installation's: job ids restart with every new database.
      messageId: `<${request.messageKey}.${await deps.database.installationId()}@${mailboxDomain(deps.config.mail.from)}>`,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    return { sent: true, messageId: sent.messageId };
  } catch (error) {
    const failure = classifySmtpFailure(error);
    // A throttled reply is retried like any deferral: this queue's own backoff spaces the attempts.
    if (failure.kind === 'transient' || failure.kind === 'throttled') throw error;
    await suppressAfterSmtpRefusal(sql, subscriberId, failure);
    return { sent: false, refused: failure.reason };
  }
}
