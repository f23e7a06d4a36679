import { UnrecoverableError, type Job } from 'bullmq';
import type { JobData } from '../../core/platform/queue/queue-contract.js';
import type { Runtime } from '../../runtime.js';
import { classifySmtpFailure } from '../../core/sending/smtp-failure.js';
import { suppressBouncedReader } from '../../core/suppression/suppression-repo.js';
import { describePreferences } from '../../core/subscribers/preferences.js';
import type { ReaderMailKind } from '../../core/reader-mail/reader-mail-jobs.js';
import { createReaderMailRenderer, type ReaderMailRendererOptions } from '../../core/reader-mail/reader-mail.js';
import { findSubscriberById, isSuppressed, type SubscriberRow } from '../../core/subscribers/subscriber-repo.js';
import { preferencesOf } from '../../core/subscribers/subscription-service.js';
import { suppressionHash } from '../../core/suppression/suppression.js';
import { CONFIRMATION_TOKEN_TTL_SECONDS, createToken } from '../../core/platform/tokens/tokens.js';
import { defineProcessor } from '../define-processor.js';
import type { ProcessorDefinition } from '../worker-host.js';

export type ReaderMailResult = { sent: true; messageId: string } | { sent: false; skipped: string };

/** The domain of MAIL_FROM ("Paperboy <papers@example.org>" → "example.org"), for Message-IDs. */
function fromDomain(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'paperboy.invalid';
}

function statusLabel(row: SubscriberRow): string {
  if (row.status === 'unsubscribed') return 'unsubscribed, no digests';
  return describePreferences(preferencesOf(row));
}

/**
 * Sends one transactional email to one reader: the double opt-in confirmation or a fresh set of
 * links. Reads the reader at send time, so a reader who confirmed, left or was erased since the
 * job was queued gets nothing. SMTP 4xx and lost connections throw (BullMQ retries with backoff);
 * a permanent 5xx fails the job at once.
 */
export function readerMailProcessor(runtime: Runtime, options: ReaderMailRendererOptions = {}): ProcessorDefinition {
  const renderer = createReaderMailRenderer(options);
  const { config } = runtime;

  function link(route: string, token: string): string {
    return `${config.publicUrl}${route}?token=${encodeURIComponent(token)}`;
  }

  function valuesFor(kind: ReaderMailKind, row: SubscriberRow, now: Date): Record<string, string> {
    const common = { postalAddress: config.mail.postalAddress };
    if (kind === 'confirmation') {
      const expiresAt = new Date(now.getTime() + CONFIRMATION_TOKEN_TTL_SECONDS * 1000);
      const token = createToken(config.secretKey, { subscriberId: row.id, purpose: 'confirm', expiresAt });
      return {
        ...common,
        confirmUrl: link('/confirm', token),
        schedule: describePreferences(preferencesOf(row)),
        validFor: `${Math.round(CONFIRMATION_TOKEN_TTL_SECONDS / 3600)} hours`,
      };
    }
    return {
      ...common,
      status: statusLabel(row),
      preferencesUrl: link('/preferences', createToken(config.secretKey, { subscriberId: row.id, purpose: 'preferences' })),
      unsubscribeUrl: link('/unsubscribe', createToken(config.secretKey, { subscriberId: row.id, purpose: 'unsubscribe' })),
    };
  }

  async function process({ subscriberId }: JobData<'transactional', ReaderMailKind>, job: Job<unknown, unknown, ReaderMailKind>): Promise<ReaderMailResult> {
    const kind = job.name;
    const { db } = runtime.database;
    const row = await findSubscriberById(db, subscriberId);
    if (!row) return { sent: false, skipped: 'subscriber no longer exists' };
    if (kind === 'confirmation' && row.status !== 'pending') return { sent: false, skipped: `subscriber is ${row.status}` };
    if (await isSuppressed(db, suppressionHash(row.emailNormalized))) return { sent: false, skipped: 'address is suppressed' };

    const content = await renderer.render(kind, valuesFor(kind, row, runtime.clock()));
    try {
      const sent = await runtime.mail.send({
        from: config.mail.from,
        to: row.email,
        subject: content.subject,
        text: content.text,
        html: content.html,
        // One id per job: a retry after a lost SMTP answer carries the same Message-ID.
        messageId: `<${job.id ?? `${kind}-${subscriberId}`}@${fromDomain(config.mail.from)}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      return { sent: true, messageId: sent.messageId };
    } catch (error) {
      const failure = classifySmtpFailure(error);
      if (failure.kind === 'transient') throw error;
      // A mailbox that does not exist never will: keep every later email away from it.
      if (failure.kind === 'permanent-recipient') await suppressBouncedReader(runtime.database.sql, subscriberId, failure.reason);
      throw new UnrecoverableError(`SMTP refused the message permanently: ${failure.reason}`);
    }
  }

  return defineProcessor('transactional', { concurrency: 5 }, { confirmation: process, 'manage-links': process });
}
