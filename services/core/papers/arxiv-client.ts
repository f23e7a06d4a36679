import type { Config } from '../platform/config/config.js';
import { DependencyUnavailableError, InvalidInputError, UpstreamError, type ErrorDetail } from '../platform/errors.js';
import type { RequestGate } from '../platform/queue/shared-request-gate.js';
import { ArxivErrorDocument, parseArxivApiFeed, parseArxivRssFeed, type ArxivEntry, type ArxivListing } from './arxiv-feed.js';
import { isArxivCategory } from './paper-source.js';
import { retryDelayFromHeaders } from './retry-delay.js';

/**
 * Client for arXiv (PAPER-SOURCES.md 2-3): the API (`export.arxiv.org/api/query`) by category
 * and submission window, paged with `start`/`max_results` up to `totalResults`; and the RSS
 * listing feed of a category (`rss.arxiv.org/rss/cs.CL`).
 * - arXiv asks for at most one request every 3 seconds, one at a time, API and RSS together
 *   (API Terms of Use): every request waits for its turn at a gate. The runtime's gate is shared
 *   by every process of the installation through Redis (shared-request-gate.ts); without one,
 *   the client spaces its own requests.
 * - The API's error document (HTTP 400) becomes an error quoting arXiv's own words.
 * - 429, 5xx and network failures are retried; a `Retry-After` is honoured up to a bound.
 */

/** arXiv answered, but not with papers (its error document, another 4xx, a feed that does not parse). */
export class ArxivApiError extends UpstreamError {}

export interface ArxivClientOptions {
  /** e.g. http://export.arxiv.org/api/query */
  apiUrl?: string;
  /** The RSS feeds' base, e.g. https://rss.arxiv.org/rss (the category is appended). */
  rssUrl?: string;
  /** Entries per API page (`max_results`, arXiv allows up to 2000). */
  pageSize?: number;
  /**
   * Where requests wait for their turn: the installation's shared gate. Without it, the client
   * spaces its own requests `requestIntervalMs` apart.
   */
  gate?: RequestGate;
  /** Pause between two requests of this client when no gate is given; arXiv asks for 3 s. Tests pass 0 or record it. */
  requestIntervalMs?: number;
  timeoutMs?: number;
  /** Retries after the first attempt, per request. */
  retries?: number;
  retryBaseDelayMs?: number;
  /** Upper bound for any single wait, including what a `Retry-After` asks for. */
  maxRetryDelayMs?: number;
  /** arXiv refuses `start + max_results` beyond 30000: a query matching more is refused here. */
  maxResults?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds on some monotonic clock, to space requests; tests pass a fake. */
  now?: () => number;
  userAgent?: string;
}

export interface ArxivWindowQuery {
  category: string;
  /** Submissions received from `from` (inclusive) to `to` (exclusive). */
  from: Date;
  to: Date;
}

export interface ArxivFetchResult {
  listing: ArxivListing;
  /** Entries arXiv sent that were left out as invalid. */
  skipped: ErrorDetail[];
  /** Requests made, retries included. */
  requests: number;
}

export interface ArxivClient {
  /** Every paper of a category submitted in a window, all pages (the API). */
  fetchCategoryWindow(query: ArxivWindowQuery): Promise<ArxivFetchResult>;
  /** Today's announcement of a category (the RSS listing feed). */
  fetchListingFeed(category: string): Promise<ArxivFetchResult>;
}

