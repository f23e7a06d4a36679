import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { ARXIV_TAXONOMY } from '../../services/core/papers/arxiv-taxonomy.js';
import { editionPapers, editionSections, editions, papers, sourceDays } from '../../services/core/platform/db/schema.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('operators: public archive, web version and Atom feed', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    // Editions of 3 papers: the whole edition shows the first 3 of each arXiv section.
    test = await createTestRuntime('ops-archive', { EDITION_SIZE: '3' });
    app = await buildApp(test.runtime);
    const { db } = test.runtime.database;
    const at = new Date('2026-08-14T06:00:00Z');
    await db.insert(papers).values([
      { id: '2608.00001', title: '<script>alert(1)</script> & "quotes" \u0001 Attention', abstract: 'A & B < C.', publishedAt: at, authors: ['Ada', 'Bo'] },
      { id: '2608.00002', title: 'Second paper', abstract: 'Second abstract.', publishedAt: at, aiSummary: 'A summary.', githubRepo: 'https://github.com/x/y' },
    ]);
    const [daily] = await db
      .insert(editions)
      .values({ kind: 'daily', key: '2026-08-13', periodStart: '2026-08-13', periodEnd: '2026-08-13', assembledAt: at })
      .returning();
    const [weekly] = await db
      .insert(editions)
      .values({ kind: 'weekly', key: '2026-W33', periodStart: '2026-08-10', periodEnd: '2026-08-16', assembledAt: new Date('2026-08-17T06:00:00Z') })
      .returning();
    for (const edition of [daily!, weekly!]) {
      await db.insert(editionPapers).values([
        { editionId: edition.id, paperId: '2608.00001', rank: 1, upvotes: 42, numComments: 3, title: '<script>alert(1)</script> & "quotes" \u0001 Attention' },
        { editionId: edition.id, paperId: '2608.00002', rank: 2, upvotes: 1, numComments: 0, title: 'Second paper' },
      ]);
    }
    // The day's arXiv listings, one category edition each (a day of 31 chosen categories), frozen
    // after its daily edition: cs.CL, with 5 new papers, and cs.LG are sections of it.
    const listed = ['2608.10001', '2608.10002', '2608.10003', '2608.10004', '2608.10005'];
    await db.insert(papers).values(listed.map((id) => ({ id, title: `Listed paper ${id}`, abstract: 'Listed.', publishedAt: at })));
    const codes = ARXIV_TAXONOMY.flatMap((archive) => archive.categories.map((category) => category.code)).slice(0, 31);
    const categoryEditions = await db
      .insert(editions)
      .values(codes.map((code) => ({ kind: 'arxiv' as const, key: `arxiv:${code}:2026-08-13`, periodStart: '2026-08-13', periodEnd: '2026-08-13', assembledAt: at })))
      .returning();
    const cl = categoryEditions.find((edition) => edition.key === 'arxiv:cs.CL:2026-08-13')!;
    const lg = categoryEditions.find((edition) => edition.key === 'arxiv:cs.LG:2026-08-13')!;
    await db.insert(editionPapers).values(listed.map((paperId, index) => ({ editionId: cl.id, paperId, rank: index + 1, upvotes: 0, numComments: 0, title: `Listed paper ${paperId}` })));
    await db.insert(editionPapers).values({ editionId: lg.id, paperId: '2608.10001', rank: 1, upvotes: 0, numComments: 0, title: 'Listed paper 2608.10001' });
    await db.insert(editionSections).values([cl, lg].map((section) => ({ editionId: daily!.id, sectionEditionId: section.id })));
    // A day arXiv did not announce, as the archive explains it.
    await db.insert(sourceDays).values({ source: 'arxiv', category: 'cs.CL', listingDate: '2026-08-15', papers: 0, expected: false, reason: 'no arXiv announcement: arXiv does not announce on Friday evenings' });
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('lists past editions, newest first, linking to their web versions', async () => {
    const response = await app.inject({ method: 'GET', url: '/editions' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    const html = response.body;
    expect(html.indexOf('href="/editions/2026-W33"')).toBeGreaterThan(-1);
    expect(html.indexOf('href="/editions/2026-W33"')).toBeLessThan(html.indexOf('href="/editions/2026-08-13"'));
    expect(html).toMatch(/Thursday,? 13 August 2026/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    // Daily and weekly editions only: the day's 31 category editions are sections of its daily
    // edition, and listed would have pushed it off the page.
    expect(html).not.toContain('href="/editions/arxiv');
    expect(html).not.toContain('/editions?before=');
    // The day arXiv did not announce still has its row, between the week and the day.
    const text = html.replace(/\s+/g, ' ');
    expect(text).toContain('Saturday, 15 August 2026</h3> <p>no arXiv announcement: arXiv does not announce on Friday evenings</p>');
    expect(text.indexOf('15 August 2026</h3>')).toBeLessThan(text.indexOf('href="/editions/2026-08-13"'));
    // A category edition keeps its own page.
    expect((await app.inject({ method: 'GET', url: '/editions/arxiv:cs.CL:2026-08-13' })).body.split('<article class="paper">')).toHaveLength(6);
  });

  it("shows the first papers of each arXiv section on the whole edition's page, with a link to the category's whole listing", async () => {
    const html = (await app.inject({ method: 'GET', url: '/editions/2026-08-13' })).body;
    const clSection = html.slice(html.indexOf('New in cs.CL'), html.indexOf('New in cs.LG'));
    expect(clSection.split('<article class="paper">')).toHaveLength(4);
    for (const id of ['2608.10001', '2608.10002', '2608.10003']) expect(clSection).toContain(`arxiv.org/abs/${id}`);
    expect(clSection).not.toContain('2608.10004');
    expect(clSection).toContain('<a href="/editions/arxiv%3Acs.CL%3A2026-08-13">All 5 new papers in cs.CL</a>');
    // cs.LG has one paper: all of it is shown, no link.
    expect(html.slice(html.indexOf('New in cs.LG'))).not.toContain('new papers in cs.LG');
    expect(html).toContain('the trending papers from Hugging Face Daily Papers, and what was new in cs.CL, cs.LG on arXiv.');
  });

  it("does not promise trending papers on a day Hugging Face had none", async () => {
    const { db } = test.runtime.database;
    const at = new Date('2026-08-12T06:00:00Z');
    const [daily] = await db.insert(editions).values({ kind: 'daily', key: '2026-08-11', periodStart: '2026-08-11', periodEnd: '2026-08-11', assembledAt: at }).returning();
    const [cl] = await db.insert(editions).values({ kind: 'arxiv', key: 'arxiv:cs.CL:2026-08-11', periodStart: '2026-08-11', periodEnd: '2026-08-11', assembledAt: at }).returning();
    await db.insert(editionPapers).values({ editionId: cl!.id, paperId: '2608.10005', rank: 1, upvotes: 0, numComments: 0, title: 'Listed paper 2608.10005' });
    await db.insert(editionSections).values({ editionId: daily!.id, sectionEditionId: cl!.id });
    const html = (await app.inject({ method: 'GET', url: '/editions/2026-08-11' })).body;
    expect(html).toContain('The papers of this day: what was new in cs.CL on arXiv.');
    expect(html).not.toContain('Hugging Face Daily Papers');
    await db.delete(editionSections).where(eq(editionSections.editionId, daily!.id));
    await db.delete(editions).where(inArray(editions.id, [daily!.id, cl!.id]));
  });

  it('shows an edition as a page for everyone: papers escaped, no reader links, a way to subscribe', async () => {
    for (const key of ['2026-08-13', '2026-W33']) {
      const response = await app.inject({ method: 'GET', url: `/editions/${key}` });
      expect(response.statusCode, key).toBe(200);
      const html = response.body;
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
      expect(html).toContain('href="https://arxiv.org/abs/2608.00002"');
      expect(html).toContain('href="https://github.com/x/y"');
      expect(html).not.toMatch(/unsubscribe\?token=|preferences\?token=|%%/);
      expect(html).toContain('href="/"');
    }
    expect((await app.inject({ method: 'GET', url: '/editions/2026-08-12' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/editions/yesterday' })).statusCode).toBe(400);
  });

  it('serves a valid Atom feed of the editions', async () => {
    const response = await app.inject({ method: 'GET', url: '/feed.xml' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/atom+xml');
    expect(XMLValidator.validate(response.body)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(response.body);
    const feed = doc.feed;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(feed.id).toBe('http://paperboy.test/editions');
    expect(feed.title['#text']).toMatch(/Paperboy/);
    expect(new Date(feed.updated).toISOString()).toBe('2026-08-17T06:00:00.000Z');
    const links = [feed.link].flat();
    expect(links.find((link: Record<string, string>) => link['@rel'] === 'self')['@href']).toBe('http://paperboy.test/feed.xml');
    expect(feed.author.name).toBe('Paperboy');
    const entries = [feed.entry].flat();
    expect(entries.map((entry: { id: string }) => entry.id)).toEqual(['http://paperboy.test/editions/2026-W33', 'http://paperboy.test/editions/2026-08-13']);
    for (const entry of entries) {
      expect(entry.title['#text']).toContain('<script>alert(1)</script>');
      expect(Number.isNaN(new Date(entry.updated).getTime())).toBe(false);
      expect(entry.link['@href']).toBe(entry.id);
      // Each entry lists exactly its edition's papers, in rank order.
      expect(entry.summary['#text'].split(' · ')).toEqual(['<script>alert(1)</script> & "quotes"  Attention', 'Second paper']);
      expect(entry.content['@type']).toBe('html');
      // The html content is escaped text, and the title inside it is escaped again as HTML.
      expect(entry.content['#text']).toContain('&lt;script&gt;');
      expect(entry.content['#text']).toContain('</a> (42 upvotes)</li>');
      expect(entry.content['#text']).toContain('</a> (1 upvote)</li>');
    }
  });
});
