import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { count, eq, like } from 'drizzle-orm';
import { buildApp } from '../../services/api/app.js';
import { SIGNUP_ACCEPTED_MESSAGE } from '../../services/api/routes/signup.js';
import { editionPapers, editions, papers, subscribers, suppressions } from '../../services/core/platform/db/schema.js';
import { ARXIV_TAXONOMY } from '../../services/core/papers/arxiv-taxonomy.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { createSubscriptionService } from '../../services/core/subscribers/subscription-service.js';
import { acceptJson as json, createReaderHarness, form, type ReaderHarness } from '../helpers/readers.js';

/** The signup page and POST /subscribe (validation, no enumeration, throttling, concurrency, rate limit), through app.inject against real Postgres and Redis. */

let h: ReaderHarness;
beforeAll(async () => {
  h = await createReaderHarness('readers-signup');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.clock.now = new Date(h.clock.now.getTime() + 2 * 3600_000);
});

describe('signup page', () => {
  it('renders a labelled form with a honeypot, security headers and no inline script', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const html = response.body;
    for (const field of ['email', 'weekday', 'sendHour', 'timeZone', 'topics', 'maxPapers']) {
      expect(html).toContain(`<label for="${field}"`);
      expect(html).toContain(`name="${field}"`);
    }
    expect(html).toContain('name="frequency" value="daily" checked');
    expect(html).toContain('<option value="UTC" selected>');
    expect(html).toMatch(/class="hp" aria-hidden="true">.*name="website" tabindex="-1"/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).toContain('src="/assets/timezone.js"');
    const script = await h.app.inject({ method: 'GET', url: '/assets/timezone.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
  });

  it("offers every arXiv category by archive, and stays small with arXiv's whole taxonomy", async () => {
    const response = await h.app.inject({ method: 'GET', url: '/', headers: { 'accept-encoding': 'identity' } });
    const html = response.body;
    const categories = ARXIV_TAXONOMY.flatMap((archive) => archive.categories);
    for (const { code } of categories) expect(html).toContain(`<input type="checkbox" name="arxivCategories" value="${code}">`);
    expect(html.match(/<details>/g)).toHaveLength(ARXIV_TAXONOMY.length);
    expect(html).toContain('<label><input type="checkbox" name="arxivCategories" value="cs.CL"><code>cs.CL</code> Computation and Language</label>');
    expect(html).toContain('<input type="checkbox" id="trending" name="trending" value="on" checked>');
    expect(html).toContain('src="/assets/sources.js"');
    // 65 KB: 43 KB before arXiv's 155 categories came (the time zone list is most of it), 23 KB
    // for the list (3 KB gzipped).
    expect(Buffer.byteLength(html)).toBeLessThan(70 * 1024);
    const script = await h.app.inject({ method: 'GET', url: '/assets/sources.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
  });

  it('documents the source fields of POST /subscribe and POST /preferences in OpenAPI', async () => {
    const spec = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const [path, operation] of [['/subscribe', spec.paths['/subscribe'].post], ['/preferences', spec.paths['/preferences'].post]]) {
      const schema = operation.requestBody.content['application/json'].schema;
      expect(Object.keys(schema.properties), path).toEqual(expect.arrayContaining(['trending', 'arxivCategories']));
      expect(schema.properties.arxivCategories.description, path).toContain('cs.CL');
    }
  });

  it('shows the latest edition as a sample, escaped', async () => {
    const { db } = h.test.runtime.database;
    await db.insert(papers).values([
      { id: '2603.00001', title: '<script>alert(1)</script> Attention again', abstract: 'A & B.', publishedAt: h.clock.now, authors: ['Ada', 'Bo', 'Cy', 'Di'] },
      { id: '2603.00002', title: 'Second paper', abstract: 'Second abstract.', publishedAt: h.clock.now, aiSummary: 'A summary.' },
    ]);
    const [edition] = await db.insert(editions).values({ kind: 'daily', key: '2026-03-01', periodStart: '2026-03-01', periodEnd: '2026-03-01' }).returning();
    await db.insert(editionPapers).values([
      { editionId: edition!.id, paperId: '2603.00001', rank: 1, upvotes: 42, numComments: 3, title: '<script>alert(1)</script> Attention again' },
      { editionId: edition!.id, paperId: '2603.00002', rank: 2, upvotes: 7, numComments: 0, title: 'Second paper' },
    ]);
    const html = (await h.app.inject({ method: 'GET', url: '/' })).body;
    expect(html).toContain('Sunday, 1 March 2026');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Attention again');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('Ada, Bo, Cy et al.');
    expect(html).toContain('href="https://huggingface.co/papers/2603.00002"');
  });
});

describe('POST /subscribe', () => {
  it('takes sources from JSON: categories only, or trending by default; an unknown category or no source is a 400 naming the field', async () => {
    const categoriesOnly = h.uniqueEmail('arxiv.only');
    const only = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: categoriesOnly, trending: false, arxivCategories: ['cs.CL', 'cs.LG'] } });
    expect(only.statusCode).toBe(202);
    expect(await h.subscriberByEmail(categoriesOnly)).toMatchObject({ trending: false, arxivCategories: ['cs.CL', 'cs.LG'] });

    const both = h.uniqueEmail('arxiv.both');
    expect((await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: both, arxivCategories: 'cs.CL' } })).statusCode).toBe(202);
    expect(await h.subscriberByEmail(both)).toMatchObject({ trending: true, arxivCategories: ['cs.CL'] });

    const unknown = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: h.uniqueEmail('arxiv.typo'), arxivCategories: ['cs.CL', 'cs.XY'] } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().details).toEqual([{ field: 'arxivCategories', message: expect.stringContaining('"cs.XY" is not an arXiv category') }]);
    const none = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: h.uniqueEmail('arxiv.none'), trending: false } });
    expect(none.statusCode).toBe(400);
    expect(none.json().details).toEqual([{ field: 'sources', message: expect.stringContaining('at least one source') }]);
    // Weekly digests are trending only: a weekly reader without trending would never get one.
    const weeklyEmail = h.uniqueEmail('arxiv.weekly');
    const weekly = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: weeklyEmail, frequency: 'weekly', trending: false, arxivCategories: ['cs.CL'] } });
    expect(weekly.statusCode).toBe(400);
    expect(weekly.json().details).toEqual([{ field: 'sources', message: expect.stringContaining('Weekly digests carry Hugging Face trending only') }]);
    expect(await h.subscriberByEmail(weeklyEmail)).toBeUndefined();
  });

  it('stores a pending reader with a consent record and queues a confirmation carrying only the id', async () => {
    const email = h.uniqueEmail('New.Reader');
    const response = await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'user-agent': 'test-agent/1.0' },
      remoteAddress: '203.0.113.9',
      payload: { email: `  ${email} `, frequency: 'weekly', weekday: 3, sendHour: '6', timeZone: 'Europe/Berlin', topics: 'LLM, Diffusion Models, llm', maxPapers: 5 },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ status: 'accepted', message: SIGNUP_ACCEPTED_MESSAGE });

    const row = await h.subscriberByEmail(email);
    expect(row).toMatchObject({
      email,
      status: 'pending',
      frequency: 'weekly',
      weekday: 3,
      sendHour: 6,
      timeZone: 'Europe/Berlin',
      topics: ['llm', 'diffusion models'],
      maxPapers: 5,
      consentIp: '203.0.113.9',
      consentUserAgent: 'test-agent/1.0',
      consentForm: 'signup-v1',
      consentSource: 'api',
      confirmationsSentInWindow: 1,
    });
    expect(row!.consentAt?.toISOString()).toBe(h.clock.now.toISOString());
    const jobs = await h.jobsFor(row!.id);
    expect(jobs.map((job) => [job.name, job.data])).toEqual([['confirmation', { subscriberId: row!.id }]]);
    expect(jobs[0]!.id).not.toContain(':');
    expect(JSON.stringify(jobs[0]!.data)).not.toContain('@');
  });

  it('answers a form with a "check your inbox" page and records the form as the source', async () => {
    const email = h.uniqueEmail('form');
    const response = await h.app.inject({ method: 'POST', url: '/subscribe', ...form({ email, frequency: 'daily', sendHour: '7', timeZone: 'UTC', topics: '', maxPapers: '10', website: '' }) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('Check your inbox');
    expect((await h.subscriberByEmail(email))?.consentSource).toBe('signup_form');
  });

  it('answers identically for new, pending, confirmed, unsubscribed and suppressed addresses', async () => {
    const service = createSubscriptionService(h.test.runtime);
    const pending = await h.subscribe(h.uniqueEmail('pending'));
    const confirmed = await h.subscribe(h.uniqueEmail('confirmed'));
    await service.confirm(confirmed.id);
    const unsubscribed = await h.subscribe(h.uniqueEmail('unsubscribed'));
    await service.confirm(unsubscribed.id);
    await service.unsubscribe(unsubscribed.id);
    const suppressed = h.uniqueEmail('suppressed');
    await h.test.runtime.database.db.insert(suppressions).values({ emailHash: suppressionHash(suppressed), reason: 'hard_bounce' });
    const addresses = [h.uniqueEmail('brand-new'), pending.email, confirmed.email, unsubscribed.email, suppressed];

    const jsonAnswers = [];
    const formAnswers = [];
    for (const email of addresses) {
      const viaJson = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
      jsonAnswers.push({ status: viaJson.statusCode, body: viaJson.body });
      const viaForm = await h.app.inject({ method: 'POST', url: '/subscribe', ...form({ email }) });
      formAnswers.push({ status: viaForm.statusCode, body: viaForm.body });
    }
    expect(new Set(jsonAnswers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(jsonAnswers[0]!.status).toBe(202);
    expect(new Set(formAnswers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(formAnswers[0]!.status).toBe(200);

    // What happened behind the identical answers:
    expect((await h.subscriberByEmail(confirmed.email))?.status).toBe('confirmed');
    expect(await h.jobsFor(confirmed.id)).toHaveLength(1); // only the original confirmation
    const reopened = await h.subscriberByEmail(unsubscribed.email);
    expect(reopened).toMatchObject({ status: 'pending', confirmedAt: null });
    expect((await h.jobsFor(unsubscribed.id)).length).toBeGreaterThan(1);
    expect(await h.subscriberByEmail(suppressed)).toBeUndefined();
  });

  it('sends a pending address its confirmation again at most three times an hour', async () => {
    const email = h.uniqueEmail('throttle');
    const row = await h.subscribe(email);
    for (let i = 0; i < 4; i += 1) await h.subscribe(email);
    expect(await h.jobsFor(row.id)).toHaveLength(3);
    h.clock.now = new Date(h.clock.now.getTime() + 61 * 60_000);
    await h.subscribe(email);
    expect(await h.jobsFor(row.id)).toHaveLength(4);
  });

  it('treats a filled honeypot as success but stores nothing', async () => {
    const email = h.uniqueEmail('bot');
    const response = await h.app.inject({ method: 'POST', url: '/subscribe', payload: { email, website: 'http://spam.example' } });
    expect(response.statusCode).toBe(202);
    expect(response.json().message).toBe(SIGNUP_ACCEPTED_MESSAGE);
    expect(await h.subscriberByEmail(email)).toBeUndefined();
  });

  it('leaves exactly one row when 50 signups of one address arrive at once', async () => {
    const email = h.uniqueEmail('concurrent');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.app.inject({ method: 'POST', url: '/subscribe', payload: { email: i % 2 ? email.toUpperCase() : email } }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(50).fill(202));
    const [{ rows }] = (await h.test.runtime.database.db
      .select({ rows: count() })
      .from(subscribers)
      .where(eq(subscribers.emailNormalized, email.toLowerCase()))) as [{ rows: number }];
    expect(rows).toBe(1);
    const row = await h.subscriberByEmail(email);
    const jobs = await h.jobsFor(row!.id);
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.length).toBeLessThanOrEqual(3);
    expect(row!.confirmationsSentInWindow).toBe(jobs.length);
  });

  const badEmails: Array<[string, string, RegExp]> = [
    ['CRLF', 'reader@example.org\r\nBcc: victim@example.org', /line breaks/],
    ['a line feed', 'reader\n@example.org', /line breaks/],
    ['a space', 'read er@example.org', /spaces/],
    ['no @', 'reader.example.org', /needs an @/],
    ['no domain', 'reader@', /domain after the @ is missing/],
    ['no top-level domain', 'reader@localhost', /top-level/],
    ['255 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.org`, /too long.*254/],
    ['a 65-character local part', `${'a'.repeat(65)}@example.org`, /before the @ is too long/],
    ['two @', 'a@b@example.org', /only one @/],
    ['nothing', '', /Enter your email/],
    ['a fullwidth @ before the @', 'jos\uFF20é@exämple.com', /before the @ cannot contain "＠"/],
    ['a zero-width space', 'read\u200Ber@example.org', /invisible character U\+200B/],
    ['a right-to-left override', 'reader\u202E@example.org', /text-direction control character U\+202E/],
    ['a replacement character', 'reader\uFFFD@example.org', /replacement character U\+FFFD/],
  ];
  for (const [what, email, message] of badEmails) {
    it(`refuses an address with ${what}: 400 naming the email field, JSON and form`, async () => {
      const viaJson = await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email } });
      expect(viaJson.statusCode).toBe(400);
      const body = viaJson.json();
      expect(body.details).toEqual([{ field: 'email', message: expect.stringMatching(message) }]);
      expect(body.error).toMatch(message);

      const viaForm = await h.app.inject({ method: 'POST', url: '/subscribe', ...form({ email, topics: 'robotics, vision' }) });
      expect(viaForm.statusCode).toBe(400);
      expect(viaForm.headers['content-type']).toContain('text/html');
      expect(viaForm.body).toContain('id="email-error"');
      expect(viaForm.body).toMatch(/id="email" name="email" value="[^"]*"[^>]*aria-invalid="true"/);
      expect(viaForm.body).toContain('value="robotics, vision"'); // what the reader typed stays
    });
  }
  it('keeps one reader for the Unicode and the punycode spelling of a domain, and for a fullwidth dot', async () => {
    const { db } = h.test.runtime.database;
    const local = h.uniqueEmail('idn').split('@')[0]!;
    for (const email of [`${local}@bücher.example`, `${local}@xn--bcher-kva.example`, `${local}@BU\u0308CHER.example`]) {
      const response = await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email } });
      expect(response.statusCode, email).toBe(202);
    }
    const rows = await db.select({ normalized: subscribers.emailNormalized }).from(subscribers).where(like(subscribers.email, `${local}@%`));
    expect(rows).toEqual([{ normalized: `${local}@xn--bcher-kva.example` }]);

    const dotted = h.uniqueEmail('dot').split('@')[0]!;
    expect((await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email: `${dotted}@paper．example.org` } })).statusCode).toBe(202);
    expect((await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email: `${dotted}@paper.example.org` } })).statusCode).toBe(202);
    const dots = await db.select({ normalized: subscribers.emailNormalized }).from(subscribers).where(like(subscribers.email, `${dotted}@%`));
    expect(dots).toEqual([{ normalized: `${dotted}@paper.example.org` }]);
  });

  it('keeps the stored spelling when a pending or unsubscribed reader signs up again in another', async () => {
    const { db } = h.test.runtime.database;
    const first = h.uniqueEmail('Spelling.Kept');
    const pending = await h.subscribe(first);
    const unsubscribedFirst = h.uniqueEmail('Was.Confirmed');
    const unsubscribed = await h.subscribe(unsubscribedFirst);
    await h.test.runtime.subscriptions.confirm(unsubscribed.id);
    await h.test.runtime.subscriptions.unsubscribe(unsubscribed.id);

    for (const [row, spelling] of [
      [pending, first.toLowerCase()],
      [unsubscribed, unsubscribedFirst.toUpperCase()],
    ] as const) {
      const again = await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email: spelling, frequency: 'weekly' } });
      expect(again.statusCode).toBe(202);
      const [stored] = await db.select().from(subscribers).where(eq(subscribers.id, row.id));
      // The signup went through (new preferences, pending again), but the address reads as before.
      expect(stored).toMatchObject({ email: row.email, status: 'pending', frequency: 'weekly' });
    }
  });

  it('stores none of the refused addresses', async () => {
    const stored = await h.test.runtime.database.db.select({ email: subscribers.emailNormalized }).from(subscribers);
    const refused = new Set(badEmails.map(([, email]) => email.trim().toLowerCase()));
    expect(stored.filter((row) => refused.has(row.email))).toEqual([]);
  });

  const badPreferences: Array<[string, Record<string, unknown>]> = [
    ['frequency', { frequency: 'hourly' }],
    ['weekday', { weekday: 0 }],
    ['weekday', { weekday: '8' }],
    ['sendHour', { sendHour: 24 }],
    ['sendHour', { sendHour: 'seven' }],
    ['timeZone', { timeZone: 'Mars/Olympus_Mons' }],
    ['topics', { topics: Array.from({ length: 21 }, (_, i) => `topic${i}`).join(',') }],
    ['topics', { topics: `${'x'.repeat(41)}` }],
    ['topics', { topics: '<script>alert(1)</script>' }],
    ['maxPapers', { maxPapers: 0 }],
    ['maxPapers', { maxPapers: 51 }],
    ['maxPapers', { maxPapers: '2.5' }],
  ];
  for (const [field, values] of badPreferences) {
    it(`refuses ${field} = ${JSON.stringify(Object.values(values)[0]).slice(0, 30)}: 400 naming ${field}, JSON and form`, async () => {
      const email = h.uniqueEmail('prefs');
      const viaJson = await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email, ...values } });
      expect(viaJson.statusCode).toBe(400);
      expect(viaJson.json().details).toEqual([{ field, message: expect.any(String) }]);

      const viaForm = await h.app.inject({
        method: 'POST',
        url: '/subscribe',
        ...form({ email, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])) }),
      });
      expect(viaForm.statusCode).toBe(400);
      expect(viaForm.body).toContain(`id="${field}-error"`);
      expect(viaForm.body).toContain(`value="${email}"`);
      expect(viaForm.body).not.toContain('<script>alert(1)');
      expect(await h.subscriberByEmail(email)).toBeUndefined();
    });
  }

  it('refuses a body over the limit with 413, not 500', async () => {
    const response = await h.app.inject({ method: 'POST', url: '/subscribe', headers: json, payload: { email: 'a@example.org', topics: 'x'.repeat(20_000) } });
    expect(response.statusCode).toBe(413);
  });
});

