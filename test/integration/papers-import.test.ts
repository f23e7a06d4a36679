import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { InvalidInputError } from '../../services/core/platform/errors.js';
import { formatImportSummary, importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { importSamplePapersIfEmpty, SAMPLE_DAILY_DATE } from '../../services/core/papers/sample-papers.js';
import { hfFixturePath, readHfFixture } from '../helpers/hf-replay-server.js';
import { startProcess } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const ADMIN = { authorization: 'Bearer dev-admin-token' };
const DAYS = [
  { day: '2024-03-21', count: 18 },
  { day: '2026-02-03', count: 44 },
  { day: '2026-08-13', count: 20 },
];

interface RawItem {
  paper: { id: string; upvotes: number; publishedAt: string; githubRepo?: string; ai_summary?: string; title: string };
  numComments: number;
}

/** The expected order, computed from the raw file independently of the code under test. */
function expectedOrder(day: string): string[] {
  const items = readHfFixture(day) as RawItem[];
  return [...items]
    .sort(
      (a, b) =>
        b.paper.upvotes - a.paper.upvotes ||
        b.numComments - a.numComments ||
        Date.parse(b.paper.publishedAt) - Date.parse(a.paper.publishedAt) ||
        (a.paper.id < b.paper.id ? -1 : 1),
    )
    .map((item) => item.paper.id);
}

async function tableCounts(test: TestRuntime) {
  const [row] = await test.runtime.database.sql<Array<{ papers: number; appearances: number; stats: number }>>`
    select (select count(*) from papers)::int as papers,
           (select count(*) from paper_appearances)::int as appearances,
           (select count(*) from paper_stats)::int as stats`;
  return row!;
}

describe('importing papers by file', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('papers-import');
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('imports each recorded schema and says what it did', async () => {
    for (const { day, count } of DAYS) {
      const summary = await importPapersFile(test.runtime, hfFixturePath(day));
      expect(formatImportSummary(summary)).toBe(`imported ${count} papers (${count} new, 0 updated) for ${day}`);
    }
    expect(await tableCounts(test)).toEqual({ papers: 82, appearances: 82, stats: 82 });
  });

  it('stores what a digest shows: title, abstract, authors, counts, links and the AI summary', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/papers?date=2026-02-03', headers: ADMIN });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.count).toBe(44);
    const kimi = body.papers.find((p: { id: string }) => p.id === '2602.02276');
    expect(kimi).toMatchObject({
      rank: 1,
      title: 'Kimi K2.5: Visual Agentic Intelligence',
      upvotes: 77,
      numComments: 1,
      organization: 'Moonshot AI',
      links: {
        huggingFace: 'https://huggingface.co/papers/2602.02276',
        arxiv: 'https://arxiv.org/abs/2602.02276',
        pdf: 'https://arxiv.org/pdf/2602.02276',
        project: 'https://huggingface.co/moonshotai/Kimi-K2.5',
      },
    });
    expect(kimi.abstract).toMatch(/^We introduce Kimi K2\.5, an open-source multimodal agentic model/);
    expect(kimi.aiSummary).toMatch(/^Kimi K2\.5 is an open-source multimodal agentic model/);
    expect(kimi.authors.slice(0, 2)).toEqual(['Kimi Team', 'Tongtong Bai']);
    const withCode = (readHfFixture('2026-02-03') as RawItem[]).filter((i) => i.paper.githubRepo);
    for (const item of withCode) {
      expect(body.papers.find((p: { id: string }) => p.id === item.paper.id).links.code).toBe(item.paper.githubRepo);
    }
    expect(body.papers.find((p: { authors: string[] }) => p.authors.length === 326)).toBeDefined();
  });

  it('lists every day in rank order: upvotes, comments, arXiv recency, id', async () => {
    for (const { day } of DAYS) {
      const response = await app.inject({ method: 'GET', url: `/admin/papers?date=${day}`, headers: ADMIN });
      const ids = response.json().papers.map((p: { id: string }) => p.id);
      expect(ids).toEqual(expectedOrder(day));
      expect(response.json().papers.map((p: { rank: number }) => p.rank)).toEqual(ids.map((_: string, i: number) => i + 1));
    }
  });

  it('changes nothing but the history when the same file is imported again', async () => {
    const before = await test.runtime.database.sql`select * from papers order by id`;
    const appearancesBefore = await test.runtime.database.sql`select paper_id, daily_date, first_seen_at from paper_appearances order by 1, 2`;
    const summary = await importPapersFile(test.runtime, hfFixturePath('2026-02-03'));
    expect(formatImportSummary(summary)).toBe('imported 44 papers (0 new, 44 updated) for 2026-02-03');
    expect(await test.runtime.database.sql`select * from papers order by id`).toEqual(before);
    expect(await test.runtime.database.sql`select paper_id, daily_date, first_seen_at from paper_appearances order by 1, 2`).toEqual(appearancesBefore);
    expect(await tableCounts(test)).toEqual({ papers: 82, appearances: 82, stats: 82 + 44 });
  });

  it('records growing upvotes in the history and updates the paper', async () => {
    const items = readHfFixture('2026-08-13') as RawItem[];
    items[0]!.paper.upvotes += 10;
    items[0]!.numComments += 1;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'papers-import-')), 'later.json');
    writeFileSync(file, JSON.stringify(items));
    await importPapersFile(test.runtime, file);
    const history = await test.runtime.database.sql`
      select upvotes, num_comments from paper_stats where paper_id = ${items[0]!.paper.id} order by id`;
    expect(history).toEqual([
      { upvotes: 98, num_comments: 2 },
      { upvotes: 108, num_comments: 3 },
    ]);
    const [paper] = await test.runtime.database.sql`select upvotes, num_comments from papers where id = ${items[0]!.paper.id}`;
    expect(paper).toEqual({ upvotes: 108, num_comments: 3 });
  });

  it('refuses a file with one broken item and stores nothing of it', async () => {
    const items = readHfFixture('2026-08-13') as Array<Record<string, any>>;
    items.push({ ...items[0], paper: { ...items[0]!.paper, id: '2608.99999', upvotes: -3 } });
    items[5]!.paper.title = 7;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'papers-import-')), 'broken.json');
    writeFileSync(file, JSON.stringify(items));
    const before = await tableCounts(test);
    const error = await importPapersFile(test.runtime, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toBe('File broken.json was refused: 2 of 21 items are invalid; nothing was imported');
    expect((error as InvalidInputError).details).toEqual([
      { field: 'items[5].paper.title', message: `arXiv ${items[5]!.paper.id}: must be text` },
      { field: 'items[20].paper.upvotes', message: 'arXiv 2608.99999: must not be negative' },
    ]);
    expect(await tableCounts(test)).toEqual(before);
  });

  it('says when a file is missing, empty or not JSON', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'papers-import-'));
    writeFileSync(path.join(dir, 'empty.json'), '');
    writeFileSync(path.join(dir, 'page.json'), '<html>rate limited</html>');
    await expect(importPapersFile(test.runtime, path.join(dir, 'empty.json'))).rejects.toThrow('File empty.json is empty; expected a JSON array of papers');
    await expect(importPapersFile(test.runtime, path.join(dir, 'page.json'))).rejects.toThrow(/^File page\.json is not JSON/);
    await expect(importPapersFile(test.runtime, path.join(dir, 'nope.json'))).rejects.toThrow(/does not exist/);
  });

  it('leaves a database with papers alone instead of adding the sample', async () => {
    expect(await importSamplePapersIfEmpty(test.runtime)).toBeUndefined();
  });
});

