import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import type { RecordedRequest, ScriptedAnswer } from './hf-replay-server.js';

const ARXIV_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/arxiv');

export const ARXIV_FIXTURE = {
  current: 'api-2026-04-30-cs.LG-OR-cs.AI-max20.xml',
  legacy: 'api-legacy-cs.CL-derived.xml',
  error: 'api-error-id_list-abc-derived.xml',
  rss: 'rss-cs.CL-2026-04-30-derived.xml',
  rssEmpty: 'rss-cs.CL-2026-05-02-empty-derived.xml',
} as const;

export function arxivFixturePath(name: keyof typeof ARXIV_FIXTURE): string {
  return path.join(ARXIV_FIXTURES, ARXIV_FIXTURE[name]);
}

export function readArxivFixture(name: keyof typeof ARXIV_FIXTURE): string {
  return readFileSync(arxivFixturePath(name), 'utf8');
}

export interface ArxivReplayServer {
  /** e.g. http://127.0.0.1:PORT/api/query */
  apiUrl: string;
  /** e.g. http://127.0.0.1:PORT/rss */
  rssUrl: string;
  /** Each with the time it arrived (`performance.now()`), to check the spacing of requests. */
  requests: Array<RecordedRequest & { at: number }>;
  /** The recorded API answer whose entries /api/query pages through, whatever the query. */
  apiFeed: string;
  /** RSS feeds by category. */
  feeds: Map<string, string>;
  /** Answers used, in order, before the replay resumes. */
  script: ScriptedAnswer[];
  close(): Promise<void>;
}

/**
 * Splits a recorded API answer into its header and entries, and answers `start`/`max_results`
 * like arXiv: the same header with `totalResults` (all entries), `startIndex` and
 * `itemsPerPage` set for the page, and that page's entries byte for byte.
 */
export function pageOfFeed(feed: string, start: number, maxResults: number): string {
  const entries = feed.match(/<entry>[\s\S]*?<\/entry>/g) ?? [];
  const head = feed.slice(0, feed.indexOf('<entry>') === -1 ? feed.indexOf('</feed>') : feed.indexOf('<entry>'));
  const page = entries.slice(start, start + maxResults);
  const header = head
    .replace(/(<opensearch:totalResults[^>]*>)\d+/, `$1${entries.length}`)
    .replace(/(<opensearch:startIndex[^>]*>)\d+/, `$1${start}`)
    .replace(/(<opensearch:itemsPerPage[^>]*>)\d+/, `$1${page.length}`);
  return `${header}${page.join('\n  ')}\n</feed>\n`;
}

/** A local stand-in for export.arxiv.org/api/query and rss.arxiv.org/rss/{category}. */
export async function startArxivReplayServer(): Promise<ArxivReplayServer> {
  const requests: ArxivReplayServer['requests'] = [];
  const script: ScriptedAnswer[] = [];
  const feeds = new Map<string, string>();
  const state = { apiFeed: readArxivFixture('current') };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, at: performance.now() });
    const scripted = script.shift();
    if (scripted?.hang) return;
    if (scripted) {
      response.writeHead(scripted.status, { 'content-type': 'application/atom+xml; charset=utf-8', ...scripted.headers });
      response.end(scripted.body ?? '');
      return;
    }
    if (url.pathname === '/api/query') {
      const start = Number(url.searchParams.get('start') ?? 0);
      const max = Number(url.searchParams.get('max_results') ?? 10);
      response.writeHead(200, { 'content-type': 'application/atom+xml; charset=utf-8' });
      response.end(pageOfFeed(state.apiFeed, start, max));
      return;
    }
    const feed = /^\/rss\/(.+)$/.exec(url.pathname)?.[1];
    if (feed && feeds.has(feed)) {
      response.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      response.end(feeds.get(feed));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    apiUrl: `http://127.0.0.1:${port}/api/query`,
    rssUrl: `http://127.0.0.1:${port}/rss`,
    requests,
    get apiFeed() {
      return state.apiFeed;
    },
    set apiFeed(value: string) {
      state.apiFeed = value;
    },
    feeds,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
