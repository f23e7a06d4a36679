import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import {
  assembleEdition,
  assembleScheduledEditions,
  assembleWeeklyEdition,
  findLatestEdition,
  getEditionWithPapers,
  previewEdition,
} from '../../services/core/editions/edition-service.js';
import { ConflictError, NotFoundError } from '../../services/core/platform/errors.js';
import { importPapers, importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { editionsScheduler } from '../../services/worker/processors/editions.js';
import { ingestScheduler } from '../../services/worker/processors/ingest.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { hfFixturePath, readHfFixture } from '../helpers/hf-replay-server.js';
import { insertReaders } from '../helpers/factories.js';
import { startProcess } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const ADMIN = { authorization: 'Bearer dev-admin-token' };

interface RawItem {
  paper: { id: string; upvotes: number; publishedAt: string; submittedOnDailyAt?: string };
  numComments: number;
}

function rankIds(items: Array<{ id: string; upvotes: number; numComments: number; publishedAt: string }>): string[] {
  return [...items]
    .sort((a, b) => b.upvotes - a.upvotes || b.numComments - a.numComments || Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || (a.id < b.id ? -1 : 1))
    .map((p) => p.id);
}

/** Items of a recorded day moved to another daily date, with new ids unless `keep` names them. */
function dayFrom(source: string, date: string, picks: Array<{ from: number; id?: string; upvotes?: number }>): RawItem[] {
  const items = readHfFixture(source) as RawItem[];
  return picks.map(({ from, id, upvotes }) => {
    const item = structuredClone(items[from]!);
    if (id) item.paper.id = id;
    if (upvotes !== undefined) item.paper.upvotes = upvotes;
    item.paper.submittedOnDailyAt = `${date}T00:00:00.000Z`;
    return item;
  });
}

describe('editions', () => {
  let test: TestRuntime;
  let app: App;
  let now = new Date('2026-02-04T06:00:00Z');
  /** Imports days the clock has not reached (daily dates after tomorrow are refused) with the clock moved past them. */
  async function importAhead(items: RawItem[]) {
    const today = now;
    now = new Date('2026-08-21T06:00:00Z');
    try {
      return await importPapers(test.runtime, items);
    } finally {
      now = today;
    }
  }

  beforeAll(async () => {
    test = await createTestRuntime('editions-assemble', {}, { clock: () => now });
    app = await buildApp(test.runtime);
    await importPapersFile(test.runtime, hfFixturePath('2026-02-03'));
    // Daily dates after tomorrow are refused: the last recorded day is imported once it is past.
    now = new Date('2026-08-14T06:00:00Z');
    await importPapersFile(test.runtime, hfFixturePath('2026-08-13'));
    now = new Date('2026-02-04T06:00:00Z');
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('freezes the top 40 papers of a day in trending order', async () => {
    const assembled = await assembleEdition(test.runtime, '2026-02-03');
    expect(assembled.created).toBe(true);
    expect(assembled.edition).toMatchObject({ kind: 'daily', key: '2026-02-03', periodStart: '2026-02-03', periodEnd: '2026-02-03' });
    expect(assembled.edition.assembledAt.toISOString()).toBe('2026-02-04T06:00:00.000Z');
    const raw = (readHfFixture('2026-02-03') as RawItem[]).map((i) => ({ ...i.paper, numComments: i.numComments }));
    expect(assembled.papers.map((p) => p.id)).toEqual(rankIds(raw).slice(0, 40));
    expect(assembled.papers.map((p) => p.rank)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(assembled.papers[0]).toMatchObject({ id: '2602.02276', upvotes: 77, numComments: 1, title: 'Kimi K2.5: Visual Agentic Intelligence' });
  });

  it('returns the same frozen edition when assembled again, even after upvotes changed', async () => {
    const first = await getEditionWithPapers(test.runtime, '2026-02-03');
    const items = readHfFixture('2026-02-03') as RawItem[];
    items[43]!.paper.upvotes = 500; // the last paper, left out, now tops the day
    await importPapers(test.runtime, items);
    const again = await assembleEdition(test.runtime, '2026-02-03');
    expect(again.created).toBe(false);
    expect(again.edition.id).toBe(first!.edition.id);
    expect(again.papers).toEqual(first!.papers);
    expect(again.papers.map((p) => p.id)).not.toContain(items[43]!.paper.id);
  });

  it('makes one edition when assemblies race', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => assembleEdition(test.runtime, '2026-08-13')));
    expect(new Set(results.map((r) => r.edition.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const [row] = await test.runtime.database.sql`select count(*)::int as n from editions where key = '2026-08-13'`;
    expect(row).toEqual({ n: 1 });
    expect(results[0]!.papers).toHaveLength(20);
  });

  it('keeps a paper listed on two days as one paper with two appearances, sent once', async () => {
    // 2608.12313 was re-submitted on 2026-08-19 (PAPER-SOURCES 1.7); two new papers that day too.
    const later = dayFrom('2026-08-13', '2026-08-19', [
      { from: 12, upvotes: 30 },
      { from: 0, id: '2608.19001', upvotes: 12 },
      { from: 1, id: '2608.19002', upvotes: 5 },
    ]);
    expect(later[0]!.paper.id).toBe('2608.12313');
    const summary = await importAhead(later);
    expect(summary).toMatchObject({ papers: 3, created: 2, updated: 1, dates: ['2026-08-19'] });
    const rows = await test.runtime.database.sql`
      select (select count(*)::int from papers where id = '2608.12313') as papers,
             array(select daily_date::text from paper_appearances where paper_id = '2608.12313' order by 1) as days`;
    expect(rows[0]).toEqual({ papers: 1, days: ['2026-08-13', '2026-08-19'] });

    const earlier = await getEditionWithPapers(test.runtime, '2026-08-13');
    expect(earlier!.papers.map((p) => p.id)).toContain('2608.12313');
    const edition = await assembleEdition(test.runtime, '2026-08-19');
    expect(edition.papers.map((p) => p.id)).toEqual(['2608.19001', '2608.19002']);
  });

  it('refuses to freeze an empty edition, and says why', async () => {
    await expect(assembleEdition(test.runtime, '2026-02-07')).rejects.toThrow(NotFoundError);
    await expect(assembleEdition(test.runtime, '2026-02-07')).rejects.toThrow(/No papers for 2026-02-07: nothing to assemble/);
    await importAhead(dayFrom('2026-08-13', '2026-08-20', [{ from: 12 }]));
    await expect(assembleEdition(test.runtime, '2026-08-20')).rejects.toThrow('All 1 papers of 2026-08-20 are in earlier editions already: nothing to assemble');
    const [row] = await test.runtime.database.sql`select count(*)::int as n from editions where key in ('2026-02-07', '2026-08-20')`;
    expect(row).toEqual({ n: 0 });
  });

  it('answers the frozen edition at GET /admin/editions/:date', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-03', headers: ADMIN });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.edition).toMatchObject({ kind: 'daily', key: '2026-02-03', paperCount: 40, assembledAt: '2026-02-04T06:00:00.000Z' });
    expect(body.papers).toHaveLength(40);
    expect(body.papers[0]).toMatchObject({ rank: 1, id: '2602.02276', links: { arxiv: 'https://arxiv.org/abs/2602.02276' } });

    const bad = await app.inject({ method: 'GET', url: '/admin/editions/2026-13-40', headers: ADMIN });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([{ field: 'date', message: expect.stringMatching(/YYYY-MM-DD/) }]);
    const missing = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-05', headers: ADMIN });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatch(/^No edition for 2026-02-05 yet/);
    const anonymous = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-03' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('lists editions newest first', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/editions?limit=2', headers: ADMIN });
    expect(response.json().editions.map((e: { key: string; paperCount: number }) => [e.key, e.paperCount])).toEqual([
      ['2026-08-19', 2],
      ['2026-08-13', 20],
    ]);
    const next = await app.inject({ method: 'GET', url: '/admin/editions?before=2026-08-13', headers: ADMIN });
    expect(next.json().editions.map((e: { key: string }) => e.key)).toEqual(['2026-02-03']);
  });

  it('assembles the weekly edition from the best papers of the week, once the week is over', async () => {
    await expect(assembleWeeklyEdition(test.runtime, '2026-W06')).rejects.toThrow(ConflictError);
    await expect(assembleWeeklyEdition(test.runtime, '2026-W06')).rejects.toThrow('Week 2026-W06 is not over yet (it ends on 2026-02-08)');

    // Another day of that week, with a paper that beats everything of 2026-02-03.
    await importPapers(test.runtime, dayFrom('2026-08-13', '2026-02-05', [{ from: 0, id: '2602.05001', upvotes: 200 }, { from: 1, id: '2602.05002', upvotes: 1 }]));
    await assembleEdition(test.runtime, '2026-02-05');

    // The Monday after: the scheduler freezes Sunday (no papers: skipped) and the week.
    now = new Date('2026-02-09T06:00:00Z');
    const outcomes = await assembleScheduledEditions(test.runtime);
    expect(outcomes).toEqual([
      { key: '2026-02-08', status: 'skipped', reason: expect.stringMatching(/^No papers for 2026-02-08/) },
      { key: '2026-W06', status: 'created', papers: 40 },
    ]);
    const weekly = await getEditionWithPapers(test.runtime, '2026-W06');
    expect(weekly!.edition).toMatchObject({ kind: 'weekly', periodStart: '2026-02-02', periodEnd: '2026-02-08' });
    const pool = await test.runtime.database.sql<Array<{ id: string; upvotes: number; numComments: number; publishedAt: string }>>`
      select p.id, p.upvotes, p.num_comments as "numComments", p.published_at::text as "publishedAt"
      from edition_papers ep join editions e on e.id = ep.edition_id join papers p on p.id = ep.paper_id
      where e.kind = 'daily' and e.period_start between '2026-02-02' and '2026-02-08'`;
    expect(pool).toHaveLength(42);
    expect(weekly!.papers.map((p) => p.id)).toEqual(rankIds(pool).slice(0, 40));
    expect(weekly!.papers[0]!.id).toBe('2602.05001');

    const again = await assembleWeeklyEdition(test.runtime, '2026-W06');
    expect(again.created).toBe(false);
    expect(again.papers).toEqual(weekly!.papers);
    const byRoute = await app.inject({ method: 'GET', url: '/admin/editions/2026-W06', headers: ADMIN });
    expect(byRoute.json().edition).toMatchObject({ kind: 'weekly', key: '2026-W06', paperCount: 40 });
  });

  it('finds the latest edition of each kind for pages and digests', async () => {
    expect((await findLatestEdition(test.runtime, '2026-12-31'))!.edition.key).toBe('2026-08-19');
    expect((await findLatestEdition(test.runtime, '2026-12-31', 'weekly'))!.edition.key).toBe('2026-W06');
  });

  it('registers the hourly ingest and the daily assembly as job schedulers', async () => {
    const worker = await startWorkers(test.runtime, [], [ingestScheduler(test.runtime), editionsScheduler(test.runtime)]);
    try {
      const [ingest] = await test.runtime.queues.ingest.getJobSchedulers();
      expect(ingest).toMatchObject({ key: 'papers-ingest-recent', pattern: test.config.ingest.cron });
      const [editions] = await test.runtime.queues.editions.getJobSchedulers();
      expect(editions).toMatchObject({ key: 'editions-assemble-yesterday', pattern: test.config.digest.cron, tz: test.config.digest.timeZone });
    } finally {
      await worker.close(5000);
    }
  });
});

describe('edition size', () => {
  let test: TestRuntime;

  beforeAll(async () => {
    test = await createTestRuntime('editions-size', { EDITION_SIZE: '5' });
    const dir = mkdtempSync(path.join(tmpdir(), 'editions-'));
    writeFileSync(path.join(dir, 'day.json'), JSON.stringify(readHfFixture('2024-03-21')));
    await importPapersFile(test.runtime, path.join(dir, 'day.json'));
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('takes EDITION_SIZE papers, ties broken deterministically', async () => {
    const edition = await assembleEdition(test.runtime, '2024-03-21');
    // 16 upvotes twice with one comment each: the more recent arXiv paper first.
    expect(edition.papers.map((p) => [p.id, p.upvotes])).toEqual([
      ['2403.13248', 47],
      ['2403.13372', 35],
      ['2403.13187', 24],
      ['2403.13064', 23],
      [expect.any(String), 16],
    ]);
    const raw = (readHfFixture('2024-03-21') as RawItem[]).map((i) => ({ ...i.paper, numComments: i.numComments }));
    expect(edition.papers.map((p) => p.id)).toEqual(rankIds(raw).slice(0, 5));
  });
});

describe('a backfill: days imported out of order', () => {
  let test: TestRuntime;
  let app: App;
  const DAY = '2024-03-21';
  const LATER = '2024-03-22';
  const PAPER = '2403.13447'; // 13 upvotes and 1 comment on DAY: eighth of the day

  beforeAll(async () => {
    test = await createTestRuntime('editions-backfill');
    app = await buildApp(test.runtime);
    // Imported twice, as the hourly ingest would: the later observation of the day counts.
    const early = structuredClone(readHfFixture(DAY)) as RawItem[];
    early.find((i) => i.paper.id === PAPER)!.paper.upvotes = 2;
    await importPapers(test.runtime, early, { date: DAY });
    await importPapers(test.runtime, readHfFixture(DAY), { date: DAY });
    // The paper is featured again the next day, far more popular by then.
    const next = readHfFixture(DAY) as RawItem[];
    const again = next.find((i) => i.paper.id === PAPER)!;
    again.paper.upvotes = 500;
    again.numComments = 9;
    await importPapers(test.runtime, [again, next[0]!], { date: LATER });
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it("ranks a day's papers by the counts recorded for that day, not by a later day's", async () => {
    const raw = (readHfFixture(DAY) as RawItem[]).map((i) => ({ ...i.paper, numComments: i.numComments }));
    const expected = rankIds(raw);
    const dayCounts = { id: PAPER, rank: expected.indexOf(PAPER) + 1, upvotes: 13, numComments: 1 };
    expect(dayCounts.rank).toBe(8);

    const listed = await app.inject({ method: 'GET', url: `/admin/papers?date=${DAY}`, headers: ADMIN });
    expect(listed.statusCode).toBe(200);
    const papers = listed.json().papers as Array<{ id: string; rank: number; upvotes: number; numComments: number }>;
    expect(papers.map((p) => p.id)).toEqual(expected);
    expect(papers.find((p) => p.id === PAPER)).toMatchObject(dayCounts);
    const later = await app.inject({ method: 'GET', url: `/admin/papers?date=${LATER}`, headers: ADMIN });
    expect(later.json().papers[0]).toMatchObject({ id: PAPER, rank: 1, upvotes: 500, numComments: 9 });

    const draft = await previewEdition(test.runtime, DAY);
    expect(draft.frozen).toBe(false);
    expect(draft.papers.map((p) => p.id)).toEqual(expected);
    expect(draft.papers.find((p) => p.id === PAPER)).toMatchObject(dayCounts);

    const edition = await assembleEdition(test.runtime, DAY);
    expect(edition.papers.map((p) => p.id)).toEqual(expected);
    expect(edition.papers.find((p) => p.id === PAPER)).toMatchObject(dayCounts);
    const frozen = await test.runtime.database.sql`
      select ep.rank, ep.upvotes, ep.num_comments as "numComments" from edition_papers ep
      join editions e on e.id = ep.edition_id where e.key = ${DAY} and ep.paper_id = ${PAPER}`;
    expect(frozen).toEqual([{ rank: 8, upvotes: 13, numComments: 1 }]);
  });
});

describe('an operator assembles and previews by hand', () => {
  let test: TestRuntime;
  let app: App;
  let now = new Date('2026-02-10T06:00:00Z');
  const editionCount = async () => (await test.runtime.database.sql<{ n: number }[]>`select count(*)::int as n from editions`)[0]!.n;

  beforeAll(async () => {
    test = await createTestRuntime('editions-by-hand', {}, { clock: () => now });
    app = await buildApp(test.runtime);
    await importPapersFile(test.runtime, hfFixturePath('2026-02-03'));
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('previews the draft of a day that has papers but no edition, freezing nothing', async () => {
    const html = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-03/preview', headers: ADMIN });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['x-edition-draft']).toBe('true');
    expect(html.body).toContain('Kimi K2.5: Visual Agentic Intelligence');
    const text = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-03/preview?format=text', headers: ADMIN });
    expect(text.statusCode).toBe(200);
    expect(text.body).toContain('Kimi K2.5: Visual Agentic Intelligence');
    expect(await editionCount()).toBe(0);

    const empty = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-07/preview', headers: ADMIN });
    expect(empty.statusCode).toBe(404);
    expect(empty.json().error).toMatch(/^No papers for 2026-02-07/);
    expect(await editionCount()).toBe(0);
  });

  it('freezes an edition with POST .../assemble, answers it unchanged when repeated, and audits it', async () => {
    const first = await app.inject({ method: 'POST', url: '/admin/editions/2026-02-03/assemble', headers: ADMIN });
    expect(first.statusCode).toBe(201);
    expect(first.json().created).toBe(true);
    expect(first.json().edition).toMatchObject({ kind: 'daily', key: '2026-02-03', paperCount: 40, assembledAt: now.toISOString() });
    expect(first.json().papers[0]).toMatchObject({ rank: 1, id: '2602.02276' });

    const again = await app.inject({ method: 'POST', url: '/admin/editions/2026-02-03/assemble', headers: ADMIN });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ...first.json(), created: false });
    expect(await editionCount()).toBe(1);
    const preview = await app.inject({ method: 'GET', url: '/admin/editions/2026-02-03/preview', headers: ADMIN });
    expect(preview.headers['x-edition-draft']).toBe('false');

    // A day without papers: 404, like a GET of something that does not exist; nothing is frozen.
    const empty = await app.inject({ method: 'POST', url: '/admin/editions/2026-02-07/assemble', headers: ADMIN });
    expect(empty.statusCode).toBe(404);
    expect(empty.json().error).toMatch(/^No papers for 2026-02-07: nothing to assemble/);
    const bad = await app.inject({ method: 'POST', url: '/admin/editions/2026-W60/assemble', headers: ADMIN });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/admin/editions/2026-02-03/assemble' })).statusCode).toBe(401);

    const audit = await test.runtime.database.sql`select action, target, params from admin_audit_log order by id`;
    expect(audit).toEqual([
      { action: 'editions.assemble', target: '2026-02-03', params: { created: true, papers: 40 } },
      { action: 'editions.assemble', target: '2026-02-03', params: { created: false, papers: 40 } },
    ]);
  });

  it('takes an ISO week wherever an edition is named: preview, assemble, read', async () => {
    const draft = await app.inject({ method: 'GET', url: '/admin/editions/2026-W06/preview?format=text', headers: ADMIN });
    expect(draft.statusCode).toBe(200);
    expect(draft.headers['x-edition-draft']).toBe('true');
    expect(await editionCount()).toBe(1);

    const weekly = await app.inject({ method: 'POST', url: '/admin/editions/2026-W06/assemble', headers: ADMIN });
    expect(weekly.statusCode).toBe(201);
    expect(weekly.json().edition).toMatchObject({ kind: 'weekly', key: '2026-W06', periodStart: '2026-02-02', periodEnd: '2026-02-08', paperCount: 40 });
    const read = await app.inject({ method: 'GET', url: '/admin/editions/2026-W06', headers: ADMIN });
    expect(read.json().edition).toMatchObject({ kind: 'weekly', key: '2026-W06' });

    // The running week cannot be frozen yet: a conflict with the time, not a missing thing.
    const running = await app.inject({ method: 'POST', url: '/admin/editions/2026-W07/assemble', headers: ADMIN });
    expect(running.statusCode).toBe(409);
    expect(running.json().error).toMatch(/^Week 2026-W07 is not over yet/);
  });

  it('runs `cli assemble --date KEY` and `cli send --date YYYY-Www` through the real entry point', async () => {
    const outbox = mkdtempSync(path.join(tmpdir(), 'editions-cli-outbox-'));
    const env = { DATABASE_URL: test.config.databaseUrl, REDIS_URL: test.config.redisUrl, QUEUE_PREFIX: test.queuePrefix, LOG_LEVEL: 'warn', OUTBOX_DIR: outbox };
    now = new Date('2026-08-14T06:00:00Z');
    await importPapersFile(test.runtime, hfFixturePath('2026-08-13'));
    now = new Date('2026-02-10T06:00:00Z');
    const assemble = startProcess('services/cli/main.ts', ['assemble', '--date', '2026-08-13'], env);
    expect(await assemble.exited).toBe(0);
    const lines = assemble.stdout().split('\n');
    expect(lines[0]).toBe('froze daily edition 2026-08-13: 20 papers');
    expect(lines[1]).toMatch(/^ {2}1\. .+ \(\d+ upvotes\)$/);
    const again = startProcess('services/cli/main.ts', ['assemble', '--date=2026-08-13'], env);
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toMatch(/^daily edition 2026-08-13 was frozen already at \d{4}-\d\d-\d\dT[\d:.]+Z: 20 papers\n/);
    const usage = startProcess('services/cli/main.ts', ['assemble', '--date', '2026-08'], env);
    expect(await usage.exited).toBe(2);
    expect(usage.stderr()).toMatch(/--date must be an edition key: a daily date YYYY-MM-DD, an ISO week YYYY-Www or an arXiv listing arxiv:CATEGORY:YYYY-MM-DD/);

    // A weekly edition by hand, sent to the weekly readers only.
    await insertReaders(test.runtime.database.sql, 1, { frequency: 'weekly' }, 1);
    await insertReaders(test.runtime.database.sql, 1, { frequency: 'daily' }, 2);
    const weekly = startProcess('services/cli/main.ts', ['assemble', '--date', '2026-W33'], env);
    expect(await weekly.exited).toBe(0);
    expect(weekly.stdout()).toMatch(/^froze weekly edition 2026-W33: 20 papers\n/);
    const send = startProcess('services/cli/main.ts', ['send', '--date', '2026-W33'], env);
    expect(await send.exited).toBe(0);
    expect(send.stdout()).toMatch(/sent 1 digest of 2026-W33 /);
    const recipients = await test.runtime.database.sql`
      select s.email from deliveries d join subscribers s on s.id = d.subscriber_id join editions e on e.id = d.edition_id where e.key = '2026-W33'`;
    expect(recipients).toEqual([{ email: 'reader-1@example.org' }]);
  });
});

describe('the scheduler catches up on missed days', () => {
  let test: TestRuntime;
  let now = new Date('2026-08-12T06:00:00Z');
  const keys = async () => (await test.runtime.database.sql<{ key: string }[]>`select key from editions order by key`).map((row) => row.key);

  beforeAll(async () => {
    test = await createTestRuntime('editions-catch-up', {}, { clock: () => now });
    // Monday 2026-08-03 to Thursday 2026-08-13, two papers a weekday (2026-08-13 as recorded).
    for (const [index, date] of ['2026-08-03', '2026-08-04', '2026-08-05', '2026-08-06', '2026-08-07', '2026-08-10', '2026-08-11', '2026-08-12'].entries()) {
      await importPapers(test.runtime, dayFrom('2026-08-13', date, [{ from: 0, id: `2608.9${index}001` }, { from: 1, id: `2608.9${index}002` }]));
    }
    await importPapersFile(test.runtime, hfFixturePath('2026-08-13'));
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('assembles each missed day of the last 7, oldest first, and last week on the first run after Monday', async () => {
    // The worker ran last on Tuesday 2026-08-04 (freezing Monday), then not until Wednesday 2026-08-12.
    now = new Date('2026-08-04T06:00:00Z');
    expect(await assembleScheduledEditions(test.runtime)).toEqual([{ key: '2026-08-03', status: 'created', papers: 2 }]);
    now = new Date('2026-08-12T06:00:00Z');
    const outcomes = await assembleScheduledEditions(test.runtime);
    // 2026-08-04 lies beyond the 7-day look-back (2026-08-05 ... 2026-08-11); weekends have no papers.
    expect(outcomes).toEqual([
      { key: '2026-08-05', status: 'created', papers: 2 },
      { key: '2026-08-06', status: 'created', papers: 2 },
      { key: '2026-08-07', status: 'created', papers: 2 },
      { key: '2026-08-10', status: 'created', papers: 2 },
      { key: '2026-08-11', status: 'created', papers: 2 },
      { key: '2026-W32', status: 'created', papers: 8 },
    ]);
    // Once: the next run freezes only its own yesterday.
    now = new Date('2026-08-13T06:00:00Z');
    expect(await assembleScheduledEditions(test.runtime)).toEqual([{ key: '2026-08-12', status: 'created', papers: 2 }]);
    expect(await assembleScheduledEditions(test.runtime)).toEqual([{ key: '2026-08-12', status: 'existing', papers: 2 }]);
    expect(await keys()).toEqual(['2026-08-03', '2026-08-05', '2026-08-06', '2026-08-07', '2026-08-10', '2026-08-11', '2026-08-12', '2026-W32']);
  });
});
