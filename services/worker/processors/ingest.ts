import { UnrecoverableError } from 'bullmq';
import type { ArxivClient } from '../../core/papers/arxiv-client.js';
import { dateInTimeZone, isDailyDate } from '../../core/papers/daily-date.js';
import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import { IngestFailedError, ingestArxivListing, ingestDailyPapers, scheduledArxivCategories, scheduledIngestDates, type IngestOptions } from '../../core/papers/paper-ingest-service.js';
import { isArxivCategory } from '../../core/papers/paper-source.js';
import { ARXIV_TIME_ZONE } from '../../core/papers/source-calendar.js';
import { addJobs } from '../../core/platform/queue/queues.js';
import { findDailyReaderCategories } from '../../core/subscribers/subscriber-repo.js';
import { QUEUES } from '../../core/platform/queue/queue-contract.js';
import type { Runtime } from '../../runtime.js';
import { defineProcessor } from '../define-processor.js';
import type { ProcessorDefinition, SchedulerDefinition } from '../worker-host.js';

export interface IngestProcessorOptions extends Pick<IngestOptions, 'client'> {
  /** Defaults to the configured arXiv client (`ARXIV_RSS_URL`). */
  arxivClient?: ArxivClient;
}

/**
 * Fetches papers from Hugging Face: the job's date, or (scheduled) today and the previous
 * `INGEST_DAYS` days, so late submissions and growing upvotes are picked up. Dates that worked
 * are saved even when another fails; the job then fails so BullMQ retries it.
 * Fetches the listing of each category in `ARXIV_CATEGORIES` or chosen by a confirmed daily reader
 * from its RSS feed, one job per category, so one failing feed is retried alone.
 */
export function ingestProcessor(runtime: Runtime, options: IngestProcessorOptions = {}): ProcessorDefinition {
  // One ingest at a time per worker: they fetch the same days, HF's quota is per IP, and arXiv
  // asks for one connection at a time.
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
    async 'arxiv-listings'() {
      // The listing arXiv dates today (US Eastern): the scheduler runs after that night's feed update.
      const date = dateInTimeZone(runtime.clock(), ARXIV_TIME_ZONE);
      const categories = scheduledArxivCategories(runtime.config.ingest.arxivCategories, await findDailyReaderCategories(runtime.database.db));
      // Nobody needs arXiv (no ARXIV_CATEGORIES, no reader chose a category): no job, no request.
      if (categories.length === 0) return { date, categories };
      const jobs = categories.map((category) => ({
        name: 'arxiv-listing' as const,
        data: { category, date },
        // One job per category and day, however often the scheduler fires.
        opts: { jobId: `arxiv-listing-${category}-${date}` },
      }));
      await addJobs(runtime.queues, 'ingest', jobs);
      return { date, categories };
    },
    async 'arxiv-listing'({ category, date }, job) {
      if (!isArxivCategory(category) || !isDailyDate(date)) {
        throw new UnrecoverableError(`invalid category ${JSON.stringify(category)} or date ${JSON.stringify(date)} in arxiv-listing job`);
      }
      const log = runtime.logger.child({ role: 'worker', queue: QUEUES.ingest.name, jobId: job.id });
      const summary = await ingestArxivListing(runtime, { category, date, via: 'rss', client: options.arxivClient });
      log.info({ category, ...summary }, formatImportSummary(summary));
      return summary;
    },
  });
}

/** Hourly by default (`INGEST_CRON`). */
export function ingestScheduler(runtime: Runtime): SchedulerDefinition {
  return { queue: 'ingest', id: 'papers-ingest-recent', repeat: { pattern: runtime.config.ingest.cron } };
}

/**
 * arXiv's RSS feeds are rebuilt at midnight US Eastern after each announcement (Sunday to
 * Thursday evenings, so listings dated Monday to Friday): fetch at 00:30 Eastern, Monday to Friday.
 * A holiday's listing is recorded as an expected empty day without asking arXiv.
 * Always there, even without `ARXIV_CATEGORIES`: a reader may choose a category any day, and the
 * job asks arXiv nothing while nobody needs it.
 */
export function arxivIngestScheduler(): SchedulerDefinition {
  return { queue: 'ingest', id: 'papers-ingest-arxiv', repeat: { pattern: '0 30 0 * * 1-5', tz: ARXIV_TIME_ZONE } };
}
