import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { openBrowser, type Browser } from '../helpers/browser.js';
import { freePort } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Paperboy served over plain http on a host name that is not localhost (a LAN address, a server
 * without TLS yet): the browser must not be told to upgrade to https, or the signup form posts
 * nowhere. The browser resolves the name to 127.0.0.1, so no traffic leaves the machine.
 */

const HOST_NAME = 'paperboy.example';
let test: TestRuntime;
let app: App;
let browser: Browser | undefined;
let siteUrl: string;

beforeAll(async () => {
  const port = await freePort();
  siteUrl = `http://${HOST_NAME}:${port}`;
  test = await createTestRuntime('readers-plain-http', { PUBLIC_URL: siteUrl, HOST: '127.0.0.1', PORT: String(port), SIGNUP_RATE_LIMIT: '100' });
  app = await buildApp(test.runtime);
  await app.listen({ port, host: '127.0.0.1' });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await test?.cleanup();
});

describe('a reader on a plain-http host name', () => {
  it('signs up in Chromium, with the favicon and the time-zone script loaded', async () => {
    browser = await openBrowser({ loopbackHosts: [HOST_NAME] });
    const { page } = browser;
    const loaded = new Map<string, number>();
    const failed: string[] = [];
    page.on('response', (response) => loaded.set(new URL(response.url()).pathname, response.status()));
    page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
    page.on('console', (message) => {
      if (message.type() === 'error') failed.push(message.text());
    });

    await page.goto(`${siteUrl}/`);
    // The time-zone script ran: it replaced the no-JavaScript default.
    await expect.poll(() => page.locator('#timeZone').inputValue()).toBe('Europe/Berlin');
    await expect.poll(() => loaded.get('/assets/favicon.svg')).toBe(200);
    expect(loaded.get('/assets/timezone.js')).toBe(200);

    await page.fill('#email', 'lan.reader@example.org');
    await Promise.all([page.waitForURL(`${siteUrl}/subscribe#subscribe`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    expect(failed).toEqual([]);
  });

  it('sends none of the https-only headers: upgrade-insecure-requests, HSTS, Cross-Origin-Opener-Policy', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.headers['content-security-policy']).toContain("form-action 'self'");
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(response.headers['strict-transport-security']).toBeUndefined();
    expect(response.headers['cross-origin-opener-policy']).toBeUndefined();
  });
});

describe('a site whose PUBLIC_URL is https', () => {
  it('tells browsers to stay on https: upgrade-insecure-requests, HSTS, Cross-Origin-Opener-Policy', async () => {
    const secure = await createTestRuntime('readers-https-headers', { PUBLIC_URL: 'https://paperboy.test' });
    const secureApp = await buildApp(secure.runtime);
    try {
      const response = await secureApp.inject({ method: 'GET', url: '/' });
      expect(response.headers['content-security-policy']).toContain('upgrade-insecure-requests');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    } finally {
      await secureApp.close();
      await secure.cleanup();
    }
  });
});
