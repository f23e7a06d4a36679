import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openBrowser, screenshotAtWidths } from '../helpers/browser.js';
import { TEST_POSTGRES_SERVER } from '../helpers/database.js';
import { startProcess } from '../helpers/processes.js';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueQueuePrefix } from '../helpers/redis.js';

const databaseName = `pb_test_demo_${randomBytes(4).toString('hex')}`;
const queuePrefix = uniqueQueuePrefix('demo');
let outbox: string | undefined;

afterAll(async () => {
  const admin = postgres(`${TEST_POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
  await admin.end();
  await deleteQueueKeys(queuePrefix);
  if (outbox) await rm(outbox, { recursive: true, force: true });
});

describe('npm run cli -- demo', () => {
  it('on a fresh database writes a digest to the outbox that reads well at phone and desktop widths', async () => {
    outbox = await mkdtemp(path.join(tmpdir(), 'paperboy-demo-outbox-'));
    const demo = startProcess('services/cli/main.ts', ['demo'], {
      DATABASE_URL: `${TEST_POSTGRES_SERVER}/${databaseName}`,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      OUTBOX_DIR: outbox,
      LOG_LEVEL: 'error',
      HF_API_URL: 'http://127.0.0.1:9/api/daily_papers',
    });
    expect(await demo.exited).toBe(0);
    expect(demo.stdout()).toContain('imported 20 papers (20 new, 0 updated) for 2026-08-13');
    expect(demo.stdout()).toMatch(/sent 1 digests of 2026-08-13 .*the digest is in /);
    expect(demo.stdout()).toContain('/dev/outbox');

    const files = (await readdir(outbox)).filter((file) => file.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const mail = await simpleParser(await readFile(path.join(outbox, files[0]!)));
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('demo@example.org');
    expect(mail.text).toContain('Unsubscribe');
    const html = mail.html as string;
    expect(Buffer.byteLength(html)).toBeLessThan(100 * 1024);

    const browser = await openBrowser({ javaScriptEnabled: false });
    try {
      const { page } = browser;
      await page.setContent(html, { waitUntil: 'load' });
      const firstTitle = await page.locator('a[href^="https://huggingface.co/papers/"]').first().innerText();
      expect(firstTitle.length).toBeGreaterThan(10);
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        // Nothing may stick out sideways: a phone reader never scrolls horizontally.
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect(overflow, `horizontal overflow at ${width}px`).toBeLessThanOrEqual(0);
      }
      expect(await page.locator('a[href*="/unsubscribe?token="]').count()).toBeGreaterThan(0);
      await screenshotAtWidths(page, 'demo-digest');
    } finally {
      await browser.close();
    }
  }, 120_000);
});
