import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { SAMPLE_DAILY_DATE, SAMPLE_PAPERS_FILE } from '../../services/core/papers/sample-papers.js';

const HF_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/hf-daily-papers');

/** Path of a recorded day: "2024-03-21", "2026-02-03" or "2026-08-13" (the sample Paperboy ships). */
export function hfFixturePath(day: string): string {
  return day === SAMPLE_DAILY_DATE ? SAMPLE_PAPERS_FILE : path.join(HF_FIXTURES, `${day}.json`);
}

export function readHfFixture(day: string): unknown[] {
  return JSON.parse(readFileSync(hfFixturePath(day), 'utf8')) as unknown[];
}

export interface RecordedRequest {
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

/** An answer to give instead of the replayed page. */
export interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (to exercise timeouts). */
  hang?: boolean;
}

export interface HfReplayServer {
  /** e.g. http://127.0.0.1:PORT/api/daily_papers */
  url: string;
  requests: RecordedRequest[];
  /** Serve these days (date -> items); other dates answer []. */
  days: Map<string, unknown[]>;
  /** Answers used, in order, before the replay resumes. */
  script: ScriptedAnswer[];
  close(): Promise<void>;
}

/**
 * A local stand-in for `GET https://huggingface.co/api/daily_papers`: replays recorded days,
 * paged like the real API (`limit`, default 50, and `p`; past the end `[]`), answers a bad
 * date with 400, and plays scripted failures first.
 */
export async function startHfReplayServer(): Promise<HfReplayServer> {
  const requests: RecordedRequest[] = [];
  const days = new Map<string, unknown[]>();
  const script: ScriptedAnswer[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ path: url.pathname, query, headers: request.headers });
    const scripted = script.shift();
    if (scripted?.hang) return; // the client's timeout ends it
    if (scripted) {
      response.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
      response.end(scripted.body ?? '{"error":"scripted"}');
      return;
    }
    if (url.pathname !== '/api/daily_papers') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: "Sorry, we can't find the page you are looking for." }));
      return;
    }
    const date = query.date ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'Invalid date' }));
      return;
    }
    const limit = Number(query.limit ?? 50);
    const page = Number(query.p ?? 0);
    const items = days.get(date) ?? [];
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ratelimit: '"api";r=499;t=300' });
    response.end(JSON.stringify(items.slice(page * limit, (page + 1) * limit)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/daily_papers`,
    requests,
    days,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
