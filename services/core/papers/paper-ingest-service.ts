import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { DomainError, InvalidInputError, type ErrorKind } from '../platform/errors.js';
import type { Logger } from '../platform/logging/logger.js';
import type { RequestGate } from '../platform/queue/shared-request-gate.js';
import { arxivClientFromConfig, type ArxivClient } from './arxiv-client.js';
import { createArxivSource } from './arxiv-source.js';
import { dailyDateWindow, dailyDateWindowMessage, dateInTimeZone, isInDailyDateWindow, recentDailyDates } from './daily-date.js';
import { hfClientFromConfig, type HfClient } from './hf-client.js';
import type { SkippedItem } from './hf-paper-schema.js';
import { importParsedPapers, importSourceBatch, type ImportSummary, type PaperImportDeps } from './paper-import-service.js';
import { saveSourceDay } from './paper-repo.js';
import { isArxivCategory } from './paper-source.js';
import { ARXIV_TIME_ZONE, hfCalendar } from './source-calendar.js';

/**
 * Fetching from Hugging Face: the hourly scheduled ingest, `POST /admin/ingest` and
 * `cli ingest` all call `ingestDailyPapers`. Each date is fetched whole and imported in its own
 * transaction; one failing date does not hold back the others, and one invalid item (a NUL in a
 * title, upvotes beyond an integer) is left out with a warning rather than failing its day.
 */

/** Where to fetch from (`HF_API_URL`, `HF_TOKEN`) and how many recent days a scheduled ingest covers. */
export interface IngestDeps extends PaperImportDeps {
  config: Pick<Config, 'ingest' | 'digest'>;
  /** Warns of each item the API sent that was left out. */
  logger: Logger;
}

export type IngestDateResult =
  | { date: string; ok: true; summary: ImportSummary; skipped: SkippedItem[] }
  | { date: string; ok: false; error: string; kind: ErrorKind };

export interface IngestOptions {
  /** Defaults to the configured client (`HF_API_URL`, `HF_TOKEN`). */
  client?: HfClient;
  /** Called before each date is fetched (for progress). */
  onDate?: (date: string, index: number, total: number) => void;
}

/** "items[3].paper.upvotes: must be at most 2147483647; ..." */
export function describeProblems(item: SkippedItem): string {
  return item.problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
}

/** The dates a scheduled ingest covers: today (UTC) and `ingest.days` days before, oldest first. */
export function scheduledIngestDates(deps: { clock: Clock; config: { ingest: Pick<Config['ingest'], 'days'> } }): string[] {
  return recentDailyDates(deps.clock(), deps.config.ingest.days).reverse();
}

export async function ingestDailyPapers(deps: IngestDeps, dates: string[], options: IngestOptions = {}): Promise<IngestDateResult[]> {
  const window = dailyDateWindow(deps.clock(), deps.config.digest.timeZone);
  const outside = dates.find((date) => !isInDailyDateWindow(date, window));
  if (outside !== undefined) throw new InvalidInputError(`Invalid date "${outside}"`, [{ field: 'date', message: dailyDateWindowMessage(window) }]);
  const client = options.client ?? hfClientFromConfig(deps.config);
  const results: IngestDateResult[] = [];
  for (const [index, date] of dates.entries()) {
    options.onDate?.(date, index, dates.length);
    try {
      const parsed = await client.fetchDailyPapers(date);
      for (const item of parsed.skipped) {
        deps.logger.warn(
          { date, item: item.index, arxivId: item.id, problems: item.problems },
          `left out item ${item.index}${item.id ? ` (arXiv ${item.id})` : ''} of the Hugging Face answer for ${date}: ${describeProblems(item)}`,
        );
      }
      const summary = await importParsedPapers(deps, parsed);
      await recordHfDay(deps, date, summary.papers);
      // An empty day still says which day it was ("imported 0 papers ... for 2026-02-07").
      results.push({ date, ok: true, summary: { ...summary, dates: summary.dates.length > 0 ? summary.dates : [date] }, skipped: parsed.skipped });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      results.push({ date, ok: false, error: error.message, kind: error.kind });
    }
  }
  return results;
}

