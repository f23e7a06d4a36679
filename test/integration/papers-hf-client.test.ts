import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { DependencyUnavailableError } from '../../services/core/platform/errors.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { parsePapers } from '../../services/core/papers/hf-paper-schema.js';
import { createHfClient, HfApiError, hfClientFromConfig, type HfClientOptions } from '../../services/core/papers/hf-client.js';
import { retryDelayFromHeaders } from '../../services/core/papers/retry-delay.js';
import { importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { ingestDailyPapers } from '../../services/core/papers/paper-ingest-service.js';
import { ingestProcessor } from '../../services/worker/processors/ingest.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { hfFixturePath, readHfFixture, startHfReplayServer, type HfReplayServer } from '../helpers/hf-replay-server.js';
import { startProcess, waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const ADMIN = { authorization: 'Bearer dev-admin-token' };

describe('Hugging Face client against a local replay of the API', () => {
  let server: HfReplayServer;
  let sleeps: number[];

  /** A client whose waits are recorded, not slept: retry tests assert the delays, not the clock. */
  const client = (options: Partial<HfClientOptions> = {}) =>
    createHfClient({ baseUrl: server.url, pageSize: 10, retryBaseDelayMs: 1, sleep: async (ms) => void sleeps.push(ms), ...options });

  beforeAll(async () => {
    server = await startHfReplayServer();
    for (const day of ['2024-03-21', '2026-02-03', '2026-08-13']) server.days.set(day, readHfFixture(day));
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.script.length = 0;
    sleeps = [];
  });

  it('pages with an explicit limit until a short page, and parses like the file', async () => {
    const fetched = await client().fetchDailyPapers('2026-02-03');
    expect(server.requests.map((r) => r.query)).toEqual(
      [0, 1, 2, 3, 4].map((p) => ({ date: '2026-02-03', limit: '10', p: String(p) })),
    );
    expect(fetched).toEqual(parsePapers(readHfFixture('2026-02-03'), { date: '2026-02-03' }));
    expect(fetched.items).toHaveLength(44);
  });

  it('asks once more when the last page was full, and stops at the empty page', async () => {
    const fetched = await client().fetchDailyPapers('2026-08-13');
    expect(server.requests.map((r) => r.query.p)).toEqual(['0', '1', '2']);
    expect(fetched.items).toHaveLength(20);
  });

  it('answers an empty day (a weekend) with no papers', async () => {
    const fetched = await client().fetchDailyPapers('2026-02-07');
    expect(fetched).toEqual({ items: [], dates: [], skipped: [] });
    expect(server.requests).toHaveLength(1);
  });

  it('keeps a paper that slid onto the next page once', async () => {
    const items = readHfFixture('2026-08-13');
    server.days.set('2026-08-20', [...items.slice(0, 10), items[9], ...items.slice(10, 15)]);
    const fetched = await client().fetchDailyPapers('2026-08-20');
    expect(fetched.items.map((i) => i.paper.id)).toEqual(items.slice(0, 15).map((i) => (i as { paper: { id: string } }).paper.id));
  });

  it('retries a 429 after the time the RateLimit header asks for', async () => {
    server.script.push({ status: 429, headers: { ratelimit: '"api";r=0;t=42', 'ratelimit-policy': '"fixed window";"api";q=500;w=300' } });
    const fetched = await client().fetchDailyPapers('2026-08-13');
    expect(fetched.items).toHaveLength(20);
    expect(sleeps).toEqual([42_000]);
    expect(server.requests.map((r) => r.query.p)).toEqual(['0', '0', '1', '2']);
  });

  it('retries a 500 with backoff, then succeeds', async () => {
    server.script.push({ status: 500 }, { status: 502 });
    const fetched = await client({ retryBaseDelayMs: 100 }).fetchDailyPapers('2026-08-13');
    expect(fetched.items).toHaveLength(20);
    expect(sleeps).toHaveLength(2);
    // Exponential: about 100 ms, then about 200 ms (plus up to 20 % jitter).
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[0]).toBeLessThanOrEqual(120);
    expect(sleeps[1]).toBeGreaterThanOrEqual(200);
    expect(sleeps[1]).toBeLessThanOrEqual(240);
  });

  it('gives up after its retries with an error that says the API is not answering', async () => {
    server.script.push({ status: 503 }, { status: 503 }, { status: 503 });
    const error = await client({ retries: 2 }).fetchDailyPapers('2026-08-13').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toMatch(/is not answering .*date=2026-08-13.* \(HTTP 503 after 3 attempts\)/);
    expect(server.requests).toHaveLength(3);
  });

  it('times out a request that never answers, and retries it', async () => {
    server.script.push({ status: 0, hang: true });
    const fetched = await client({ timeoutMs: 300 }).fetchDailyPapers('2026-08-13');
    expect(fetched.items).toHaveLength(20);
    expect(sleeps).toHaveLength(1);
  });

  it('refuses a body that is not JSON without retrying it', async () => {
    server.script.push({ status: 200, body: '[{"paper": {"id": "2608.00677", ' });
    const error = await client().fetchDailyPapers('2026-08-13').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HfApiError);
    expect((error as Error).message).toMatch(/answered .*date=2026-08-13.* with a body that is not JSON/);
    expect(server.requests).toHaveLength(1);
  });

  it('leaves out an item that is not the papers schema, naming it, and keeps the rest of the day', async () => {
    const items = readHfFixture('2026-08-13') as Array<{ paper: Record<string, unknown> }>;
    items[4]!.paper.upvotes = null;
    server.days.set('2026-08-21', items);
    const fetched = await client().fetchDailyPapers('2026-08-21');
    expect(fetched.items.map((item) => item.paper.id)).toEqual(items.filter((_, index) => index !== 4).map((item) => item.paper.id));
    expect(fetched.skipped).toEqual([
      { index: 4, id: items[4]!.paper.id, problems: [{ field: 'items[4].paper.upvotes', message: `arXiv ${items[4]!.paper.id}: must not be null` }] },
    ]);
  });

  it('refuses an answer most of whose items are not the papers schema: the format changed, not one item', async () => {
    const items = (readHfFixture('2026-08-13') as Array<{ paper: Record<string, unknown> }>).slice(0, 5);
    for (const item of items.slice(0, 3)) item.paper.upvotes = '12';
    server.days.set('2026-08-22', items);
    const error = await client().fetchDailyPapers('2026-08-22').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HfApiError);
    expect((error as HfApiError).message).toMatch(/3 of 5 items are invalid; nothing was imported/);
  });

  it('does not retry a 400 (an invalid date)', async () => {
    const error = await client().fetchDailyPapers('2026-13-40').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HfApiError);
    expect((error as Error).message).toMatch(/refused .*HTTP 400/);
    expect(server.requests).toHaveLength(1);
  });

  it('sends HF_TOKEN as a bearer token when configured, and nothing otherwise', async () => {
    const config = { ingest: { cron: '0 5 * * * *', days: 3, hfApiUrl: server.url, hfToken: 'hf_test_token' } };
    await hfClientFromConfig(config).fetchDailyPapers('2026-02-07');
    await hfClientFromConfig({ ingest: { ...config.ingest, hfToken: undefined } }).fetchDailyPapers('2026-02-07');
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer hf_test_token', undefined]);
    expect(server.requests[0]!.headers.accept).toBe('application/json');
  });

  it('reads the wait from RateLimit and Retry-After headers', () => {
    expect(retryDelayFromHeaders(new Headers({ ratelimit: '"api";r=0;t=17' }))).toBe(17_000);
    expect(retryDelayFromHeaders(new Headers({ ratelimit: '"api";r=12;t=17' }))).toBeUndefined();
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': '5' }))).toBe(5000);
    const now = new Date('2026-02-03T10:00:00Z');
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': 'Tue, 03 Feb 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryDelayFromHeaders(new Headers({}))).toBeUndefined();
  });
});

