import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openBrowser, screenshotAtWidths } from '../helpers/browser.js';
import { createTestDatabase, TEST_POSTGRES_SERVER } from '../helpers/database.js';
import { insertReaders } from '../helpers/factories.js';
import { startProcess } from '../helpers/processes.js';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueQueuePrefix } from '../helpers/redis.js';
import { PRODUCTION_ENV } from '../helpers/runtime.js';

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

function demoEnv(databaseUrl: string, outboxDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    OUTBOX_DIR: outboxDir,
    LOG_LEVEL: 'error',
    HF_API_URL: 'http://127.0.0.1:9/api/daily_papers',
    ...extra,
  };
}

describe('npm run cli -- demo', () => {
  it('on a fresh database writes a digest to the outbox that reads well at phone and desktop widths', async () => {
    outbox = await mkdtemp(path.join(tmpdir(), 'paperboy-demo-outbox-'));
    const demo = startProcess('services/cli/main.ts', ['demo'], demoEnv(`${TEST_POSTGRES_SERVER}/${databaseName}`, outbox));
    expect(await demo.exited).toBe(0);
    expect(demo.stdout()).toContain('imported 20 papers (20 new, 0 updated) for 2026-08-13');
    expect(demo.stdout()).toContain('demo reader demo@example.org is subscribed');
    expect(demo.stdout()).toMatch(/sent 1 digest of 2026-08-13 .*the digest is in /);
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
      const firstTitle = await page.locator('h2 a[href^="https://huggingface.co/papers/"]').first().innerText();
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

  it('says so when its reader had unsubscribed, and subscribes it again on purpose', async () => {
    // Runs on the database the first test left: the demo reader, unsubscribed since.
    const sql = postgres(`${TEST_POSTGRES_SERVER}/${databaseName}`, { max: 1, onnotice: () => {} });
    try {
      await sql`update subscribers set status = 'unsubscribed', unsubscribed_at = now() where email_normalized = 'demo@example.org'`;
      const demo = startProcess('services/cli/main.ts', ['demo'], demoEnv(`${TEST_POSTGRES_SERVER}/${databaseName}`, outbox!));
      expect(await demo.exited).toBe(0);
      expect(demo.stdout()).toContain('demo reader demo@example.org had unsubscribed; subscribed it again for the demo');
      expect(demo.stdout()).not.toContain('demo reader demo@example.org is subscribed');
      const [reader] = await sql<{ status: string }[]>`select status from subscribers where email_normalized = 'demo@example.org'`;
      expect(reader?.status).toBe('confirmed');
    } finally {
      await sql.end();
    }
  }, 120_000);

  it('refuses an installation with readers of its own, and production, writing and sending nothing', async () => {
    const database = await createTestDatabase('demo_refused');
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    const refusedOutbox = await mkdtemp(path.join(tmpdir(), 'paperboy-demo-refused-'));
    try {
      await insertReaders(sql, 1);
      const demo = startProcess('services/cli/main.ts', ['demo'], demoEnv(database.url, refusedOutbox));
      expect(await demo.exited).toBe(1);
      expect(demo.stderr().trim()).toBe(
        'demo: this installation has 1 reader besides demo@example.org; demo runs only on an empty install, so it changed nothing and sent nothing',
      );
      expect(await sql`select 1 from papers`).toHaveLength(0);
      expect(await sql`select 1 from editions`).toHaveLength(0);
      expect(await sql`select email from subscribers`).toHaveLength(1);
      expect(await readdir(refusedOutbox)).toEqual([]);

      await sql`truncate subscribers, deliveries cascade`;
      const production = startProcess('services/cli/main.ts', ['demo'], demoEnv(database.url, refusedOutbox, PRODUCTION_ENV));
      expect(await production.exited).toBe(1);
      expect(production.stderr().trim()).toMatch(/^demo: refused in production \(NODE_ENV=production\)/);
      expect(await sql`select 1 from papers`).toHaveLength(0);
    } finally {
      await sql.end();
      await database.drop();
      await rm(refusedOutbox, { recursive: true, force: true });
    }
  }, 120_000);
});
