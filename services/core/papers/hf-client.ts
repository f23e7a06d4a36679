import type { Config } from '../platform/config/config.js';
import { DependencyUnavailableError, InvalidInputError, UpstreamError } from '../platform/errors.js';
import { parsePapers, type ParsedPapers } from './hf-paper-schema.js';
import { retryDelayFromHeaders } from './retry-delay.js';

/**
 * Client for Hugging Face `GET /api/daily_papers?date=D` (PAPER-SOURCES.md 1.1-1.2).
 * - Always sends an explicit `limit` and pages with `p` until a short page: the default page of
 *   50 silently cuts busy days, and the response carries no total.
 * - Every request has a timeout; 429, 5xx and network failures are retried with exponential
 *   backoff, waiting as long as the `RateLimit: "api";r=..;t=..` (or `Retry-After`) header asks.
 * - Sends `Authorization: Bearer HF_TOKEN` when configured (per-user quota instead of per-IP).
 */

/** The HF API answered, but not with papers (a 4xx, a body that is not JSON or not the schema). */
export class HfApiError extends UpstreamError {}

export interface HfClientOptions {
  /** e.g. https://huggingface.co/api/daily_papers */
  baseUrl: string;
  token?: string | undefined;
  /** Items per page (`limit`). */
  pageSize?: number;
  /** Per request, including reading the body. */
  timeoutMs?: number;
  /** Retries after the first attempt, per request. */
  retries?: number;
  /** First backoff delay; doubles each retry. Tests pass a tiny value. */
  retryBaseDelayMs?: number;
  /** Upper bound for any single wait, including what a RateLimit header asks for. */
  maxRetryDelayMs?: number;
  /** Stop after this many pages even if they keep coming full (a server ignoring `p`). */
  maxPages?: number;
  /** How to wait; tests pass a recorder instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  userAgent?: string;
}

export interface HfClient {
  /** Every paper of one daily date, all pages, parsed (daily date = `date`); invalid items are left out and listed in `skipped`. */
  fetchDailyPapers(date: string): Promise<ParsedPapers>;
}

const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Where the URL points, without anything secret (HF tokens travel in a header, never the URL). */
function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}${url.search}`;
}

export function createHfClient(options: HfClientOptions): HfClient {
  const pageSize = options.pageSize ?? 100;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 4;
  const baseDelay = options.retryBaseDelayMs ?? 1000;
  const maxDelay = options.maxRetryDelayMs ?? 5 * 60_000;
  const maxPages = options.maxPages ?? 50;
  const sleep = options.sleep ?? defaultSleep;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'Paperboy/0.1 (self-hosted research digest)',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  /** One page, retried; answers the decoded JSON and how long the server asks us to pause. */
  async function getPage(url: URL): Promise<{ body: unknown; pauseMs: number | undefined }> {
    let lastProblem = '';
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      let waitMs: number | undefined;
      try {
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        if (response.ok) {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (error) {
            throw new HfApiError(`The Hugging Face API answered ${describeUrl(url)} with a body that is not JSON (${(error as Error).message})`);
          }
          const asked = retryDelayFromHeaders(response.headers);
          return { body, pauseMs: asked === undefined ? undefined : Math.min(asked, maxDelay) };
        }
        if (!RETRYABLE_STATUS(response.status)) {
          throw new HfApiError(`The Hugging Face API refused ${describeUrl(url)}: HTTP ${response.status} ${text.slice(0, 200)}`.trim());
        }
        lastProblem = `HTTP ${response.status}`;
        waitMs = retryDelayFromHeaders(response.headers);
      } catch (error) {
        if (error instanceof HfApiError) throw error;
        const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
        lastProblem = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (error as Error).message);
      }
      if (attempt < retries) {
        // Exponential backoff with a little jitter, unless the server said how long to wait.
        const backoff = baseDelay * 2 ** attempt * (1 + Math.random() * 0.2);
        await sleep(Math.min(waitMs ?? backoff, maxDelay));
      }
    }
    throw new DependencyUnavailableError(
      `The Hugging Face API at ${url.origin} is not answering ${describeUrl(url)} (${lastProblem} after ${retries + 1} attempts)`,
    );
  }

  return {
    async fetchDailyPapers(date) {
      const raw: unknown[] = [];
      const seen = new Set<string>();
      for (let page = 0; page < maxPages; page += 1) {
        const url = new URL(options.baseUrl);
        url.searchParams.set('date', date);
        url.searchParams.set('limit', String(pageSize));
        url.searchParams.set('p', String(page));
        const { body, pauseMs } = await getPage(url);
        if (!Array.isArray(body)) {
          // Let the parser word it (it recognises HF's `{ "error": ... }` answers).
          try {
            parsePapers(body, { date, source: `the Hugging Face answer to ${describeUrl(url)}` });
          } catch (error) {
            if (error instanceof InvalidInputError) throw new HfApiError(error.message, error.details);
            throw error;
          }
        }
        const items = body as unknown[];
        let fresh = 0;
        for (const item of items) {
          // Upvotes change while we page (the list is sorted by them), so a paper can slide
          // onto the next page: keep its first copy only.
          const id = (item as { paper?: { id?: unknown } } | null)?.paper?.id;
          const key = typeof id === 'string' ? id : JSON.stringify(item);
          if (seen.has(key)) continue;
          seen.add(key);
          raw.push(item);
          fresh += 1;
        }
        if (items.length < pageSize || fresh === 0) break;
        if (pauseMs !== undefined) await sleep(pauseMs);
      }
      try {
        return parsePapers(raw, { date, source: `the Hugging Face answer for ${date}`, skipInvalidItems: true });
      } catch (error) {
        if (error instanceof InvalidInputError) throw new HfApiError(error.message, error.details);
        throw error;
      }
    },
  };
}

/** The client as configured (`HF_API_URL`, `HF_TOKEN`); `overrides` tune paging and retries. */
export function hfClientFromConfig(config: { ingest: Pick<Config['ingest'], 'hfApiUrl' | 'hfToken'> }, overrides: Partial<HfClientOptions> = {}): HfClient {
  return createHfClient({ baseUrl: config.ingest.hfApiUrl, token: config.ingest.hfToken, ...overrides });
}
