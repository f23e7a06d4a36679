import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { editionPapers, editions, papers } from '../../services/core/platform/db/schema.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('operators: public archive, web version and Atom feed', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('ops-archive');
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
      expect(entry.content['#text']).toContain('(42 upvotes)');
      expect(entry.content['#text']).toContain('(1 upvote)');
    }
  });
});
