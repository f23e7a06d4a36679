import { mkdtempSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { ArxivApiError, arxivClientFromConfig, createArxivClient, type ArxivClientOptions } from '../../services/core/papers/arxiv-client.js';
import { parseArxivApiFeed, parseArxivRssFeed } from '../../services/core/papers/arxiv-feed.js';
import { createArxivSource } from '../../services/core/papers/arxiv-source.js';
import { formatImportSummary, importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { ingestArxivListing } from '../../services/core/papers/paper-ingest-service.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { createSharedRequestGate } from '../../services/core/platform/queue/shared-request-gate.js';
import { createRuntime, type Runtime } from '../../services/runtime.js';
import { DependencyUnavailableError, InvalidInputError } from '../../services/core/platform/errors.js';
import { arxivFixturePath, readArxivFixture, startArxivReplayServer, type ArxivReplayServer } from '../helpers/arxiv-replay-server.js';
import { insertReaders } from '../helpers/factories.js';
import { hfFixturePath } from '../helpers/hf-replay-server.js';
import { startProcess, waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { configFromEnv } from '../../services/core/platform/config/config.js';
import { addJob } from '../../services/core/platform/queue/queues.js';
import { arxivIngestScheduler, ingestProcessor } from '../../services/worker/processors/ingest.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';

const ADMIN = { authorization: 'Bearer dev-admin-token' };

describe('the arXiv client against a replay of arXiv', () => {
  let server: ArxivReplayServer;
  let clock: number;
  let sleeps: number[];
  const client = (options: Partial<ArxivClientOptions> = {}) =>
    createArxivClient({
      apiUrl: server.apiUrl,
      rssUrl: server.rssUrl,
      retryBaseDelayMs: 1,
      // A fake clock that only sleeping moves: the waits asked for are the waits recorded.
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => clock,
      ...options,
    });
  const window = { category: 'cs.LG', from: new Date('2026-04-28T18:00:00Z'), to: new Date('2026-04-29T18:00:00Z') };

  beforeAll(async () => {
    server = await startArxivReplayServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.script.length = 0;
    server.apiFeed = readArxivFixture('current');
    clock = 0;
    sleeps = [];
  });

  it('pages through totalResults with start/max_results, 3 s apart, and gets every recorded entry once', async () => {
    const { listing, requests } = await client({ pageSize: 10 }).fetchCategoryWindow(window);
    expect(server.requests.map((r) => [r.query.start, r.query.max_results])).toEqual([
      ['0', '10'],
      ['10', '10'],
    ]);
    expect(server.requests[0]!.query).toMatchObject({
      search_query: 'cat:cs.LG AND submittedDate:[202604281800 TO 202604291759]',
      sortBy: 'submittedDate',
      sortOrder: 'ascending',
    });
    expect(requests).toBe(2);
    expect(sleeps).toEqual([3000]);
    expect(listing.format).toBe('current');
    expect(listing.entries).toEqual(parseArxivApiFeed(readArxivFixture('current')).listing.entries);
  });

  it('reads the legacy layout the same way', async () => {
    server.apiFeed = readArxivFixture('legacy');
    const { listing } = await client().fetchCategoryWindow({ ...window, category: 'cs.CL' });
    expect(listing.format).toBe('legacy');
    expect(listing.entries.map((entry) => entry.id)).toEqual(['2604.26951', '2604.26904', '2604.26835']);
    expect(listing.entries[0]!.title).toBe('Turning the TIDE: Cross-Architecture Distillation for Diffusion Large Language Models');
  });

  it('turns the 400 error document into a message naming the problem, without retrying', async () => {
    server.script.push({ status: 400, body: readArxivFixture('error') });
    const error = await client().fetchCategoryWindow(window).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArxivApiError);
    expect((error as Error).message).toMatch(/^arXiv refused http:\/\/127\.0\.0\.1:\d+\/api\/query\?search_query=.*: incorrect id format for abc \(HTTP 400\)$/);
    expect(server.requests).toHaveLength(1);
  });

  it('waits as long as a 503 Retry-After asks, within a bound, then carries on', async () => {
    server.script.push({ status: 503, headers: { 'retry-after': '7' }, body: 'busy' });
    const { listing } = await client({ pageSize: 50 }).fetchCategoryWindow(window);
    expect(listing.entries).toHaveLength(20);
    expect(sleeps).toEqual([7000]);
    expect(server.requests).toHaveLength(2);

    sleeps = [];
    server.script.push({ status: 503, headers: { 'retry-after': '86400' }, body: 'busy' });
    await client({ pageSize: 50, maxRetryDelayMs: 60_000 }).fetchCategoryWindow(window);
    expect(sleeps).toEqual([60_000]);
  });

  it('gives up after its retries when arXiv stays unavailable, saying so', async () => {
    for (let i = 0; i < 3; i += 1) server.script.push({ status: 503, body: 'down' });
    const error = await client({ retries: 2 }).fetchCategoryWindow(window).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toMatch(/^arXiv at http:\/\/127\.0\.0\.1:\d+ is not answering .* \(HTTP 503 after 3 attempts\)$/);
  });

  it('fails rather than returning a partial day when a page comes back empty before the total', async () => {
    const empty = readArxivFixture('current')
      .replace(/<entry>[\s\S]*<\/entry>/, '')
      .replace('<opensearch:totalResults>364218', '<opensearch:totalResults>20');
    server.script.push({ status: 200, body: empty });
    const error = await client({ pageSize: 10 }).fetchCategoryWindow(window).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArxivApiError);
    expect((error as Error).message).toMatch(/empty page at start=0 of 20 results/);
  });

  it('refuses a query matching more than the API pages through', async () => {
    server.script.push({ status: 200, body: readArxivFixture('current') });
    await expect(client().fetchCategoryWindow(window)).rejects.toThrow(/arXiv has 364218 results for .*, more than the 30000 its API pages through; narrow the window/);
  });

  it('refuses a category that is not one before asking arXiv', async () => {
    await expect(client().fetchListingFeed('cs.CL&x=1')).rejects.toThrow(InvalidInputError);
    expect(server.requests).toHaveLength(0);
  });

  it('fetches a listing through the source seam: RSS for today, the API with the announcement window for any day', async () => {
    server.feeds.set('cs.CL', readArxivFixture('rss'));
    const viaRss = await createArxivSource(client(), { via: 'rss' }).fetchDay({ source: 'arxiv', category: 'cs.CL', date: '2026-04-30' });
    expect(viaRss.source === 'arxiv' && viaRss.listing.entries).toEqual(parseArxivRssFeed(readArxivFixture('rss')).listing.entries);
    await expect(createArxivSource(client(), { via: 'rss' }).fetchDay({ source: 'arxiv', category: 'cs.CL', date: '2026-04-29' })).rejects.toThrow(
      /holds the listing of 2026-04-30, not of 2026-04-29/,
    );

    server.requests.length = 0;
    // Tuesday 2026-03-10 announces Friday 14:00 EST to Monday 14:00 EDT.
    await createArxivSource(client()).fetchDay({ source: 'arxiv', category: 'cs.CL', date: '2026-03-10' });
    expect(server.requests[0]!.query.search_query).toBe('cat:cs.CL AND submittedDate:[202603061900 TO 202603091759]');
    // A Saturday has no listing: nothing is asked.
    server.requests.length = 0;
    const saturday = await createArxivSource(client()).fetchDay({ source: 'arxiv', category: 'cs.CL', date: '2026-05-02' });
    expect(saturday.source === 'arxiv' && saturday.listing.entries).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('importing recorded arXiv answers', () => {
  let test: TestRuntime;
  let app: App;
  const paper = async (id: string) => {
    const [row] = await test.runtime.database.sql<
      Array<{ id: string; title: string; upvotes: number; ai_summary: string | null; published_at: Date; updated_at: Date }>
    >`select id, title, upvotes, ai_summary, published_at, updated_at from papers where id = ${id}`;
    return row;
  };
  const counts = async () => {
    const [row] = await test.runtime.database.sql<Array<{ papers: number; appearances: number; stats: number }>>`
      select (select count(*) from papers)::int as papers, (select count(*) from paper_appearances)::int as appearances,
             (select count(*) from paper_stats)::int as stats`;
    return row!;
  };

  beforeAll(async () => {
    test = await createTestRuntime('papers-arxiv');
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('adds the new and cross-listed papers of an RSS listing, refreshes replaced ones, and keeps what Hugging Face said', async () => {
    await importPapersFile(test.runtime, hfFixturePath('2026-02-03'));
    const hfPaper = await paper('2602.02084');
    const before = await counts();

    const summary = await importPapersFile(test.runtime, arxivFixturePath('rss'));
    expect(formatImportSummary(summary)).toBe(
      'imported 8 papers (6 new, 2 updated) for 2026-04-30 from arXiv cs.CL listing; ' +
        'listed: 5 new, 1 cross-list, 2 replacements, 1 replaced cross-list; left out 1 replacement of papers not stored (2511.04567)',
    );
    // One paper on both sources is one row, its upvotes and AI summary intact.
    expect(await paper('2602.02084')).toMatchObject({ upvotes: hfPaper!.upvotes, ai_summary: hfPaper!.ai_summary, published_at: hfPaper!.published_at });
    expect(await paper('2511.04567')).toBeUndefined();
    // No Daily Papers day is invented for arXiv papers.
    expect(await counts()).toEqual({ ...before, papers: before.papers + 6 });
    // The feed has no first-version date: the announcement (20:00 EDT the evening before) stands in.
    expect((await paper('2604.26951'))!.published_at.toISOString()).toBe('2026-04-30T00:00:00.000Z');
  });

  it('takes the real first-version date from the API, and a re-import changes nothing', async () => {
    const summary = await importPapersFile(test.runtime, arxivFixturePath('current'));
    expect(formatImportSummary(summary)).toBe(
      'imported 20 papers (14 new, 6 updated) from the arXiv API; not kept as a listing: it is not the listing of one arXiv category',
    );
    expect((await paper('2604.26951'))!.published_at.toISOString()).toBe('2026-04-29T17:59:01.000Z');

    const snapshot = await test.runtime.database.sql`select id, title, abstract, authors, published_at, updated_at from papers order by id`;
    await importPapersFile(test.runtime, arxivFixturePath('rss'));
    await importPapersFile(test.runtime, arxivFixturePath('legacy'));
    await importPapersFile(test.runtime, arxivFixturePath('current'));
    expect(await test.runtime.database.sql`select id, title, abstract, authors, published_at, updated_at from papers order by id`).toEqual(snapshot);
  });

  it('says why an empty listing is empty', async () => {
    const summary = await importPapersFile(test.runtime, arxivFixturePath('rssEmpty'));
    expect(formatImportSummary(summary)).toBe(
      'imported 0 papers (0 new, 0 updated) for 2026-05-02 from arXiv cs.CL listing; no arXiv announcement: arXiv does not announce on Friday evenings',
    );
  });

  it('refuses the error document, a feed of another day than --date, and XML that is no arXiv feed, storing nothing', async () => {
    const before = await counts();
    await expect(importPapersFile(test.runtime, arxivFixturePath('error'))).rejects.toThrow(
      'File api-error-id_list-abc-derived.xml is an arXiv API error document, not papers: "incorrect id format for abc"',
    );
    await expect(importPapersFile(test.runtime, arxivFixturePath('rss'), { date: '2026-04-29' })).rejects.toThrow(
      'File rss-cs.CL-2026-04-30-derived.xml is the arXiv listing of 2026-04-30, not of 2026-04-29',
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'papers-arxiv-'));
    writeFileSync(path.join(dir, 'blog.xml'), '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>a blog</title></feed>');
    await expect(importPapersFile(test.runtime, path.join(dir, 'blog.xml'))).rejects.toThrow(/^File blog\.xml is not JSON, nor an arXiv API or RSS feed/);
    expect(await counts()).toEqual(before);
  });

  it('takes the same files as an XML body of POST /admin/papers', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/admin/papers',
      headers: { ...ADMIN, 'content-type': 'application/rss+xml' },
      payload: readArxivFixture('rss'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ papers: 8, created: 0, updated: 8, dates: ['2026-04-30'], from: 'arXiv cs.CL listing' });

    const legacy = await app.inject({ method: 'POST', url: '/admin/papers', headers: { ...ADMIN, 'content-type': 'application/xml' }, payload: readArxivFixture('legacy') });
    expect(legacy.json().summary).toBe(
      'imported 3 papers (0 new, 3 updated) from the arXiv API; not kept as a listing: its listing date is unknown (give --date or ?date=)',
    );

    const refused = await app.inject({ method: 'POST', url: '/admin/papers', headers: { ...ADMIN, 'content-type': 'text/xml' }, payload: readArxivFixture('error') });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toBe('The request body is an arXiv API error document, not papers: "incorrect id format for abc"');
  });

  it('imports a recorded API answer with `cli import` and prints the summary line', async () => {
    const env = { DATABASE_URL: test.config.databaseUrl, REDIS_URL: test.config.redisUrl, QUEUE_PREFIX: test.queuePrefix, LOG_LEVEL: 'warn' };
    const run = startProcess('services/cli/main.ts', ['import', arxivFixturePath('legacy')], env);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('imported 3 papers (0 new, 3 updated) from the arXiv API; not kept as a listing: its listing date is unknown (give --date or ?date=)\n');
  });
});

describe('the scheduled arXiv ingest (ARXIV_CATEGORIES and the categories readers chose)', () => {
  let server: ArxivReplayServer;
  let test: TestRuntime;
  let worker: WorkerHost | undefined;

  beforeAll(async () => {
    server = await startArxivReplayServer();
    for (const category of ['cs.CL', 'cs.CV', 'math.AG', 'cs.LG', 'stat.ML']) {
      server.feeds.set(category, readArxivFixture('rss').replaceAll('cs.CL', category));
    }
    // 00:30 US Eastern on Thursday 30 April 2026: the feed holds the listing arXiv dates that day.
    test = await createTestRuntime('papers-arxiv-scheduled', { ARXIV_RSS_URL: server.rssUrl, ARXIV_CATEGORIES: 'cs.CL' }, { clock: () => new Date('2026-04-30T04:30:00Z') });
    // The operator listed cs.CL only; a confirmed daily reader chose cs.CV (and cs.CL too). The
    // others' choices reach no email: not confirmed, gone, or weekly (trending only).
    await insertReaders(test.runtime.database.sql, 1, { trending: false, arxivCategories: ['cs.CV', 'cs.CL'] }, 1);
    await insertReaders(test.runtime.database.sql, 1, { status: 'pending', arxivCategories: ['math.AG'] }, 2);
    await insertReaders(test.runtime.database.sql, 1, { status: 'unsubscribed', arxivCategories: ['cs.LG'] }, 3);
    await insertReaders(test.runtime.database.sql, 1, { frequency: 'weekly', arxivCategories: ['stat.ML'] }, 4);
  });
  afterAll(async () => {
    await worker?.close(5000);
    await test?.cleanup();
    await server?.close();
  });

  it('runs after each announcement, Monday to Friday, and stores the listing of the day of each category configured or chosen by a confirmed daily reader', async () => {
    expect(arxivIngestScheduler()).toEqual({ queue: 'ingest', id: 'papers-ingest-arxiv', repeat: { pattern: '0 30 0 * * 1-5', tz: 'America/New_York' } });
    worker = await startWorkers(test.runtime, [ingestProcessor(test.runtime)], []);
    const scheduled = await addJob(test.runtime.queues, 'ingest', 'arxiv-listings', {});
    await waitUntil('the arxiv-listings job to complete', async () => (await scheduled.getState()) === 'completed');
    // It adds its listing jobs at once: these are all of them.
    const listingJobs = await test.runtime.queues.ingest.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    expect(listingJobs.filter((job) => job.name === 'arxiv-listing').map((job) => job.id).sort()).toEqual(['arxiv-listing-cs.CL-2026-04-30', 'arxiv-listing-cs.CV-2026-04-30']);
    for (const category of ['cs.CL', 'cs.CV']) {
      await waitUntil(`the ${category} listing job to complete`, async () => (await (await test.runtime.queues.ingest.getJob(`arxiv-listing-${category}-2026-04-30`))?.getState()) === 'completed');
    }

    expect(server.requests.map((request) => request.path).sort()).toEqual(['/rss/cs.CL', '/rss/cs.CV']);
    const listed = await test.runtime.database.sql<Array<{ category: string; announce_type: string; n: number }>>`
      select category, announce_type, count(*)::int as n from paper_listings
      where source = 'arxiv' and listing_date = '2026-04-30' group by category, announce_type order by category, announce_type`;
    // Replacements of papers this fresh database never stored are not listed.
    expect(listed).toEqual([
      { category: 'cs.CL', announce_type: 'cross', n: 1 },
      { category: 'cs.CL', announce_type: 'new', n: 5 },
      { category: 'cs.CV', announce_type: 'cross', n: 1 },
      { category: 'cs.CV', announce_type: 'new', n: 5 },
    ]);
    const days = await test.runtime.database.sql`select source, category, listing_date::text, papers, expected from source_days order by category`;
    expect(days).toEqual([
      { source: 'arxiv', category: 'cs.CL', listing_date: '2026-04-30', papers: 9, expected: true },
      { source: 'arxiv', category: 'cs.CV', listing_date: '2026-04-30', papers: 9, expected: true },
    ]);
  });

  it('refuses a category arXiv does not have in ARXIV_CATEGORIES', () => {
    expect(() => configFromEnv({ ARXIV_CATEGORIES: 'cs.CL, cs/LG' })).toThrow(/ARXIV_CATEGORIES.*arXiv categories separated by commas/);
  });
});

describe('the scheduled arXiv ingest with no category configured or chosen', () => {
  let test: TestRuntime;
  let worker: WorkerHost | undefined;
  let runtime: Runtime | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    // No network: nothing listens on port 9, so any request to arXiv would fail and log.
    test = await createTestRuntime('papers-arxiv-none', { ARXIV_RSS_URL: 'http://127.0.0.1:9/rss' });
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    runtime = createRuntime(test.config, createLogger({ level: 'warn', destination }), { clock: () => new Date('2026-04-30T04:30:00Z') });
    // A trending reader, and readers whose categories reach no email.
    await insertReaders(test.runtime.database.sql, 1, {}, 1);
    await insertReaders(test.runtime.database.sql, 1, { status: 'pending', arxivCategories: ['cs.CV'] }, 2);
    await insertReaders(test.runtime.database.sql, 1, { status: 'unsubscribed', arxivCategories: ['cs.CV'] }, 3);
  });
  afterAll(async () => {
    await worker?.close(5000);
    await runtime?.close();
    await test?.cleanup();
  });

  it('enqueues no listing job, asks arXiv nothing and logs no warning or error', async () => {
    worker = await startWorkers(runtime!, [ingestProcessor(runtime!)], []);
    const job = await addJob(runtime!.queues, 'ingest', 'arxiv-listings', {});
    await waitUntil('the arxiv-listings job to complete', async () => (await job.getState()) === 'completed');

    expect((await runtime!.queues.ingest.getJob(job.id!))?.returnvalue).toEqual({ date: '2026-04-30', categories: [] });
    const jobs = await runtime!.queues.ingest.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    expect(jobs.map((queued) => queued.name)).toEqual(['arxiv-listings']);
    expect(await test.runtime.database.sql`select * from source_days`).toEqual([]);
    expect(lines).toEqual([]);
  });
});

describe('arXiv requests of the whole installation (3 s apart, as arXiv asks)', () => {
  // Shorter than arXiv's 3 s so the test stays short; the gate is the same.
  const spacingMs = 300;
  let server: ArxivReplayServer;
  let test: TestRuntime;
  let otherProcess: Runtime | undefined;
  const workers: WorkerHost[] = [];

  beforeAll(async () => {
    server = await startArxivReplayServer();
    server.feeds.set('cs.CL', readArxivFixture('rss'));
    server.feeds.set('cs.LG', readArxivFixture('rss').replaceAll('cs.CL', 'cs.LG'));
    const clock = () => new Date('2026-04-30T04:30:00Z');
    test = await createTestRuntime(
      'papers-arxiv-spacing',
      { ARXIV_API_URL: server.apiUrl, ARXIV_RSS_URL: server.rssUrl, ARXIV_CATEGORIES: 'cs.CL,cs.LG' },
      { clock, arxivRequestSpacingMs: spacingMs },
    );
    // A second worker process of the same installation: same database, same Redis prefix.
    otherProcess = createRuntime(test.config, createLogger({ level: 'silent' }), { clock, arxivRequestSpacingMs: spacingMs });
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close(5000);
    await otherProcess?.close();
    await test?.cleanup();
    await server?.close();
  });

  it('spaces the scheduled jobs of two workers and a paged CLI-style ingest, each request after the previous answer', async () => {
    // Two workers take one category job each at the same moment, while another caller pages
    // through the API (as `cli ingest-arxiv` does): without a shared gate they ask together.
    workers.push(await startWorkers(test.runtime, [ingestProcessor(test.runtime)], []));
    workers.push(await startWorkers(otherProcess!, [ingestProcessor(otherProcess!)], []));
    await addJob(test.runtime.queues, 'ingest', 'arxiv-listings', {});
    const paged = ingestArxivListing(otherProcess!, {
      category: 'cs.AI',
      date: '2026-04-30',
      client: arxivClientFromConfig(otherProcess!, { pageSize: 10 }),
    });
    for (const category of ['cs.CL', 'cs.LG']) {
      await waitUntil(`the ${category} listing job to complete`, async () => (await (await test.runtime.queues.ingest.getJob(`arxiv-listing-${category}-2026-04-30`))?.getState()) === 'completed');
    }
    expect((await paged).papers).toBe(20);

    expect(server.requests.map((request) => request.path).sort()).toEqual(['/api/query', '/api/query', '/rss/cs.CL', '/rss/cs.LG']);
    const arrivals = server.requests.map((request) => request.at);
    const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]!);
    // A lower bound only: a slow machine makes the gaps longer, never shorter.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(spacingMs);
  });

  it('keeps a request in flight alone however long it takes, and the next one waits the spacing after its answer', async () => {
    const key = `${test.queuePrefix}:gate-test`;
    const gate = (runtime: Runtime) => createSharedRequestGate(runtime.rateLimitRedis, { key, spacingMs, upstream: 'arXiv' });
    const releaseSlow = await gate(test.runtime).acquire(60_000);
    let nextStarted: number | undefined;
    const next = gate(otherProcess!).acquire(60_000).then((release) => {
      nextStarted = performance.now();
      return release;
    });
    // The slow request outlasts the spacing several times over: the other process still waits.
    await new Promise((resolve) => setTimeout(resolve, 3 * spacingMs));
    expect(nextStarted).toBeUndefined();
    const answeredAt = performance.now();
    await releaseSlow();
    await (await next)();
    expect(nextStarted! - answeredAt).toBeGreaterThanOrEqual(spacingMs);
  });

  it("keeps every process away from arXiv for as long as a 503's Retry-After asks, not only the one it answered", async () => {
    server.requests.length = 0;
    server.script.push({ status: 503, headers: { 'retry-after': '1' }, body: 'busy' });
    const window = { category: 'cs.CL', from: new Date('2026-04-28T18:00:00Z'), to: new Date('2026-04-29T18:00:00Z') };
    const told = arxivClientFromConfig(test.runtime, { retryBaseDelayMs: 1 }).fetchCategoryWindow(window);
    await waitUntil('the first request to arrive', async () => server.requests.length === 1);
    // Another worker asks while arXiv is busy: it waits out the Retry-After, not just the spacing.
    const other = arxivClientFromConfig(otherProcess!, { retryBaseDelayMs: 1 }).fetchCategoryWindow({ ...window, category: 'cs.LG' });
    await Promise.all([told, other]);
    expect(server.requests).toHaveLength(3);
    const [busy, ...after] = server.requests.map((request) => request.at);
    // A lower bound only: a slow machine makes the wait longer, never shorter.
    for (const at of after) expect(at - busy!).toBeGreaterThanOrEqual(1000);
  });
});
