import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { importPapers, importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { arxivFixturePath, readArxivFixture, startArxivReplayServer, type ArxivReplayServer } from '../helpers/arxiv-replay-server.js';
import { hfFixturePath } from '../helpers/hf-replay-server.js';
import { startProcess } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const ADMIN = { authorization: 'Bearer dev-admin-token' };
const KEY = 'arxiv:cs.CL:2026-04-30';

/**
 * arXiv category editions (issue 17): a category's listing of a day is kept as such, frozen as
 * "new in this category today" ranked by HF upvotes then listing order, never mixed into HF
 * editions nor sent; days without a listing are recorded, explained in the archive when the
 * calendar expected them, and counted and logged at error when it did not.
 */
describe('arXiv category editions and the calendar', () => {
  let test: TestRuntime;
  let app: App;
  let server: ArxivReplayServer;
  const cli = (args: string[]) =>
    startProcess('services/cli/main.ts', args, {
      DATABASE_URL: test.config.databaseUrl,
      REDIS_URL: test.config.redisUrl,
      QUEUE_PREFIX: test.queuePrefix,
      LOG_LEVEL: 'warn',
      ARXIV_API_URL: server.apiUrl,
      ARXIV_RSS_URL: server.rssUrl,
    });

  beforeAll(async () => {
    server = await startArxivReplayServer();
    test = await createTestRuntime('editions-arxiv');
    app = await buildApp(test.runtime);
    // HF papers first: two of them come back in the arXiv listing as replacements.
    await importPapersFile(test.runtime, hfFixturePath('2026-02-03'));
    // And one paper the listing announces as new is on Hugging Face too, with upvotes.
    const [item] = JSON.parse(readFileSync(hfFixturePath('2026-02-03'), 'utf8')) as Array<{ paper: { id: string; upvotes: number } }>;
    await importPapers(test.runtime, [{ ...item, paper: { ...item!.paper, id: '2604.26866', upvotes: 7 } }], { date: '2026-02-04' });
    await importPapersFile(test.runtime, arxivFixturePath('rss'));
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
    await server?.close();
  });

  it('keeps the listing: each paper with its announce type, position and version, and its categories', async () => {
    const rows = await test.runtime.database.sql<Array<{ paper_id: string; announce_type: string; position: number; version: number | null }>>`
      select paper_id, announce_type, position, version from paper_listings
      where source = 'arxiv' and category = 'cs.CL' and listing_date = '2026-04-30' order by position`;
    expect(rows.map((row) => [row.paper_id, row.announce_type, row.position, row.version])).toEqual([
      ['2604.26951', 'new', 0, 1],
      ['2604.26904', 'new', 1, 1],
      ['2604.26880', 'new', 2, 1],
      ['2604.26866', 'new', 3, 1],
      ['2604.26835', 'new', 4, 1],
      ['2604.26841', 'cross', 5, 1],
      ['2602.02084', 'replace', 6, 2],
      ['2602.00919', 'replace-cross', 7, 3],
    ]);
    const [paper] = await test.runtime.database.sql<Array<{ categories: string[] }>>`select categories from papers where id = '2604.26951'`;
    expect(paper!.categories).toEqual(['cs.AI', 'cs.CL', 'cs.LG']);
    // arXiv papers get no Hugging Face day: the HF edition of the listing's date has nothing.
    const hf = await app.inject({ method: 'POST', url: '/admin/editions/2026-04-30/assemble', headers: ADMIN });
    expect(hf.statusCode).toBe(404);
  });

  it('assembles arxiv:cs.CL:DATE from the new and cross-listed papers, HF upvotes first, then listing order', async () => {
    const response = await app.inject({ method: 'POST', url: `/admin/editions/${KEY}/assemble`, headers: ADMIN });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.edition).toMatchObject({ kind: 'arxiv', key: KEY, periodStart: '2026-04-30', periodEnd: '2026-04-30', paperCount: 6 });
    // The replacements (HF papers with many upvotes) are not new today, so not in it.
    expect(body.papers.map((paper: { id: string; rank: number }) => [paper.rank, paper.id])).toEqual([
      [1, '2604.26866'],
      [2, '2604.26951'],
      [3, '2604.26904'],
      [4, '2604.26880'],
      [5, '2604.26835'],
      [6, '2604.26841'],
    ]);
    expect(body.papers[0].upvotes).toBe(7);

    const run = cli(['assemble', '--date', KEY]);
    expect(await run.exited).toBe(0);
    expect(run.stdout().split('\n')[0]).toMatch(/^arxiv edition arxiv:cs\.CL:2026-04-30 was frozen already at .*: 6 papers$/);

    const page = await app.inject({ method: 'GET', url: `/editions/${KEY}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('arXiv cs.CL');
    expect(page.body).toContain('The 6 papers new in cs.CL on arXiv this day');
    // As in the email: upvotes and comments only on the card of the paper HF has a signal for.
    const cards = page.body.split('<article class="paper">').slice(1);
    expect(cards).toHaveLength(6);
    expect(cards[0]).toContain('2604.26866');
    expect(cards[0]).toContain('7 upvotes · ');
    for (const card of cards.slice(1)) {
      expect(card).not.toMatch(/upvote|comment/);
      expect(card).toContain('>arXiv</a> · ');
    }
  });

  it('refuses to send an arXiv edition, and a key that is no edition key', async () => {
    const send = await app.inject({ method: 'POST', url: `/admin/editions/${KEY}/send`, headers: ADMIN });
    expect(send.statusCode).toBe(409);
    expect(send.json().error).toMatch(/readers who chose cs.CL get it as a section of the daily edition 2026-04-30/);
    const resend = await app.inject({ method: 'POST', url: `/admin/editions/${KEY}/resend`, headers: ADMIN, payload: { to: 'all' } });
    expect(resend.statusCode).toBe(409);
    const runs = await test.runtime.database.sql`select id from send_runs`;
    expect(runs).toHaveLength(0);

    const bad = await app.inject({ method: 'POST', url: '/admin/editions/arxiv:CS!:2026-04-30/assemble', headers: ADMIN });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([{ field: 'date', message: '"CS!" is not an arXiv category such as cs.CL, math.AG or hep-th' }]);
    const cliBad = cli(['assemble', '--date', 'arxiv:cs.CL:2026-02-30']);
    expect(await cliBad.exited).not.toBe(0);
    expect(cliBad.stderr()).toContain('"2026-02-30" is not a calendar date');
  });

  it('records a holiday as an expected empty day without asking arXiv, and the archive says why', async () => {
    server.requests.length = 0;
    const run = cli(['ingest-arxiv', '--category', 'cs.CL', '--date', '2026-01-20']);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('imported 0 papers (0 new, 0 updated) for 2026-01-20 from the arXiv API (cs.CL); no arXiv announcement: holiday (Monday 2026-01-19)\n');
    expect(server.requests).toHaveLength(0);
    await importPapersFile(test.runtime, arxivFixturePath('rssEmpty'));

    const archive = await app.inject({ method: 'GET', url: '/editions' });
    expect(archive.statusCode).toBe(200);
    const text = archive.body.replace(/\s+/g, ' ');
    expect(text).toContain('Tuesday, 20 January 2026</h3> <p>no arXiv announcement: holiday (Monday 2026-01-19)</p>');
    expect(text).toContain('Saturday, 2 May 2026</h3> <p>no arXiv announcement: arXiv does not announce on Friday evenings</p>');
    // Newest first: the Saturday, then the holiday.
    expect(text.indexOf('Saturday, 2 May 2026')).toBeLessThan(text.indexOf('Tuesday, 20 January 2026'));
    // The category edition is no entry of its own (it is a section of its day's daily edition), but keeps its page.
    expect(text).not.toContain(`href="/editions/${encodeURIComponent(KEY)}"`);
    expect((await app.inject({ method: 'GET', url: `/editions/${KEY}` })).statusCode).toBe(200);

    const assemble = await app.inject({ method: 'POST', url: '/admin/editions/arxiv:cs.CL:2026-01-20/assemble', headers: ADMIN });
    expect(assemble.statusCode).toBe(404);
    expect(assemble.json().error).toBe('No arXiv cs.CL listing for 2026-01-20 (no arXiv announcement: holiday (Monday 2026-01-19)): nothing to assemble');
  });

  it('counts an empty listing on a day arXiv announces in /metrics and logs it at error', async () => {
    server.apiFeed = readArxivFixture('current').replace(/<entry>[\s\S]*<\/entry>\s*/g, '');
    const run = cli(['ingest-arxiv', '--category', 'cs.CL', '--date', '2026-04-29']);
    expect(await run.exited).toBe(0);
    expect(server.requests.at(-1)?.query.search_query).toBe('cat:cs.CL AND submittedDate:[202604271800 TO 202604281759]');
    const logged = (run.stdout() + run.stderr())
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; category?: string });
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 50, category: 'cs.CL', msg: 'arXiv cs.CL listing of 2026-04-29 is empty, but arXiv announces that day: the ingest or the feed failed' }),
    );

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('paperboy_source_empty_days{source="arxiv",expected="false"} 1');
    expect(metrics.body).toContain('paperboy_source_empty_days{source="arxiv",expected="true"} 2');
    // Not an explained day: the archive does not show it as one.
    expect((await app.inject({ method: 'GET', url: '/editions' })).body).not.toContain('29 April 2026');
  });
});