/**
 * Records an ingested Hugging Face day in source_days, so an empty day is explained or alarms:
 * a weekend without papers is an expected empty day with its reason; a weekday (UTC) that is
 * over and still has none is an ingest or an API that failed, counted in
 * paperboy_source_empty_days{source="hf",expected="false"} and logged at error. Today's
 * and tomorrow's lists still grow, so an empty one is not recorded yet.
 */
async function recordHfDay(deps: IngestDeps, date: string, papers: number): Promise<void> {
  const day = hfCalendar.dayOf(date);
  if (papers === 0 && day.expected && date >= dateInTimeZone(deps.clock(), 'UTC')) return;
  await saveSourceDay(deps.database.db, { source: 'hf', category: '', listingDate: date, papers, expected: day.expected, reason: day.expected ? null : day.reason }, deps.clock());
  if (papers === 0 && day.expected) {
    deps.logger.error(
      { source: 'hf', listingDate: date },
      `Hugging Face Daily Papers of ${date} is empty, but it lists papers on weekdays: the ingest or the API failed`,
    );
  }
}

/** Thrown by callers that must fail when any date failed (the worker, so BullMQ retries). */
export class IngestFailedError extends DomainError {
  constructor(readonly results: IngestDateResult[]) {
    const failures = results.filter((result): result is Extract<IngestDateResult, { ok: false }> => !result.ok);
    const imported = results.filter((result) => result.ok).map((result) => result.date);
    super(
      // Failures of one kind: that kind (a bad answer, or none at all); mixed: a bad answer.
      failures.every((f) => f.kind === failures[0]?.kind) ? (failures[0]?.kind ?? 'upstream') : 'upstream',
      `Ingest failed for ${failures.map((f) => f.date).join(', ')}: ${failures[0]?.error ?? ''}` +
        (imported.length > 0 ? ` (imported meanwhile: ${imported.join(', ')})` : ''),
      failures.map((f) => ({ field: f.date, message: f.error })),
    );
  }
}

/**
 * The categories whose listing the scheduled arXiv ingest fetches: those in `ARXIV_CATEGORIES`
 * (fetched even if no reader chose them, e.g. for the archive) and every category a confirmed
 * daily reader chose (`chosenByReaders`, from the subscribers concept), so a reader's choice is
 * never a section left empty for want of a fetch. Sorted, once each; empty when nobody needs arXiv.
 */
export function scheduledArxivCategories(configured: readonly string[], chosenByReaders: readonly string[]): string[] {
  return [...new Set([...configured, ...chosenByReaders])].sort();
}

export interface ArxivIngestOptions {
  category: string;
  /** The listing date (as arXiv prints it); defaults to today's in US Eastern time. */
  date?: string | undefined;
  /** `api` (default): the day's submission window, any day; `rss`: today's announcement, with announce types. */
  via?: 'api' | 'rss';
  /** Defaults to the configured client (`ARXIV_API_URL`, `ARXIV_RSS_URL`) behind the installation's request gate. */
  client?: ArxivClient;
}

/**
 * Fetches one arXiv category's listing of a day and saves it with its papers (`cli ingest-arxiv`).
 * A day arXiv does not announce is recorded as an expected empty day without asking arXiv; an
 * empty listing on a day it does is recorded too, and reported at error (see importArxivListing).
 */
export async function ingestArxivListing(deps: IngestDeps & { arxivRequests: RequestGate }, options: ArxivIngestOptions): Promise<ImportSummary> {
  if (!isArxivCategory(options.category)) {
    throw new InvalidInputError(`"${options.category}" is not an arXiv category`, [{ field: 'category', message: 'must be an arXiv category such as cs.CL, math.AG or hep-th' }]);
  }
  const date = options.date ?? dateInTimeZone(deps.clock(), ARXIV_TIME_ZONE);
  const window = dailyDateWindow(deps.clock(), deps.config.digest.timeZone);
  if (!isInDailyDateWindow(date, window)) throw new InvalidInputError(`Invalid date "${date}"`, [{ field: 'date', message: dailyDateWindowMessage(window) }]);
  const source = createArxivSource(options.client ?? arxivClientFromConfig(deps), { via: options.via ?? 'api' });
  const batch = await source.fetchDay({ source: 'arxiv', category: options.category, date });
  const summary = await importSourceBatch(deps, batch, { date, source: `the arXiv ${options.category} listing of ${date}` });
  return { ...summary, dates: summary.dates.length > 0 ? summary.dates : [date] };
}
