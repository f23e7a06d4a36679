import { UnrecoverableError, type Job } from 'bullmq';
import { isDailyDate } from '../../core/papers/daily-date.js';
import { INGEST_JOB_NAME, type IngestJobData } from '../../core/papers/ingest-jobs.js';
import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import {
  IngestFailedError,
  ingestDailyPapers,
  scheduledIngestDates,
  type IngestDateResult,
  type IngestOptions,
} from '../../core/papers/paper-ingest-service.js';
import { QUEUE_NAMES } from '../../core/platform/queue/queues.js';
import type { Runtime } from '../../runtime.js';
import type { ProcessorDefinition, SchedulerDefinition } from '../worker-host.js';

/**
 * Fetches papers from Hugging Face: the job's date, or (scheduled) today and the previous
 * `INGEST_DAYS` days, so late submissions and growing upvotes are picked up. Dates that worked
 * are saved even when another fails; the job then fails so BullMQ retries it.
 */
export function ingestProcessor(runtime: Runtime, options: Pick<IngestOptions, 'client'> = {}): ProcessorDefinition {
  return {
    queue: QUEUE_NAMES.ingest,
    // One ingest at a time per worker: they fetch the same days, and HF's quota is per IP.
    concurrency: 1,
    async process(job: Job<IngestJobData>): Promise<IngestDateResult[]> {
      const log = runtime.logger.child({ role: 'worker', queue: QUEUE_NAMES.ingest, jobId: job.id });
      const date = job.data?.date;
      if (date !== undefined && !isDailyDate(date)) throw new UnrecoverableError(`invalid date ${JSON.stringify(date)} in ingest job`);
      const results = await ingestDailyPapers(runtime, date ? [date] : scheduledIngestDates(runtime), options);
      for (const result of results) {
        if (result.ok) log.info({ date: result.date, ...result.summary }, formatImportSummary(result.summary));
      }
      if (results.some((result) => !result.ok)) throw new IngestFailedError(results);
      return results;
    },
  };
}

/** Hourly by default (`INGEST_CRON`). */
export function ingestScheduler(runtime: Runtime): SchedulerDefinition {
  return {
    queue: 'ingest',
    id: 'papers-ingest-recent',
    repeat: { pattern: runtime.config.ingest.cron },
    job: { name: INGEST_JOB_NAME, data: {} },
  };
}
