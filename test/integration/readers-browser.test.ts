import { mkdir, readFile } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { editionPapers, editions, papers, subscribers } from '../../services/core/platform/db/schema.js';
import { openBrowser as launchBrowser, screenshotAtWidths, SCREENSHOTS, type Browser } from '../helpers/browser.js';
import { freePort } from '../helpers/processes.js';
import { startReaderMailWorker } from '../helpers/readers.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * A reader's whole path in real Chromium: the signup page, the confirmation email from the
 * in-process SMTP server, the confirmation link and its button, the preference center, the
 * unsubscribe button and resubscribing. Screenshots of every page at desktop and phone widths go to
 * test-artifacts/screenshots/.
 */

let smtp: TestSmtpServer;
let test: TestRuntime;
let app: App;
let worker: { close(): Promise<void> };
let baseUrl: string;
const browsers: Browser[] = [];

async function openBrowser(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const browser = await launchBrowser(options);
  browsers.push(browser);
  const { context, page } = browser;
  // CSP violations and script errors show up as console errors: a page must have none.
  const problems: string[] = [];
  page.on('console', (message) => {
    // The form-error and bad-link pages answer 400 on purpose; anything else is a problem.
    if (message.type() === 'error' && !/status of 400/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { context, page, problems };
}

const screenshot = screenshotAtWidths;
/** The checkbox of an arXiv category in the sources fieldset. */
const category = (code: string) => `#arxiv-list input[value="${code}"]`;

async function subscriberRow(email: string) {
  const [row] = await test.runtime.database.db.select().from(subscribers).where(eq(subscribers.emailNormalized, email.toLowerCase()));
  return row;
}

async function seedEdition(): Promise<void> {
  const { db } = test.runtime.database;
  const publishedAt = new Date('2026-03-01T12:00:00Z');
  await db.insert(papers).values([
    {
      id: '2603.01001',
      title: 'Scaling Test-Time Compute for Long-Horizon Agents',
      abstract: 'We study how agents use extra inference compute.',
      aiSummary: 'Agents that think longer at inference solve more long-horizon tasks, and the gains follow a simple scaling law across three benchmarks.',
      authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra'],
      publishedAt,
    },
    {
      id: '2603.01002',
      title: 'Diffusion Models Are Secretly <Good> Planners',
      abstract: 'Planning with diffusion.',
      aiSummary: 'A diffusion policy trained on offline trajectories matches classical planners on navigation while running ten times faster.',
      authors: ['Barbara Liskov', 'Donald Knuth'],
      publishedAt,
    },
    {
      id: '2603.01003',
      title: 'A Small Vision-Language Model That Reads Charts',
      abstract: 'Charts.',
      aiSummary: 'A 2B-parameter model trained on synthetic charts answers chart questions as well as models ten times its size.',
      authors: ['Margaret Hamilton'],
      publishedAt,
    },
  ]);
  const [edition] = await db.insert(editions).values({ kind: 'daily', key: '2026-03-01', periodStart: '2026-03-01', periodEnd: '2026-03-01' }).returning();
  await db.insert(editionPapers).values([
    { editionId: edition!.id, paperId: '2603.01001', rank: 1, upvotes: 214, numComments: 12, title: 'Scaling Test-Time Compute for Long-Horizon Agents' },
    { editionId: edition!.id, paperId: '2603.01002', rank: 2, upvotes: 167, numComments: 5, title: 'Diffusion Models Are Secretly <Good> Planners' },
    { editionId: edition!.id, paperId: '2603.01003', rank: 3, upvotes: 98, numComments: 2, title: 'A Small Vision-Language Model That Reads Charts' },
  ]);
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  smtp = await startTestSmtpServer();
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  test = await createTestRuntime('readers-browser', {
    SMTP_URL: smtp.url,
    PUBLIC_URL: baseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    SIGNUP_RATE_LIMIT: '100',
    MAIL_FROM: 'Paperboy <papers@paperboy.test>',
  });
  await seedEdition();
  app = await buildApp(test.runtime);
  await app.listen({ port, host: '127.0.0.1' });
  worker = await startReaderMailWorker(test.runtime);
});

afterAll(async () => {
  for (const browser of browsers) await browser.close().catch(() => {});
  await worker?.close();
  await app?.close();
  await test?.cleanup();
  await smtp?.close();
});

describe('a reader in Chromium', () => {
  it('signs up, confirms from the email, changes preferences, unsubscribes and comes back', async () => {
    const { page, problems } = await openBrowser();
    const email = 'browser.reader@example.org';

    // Signup page: the sample edition, the browser's time zone pre-selected.
    await page.goto(`${baseUrl}/`);
    await expect.poll(() => page.locator('#timeZone').inputValue()).toBe('Europe/Berlin');
    expect(await page.locator('.sample h3').first().textContent()).toContain('Scaling Test-Time Compute');
    expect(await page.locator('.sample h3').nth(1).textContent()).toContain('Diffusion Models Are Secretly <Good> Planners');
    await screenshot(page, '01-signup');

    // Keyboard: the first Tab reaches the skip link, and the email field shows a focus ring.
    await page.keyboard.press('Tab');
    // Evaluated in the page (strings keep browser globals out of this Node file's types).
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Skip to content');
    await page.locator('#email').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate("getComputedStyle(document.getElementById('email')).outlineWidth")).toBe('3px');

    // A mistake first: the form comes back with the message and what was typed.
    await page.fill('#email', 'browser.reader@localhost');
    await page.fill('#topics', 'agents, robotics');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('#email-error').textContent()).toContain('top-level');
    expect(await page.locator('#topics').inputValue()).toBe('agents, robotics');
    expect(await page.locator('#timeZone').inputValue()).toBe('Europe/Berlin');
    await screenshot(page, '02-signup-error');

    await page.fill('#email', email);
    await page.check('#frequency-weekly');
    await expect.poll(() => page.locator('#weekday').isVisible()).toBe(true);
    await page.selectOption('#weekday', '3');
    await page.selectOption('#sendHour', '8');
    await page.fill('#maxPapers', '5');
    await Promise.all([page.waitForURL(`${baseUrl}/subscribe#subscribe`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    await screenshot(page, '03-check-inbox');
    expect(await subscriberRow(email)).toMatchObject({
      status: 'pending',
      frequency: 'weekly',
      weekday: 3,
      sendHour: 8,
      timeZone: 'Europe/Berlin',
      topics: ['agents', 'robotics'],
      maxPapers: 5,
      consentSource: 'signup_form',
    });

    // The confirmation email, and its link.
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.recipients).toEqual([email]);
    const confirmUrl = new RegExp(`${baseUrl.replace(/[.]/g, '\\.')}/confirm\\?token=\\S+`).exec(mail!.parsed.text ?? '')?.[0];
    expect(confirmUrl).toBeDefined();
    expect(mail!.parsed.html).toContain('Confirm my subscription');
    // The link opens a page with one button (a link scanner's GET confirms nothing); the click confirms.
    await page.goto(confirmUrl!);
    expect(await page.locator('h1').textContent()).toBe('Confirm your subscription');
    await screenshot(page, '04-confirm');
    expect((await subscriberRow(email))?.status).toBe('pending');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Confirm my subscription")')]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    expect(await page.locator('.summary-line').textContent()).toContain('weekly on Wednesdays at 08:00 (Europe/Berlin)');
    await screenshot(page, '04-confirmed');
    expect((await subscriberRow(email))?.status).toBe('confirmed');

    // Preference center: change, save, see it saved; download the data.
    await Promise.all([page.waitForURL(/\/preferences\?token=/), page.click('text=Change preferences')]);
    expect(await page.locator('#topics').inputValue()).toBe('agents, robotics');
    await screenshot(page, '05-preferences');
    await page.check('#frequency-daily');
    await expect.poll(() => page.locator('#weekday').isVisible()).toBe(false);
    await page.selectOption('#sendHour', '18');
    await page.selectOption('#timeZone', 'America/New_York');
    await page.fill('#topics', 'Agents, LLM');
    await Promise.all([page.waitForURL(/saved=1/), page.click('text=Save preferences')]);
    expect(await page.locator('.notice.ok').textContent()).toContain('daily at 18:00 (America/New_York)');
    await screenshot(page, '06-preferences-saved');
    expect(await subscriberRow(email)).toMatchObject({ frequency: 'daily', sendHour: 18, timeZone: 'America/New_York', topics: ['agents', 'llm'] });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download my data (JSON)')]);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(exported.subscriber).toMatchObject({ email, status: 'confirmed' });
    expect(exported.consent).toMatchObject({ form: 'signup-v1', source: 'signup_form' });

    // Away for two weeks: pause, see until when, then change one's mind.
    await Promise.all([page.waitForURL(/\/preferences\?token=/), page.click('button:text-is("Pause for 2 weeks")')]);
    expect(await page.locator('.notice.info h2').textContent()).toMatch(/^Paused until \w+day, \d+ \w+ \d{4}$/);
    await screenshot(page, '06b-preferences-paused');
    expect((await subscriberRow(email))?.pausedUntil).not.toBeNull();
    await Promise.all([page.waitForLoadState('load'), page.click('button:text-is("Resume now")')]);
    await expect.poll(() => page.locator('text=Paused until').count()).toBe(0);
    expect((await subscriberRow(email))?.pausedUntil).toBeNull();

    // Unsubscribe: the page only shows a button; the button unsubscribes.
    await Promise.all([page.waitForURL(/\/unsubscribe\?token=/), page.click('a:has-text("Unsubscribe")')]);
    expect(await page.locator('h1').textContent()).toBe('Unsubscribe from Paperboy?');
    await screenshot(page, '07-unsubscribe');
    expect((await subscriberRow(email))?.status).toBe('confirmed');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Unsubscribe")')]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are unsubscribed');
    await screenshot(page, '08-unsubscribed');
    expect((await subscriberRow(email))?.status).toBe('unsubscribed');

    // And back again.
    await page.click('button:text-is("Resubscribe")');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Welcome back');
    await screenshot(page, '09-resubscribed');
    expect((await subscriberRow(email))?.status).toBe('confirmed');

    // A broken link gets a helpful page.
    await page.goto(`${baseUrl}/confirm?token=c.1.0.forged`);
    expect(await page.locator('h1').textContent()).toBe('This link does not work');
    await screenshot(page, '10-bad-link');

    // Dark mode: the same page in the reader's dark colour scheme.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${baseUrl}/`);
    await screenshot(page, '11-signup-dark');

    expect(problems).toEqual([]);
  });

  it('chooses sources: filters the arXiv list as the reader types, keeps the choice through confirming, and shows it on the preferences page', async () => {
    const { page, problems } = await openBrowser();
    const email = 'arxiv.reader@example.org';
    await page.goto(`${baseUrl}/`);
    // Without a choice, Hugging Face trending is ticked and every archive is closed.
    expect(await page.locator('#trending').isChecked()).toBe(true);
    expect(await page.locator('#arxiv-list details[open]').count()).toBe(0);

    // The filter: every category whose code, name or archive has the words typed.
    await page.fill('#arxiv-filter', 'language');
    await expect.poll(() => page.locator('#arxiv-count').textContent()).toMatch(/^\d+ categories match$/);
    expect(await page.locator('label:has(input[value="cs.CL"])').isVisible()).toBe(true);
    expect(await page.locator('label:has(input[value="math.AG"])').isVisible()).toBe(false);
    const shown = await page.locator('#arxiv-list li:not([hidden])').allTextContents();
    expect(shown.every((item) => /language/i.test(item))).toBe(true);
    await screenshot(page, '12-signup-arxiv-filter');
    await page.fill('#arxiv-filter', 'cs.CL');
    await expect.poll(() => page.locator('#arxiv-count').textContent()).toBe('1 category matches');
    // Enter in the filter does not send the form; Escape clears the filter.
    await page.press('#arxiv-filter', 'Enter');
    await page.press('#arxiv-filter', 'Escape');
    await expect.poll(() => page.locator('#arxiv-count').textContent()).toBe('155 categories');
    expect(page.url()).toBe(`${baseUrl}/`);

    // By keyboard: from the trending box to the filter, type, then to the first match and tick it.
    await page.focus('#trending');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('arxiv-filter');
    await page.keyboard.type('language');
    await page.keyboard.press('Tab'); // the archive's summary
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.value')).toBe('cs.CL');
    await page.keyboard.press('Space');
    expect(await page.locator(category('cs.CL')).isChecked()).toBe(true);
    await page.uncheck('#trending');
    await page.fill('#email', email);
    await Promise.all([page.waitForURL(`${baseUrl}/subscribe#subscribe`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    expect(await subscriberRow(email)).toMatchObject({ status: 'pending', trending: false, arxivCategories: ['cs.CL'] });

    const sentTo = () => smtp.messages.find((message) => message.recipients.includes(email));
    await expect.poll(() => sentTo() !== undefined).toBe(true);
    const mail = sentTo()!;
    const confirmUrl = /http:\/\/\S+\/confirm\?token=\S+/.exec(mail.parsed.text ?? '')?.[0];
    await page.goto(confirmUrl!);
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Confirm my subscription")')]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    await Promise.all([page.waitForURL(/\/preferences\?token=/), page.click('text=Change preferences')]);

    // The preferences page: the choice, its archive open and first, and when the next email comes.
    expect(await page.locator(category('cs.CL')).isChecked()).toBe(true);
    expect(await page.locator('#trending').isChecked()).toBe(false);
    expect(await page.locator('#arxiv-list details').first().getAttribute('open')).toBe('');
    expect(await page.locator('#arxiv-list details').first().locator('summary').textContent()).toBe('Computer Science (1 chosen)');
    expect(await page.locator('text=Your sources:').textContent()).toBe('Your sources: arXiv cs.CL');
    expect(await page.locator('text=Your next email:').textContent()).toMatch(/^Your next email: (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d\d:00 \(Europe\/Berlin\)$/);
    await screenshot(page, '13-preferences-sources');
    expect(await subscriberRow(email)).toMatchObject({ status: 'confirmed', trending: false, arxivCategories: ['cs.CL'] });

    // Both sources now: trending back on, a second category found by its code.
    await page.check('#trending');
    await page.fill('#arxiv-filter', 'cs.LG');
    await page.check(category('cs.LG'));
    await Promise.all([page.waitForURL(/saved=1/), page.click('text=Save preferences')]);
    expect(await subscriberRow(email)).toMatchObject({ trending: true, arxivCategories: ['cs.CL', 'cs.LG'] });
    expect(await page.locator('text=Your sources:').textContent()).toBe('Your sources: Hugging Face trending and arXiv cs.CL, cs.LG');
    expect(problems).toEqual([]);
  });

  it('chooses sources without JavaScript: archives open by hand, and no source at all is refused next to the field', async () => {
    const { page } = await openBrowser({ javaScriptEnabled: false });
    const email = 'no-js.arxiv@example.org';
    await page.goto(`${baseUrl}/`);
    // The filter needs JavaScript: without it, it stays hidden.
    expect(await page.locator('#arxiv-filter').isVisible()).toBe(false);
    await page.fill('#email', email);
    await page.fill('#topics', 'parsing');
    await page.uncheck('#trending');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('#sources-error').textContent()).toContain('at least one source');
    expect(await page.locator('#error-summary a[href="#sources"]').count()).toBe(1);
    expect(await page.locator('#topics').inputValue()).toBe('parsing');
    expect(await page.locator('#trending').isChecked()).toBe(false);
    expect(await subscriberRow(email)).toBeUndefined();

    await page.click('summary:has-text("Computer Science")');
    await page.check(category('cs.CL'));
    await page.click('summary:has-text("Statistics")');
    await page.check(category('stat.ML'));
    await Promise.all([page.waitForURL(`${baseUrl}/subscribe#subscribe`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    expect(await subscriberRow(email)).toMatchObject({ trending: false, arxivCategories: ['cs.CL', 'stat.ML'], topics: ['parsing'] });
  });

  it('works without JavaScript: the form submits with UTC as the time zone', async () => {
    const { page } = await openBrowser({ javaScriptEnabled: false });
    const email = 'no-js.reader@example.org';
    await page.goto(`${baseUrl}/`);
    expect(await page.locator('#timeZone').inputValue()).toBe('UTC');
    await page.fill('#email', email);
    await Promise.all([page.waitForURL(`${baseUrl}/subscribe#subscribe`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    expect(await subscriberRow(email)).toMatchObject({ status: 'pending', timeZone: 'UTC', frequency: 'daily' });
  });
});
