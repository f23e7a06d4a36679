import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';
import { reportSendRun } from '../../services/core/sending/send-report.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { createToken } from '../../services/core/platform/tokens/tokens.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

/** "View in browser": from a reader's email, that reader's copy; from the archive, the edition. */

const DATE = '2026-08-13';

describe('the web version of an edition, opened from a digest', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let workers: WorkerHost | undefined;
  let app: App;
  let editionIds: string[];
  let topicWord: string;
  /** Each reader's email as the SMTP sink received it. */
  const emails = new Map<string, { html: string; text: string }>();

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('readers_web_copy', { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>' }, { clock: () => new Date('2026-08-14T07:00:00Z') });
    await importFixtureDay(test.runtime, DATE);
    const edition = await assembleEdition(test.runtime, DATE);
    editionIds = edition.papers.map((paper) => paper.id);
    // A word of the third paper's title: the topic reader matches that one at least, not only the top papers.
    topicWord = edition.papers[2]!.title.split(/\s+/).find((word) => /^[a-z]{7,}$/i.test(word))!.toLowerCase();
    const { sql } = test.runtime.database;
    await insertReaders(sql, 1, { maxPapers: 3 }, 1);
    await insertReaders(sql, 1, { topics: [topicWord] }, 2);
    await insertReaders(sql, 1, { maxPapers: 5 }, 3);
    workers = await startWorkers(test.runtime, [fanoutProcessor(test.runtime), deliverProcessor(test.runtime), maintenanceProcessor(test.runtime)], []);
    const run = await startManualSend(test.runtime, DATE, 'test');
    await waitUntil('the send to complete', async () => (await findSendRun(sql, run.id))?.status === 'completed', 60_000);
    const report = await reportSendRun(test.runtime, (await findSendRun(sql, run.id))!);
    expect(report.deliveries).toMatchObject({ sent: 3 });
    for (const message of smtp.messages) emails.set(message.recipients[0]!, { html: message.parsed.html as string, text: message.parsed.text as string });
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await workers?.close(5000);
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  /** The site-relative target of the "View in browser" link in a reader's email, as received. */
  function viewInBrowser(email: string): string {
    const { html, text } = emails.get(email)!;
    const href = /<a href="([^"]+)"[^>]*>View in browser<\/a>/.exec(html)![1]!.replace(/&amp;/g, '&');
    expect(text).toContain(`View in browser: ${href}`);
    expect(href).toMatch(new RegExp(`^http://paperboy\\.test/editions/${DATE}\\?copy=`));
    return href.replace('http://paperboy.test', '');
  }

  /** Papers (Hugging Face ids) an email or a page shows, in order, each once. */
  const papersIn = (html: string) => [...new Set([...html.matchAll(/https:\/\/huggingface\.co\/papers\/([0-9.]+)/g)].map((match) => match[1]!))];

  async function open(url: string) {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, html: response.body, headers: response.headers };
  }

  it('shows each reader exactly the papers in their email, and none of the others', async () => {
    const links = new Set<string>();
    for (const email of ['reader-1@example.org', 'reader-3@example.org']) {
      const mailed = papersIn(emails.get(email)!.html);
      const url = viewInBrowser(email);
      links.add(url);
      const page = await open(url);
      expect(page.status).toBe(200);
      expect(papersIn(page.html)).toEqual(mailed);
      expect(page.html).toContain(`Your copy: the ${mailed.length} papers you were sent`);
      expect(page.html).toContain(`href="/editions/${DATE}"`);
      expect(page.headers['cache-control']).toContain('private');
      for (const id of editionIds.filter((id) => !mailed.includes(id))) expect(page.html).not.toContain(id);
    }
    // Each email's link is its own.
    expect(links.size).toBe(2);
    expect(papersIn(emails.get('reader-1@example.org')!.html)).toEqual(editionIds.slice(0, 3));
  });

  it('groups a reader\'s copy under their topics, as their email did', async () => {
    const mailed = papersIn(emails.get('reader-2@example.org')!.html);
    const page = await open(viewInBrowser('reader-2@example.org'));
    expect(page.status).toBe(200);
    expect(emails.get('reader-2@example.org')!.html).toContain(`Matched: ${topicWord}`);
    expect(page.html).toContain(`Matched: ${topicWord}`);
    expect(page.html).toContain(`Matched “${topicWord}” in the `);
    expect(papersIn(page.html)).toEqual(mailed);
  });

  it('shows the whole edition from the archive', async () => {
    const archive = await open('/editions');
    expect(archive.html).toContain(`href="/editions/${DATE}"`);
    const page = await open(`/editions/${DATE}`);
    expect(page.status).toBe(200);
    expect(papersIn(page.html)).toEqual(editionIds);
    expect(page.html).not.toContain('Your copy');
  });

  it('shows no reader\'s copy for a tampered token, another delivery\'s id, or a token of another purpose', async () => {
    const url = viewInBrowser('reader-1@example.org');
    const token = new URL(url, 'http://x').searchParams.get('copy')!;
    const [id, signature] = token.split('.') as [string, string];
    const tampered = [
      `${(parseInt(id, 36) + 1).toString(36)}.${signature}`,
      `${id}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`,
      createToken(test.config.secretKey, { subscriberId: 1, purpose: 'preferences' }),
      'garbage',
    ];
    for (const forged of tampered) {
      const page = await open(`/editions/${DATE}?copy=${encodeURIComponent(forged)}`);
      expect(page.status, forged).toBe(400);
      expect(page.html).toContain('copy');
      expect(papersIn(page.html)).toEqual([]);
    }
  });

  it('shows the whole edition, with a note, once retention has dropped the reader\'s delivery', async () => {
    const url = viewInBrowser('reader-3@example.org');
    const deliveryId = parseInt(new URL(url, 'http://x').searchParams.get('copy')!.split('.')[0]!, 36);
    await test.runtime.database.sql`delete from deliveries where id = ${deliveryId}`;
    const page = await open(url);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Your own copy of this edition is no longer kept, so this is the whole edition.');
    expect(papersIn(page.html)).toEqual(editionIds);
  });

  it('keeps the titles the edition was frozen with when a paper is renamed later', async () => {
    const { sql } = test.runtime.database;
    const [{ title }] = (await sql`select title from papers where id = ${editionIds[0]!}`) as unknown as [{ title: string }];
    await sql`update papers set title = 'Renamed after the edition was frozen' where id = ${editionIds[0]!}`;
    for (const url of [viewInBrowser('reader-1@example.org'), `/editions/${DATE}`, '/editions']) {
      const page = await open(url);
      expect(page.html, url).not.toContain('Renamed after the edition');
      expect(page.html, url).toContain(title.replace(/&/g, '&amp;').replace(/</g, '&lt;').split(':')[0]);
    }
  });
});
