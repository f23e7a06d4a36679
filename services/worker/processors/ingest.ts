import { UnrecoverableError } from 'bullmq';
import { isDailyDate } from '../../core/papers/daily-date.js';
import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import { IngestFailedError, ingestDailyPapers, scheduledIngestDates, type IngestOptions } from '../../core/papers/paper-ingest-service.js';
import { QUEUES } from '../../core/platform/queue/queue-contract.js';
import type { Runtime } from '../../runtime.js';
import { defineProcessor } from '../define-processor.js';
import type { ProcessorDefinition, SchedulerDefinition } from '../worker-host.js';

/**
 * Fetches papers from Hugging Face: the job's date, or (scheduled) today and the previous
 * `INGEST_DAYS` days, so late submissions and growing upvotes are picked up. Dates that worked
 * are saved even when another fails; the job then fails so BullMQ retries it.
 */
export function ingestProcessor(runtime: Runtime, options: Pick<IngestOptions, 'client'> = {}): ProcessorDefinition {
  // One ingest at a time per worker: they fetch the same days, and HF's quota is per IP.
  return defineProcessor('ingest', { concurrency: 1 }, {
    async ingest({ date }, job) {
      const log = runtime.logger.child({ role: 'worker', queue: QUEUES.ingest.name, jobId: job.id });
      if (date !== undefined && !isDailyDate(date)) throw new UnrecoverableError(`invalid date ${JSON.stringify(date)} in ingest job`);
      const results = await ingestDailyPapers(runtime, date ? [date] : scheduledIngestDates(runtime), options);
      for (const result of results) {
        if (result.ok) log.info({ date: result.date, ...result.summary }, formatImportSummary(result.summary));
      }
      if (results.some((result) => !result.ok)) throw new IngestFailedError(results);
      return results;
    },
  });
}

/** Hourly by default (`INGEST_CRON`). */
export function ingestScheduler(runtime: Runtime): SchedulerDefinition {
  return { queue: 'ingest', id: 'papers-ingest-recent', repeat: { pattern: runtime.config.ingest.cron } };
}
