import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { assembleScheduledEditions } from '../../services/core/editions/edition-service.js';
import { importPapers, importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { NotFoundError } from '../../services/core/platform/errors.js';
import { findAlreadySentPapers } from '../../services/core/sending/fanout-repo.js';
import { reportSendRun } from '../../services/core/sending/send-report.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { arxivFixturePath } from '../helpers/arxiv-replay-server.js';
import { insertReaders } from '../helpers/factories.js';
import { hfFixturePath } from '../helpers/hf-replay-server.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DAY = '2026-04-30'; // a Thursday: arXiv announced cs.CL (test/fixtures/arxiv)
const SATURDAY = '2026-05-02';
/** On Hugging Face that day too, with upvotes: in trending and new in cs.CL. */
const IN_BOTH = '2604.26866';
/** The rest of the cs.CL listing's new and cross-listed papers (its replacements are not new). */
const CL_ONLY = ['2604.26951', '2604.26904', '2604.26880', '2604.26835', '2604.26841'];

/**
 * Readers choose their sources (issue 17): one email per reader per day, the daily edition, with
 * a section per source they chose; an all-trending reader's email is as it was.
 */
describe('one daily email with a section per source', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let app: App;
  let workers: WorkerHost;
  let clockNow = new Date('2026-05-01T07:00:00Z');
  let trendingIds: string[];

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('sending-sections', { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>' }, { clock: () => clockNow });
    app = await buildApp(test.runtime);
    // Hugging Face trending of the day: four recorded papers, and the cs.CL paper that HF has too.
    const items = (JSON.parse(readFileSync(hfFixturePath('2026-02-03'), 'utf8')) as Array<{ paper: { id: string; upvotes: number } }>).slice(0, 4);
    await importPapers(test.runtime, [...items, { ...items[0]!, paper: { ...items[0]!.paper, id: IN_BOTH, upvotes: 1 } }], { date: DAY });
    trendingIds = items.map((item) => item.paper.id);
    await importPapersFile(test.runtime, arxivFixturePath('rss'));
    await importPapersFile(test.runtime, arxivFixturePath('rssEmpty'));
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  });
  afterAll(async () => {
    await workers?.close(5000);
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  async function send(key: string) {
    const run = await startManualSend(test.runtime, key, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(test.runtime.database.sql, run.id))?.status === 'completed', 60_000);
    return reportSendRun(test.runtime, (await findSendRun(test.runtime.database.sql, run.id))!);
  }
  const mailTo = (address: string) => {
    const received = smtp.messages.filter((message) => message.recipients.includes(address));
    expect(received).toHaveLength(1);
    return received[0]!.parsed;
  };
  const count = (text: string, part: string) => text.split(part).length - 1;
  /** The text part's card of a paper: from its number to the next card. */
  const cardOf = (text: string, id: string) => text.split(/\n(?=\d+\. )/).find((card) => card.includes(`arxiv.org/abs/${id}`)) ?? '';

  it('sends each reader one email: trending and cs.CL as two sections, cs.CL alone, or trending as before', async () => {
    const sql = test.runtime.database.sql;
    await insertReaders(sql, 1, { arxivCategories: ['cs.CL'] }, 1); // reader-1: trending and cs.CL
    await insertReaders(sql, 1, { trending: false, arxivCategories: ['cs.CL'] }, 2); // reader-2: cs.CL only
    await insertReaders(sql, 1, {}, 3); // reader-3: trending only
    await insertReaders(sql, 1, { frequency: 'weekly', arxivCategories: ['cs.LG'] }, 4); // weekly (trending; its categories come in daily emails only): not today

    const done = await send(DAY);
    expect(done.deliveries).toMatchObject({ sent: 3, failed: 0, skipped: 0 });
    expect(smtp.messages.map((message) => message.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-2@example.org', 'reader-3@example.org']);

    // (a) Both sources: two headings, trending first; the paper in both is in trending only.
    const both = mailTo('reader-1@example.org');
    for (const part of [both.text!, both.html as string]) {
      const trending = part.indexOf('Trending on Hugging Face');
      const cl = part.indexOf('New in cs.CL · Computation and Language');
      expect(trending).toBeGreaterThan(-1);
      expect(cl).toBeGreaterThan(trending);
      expect(count(part, `arxiv.org/abs/${IN_BOTH}`)).toBe(1);
      expect(part.indexOf(`arxiv.org/abs/${IN_BOTH}`)).toBeLessThan(cl);
      for (const id of trendingIds) expect(part.indexOf(`arxiv.org/abs/${id}`)).toBeGreaterThan(trending);
      for (const id of trendingIds) expect(part.indexOf(`arxiv.org/abs/${id}`)).toBeLessThan(cl);
      for (const id of CL_ONLY) expect(part.indexOf(`arxiv.org/abs/${id}`)).toBeGreaterThan(cl);
    }
    expect(both.text).toContain('10 papers for this day: 5 trending on Hugging Face, 5 new in cs.CL on arXiv.');
    // arXiv papers HF has no signal for: no upvote badge, and the title opens arXiv.
    expect(cardOf(both.text!, CL_ONLY[0]!)).not.toContain('▲');
    expect(cardOf(both.text!, CL_ONLY[0]!)).not.toContain('huggingface.co');
    expect(both.html).toContain(`href="https://arxiv.org/abs/${CL_ONLY[0]}" style="color:#18181b"`);

    // (b) cs.CL only: its section and nothing of trending; the paper HF has too keeps its badge.
    const clOnly = mailTo('reader-2@example.org');
    expect(clOnly.text).toContain('=== New in cs.CL · Computation and Language ===');
    expect(clOnly.text).not.toContain('Trending on Hugging Face');
    for (const id of [IN_BOTH, ...CL_ONLY]) expect(count(clOnly.text!, `arxiv.org/abs/${id}`)).toBe(1);
    for (const id of trendingIds) expect(clOnly.text).not.toContain(id);
    expect(cardOf(clOnly.text!, IN_BOTH)).toMatch(/^1\. [^\n]+\n {3}▲ 1 upvote/);
    expect(clOnly.subject).toMatch(/ and 5 more$/);

    // (d) Trending only: the digest as it always was, without section headings.
    const plain = mailTo('reader-3@example.org');
    expect(plain.text).toContain('5 trending papers from Hugging Face Daily Papers for this day');
    for (const part of [plain.text!, plain.html as string]) {
      expect(part).not.toContain('Trending on Hugging Face');
      expect(part).not.toContain('New in cs.CL');
      for (const id of CL_ONLY) expect(part).not.toContain(id);
    }

    // One variant per distinct selection, each copy's sections with it.
    const variants = await sql<{ paper_sections: string[] }[]>`
      select v.paper_sections from edition_variants v join editions e on e.id = v.edition_id where e.key = ${DAY} order by v.id`;
    expect(variants.map((variant) => new Set(variant.paper_sections))).toEqual(
      expect.arrayContaining([new Set(['hf', 'cs.CL']), new Set(['cs.CL']), new Set()]),
    );
    expect(variants).toHaveLength(3);

    // The edition's page shows both sources; reader-1's web copy its two sections.
    const page = await app.inject({ method: 'GET', url: `/editions/${DAY}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Trending on Hugging Face');
    expect(page.body).toContain('New in cs.CL · Computation and Language');
    // arXiv papers HF has no signal for: no "0 upvotes · 0 comments" line, as in the email.
    const cardsOf = (html: string, id: string) => html.split('<article class="paper">').filter((card) => card.includes(`arxiv.org/abs/${id}`));
    for (const id of CL_ONLY) {
      expect(cardsOf(page.body, id)).toHaveLength(1);
      expect(cardsOf(page.body, id)[0]).not.toMatch(/upvote|comment/);
    }
    expect(cardsOf(page.body, IN_BOTH).every((card) => card.includes('1 upvote · '))).toBe(true);
    const webCopy = /View in browser: (\S+)/.exec(both.text!)![1]!;
    const copy = await app.inject({ method: 'GET', url: new URL(webCopy).pathname + new URL(webCopy).search });
    expect(copy.statusCode).toBe(200);
    expect(copy.body).toContain('by source');
    expect(copy.body.indexOf('Trending on Hugging Face')).toBeLessThan(copy.body.indexOf('New in cs.CL'));
    expect(count(copy.body, `arxiv.org/abs/${IN_BOTH}`)).toBe(1);

    // The operator's preview shows a sample reader of every source.
    const preview = await app.inject({ method: 'GET', url: `/admin/editions/${DAY}/preview?format=text`, headers: { authorization: 'Bearer dev-admin-token' } });
    expect(preview.statusCode).toBe(200);
    expect(preview.body.indexOf('=== Trending on Hugging Face ===')).toBeLessThan(preview.body.indexOf('=== New in cs.CL · Computation and Language ==='));

    // What a section sent is in the ledger: the next edition holding those papers leaves them out.
    const [readerTwo] = await sql<{ id: string }[]>`select id from subscribers where email = 'reader-2@example.org'`;
    // (Asked about that paper alone: only its category edition holds it, the daily edition links it.)
    const sent = await findAlreadySentPapers(sql, [Number(readerTwo!.id)], [CL_ONLY[0]!]);
    expect([...(sent.get(Number(readerTwo!.id)) ?? [])]).toEqual([CL_ONLY[0]]);

    // A second send of the day sends nobody anything twice.
    smtp.messages.length = 0;
    expect((await send(DAY)).deliveries).toMatchObject({ sent: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it('sends a cs.CL-only reader nothing on a Saturday, and the archive says why', async () => {
    clockNow = new Date('2026-05-03T07:00:00Z');
    smtp.messages.length = 0;
    const error = await startManualSend(test.runtime, SATURDAY, 'test').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(smtp.messages).toHaveLength(0);
    const archive = await app.inject({ method: 'GET', url: '/editions' });
    expect(archive.body.replace(/\s+/g, ' ')).toContain('Saturday, 2 May 2026</h3> <p>no arXiv announcement: arXiv does not announce on Friday evenings</p>');
  });

  it('refuses to send a category edition by itself: it goes out as a section of its day', async () => {
    const send = await app.inject({ method: 'POST', url: `/admin/editions/arxiv:cs.CL:${DAY}/send`, headers: { authorization: 'Bearer dev-admin-token' } });
    expect(send.statusCode).toBe(409);
    expect(send.json().error).toContain(`readers who chose cs.CL get it as a section of the daily edition ${DAY}`);
  });
});

describe('a day only arXiv listed', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let app: App;
  let workers: WorkerHost;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('sending-sections-arxiv', { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>' }, { clock: () => new Date('2026-05-02T07:00:00Z') });
    app = await buildApp(test.runtime);
    await importPapersFile(test.runtime, arxivFixturePath('rss'));
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  });
  afterAll(async () => {
    await workers?.close(5000);
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  it('is assembled by the scheduler for its category readers, who get their section; trending readers get nothing', async () => {
    const sql = test.runtime.database.sql;
    await insertReaders(sql, 1, { trending: false, arxivCategories: ['cs.CL'] }, 1);
    await insertReaders(sql, 1, {}, 2);
    // Hugging Face has nothing for the day; the scheduler's catch-up still finds it.
    const outcomes = await assembleScheduledEditions(test.runtime);
    expect(outcomes).toContainEqual({ key: DAY, status: 'created', papers: 0 });

    const run = await startManualSend(test.runtime, DAY, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(sql, run.id))?.status === 'completed', 60_000);
    const done = await reportSendRun(test.runtime, (await findSendRun(sql, run.id))!);
    expect(done.deliveries).toMatchObject({ sent: 1, skipped: 1, failed: 0 });
    expect(smtp.messages.map((message) => message.recipients[0])).toEqual(['reader-1@example.org']);
    expect(smtp.messages[0]!.parsed.text).toContain('=== New in cs.CL · Computation and Language ===');

    const archive = (await app.inject({ method: 'GET', url: '/editions' })).body.replace(/\s+/g, ' ');
    // The daily edition's entry: its headline and count are its sections'.
    expect(archive).toMatch(/href="\/editions\/2026-04-30">Thursday, 30 April 2026<\/a><\/h3> <p>[^<]+<\/p> <span class="meta">6 papers<\/span>/);
  });
});
