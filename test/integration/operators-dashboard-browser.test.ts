import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../services/api/server.js';
import { openBrowser, screenshotAtWidths, type Browser } from '../helpers/browser.js';
import { importFixtureDay } from '../helpers/factories.js';
import { freePort } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';

describe('operators: the queue dashboard and the web version in Chromium', () => {
  let test: TestRuntime;
  let server: ApiServer;
  let browser: Browser;

  beforeAll(async () => {
    test = await createTestRuntime('ops-dashboard-browser', { PORT: String(await freePort()), HOST: '127.0.0.1', ADMIN_TOKEN: 'ops:ops-dashboard-token' });
    await importFixtureDay(test.runtime, '2026-08-13');
    await assembleEdition(test.runtime, '2026-08-13');
    server = await startApiServer(test.runtime);
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await test?.cleanup();
  });

  it('opens the dashboard with ?token= once and shows the queues, with nothing broken', async () => {
    const { page } = browser;
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${server.address}/admin/queues?token=ops-dashboard-token`);
    // The token left the address bar.
    expect(page.url()).toBe(`${server.address}/admin/queues`);
    await page.getByText('sending-deliver').first().waitFor({ timeout: 15_000 });
    // bull-board asks Google Fonts for its typeface; our CSP keeps the admin page from calling
    // third parties, so that one request is refused (the page falls back to system fonts).
    expect(problems.filter((problem) => !problem.includes('https://fonts.googleapis.com/'))).toEqual([]);
    // Without the cookie (a fresh context would not have it) the API refuses.
    const anonymous = await fetch(`${server.address}/admin/queues/api/queues`);
    expect(anonymous.status).toBe(401);
  });

  it('renders the web version of an edition at phone and desktop widths', async () => {
    const { page } = browser;
    const response = await page.goto(`${server.address}/editions/2026-08-13`);
    expect(response?.status()).toBe(200);
    const titles = await page.locator('article.paper h3').allTextContents();
    expect(titles.length).toBeGreaterThan(3);
    await screenshotAtWidths(page, 'edition-web-version');
    await page.goto(`${server.address}/editions`);
    await expect(page.locator('a[href="/editions/2026-08-13"]').count()).resolves.toBe(1);
  });
});