describe('importing papers by POST /admin/papers', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('papers-import-api');
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('needs the admin token', async () => {
    const response = await app.inject({ method: 'POST', url: '/admin/papers', payload: [] });
    expect(response.statusCode).toBe(401);
  });

  it('imports each recorded schema like the file import, and audits it', async () => {
    for (const { day, count } of DAYS) {
      const response = await app.inject({
        method: 'POST',
        url: '/admin/papers',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        payload: readFileSync(hfFixturePath(day)),
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        summary: `imported ${count} papers (${count} new, 0 updated) for ${day}`,
        papers: count,
        created: count,
        updated: 0,
        dates: [day],
      });
      const listed = await app.inject({ method: 'GET', url: `/admin/papers?date=${day}`, headers: ADMIN });
      expect(listed.json().papers.map((p: { id: string }) => p.id)).toEqual(expectedOrder(day));
    }
    const audit = await test.runtime.database.sql`select actor, action, target, params from admin_audit_log order by id`;
    expect(audit).toHaveLength(3);
    expect(audit[0]).toMatchObject({ actor: 'token-1', action: 'papers.import', target: '2024-03-21', params: { papers: 18, created: 18 } });
  });

  it('takes valid JSON with a "__proto__" key, ignoring that key, and pollutes no prototype', async () => {
    const [paper] = (readHfFixture('2026-08-13') as RawItem[]).slice(0, 1).map((item) => item.paper);
    const body = JSON.stringify([paper]).replace(/^\[\{/, '[{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},');
    const response = await app.inject({ method: 'POST', url: '/admin/papers?date=2026-08-15', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: body });
    expect(response.statusCode).toBe(200);
    expect(response.json().papers).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('takes the daily date from ?date= (a plain array of papers)', async () => {
    const papers = (readHfFixture('2026-08-13') as RawItem[]).slice(0, 3).map((item) => ({ ...item.paper, submittedOnDailyAt: undefined }));
    const response = await app.inject({ method: 'POST', url: '/admin/papers?date=2026-08-14', headers: ADMIN, payload: papers });
    expect(response.statusCode).toBe(200);
    expect(response.json().summary).toBe('imported 3 papers (0 new, 3 updated) for 2026-08-14');
    const listed = await app.inject({ method: 'GET', url: '/admin/papers?date=2026-08-14', headers: ADMIN });
    // A plain paper carries no comment count: the known one is kept.
    const first = listed.json().papers.find((p: { id: string }) => p.id === '2608.00677');
    expect(first).toMatchObject({ numComments: 2, upvotes: 98 });
  });

  it('refuses a broken item with a 400 naming the item and field, and stores nothing', async () => {
    const items = readHfFixture('2026-02-03') as Array<Record<string, any>>;
    delete items[10]!.paper.authors;
    const [before] = await test.runtime.database.sql`select count(*)::int as n from paper_stats`;
    const response = await app.inject({ method: 'POST', url: '/admin/papers', headers: ADMIN, payload: items });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'The request body was refused: 1 of 44 items is invalid; nothing was imported',
      details: [{ field: 'items[10].paper.authors', message: `arXiv ${items[10]!.paper.id}: is missing` }],
    });
    const [after] = await test.runtime.database.sql`select count(*)::int as n from paper_stats`;
    expect(after).toEqual(before);
  });

  it('refuses a body that is not JSON, or not an array', async () => {
    const notJson = await app.inject({ method: 'POST', url: '/admin/papers', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: '[{"paper":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatch(/JSON/);
    const object = await app.inject({ method: 'POST', url: '/admin/papers', headers: ADMIN, payload: { error: 'Invalid date' } });
    expect(object.statusCode).toBe(400);
    expect(object.json().error).toBe('The request body holds an error response, not papers: "Invalid date"');
  });

  it('validates dates strictly, naming the field', async () => {
    for (const url of ['/admin/papers?date=2026-13-40', '/admin/papers?date=yesterday']) {
      const response = await app.inject({ method: 'GET', url, headers: ADMIN });
      expect(response.statusCode).toBe(400);
      expect(response.json().details).toEqual([{ field: 'date', message: expect.stringMatching(/YYYY-MM-DD/) }]);
    }
    const missing = await app.inject({ method: 'GET', url: '/admin/papers', headers: ADMIN });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details[0].field).toBe('date');
    const post = await app.inject({ method: 'POST', url: '/admin/papers?date=2026-02-30', headers: ADMIN, payload: [] });
    expect(post.statusCode).toBe(400);
    expect(post.json().details[0].field).toBe('date');
  });

  it('refuses daily dates before 2020 or after tomorrow, naming the field or the item', async () => {
    const papers = (readHfFixture('2026-08-13') as RawItem[]).slice(0, 1).map((item) => ({ ...item.paper, submittedOnDailyAt: undefined }));
    for (const date of ['9999-12-31', '2019-12-31']) {
      const response = await app.inject({ method: 'POST', url: `/admin/papers?date=${date}`, headers: ADMIN, payload: papers });
      expect(response.statusCode).toBe(400);
      expect(response.json().details).toEqual([{ field: 'date', message: expect.stringMatching(/from 2020-01-01 to tomorrow/) }]);
    }
    const items = readHfFixture('2026-02-03') as Array<Record<string, any>>;
    items[3]!.paper.submittedOnDailyAt = '9999-12-31T00:00:00.000Z';
    const [before] = await test.runtime.database.sql`select count(*)::int as n from paper_stats`;
    const response = await app.inject({ method: 'POST', url: '/admin/papers', headers: ADMIN, payload: items });
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([
      { field: 'items[3].paper.submittedOnDailyAt', message: expect.stringMatching(/^arXiv .*: 9999-12-31 .*from 2020-01-01 to tomorrow/) },
    ]);
    const [after] = await test.runtime.database.sql`select count(*)::int as n from paper_stats`;
    expect(after).toEqual(before);
  });

  it('refuses text and numbers Postgres cannot store with a 400 naming the field, never a 500', async () => {
    const cases: Array<[string, (paper: Record<string, any>) => void]> = [
      ['items[0].paper.title', (paper) => (paper.title = 'Attention\u0000 is all')],
      ['items[0].paper.summary', (paper) => (paper.summary = 'An abstract\u0000')],
      ['items[0].paper.authors[1].name', (paper) => (paper.authors[1].name = 'A\u0000B')],
      ['items[0].paper.upvotes', (paper) => (paper.upvotes = 2 ** 31)],
      ['items[0].paper.publishedAt', (paper) => (paper.publishedAt = '0000-01-01T00:00:00.000Z')],
    ];
    for (const [field, breakIt] of cases) {
      const items = (readHfFixture('2026-02-03') as Array<Record<string, any>>).slice(0, 1);
      breakIt(items[0]!.paper);
      const response = await app.inject({ method: 'POST', url: '/admin/papers', headers: ADMIN, payload: items });
      expect(response.statusCode, field).toBe(400);
      expect(response.json().details, field).toEqual([{ field, message: expect.stringContaining(`arXiv ${items[0]!.paper.id}: `) }]);
    }
  });

  it('answers an empty list for a day without papers', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/papers?date=2026-02-07', headers: ADMIN });
    expect(response.json()).toEqual({ date: '2026-02-07', count: 0, papers: [] });
  });
});

describe('sample papers and the CLI', () => {
  let test: TestRuntime;

  beforeAll(async () => {
    test = await createTestRuntime('papers-import-cli');
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('gives a fresh, empty install the sample day, once', async () => {
    const summary = await importSamplePapersIfEmpty(test.runtime);
    expect(summary && formatImportSummary(summary)).toBe(`imported 20 papers (20 new, 0 updated) for ${SAMPLE_DAILY_DATE}`);
    expect(await importSamplePapersIfEmpty(test.runtime)).toBeUndefined();
    expect(await tableCounts(test)).toEqual({ papers: 20, appearances: 20, stats: 20 });
  });

  it('imports a file with `cli import` and prints the summary line', async () => {
    const env = { DATABASE_URL: test.config.databaseUrl, REDIS_URL: test.config.redisUrl, QUEUE_PREFIX: test.queuePrefix, LOG_LEVEL: 'warn' };
    const run = startProcess('services/cli/main.ts', ['import', hfFixturePath('2026-02-03')], env);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('imported 44 papers (44 new, 0 updated) for 2026-02-03\n');

    const dir = mkdtempSync(path.join(tmpdir(), 'papers-import-'));
    writeFileSync(path.join(dir, 'bad.json'), '{"paper":');
    const bad = startProcess('services/cli/main.ts', ['import', path.join(dir, 'bad.json')], env);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toMatch(/^import: File bad\.json is not JSON/);

    const usage = startProcess('services/cli/main.ts', ['import', hfFixturePath('2024-03-21'), '--date', '2024-02-30'], env);
    expect(await usage.exited).toBe(2);
    expect(usage.stderr()).toMatch(/--date must be a calendar date YYYY-MM-DD/);
  });
});