describe('ingesting from the API into Postgres', () => {
  let server: HfReplayServer;
  let fromApi: TestRuntime;
  let fromFile: TestRuntime;
  let app: App;
  let worker: WorkerHost | undefined;
  // Daily dates after tomorrow are refused: the tests fetching the last recorded day move the clock past it.
  const TODAY = new Date('2026-02-04T09:00:00Z');
  const AFTER_LAST_RECORDED_DAY = new Date('2026-08-14T09:00:00Z');
  let now = TODAY;

  beforeAll(async () => {
    server = await startHfReplayServer();
    for (const day of ['2024-03-21', '2026-02-03', '2026-08-13']) server.days.set(day, readHfFixture(day));
    fromApi = await createTestRuntime('papers-hf-ingest', { HF_API_URL: server.url, HF_TOKEN: 'hf_ingest_token' }, { clock: () => now });
    fromFile = await createTestRuntime('papers-hf-file');
    app = await buildApp(fromApi.runtime);
  });
  afterAll(async () => {
    await worker?.close(5000);
    await app?.close();
    await fromApi?.cleanup();
    await fromFile?.cleanup();
    await server?.close();
  });

  const papersOf = (test: TestRuntime) =>
    test.runtime.database.sql`select id, title, abstract, authors, published_at, ai_summary, ai_keywords, github_repo, github_stars,
      project_page, thumbnail_url, organization, upvotes, num_comments from papers order by id`;
  const appearancesOf = (test: TestRuntime) => test.runtime.database.sql`select paper_id, daily_date from paper_appearances order by 1, 2`;

  it('stores the same papers from pages of 10 as from the file', async () => {
    const client = hfClientFromConfig(fromApi.config, { pageSize: 10 });
    now = AFTER_LAST_RECORDED_DAY;
    const results = await ingestDailyPapers(fromApi.runtime, ['2024-03-21', '2026-02-03', '2026-08-13'], { client });
    now = TODAY;
    expect(results.map((r) => r.ok && r.summary.papers)).toEqual([18, 44, 20]);
    for (const day of ['2024-03-21', '2026-02-03', '2026-08-13']) await importPapersFile(fromFile.runtime, hfFixturePath(day));
    const stored = await papersOf(fromApi);
    expect(stored).toHaveLength(82);
    expect(stored).toEqual(await papersOf(fromFile));
    expect(await appearancesOf(fromApi)).toEqual(await appearancesOf(fromFile));
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer hf_ingest_token')).toBe(true);
  });

  it('runs an ingest now with POST /admin/ingest and answers the summary', async () => {
    const response = await app.inject({ method: 'POST', url: '/admin/ingest', headers: ADMIN, payload: { date: '2026-02-03' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'completed',
      results: [{ date: '2026-02-03', summary: 'imported 44 papers (0 new, 44 updated) for 2026-02-03', papers: 44, created: 0, updated: 44, skipped: [] }],
    });
    const [audit] = await fromApi.runtime.database.sql`select action, target from admin_audit_log order by id desc limit 1`;
    expect(audit).toEqual({ action: 'papers.ingest', target: '2026-02-03' });
  });

  it('imports a day whose answer has a few items Postgres would refuse, leaving those out with a warning naming each', async () => {
    const items = readHfFixture('2026-02-03') as Array<{ paper: Record<string, unknown> }>;
    const broken = { title: 1, upvotes: 5, publishedAt: 9 };
    items[broken.title]!.paper.title = 'Attention\u0000 is all you need';
    items[broken.upvotes]!.paper.upvotes = 2 ** 40;
    items[broken.publishedAt]!.paper.publishedAt = '0000-01-01T00:00:00.000Z';
    server.days.set('2026-02-02', items);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ level: 'warn', destination });

    const [result] = await ingestDailyPapers({ ...fromApi.runtime, logger }, ['2026-02-02'], { client: hfClientFromConfig(fromApi.config, { pageSize: 10 }) });
    expect(result).toMatchObject({ date: '2026-02-02', ok: true, summary: { papers: 41 } });
    const stored = await fromApi.runtime.database.sql<{ paper_id: string }[]>`select paper_id from paper_appearances where daily_date = '2026-02-02'`;
    const leftOut = Object.values(broken).map((index) => String(items[index]!.paper.id));
    expect(stored).toHaveLength(41);
    expect(stored.map((row) => row.paper_id)).not.toContain(leftOut[0]);

    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; arxivId: string });
    expect(warnings.map((w) => [w.level, w.arxivId])).toEqual(leftOut.map((id) => [40, id]));
    expect(warnings[0]!.msg).toMatch(/^left out item 1 \(arXiv .+\) of the Hugging Face answer for 2026-02-02: items\[1\]\.paper\.title: .*must not contain NUL/);
    expect(warnings[1]!.msg).toMatch(/paper\.upvotes: .*must be at most 2147483647/);
    expect(warnings[2]!.msg).toMatch(/paper\.publishedAt: .*must not be before 1900/);
  });

  it('without a date, fetches today and the previous INGEST_DAYS days', async () => {
    server.requests.length = 0;
    const response = await app.inject({ method: 'POST', url: '/admin/ingest', headers: ADMIN });
    expect(response.statusCode).toBe(200);
    expect(response.json().results.map((r: { date: string }) => r.date)).toEqual(['2026-02-01', '2026-02-02', '2026-02-03', '2026-02-04']);
    expect(server.requests.map((r) => r.query.date)).toEqual(['2026-02-01', '2026-02-02', '2026-02-03', '2026-02-04']);
  });

  it('answers 503 when Hugging Face does not answer, keeping the dates that worked', async () => {
    // Retry-After: 0 keeps the route's backoff out of the test's time.
    server.script.push(...Array.from({ length: 3 }, () => ({ status: 503, headers: { 'retry-after': '0' } })));
    now = AFTER_LAST_RECORDED_DAY;
    const response = await app.inject({ method: 'POST', url: '/admin/ingest', headers: ADMIN, payload: { date: '2026-08-13' } });
    now = TODAY;
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatch(/^Ingest failed for 2026-08-13: The Hugging Face API .* is not answering/);
    expect(response.json().details).toEqual([{ field: '2026-08-13', message: expect.stringMatching(/HTTP 503 after 3 attempts/) }]);
    // An operator's fetch is audited even when it fails: the dates that worked were imported.
    const [audit] = await fromApi.runtime.database.sql`select action, target, params->'results' as results from admin_audit_log order by id desc limit 1`;
    expect(audit).toEqual({ action: 'papers.ingest', target: '2026-08-13', results: [{ date: '2026-08-13', error: expect.stringMatching(/is not answering/) }] });
  });

  it('validates the date of POST /admin/ingest', async () => {
    const response = await app.inject({ method: 'POST', url: '/admin/ingest', headers: ADMIN, payload: { date: '2026-13-40' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([{ field: 'date', message: expect.stringMatching(/YYYY-MM-DD/) }]);
    server.requests.length = 0;
    for (const date of ['2026-02-06', '2019-12-31', '9999-12-31']) {
      const outside = await app.inject({ method: 'POST', url: '/admin/ingest', headers: ADMIN, payload: { date } });
      expect(outside.statusCode, date).toBe(400);
      expect(outside.json().details).toEqual([{ field: 'date', message: 'must be a date from 2020-01-01 to tomorrow (2026-02-05)' }]);
    }
    expect(server.requests).toEqual([]);
  });

  it('queues the ingest for the worker with "wait": false, and the worker runs it', async () => {
    const before = (await fromApi.runtime.database.sql`select count(*)::int as n from paper_stats where daily_date = '2024-03-21'`)[0]!.n;
    const response = await app.inject({ method: 'POST', url: '/admin/ingest', headers: ADMIN, payload: { date: '2024-03-21', wait: false } });
    expect(response.statusCode).toBe(202);
    const { jobId, dates } = response.json();
    expect(dates).toEqual(['2024-03-21']);
    expect(jobId).toBe('ingest-2024-03-21-202602040900');

    const client = hfClientFromConfig(fromApi.config, { pageSize: 10, retryBaseDelayMs: 1 });
    worker = await startWorkers(fromApi.runtime, [ingestProcessor(fromApi.runtime, { client })], []);
    const job = await fromApi.runtime.queues.ingest.getJob(jobId);
    await waitUntil('the ingest job to complete', async () => (await job!.getState()) === 'completed');
    const after = (await fromApi.runtime.database.sql`select count(*)::int as n from paper_stats where daily_date = '2024-03-21'`)[0]!.n;
    expect(after).toBe(before + 18);
  });

  it('runs `cli ingest --date D` and prints the summary line', async () => {
    const env = {
      DATABASE_URL: fromApi.config.databaseUrl,
      REDIS_URL: fromApi.config.redisUrl,
      QUEUE_PREFIX: fromApi.queuePrefix,
      HF_API_URL: server.url,
      LOG_LEVEL: 'warn',
    };
    const run = startProcess('services/cli/main.ts', ['ingest', '--date', '2026-08-13'], env);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('imported 20 papers (0 new, 20 updated) for 2026-08-13\n');
    expect(run.stderr()).toContain('fetching 2026-08-13');

    const weekend = startProcess('services/cli/main.ts', ['ingest', '--date=2026-02-07'], env);
    expect(await weekend.exited).toBe(0);
    expect(weekend.stdout()).toBe('imported 0 papers (0 new, 0 updated) for 2026-02-07\n');

    server.script.push({ status: 400, body: '{"error":"Invalid date"}' });
    const refused = startProcess('services/cli/main.ts', ['ingest', '--date', '2026-08-13'], env);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/ingest 2026-08-13 failed: The Hugging Face API refused .*HTTP 400/);
  });

  it('records an empty weekend as expected, alarms on an empty weekday that is over, and waits on today', async () => {
    const emptyDays = async (expected: boolean) => {
      const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(new RegExp(`^paperboy_source_empty_days\\{source="hf",expected="${expected}"\\} (\\d+)$`, 'm').exec(body)?.[1] ?? 0);
    };
    const before = { expected: await emptyDays(true), unexpected: await emptyDays(false) };
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ level: 'error', destination });
    // Today is Wednesday 2026-02-04: Friday 01-30 is over and empty, Saturday 01-31 has no listing.
    const dates = ['2026-01-30', '2026-01-31', '2026-02-03', '2026-02-04'];
    const results = await ingestDailyPapers({ ...fromApi.runtime, logger }, dates, { client: hfClientFromConfig(fromApi.config) });
    expect(results.map((r) => r.ok && r.summary.papers)).toEqual([0, 0, 44, 0]);

    const days = await fromApi.runtime.database.sql`
      select listing_date::text, papers, expected, reason from source_days where source = 'hf' and listing_date in ('2026-01-30', '2026-01-31', '2026-02-03', '2026-02-04') order by 1`;
    expect(days).toEqual([
      { listing_date: '2026-01-30', papers: 0, expected: true, reason: null },
      { listing_date: '2026-01-31', papers: 0, expected: false, reason: 'no Hugging Face Daily Papers listing on Saturdays' },
      { listing_date: '2026-02-03', papers: 44, expected: true, reason: null },
    ]);
    expect(lines.map((line) => JSON.parse(line) as { level: number; msg: string })).toEqual([
      expect.objectContaining({ level: 50, msg: 'Hugging Face Daily Papers of 2026-01-30 is empty, but it lists papers on weekdays: the ingest or the API failed' }),
    ]);
    expect({ expected: await emptyDays(true), unexpected: await emptyDays(false) }).toEqual({ expected: before.expected + 1, unexpected: before.unexpected + 1 });

    // Papers found later (the API was back) turn the alarm off.
    server.days.set('2026-01-30', readHfFixture('2026-02-03'));
    await ingestDailyPapers(fromApi.runtime, ['2026-01-30'], { client: hfClientFromConfig(fromApi.config) });
    expect(await emptyDays(false)).toBe(before.unexpected);
    server.days.delete('2026-01-30');
  });
});
