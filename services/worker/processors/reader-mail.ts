import { UnrecoverableError, type Job } from 'bullmq';
import type { JobData } from '../../core/platform/queue/queue-contract.js';
import type { ReaderMailKind } from '../../core/platform/db/schema.js';
import { sendReaderMail, type ReaderMailResult } from '../../core/reader-mail/reader-mail-service.js';
import { createReaderMailRenderer, type ReaderMailRendererOptions } from '../../core/reader-mail/reader-mail-renderer.js';
import type { Runtime } from '../../runtime.js';
import { defineProcessor } from '../define-processor.js';
import type { ProcessorDefinition } from '../worker-host.js';

/**
 * The transactional queue's processor: one job, one reader email (see sendReaderMail). A transient
 * SMTP failure throws, and BullMQ retries with backoff; a permanent refusal fails the job at once.
 */
export function readerMailProcessor(runtime: Runtime, options: ReaderMailRendererOptions = {}): ProcessorDefinition {
  const { database, mail, clock, config } = runtime;
  const deps = { database, mail, clock, config, renderer: createReaderMailRenderer(options) };

  async function process({ subscriberId }: JobData<'transactional', ReaderMailKind>, job: Job<unknown, unknown, ReaderMailKind>): Promise<ReaderMailResult> {
    const kind = job.name;
    // One Message-ID per job: a retry after a lost SMTP answer carries the same one.
    const result = await sendReaderMail(deps, { kind, subscriberId, messageKey: job.id ?? `${kind}-${subscriberId}` });
    if ('refused' in result) throw new UnrecoverableError(`SMTP refused the message permanently: ${result.refused}`);
    return result;
  }

  return defineProcessor('transactional', { concurrency: 5 }, { confirmation: process, 'manage-links': process });
}