export const DEFAULT_ARXIV_API_URL = 'http://export.arxiv.org/api/query';
export const DEFAULT_ARXIV_RSS_URL = 'https://rss.arxiv.org/rss';
const ARXIV_MAX_RESULTS = 30_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `202604291400` in GMT, as `submittedDate:[... TO ...]` wants it. */
function queryStamp(instant: Date): string {
  return instant.toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}${url.search}`;
}

function requireCategory(category: string): void {
  if (!isArxivCategory(category)) {
    throw new InvalidInputError(`Invalid arXiv category "${category}"`, [
      { field: 'category', message: 'must be an arXiv category such as cs.CL, math.AG or hep-th' },
    ]);
  }
}

export function createArxivClient(options: ArxivClientOptions = {}): ArxivClient {
  const apiUrl = options.apiUrl ?? DEFAULT_ARXIV_API_URL;
  const rssUrl = (options.rssUrl ?? DEFAULT_ARXIV_RSS_URL).replace(/\/+$/, '');
  const pageSize = options.pageSize ?? 500;
  const interval = options.requestIntervalMs ?? 3000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retries = options.retries ?? 3;
  const baseDelay = options.retryBaseDelayMs ?? 5000;
  const maxDelay = options.maxRetryDelayMs ?? 120_000;
  const maxResults = Math.min(options.maxResults ?? ARXIV_MAX_RESULTS, ARXIV_MAX_RESULTS);
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => performance.now());
  const headers = { 'user-agent': options.userAgent ?? 'Paperboy/0.1 (self-hosted research digest)' };
  let lastRequestAt: number | undefined;
  const noRelease = async () => {};
  const gate: RequestGate = options.gate ?? {
    /** Waits until `interval` has passed since this client's previous request, then marks a new one. */
    async acquire() {
      if (lastRequestAt !== undefined) {
        const wait = lastRequestAt + interval - now();
        if (wait > 0) await sleep(wait);
      }
      lastRequestAt = now();
      return noRelease;
    },
  };

  /** One document, retried; answers its text. A 4xx is refused in arXiv's words when it sent its error document. */
  async function get(url: URL, counter: { requests: number }): Promise<string> {
    let lastProblem = '';
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      let asked: number | undefined;
      const release = await gate.acquire(timeoutMs);
      counter.requests += 1;
      try {
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        if (response.ok) return text;
        if (response.status !== 429 && response.status < 500) {
          let problem = `HTTP ${response.status} ${text.slice(0, 200)}`.trim();
          try {
            parseArxivApiFeed(text);
          } catch (error) {
            if (error instanceof ArxivErrorDocument) problem = `${error.problem} (HTTP ${response.status})`;
          }
          throw new ArxivApiError(`arXiv refused ${describeUrl(url)}: ${problem}`);
        }
        lastProblem = `HTTP ${response.status}`;
        asked = retryDelayFromHeaders(response.headers);
      } catch (error) {
        if (error instanceof ArxivApiError) throw error;
        const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
        lastProblem = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (error as Error).message);
      } finally {
        // arXiv's Retry-After holds the shared gate, so other jobs and workers wait it out too.
        await release(asked === undefined ? undefined : Math.min(asked, maxDelay));
      }
      if (attempt < retries) {
        const backoff = baseDelay * 2 ** attempt;
        await sleep(Math.min(asked ?? backoff, maxDelay));
      }
    }
    throw new DependencyUnavailableError(`arXiv at ${url.origin} is not answering ${describeUrl(url)} (${lastProblem} after ${retries + 1} attempts)`);
  }

  /** Parse errors of a 200 answer are arXiv's fault, not the caller's: reported as upstream. */
  function asUpstream<T>(url: URL, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof ArxivErrorDocument) throw new ArxivApiError(`arXiv refused ${describeUrl(url)}: ${error.problem}`);
      if (error instanceof InvalidInputError) throw new ArxivApiError(error.message, error.details);
      throw error;
    }
  }

  return {
    async fetchCategoryWindow({ category, from, to }) {
      requireCategory(category);
      const counter = { requests: 0 };
      const entries: ArxivEntry[] = [];
      const skipped: ErrorDetail[] = [];
      const seen = new Set<string>();
      let first: ArxivListing | undefined;
      // The window is half-open; arXiv's range is inclusive to the minute.
      const until = new Date(to.getTime() - 60_000);
      for (let start = 0; ; ) {
        const url = new URL(apiUrl);
        url.searchParams.set('search_query', `cat:${category} AND submittedDate:[${queryStamp(from)} TO ${queryStamp(until)}]`);
        url.searchParams.set('sortBy', 'submittedDate');
        url.searchParams.set('sortOrder', 'ascending');
        url.searchParams.set('start', String(start));
        url.searchParams.set('max_results', String(pageSize));
        const text = await get(url, counter);
        const page = asUpstream(url, () => parseArxivApiFeed(text, { source: `the arXiv answer to ${describeUrl(url)}`, skipInvalidEntries: true }));
        first ??= page.listing;
        skipped.push(...page.skipped);
        const total = page.listing.totalResults ?? 0;
        if (total > maxResults) {
          throw new ArxivApiError(`arXiv has ${total} results for ${describeUrl(url)}, more than the ${maxResults} its API pages through; narrow the window`);
        }
        for (const entry of page.listing.entries) {
          if (seen.has(entry.id)) continue;
          seen.add(entry.id);
          entries.push(entry);
        }
        const { received } = page;
        if (received === 0 && start < total) {
          // arXiv sometimes answers an empty page before the total: a partial day is worse than
          // none, so the fetch fails and is retried as a whole.
          throw new ArxivApiError(`arXiv answered an empty page at start=${start} of ${total} results for ${describeUrl(url)}; try again later`);
        }
        start += received;
        if (start >= total) break;
      }
      const listing = first as ArxivListing;
      return { listing: { ...listing, entries, startIndex: 0, itemsPerPage: entries.length }, skipped, requests: counter.requests };
    },

    async fetchListingFeed(category) {
      requireCategory(category);
      const counter = { requests: 0 };
      const url = new URL(`${rssUrl}/${category}`);
      const text = await get(url, counter);
      const { listing, skipped } = asUpstream(url, () => parseArxivRssFeed(text, { source: `the arXiv feed ${describeUrl(url)}`, skipInvalidEntries: true }));
      return { listing, skipped, requests: counter.requests };
    },
  };
}

/** The client `ARXIV_API_URL` and `ARXIV_RSS_URL` configure, whose requests wait at the installation's gate. */
export function arxivClientFromConfig(
  deps: { config: { ingest: Pick<Config['ingest'], 'arxivApiUrl' | 'arxivRssUrl'> }; arxivRequests: RequestGate },
  overrides: Partial<ArxivClientOptions> = {},
): ArxivClient {
  return createArxivClient({ apiUrl: deps.config.ingest.arxivApiUrl, rssUrl: deps.config.ingest.arxivRssUrl, gate: deps.arxivRequests, ...overrides });
}
