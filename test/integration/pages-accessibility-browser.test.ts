import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';
import { createToken } from '../../services/core/platform/tokens/tokens.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { seriousAxeFindings } from '../helpers/axe.js';
import { openBrowser, type Browser } from '../helpers/browser.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * axe-core on each of Paperboy's own pages a reader sees, in Chromium, light and dark: nothing
 * critical or serious. One browser, one page after another.
 */

const DATE = '2026-08-13';

describe('Paperboy\'s pages for axe-core', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let app: App;
  let browser: Browser;
  let baseUrl: string;
  const pages: Array<{ name: string; path: string; status: number }> = [];

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    test = await createTestRuntime(
      'pages_axe',
      { SMTP_URL: smtp.url, PUBLIC_URL: baseUrl, HOST: '127.0.0.1', PORT: String(port), MAIL_FROM: 'Paperboy <papers@paperboy.test>' },
      { clock: () => new Date('2026-08-14T07:00:00Z') },
    );
    await importFixtureDay(test.runtime, DATE);
    const edition = await assembleEdition(test.runtime, DATE);
    const topic = edition.papers[0]!.title.split(/\s+/).find((word) => /^[a-z]{7,}$/i.test(word))!.toLowerCase();
    const { sql } = test.runtime.database;
    const [reader] = await insertReaders(sql, 1, { topics: [topic, 'zzzunmatched'] }, 1);
    const [pending] = await insertReaders(sql, 1, { status: 'pending' }, 2);
    const [arxivReader] = await insertReaders(sql, 1, { trending: false, arxivCategories: ['cs.CL', 'stat.ML'] }, 3);

    // A real send, for the "view in browser" link of a reader's email.
    const workers = await startWorkers(test.runtime, [fanoutProcessor(test.runtime), deliverProcessor(test.runtime), maintenanceProcessor(test.runtime)], []);
    try {
      const run = await startManualSend(test.runtime, DATE, 'test');
      await waitUntil('the send to complete', async () => (await findSendRun(sql, run.id))?.status === 'completed', 60_000);
    } finally {
      await workers.close(5000);
    }
    const webCopy = /View in browser: (\S+)/.exec(smtp.messages[0]!.parsed.text as string)![1]!.replace(baseUrl, '');

    const token = (subscriberId: number, purpose: 'confirm' | 'preferences' | 'unsubscribe') =>
      createToken(test.config.secretKey, { subscriberId, purpose, ...(purpose === 'confirm' ? { expiresAt: new Date('2026-08-15T07:00:00Z') } : {}) });
    pages.push(
      { name: 'signup', path: '/', status: 200 },
      { name: 'confirm', path: `/confirm?token=${token(pending!, 'confirm')}`, status: 200 },
      { name: 'preferences', path: `/preferences?token=${token(reader!, 'preferences')}`, status: 200 },
      { name: 'preferences with arXiv categories', path: `/preferences?token=${token(arxivReader!, 'preferences')}`, status: 200 },
      { name: 'unsubscribe', path: `/unsubscribe?token=${token(reader!, 'unsubscribe')}`, status: 200 },
      { name: 'stop-topic', path: `/topics/stop?token=${token(reader!, 'preferences')}&topic=${encodeURIComponent(topic)}`, status: 200 },
      { name: 'archive', path: '/editions', status: 200 },
      { name: 'web edition', path: `/editions/${DATE}`, status: 200 },
      { name: 'reader copy', path: webCopy, status: 200 },
      { name: 'bad link', path: `/editions/${DATE}?copy=forged.AAAAAAAAAAAAAAAA`, status: 400 },
    );

    app = await buildApp(test.runtime);
    await app.listen({ port, host: '127.0.0.1' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  it('finds nothing critical or serious on any page, light or dark', async () => {
    const { page } = browser;
    const findings: string[] = [];
    for (const { name, path, status } of pages) {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const response = await page.goto(`${baseUrl}${path}`, { waitUntil: 'load' });
        expect(response?.status(), `${name}: ${path}`).toBe(status);
        // The reader's copy checked is a grouped one, with its topic headings.
        if (name === 'reader copy') expect(await page.content()).toContain('Matched: ');
        for (const finding of await seriousAxeFindings(page)) findings.push(`${name} (${scheme}): ${finding}`);
      }
    }
    expect(findings).toEqual([]);
  });

  it('finds nothing critical or serious in the sources fieldset while filtering, nor with its error', async () => {
    const { page } = browser;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${baseUrl}/`, { waitUntil: 'load' });
    await page.fill('#arxiv-filter', 'language');
    await expect.poll(() => page.locator('#arxiv-count').textContent()).toMatch(/match$/);
    const findings = (await seriousAxeFindings(page)).map((finding) => `filtering: ${finding}`);
    await page.fill('#email', 'axe.sources@example.org');
    await page.uncheck('#trending');
    const [answer] = await Promise.all([page.waitForResponse('**/subscribe'), page.click('button[type=submit]')]);
    expect(answer.status()).toBe(400);
    await page.waitForSelector('#sources-error');
    findings.push(...(await seriousAxeFindings(page)).map((finding) => `error: ${finding}`));
    expect(findings).toEqual([]);
  });
});