describe('rate limit', () => {
  it('answers a burst of signups from one network with 429 (page and JSON), never 500', async () => {
    const limited = await buildApp({ ...h.test.runtime, config: Object.freeze({ ...h.test.runtime.config, signupRateLimitPerHour: 3 }) });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const r = await limited.inject({ method: 'POST', url: '/subscribe', remoteAddress: '198.51.100.77', payload: { email: h.uniqueEmail('burst') } });
        statuses.push(r.statusCode);
      }
      expect(statuses).toEqual([202, 202, 202]);
      const viaJson = await limited.inject({ method: 'POST', url: '/subscribe', remoteAddress: '198.51.100.77', payload: { email: h.uniqueEmail('burst') } });
      expect(viaJson.statusCode).toBe(429);
      expect(viaJson.json().error).toMatch(/try again in/);
      expect(Number(viaJson.headers['retry-after'])).toBeGreaterThan(0);
      const viaForm = await limited.inject({ method: 'POST', url: '/subscribe', remoteAddress: '198.51.100.77', ...form({ email: h.uniqueEmail('burst') }) });
      expect(viaForm.statusCode).toBe(429);
      expect(viaForm.headers['content-type']).toContain('text/html');
      expect(viaForm.body).toContain('Too many attempts');
      // Another network is not affected.
      const other = await limited.inject({ method: 'POST', url: '/subscribe', remoteAddress: '198.51.100.78', payload: { email: h.uniqueEmail('burst') } });
      expect(other.statusCode).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

