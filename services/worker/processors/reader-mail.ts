import { UnrecoverableError, type Job } from 'bullmq';
import { QUEUE_NAMES } from '../../core/platform/queue/queues.js';
import { readReaderMailJob } from '../../core/reader-mail/reader-mail-jobs.js';
import { sendReaderMail, type ReaderMailResult } from '../../core/reader-mail/reader-mail-service.js';
import { createReaderMailRenderer, type ReaderMailRendererOptions } from '../../core/reader-mail/reader-mail.js';
import type { Runtime } from '../../runtime.js';
import type { ProcessorDefinition } from '../worker-host.js';

/**
 * The transactional queue's processor: one job, one reader email (see sendReaderMail). A transient
 * SMTP failure throws, and BullMQ retries with backoff; a permanent refusal fails the job at once.
 */
export function readerMailProcessor(runtime: Runtime, options: ReaderMailRendererOptions = {}): ProcessorDefinition {
  const { database, mail, clock, config } = runtime;
  const deps = { database, mail, clock, config, renderer: createReaderMailRenderer(options) };

  async function process(job: Job): Promise<ReaderMailResult> {
    const request = readReaderMailJob(job.name, job.data);
    if (!request) throw new UnrecoverableError(`not a reader mail job: name "${job.name}", data must be { subscriberId }`);
    const { kind, subscriberId } = request;
    const result = await sendReaderMail(deps, { kind, subscriberId, messageKey: job.id ?? `${kind}-${subscriberId}` });
    if ('refused' in result) throw new UnrecoverableError(`SMTP refused the message permanently: ${result.refused}`);
    return result;
  }

  return { queue: QUEUE_NAMES.transactional, concurrency: 5, process };
}
