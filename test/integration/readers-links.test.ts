import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveries, editions, editionVariants, papers, sendRuns, sentPapers } from '../../services/core/platform/db/schema.js';
import { createSubscriptionService } from '../../services/core/subscribers/subscription-service.js';
import { acceptJson as json, createReaderHarness, form, type ReaderHarness } from '../helpers/readers.js';

/** Links from emails: confirm, tokens, one-click unsubscribe, resubscribe, the preference center and its export, fresh links. */

let h: ReaderHarness;
beforeAll(async () => {
  h = await createReaderHarness('readers-links');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.clock.now = new Date(h.clock.now.getTime() + 2 * 3600_000);
});

/** Every link target a browser or scanner would fetch from a page: href, src and form action, site-relative. */
function linkTargets(html: string): string[] {
  const targets = [...html.matchAll(/\b(?:href|src|action)="([^"]*)"/g)].map((match) =>
    match[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&').replace(/^https?:\/\/paperboy\.test/, ''),
  );
  return [...new Set(targets.filter((target) => target.startsWith('/')))];
}

describe('/confirm', () => {
  it('GET shows one button and confirms nothing, not even for a link scanner that opens every link on the page', async () => {
    const row = await h.subscribe(h.uniqueEmail('scanned'));
    const url = `/confirm?token=${h.token(row.id, 'confirm', new Date(h.clock.now.getTime() + 3600_000))}`;
    const page = await h.app.inject({ method: 'GET', url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Confirm your subscription');
    expect(page.body).toContain(row.email);
    // One form, no JavaScript needed: a plain POST back to this very link.
    const forms = [...page.body.matchAll(/<form method="post" action="([^"]+)"/g)];
    expect(forms).toHaveLength(1);
    expect(forms[0]![1]!.replace(/&#x3D;/g, '=')).toBe(url);
    expect(page.body).toMatch(/<button type="submit"[^>]*>Confirm my subscription<\/button>/);

    const targets = linkTargets(page.body);
    expect(targets).toContain(url);
    for (const target of targets) {
      const followed = await h.app.inject({ method: 'GET', url: target });
      expect(followed.statusCode, target).toBeLessThan(500);
      for (const next of linkTargets(followed.body)) await h.app.inject({ method: 'GET', url: next });
    }
    // A scanner asking for JSON learns the status, and confirms nothing either.
    const viaJson = await h.app.inject({ method: 'GET', url, headers: json });
    expect(viaJson.json()).toEqual({ status: 'pending' });
    expect((await h.subscriberByEmail(row.email))?.status).toBe('pending');
    expect((await h.subscriberByEmail(row.email))?.confirmedAt).toBeNull();
  });

  it('POST confirms once, idempotently, and links to working preferences', async () => {
    const row = await h.subscribe(h.uniqueEmail('confirm'));
    const url = `/confirm?token=${h.token(row.id, 'confirm', new Date(h.clock.now.getTime() + 3600_000))}`;
    const first = await h.app.inject({ method: 'POST', url, ...form({}) });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('You are subscribed');
    expect((await h.subscriberByEmail(row.email))?.status).toBe('confirmed');
    const confirmedAt = (await h.subscriberByEmail(row.email))?.confirmedAt;
    expect(confirmedAt).toBeInstanceOf(Date);
    const second = await h.app.inject({ method: 'POST', url, ...form({}) });
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('You are already subscribed');
    expect((await h.subscriberByEmail(row.email))?.confirmedAt).toEqual(confirmedAt);
    const preferencesHref = /href="(\/preferences\?token[^"]+)"/.exec(first.body)?.[1]?.replace(/&#x3D;/g, '=');
    expect(preferencesHref).toBeDefined();
    const preferences = await h.app.inject({ method: 'GET', url: preferencesHref! });
    expect(preferences.statusCode).toBe(200);
    expect(preferences.body).toContain(row.email);
    // After confirming, the link's page says so instead of offering the button again.
    const again = await h.app.inject({ method: 'GET', url });
    expect(again.body).toContain('You are already subscribed');
    expect(again.body).not.toContain('<form method="post" action="/confirm');
    expect((await h.app.inject({ method: 'GET', url, headers: json })).json()).toEqual({ status: 'confirmed' });
  });

  it('POST with JSON confirms and answers the outcome, idempotently', async () => {
    const row = await h.subscribe(h.uniqueEmail('confirm-json'));
    const url = `/confirm?token=${h.token(row.id, 'confirm', new Date(h.clock.now.getTime() + 3600_000))}`;
    const first = await h.app.inject({ method: 'POST', url, headers: json });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ status: 'confirmed', outcome: 'confirmed' });
    const second = await h.app.inject({ method: 'POST', url, headers: json });
    expect(second.json()).toEqual({ status: 'confirmed', outcome: 'already-confirmed' });
  });

  it('POST with a forged token confirms nobody', async () => {
    const row = await h.subscribe(h.uniqueEmail('confirm-forged'));
    const response = await h.app.inject({ method: 'POST', url: `/confirm?token=${h.token(row.id, 'confirm').slice(0, -3)}abc`, ...form({}) });
    expect(response.statusCode).toBe(400);
    expect((await h.subscriberByEmail(row.email))?.status).toBe('pending');
  });
});

describe('link tokens', () => {
  let reader: { id: number; email: string };
  let other: { id: number; email: string };
  beforeAll(async () => {
    reader = await h.subscribe(h.uniqueEmail('tokens'));
    other = await h.subscribe(h.uniqueEmail('tokens-other'));
  });

  const cases: Array<[string, () => string, RegExp]> = [
    ['a forged signature', () => `/confirm?token=${h.token(reader.id, 'confirm').slice(0, -3)}abc`, /does not work/],
    ['another reader\'s id in a genuine token', () => `/unsubscribe?token=${h.token(reader.id, 'unsubscribe').replace(`.${reader.id.toString(36)}.`, `.${other.id.toString(36)}.`)}`, /does not work/],
    ['an unsubscribe token on /confirm', () => `/confirm?token=${h.token(reader.id, 'unsubscribe')}`, /belongs to another page/],
    ['a confirm token on /preferences', () => `/preferences?token=${h.token(reader.id, 'confirm', new Date(h.clock.now.getTime() + 3600_000))}`, /belongs to another page/],
    ['a preferences token on /unsubscribe', () => `/unsubscribe?token=${h.token(reader.id, 'preferences')}`, /belongs to another page/],
    ['an expired confirmation', () => `/confirm?token=${h.token(reader.id, 'confirm', new Date(h.clock.now.getTime() - 1000))}`, /has expired/],
    ['no token', () => '/preferences', /needs the link/],
    ['garbage', () => '/preferences/export?token=%3Cscript%3E', /does not work/],
    ['a genuine token whose id overflows bigint', () => `/preferences?token=${h.token(2 ** 64, 'preferences')}`, /does not work/],
    ['a genuine token whose id is beyond a safe integer', () => `/preferences?token=${h.token(2 ** 53 + 2, 'preferences')}`, /does not work/],
  ];
  for (const [what, url, heading] of cases) {
    it(`refuses ${what} with a 400 page that offers a fresh link`, async () => {
      const response = await h.app.inject({ method: 'GET', url: url() });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.body).toMatch(heading);
      expect(response.body).toContain('action="/links/resend"');
      const viaJson = await h.app.inject({ method: 'GET', url: url(), headers: json });
      expect(viaJson.statusCode).toBe(400);
      expect(viaJson.json().details[0].field).toBe('token');
      expect((await h.subscriberByEmail(reader.email))?.status).toBe('pending');
      expect((await h.subscriberByEmail(other.email))?.status).toBe('pending');
    });
  }

  it('refuses a forged token on the one-click POST without unsubscribing anyone', async () => {
    const forged = h.token(reader.id, 'unsubscribe').replace(`.${reader.id.toString(36)}.`, `.${other.id.toString(36)}.`);
    const response = await h.app.inject({ method: 'POST', url: `/unsubscribe?token=${forged}`, ...form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(response.statusCode).toBe(400);
    expect((await h.subscriberByEmail(other.email))?.status).toBe('pending');
  });
});

describe('unsubscribe', () => {
  async function confirmedReader(tag: string) {
    const row = await h.subscribe(h.uniqueEmail(tag));
    await createSubscriptionService(h.test.runtime).confirm(row.id);
    return row;
  }

  it('GET shows a button and never unsubscribes, however often a scanner opens it', async () => {
    const row = await confirmedReader('scanner');
    for (let i = 0; i < 3; i += 1) {
      const response = await h.app.inject({ method: 'GET', url: `/unsubscribe?token=${h.token(row.id, 'unsubscribe')}`, headers: { 'user-agent': 'LinkScanner/2.0' } });
      expect(response.statusCode).toBe(200);
      expect(response.body).toMatch(/<form method="post" action="\/unsubscribe\?token[^"]+"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" class="danger">Unsubscribe<\/button>/);
      expect(response.body).toContain('Switch to weekly instead');
    }
    expect((await h.subscriberByEmail(row.email))?.status).toBe('confirmed');
  });

  it('one-click POST (urlencoded) unsubscribes with 200, no redirect, and again 200', async () => {
    const row = await confirmedReader('oneclick-form');
    const url = `/unsubscribe?token=${h.token(row.id, 'unsubscribe')}`;
    const first = await h.app.inject({ method: 'POST', url, ...form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(first.statusCode).toBe(200);
    expect(first.headers.location).toBeUndefined();
    expect(first.body).toContain('You are unsubscribed');
    const stored = await h.subscriberByEmail(row.email);
    expect(stored?.status).toBe('unsubscribed');
    expect(stored?.unsubscribedAt?.toISOString()).toBe(h.clock.now.toISOString());
    const second = await h.app.inject({ method: 'POST', url, ...form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(second.statusCode).toBe(200);
    expect(second.headers.location).toBeUndefined();
  });

  it('one-click POST (multipart/form-data, RFC 7578) unsubscribes with 200 and no redirect', async () => {
    const row = await confirmedReader('oneclick-multipart');
    const boundary = '----paperboy-test-boundary';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const response = await h.app.inject({
      method: 'POST',
      url: `/unsubscribe?token=${h.token(row.id, 'unsubscribe')}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers.location).toBeUndefined();
    expect(response.headers['set-cookie']).toBeUndefined();
    expect((await h.subscriberByEmail(row.email))?.status).toBe('unsubscribed');
  });

  it('POST without a body unsubscribes too, and JSON clients get JSON', async () => {
    const row = await confirmedReader('oneclick-empty');
    const response = await h.app.inject({ method: 'POST', url: `/unsubscribe?token=${h.token(row.id, 'unsubscribe')}` });
    expect(response.statusCode).toBe(200);
    expect((await h.subscriberByEmail(row.email))?.status).toBe('unsubscribed');
    const viaJson = await h.app.inject({ method: 'POST', url: `/unsubscribe?token=${h.token(row.id, 'unsubscribe')}`, headers: json });
    expect(viaJson.json()).toEqual({ status: 'unsubscribed', outcome: 'already-unsubscribed' });
  });

  it('resubscribes from the unsubscribed page, or switches to weekly instead', async () => {
    const row = await confirmedReader('comeback');
    const url = `/unsubscribe?token=${h.token(row.id, 'unsubscribe')}`;
    const page = await h.app.inject({ method: 'POST', url, ...form({}) });
    expect(page.body).toContain('Resubscribe');
    const resubscribe = await h.app.inject({ method: 'POST', url: `/resubscribe?token=${h.token(row.id, 'unsubscribe')}`, ...form({}) });
    expect(resubscribe.statusCode).toBe(200);
    expect(resubscribe.body).toContain('Welcome back');
    expect(await h.subscriberByEmail(row.email)).toMatchObject({ status: 'confirmed', unsubscribedAt: null, consentForm: 'resubscribe-v1' });

    const weekly = await h.app.inject({ method: 'POST', url: `/resubscribe?token=${h.token(row.id, 'unsubscribe')}`, ...form({ frequency: 'weekly' }) });
    expect(weekly.body).toContain('Switched to weekly');
    expect(await h.subscriberByEmail(row.email)).toMatchObject({ status: 'confirmed', frequency: 'weekly' });
  });
});

describe('preference center', () => {
  it('shows and changes every preference, keeping typed values on an error', async () => {
    const row = await h.subscribe(h.uniqueEmail('center'), { topics: 'agents' });
    const url = `/preferences?token=${h.token(row.id, 'preferences')}`;
    const page = await h.app.inject({ method: 'GET', url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('value="agents"');
    expect(page.body).not.toContain('data-autodetect'); // the stored zone is never overwritten by the browser's

    const saved = await h.app.inject({
      method: 'POST',
      url,
      ...form({ frequency: 'weekly', weekday: '5', sendHour: '18', timeZone: 'America/New_York', topics: 'Robotics, RL', maxPapers: '25' }),
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toMatch(/^\/preferences\?token=.+&saved=1$/);
    expect(await h.subscriberByEmail(row.email)).toMatchObject({
      frequency: 'weekly',
      weekday: 5,
      sendHour: 18,
      timeZone: 'America/New_York',
      topics: ['robotics', 'rl'],
      maxPapers: 25,
    });
    const after = await h.app.inject({ method: 'GET', url: saved.headers.location as string });
    expect(after.body).toContain('Saved.');
    expect(after.body).toContain('<option value="America/New_York" selected>');

    const bad = await h.app.inject({ method: 'POST', url, ...form({ frequency: 'daily', sendHour: '25', timeZone: 'UTC', topics: 'kept, values', maxPapers: '3' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('id="sendHour-error"');
    expect(bad.body).toContain('value="kept, values"');
    expect((await h.subscriberByEmail(row.email))?.sendHour).toBe(18);

    const viaJson = await h.app.inject({ method: 'POST', url, headers: json, payload: { maxPapers: 7 } });
    expect(viaJson.statusCode).toBe(200);
    expect(viaJson.json().preferences).toMatchObject({ maxPapers: 7, frequency: 'weekly', topics: ['robotics', 'rl'] });
    const badJson = await h.app.inject({ method: 'POST', url, headers: json, payload: { timeZone: 'Nowhere/City' } });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().details).toEqual([{ field: 'timeZone', message: expect.stringContaining('IANA') }]);
  });

  it("says when the reader's next email comes, on their clock, after a pause too", async () => {
    h.clock.now = new Date('2026-12-02T05:00:00Z'); // Wednesday, 06:00 in Berlin
    const row = await h.subscribe(h.uniqueEmail('next-email'), { frequency: 'weekly', weekday: 2, sendHour: 7, timeZone: 'Europe/Berlin' });
    const url = `/preferences?token=${h.token(row.id, 'preferences')}`;
    // Not confirmed yet: no email is coming.
    expect((await h.app.inject({ method: 'GET', url })).body).not.toContain('Your next email');

    await createSubscriptionService(h.test.runtime).confirm(row.id);
    expect((await h.app.inject({ method: 'GET', url })).body).toContain('Your next email: <strong>Tuesday 07:00 (Europe/Berlin)</strong>');

    const paused = await h.app.inject({ method: 'POST', url: `/preferences/pause?token=${h.token(row.id, 'preferences')}`, ...form({ weeks: '2' }) });
    expect(paused.statusCode).toBe(303);
    expect((await h.app.inject({ method: 'GET', url })).body).toContain('Your next email: <strong>Tuesday 22 December 2026 07:00 (Europe/Berlin)</strong>');
  });

  it("tells an arXiv reader their next email by arXiv's calendar, and keeps their sources through a bad change", async () => {
    h.clock.now = new Date('2026-12-04T07:00:00Z'); // Friday, 08:00 in Berlin: today's email has gone
    const row = await h.subscribe(h.uniqueEmail('next-arxiv'), { sendHour: 7, timeZone: 'Europe/Berlin', trending: false, arxivCategories: ['cs.CL'] });
    await createSubscriptionService(h.test.runtime).confirm(row.id);
    const url = `/preferences?token=${h.token(row.id, 'preferences')}`;
    // A category the nightly ingest fetches already (a new one waits for its first fetch: below).
    await h.test.runtime.database.sql`insert into source_days (source, category, listing_date, papers, expected) values ('arxiv', 'cs.CL', '2026-12-03', 40, true) on conflict do nothing`;
    const page = (await h.app.inject({ method: 'GET', url })).body;
    // Friday's listing goes out in Friday's daily edition, frozen on Saturday morning.
    expect(page).toContain('Your next email: <strong>Saturday 07:00 (Europe/Berlin)</strong>');
    expect(page).toContain('Your sources: <strong>arXiv cs.CL</strong>');
    expect(page).toContain('<input type="checkbox" name="arxivCategories" value="cs.CL" checked>');

    const typo = await h.app.inject({ method: 'POST', url, ...form({ trending: 'off', arxivCategories: 'cs.XY', frequency: 'daily', sendHour: '7', timeZone: 'Europe/Berlin', maxPapers: '10' }) });
    expect(typo.statusCode).toBe(400);
    expect(typo.body).toContain('<span class="error-text" id="arxivCategories-error">&quot;cs.XY&quot; is not an arXiv category');
    expect(typo.body).toContain('<a href="#arxivCategories">');
    const badJson = await h.app.inject({ method: 'POST', url, headers: json, payload: { arxivCategories: ['cs.CL', 'cs.XY'] } });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().details).toEqual([{ field: 'arxivCategories', message: expect.stringContaining('"cs.XY" is not an arXiv category') }]);
    expect(await h.subscriberByEmail(row.email)).toMatchObject({ trending: false, arxivCategories: ['cs.CL'] });

    // JSON that leaves the sources out keeps them.
    const viaJson = await h.app.inject({ method: 'POST', url, headers: json, payload: { maxPapers: 4 } });
    expect(viaJson.json().preferences).toMatchObject({ maxPapers: 4, trending: false, arxivCategories: ['cs.CL'] });
  });

  it('tells a reader of a category nobody had before their first email comes after the next arXiv ingest fetches it', async () => {
    // Thursday 3 December 2026, 11:00 in Berlin: tonight's 23:00 email carries Wednesday's
    // listings, and Friday's Thursday's, both fetched before anyone chose cs.CV; the first cs.CV
    // listing is Friday's, fetched at 00:30 New York that morning and mailed on Saturday.
    h.clock.now = new Date('2026-12-03T10:00:00Z');
    const row = await h.subscribe(h.uniqueEmail('new-category'), { sendHour: 23, timeZone: 'Europe/Berlin', trending: false, arxivCategories: ['cs.CV'] });
    await createSubscriptionService(h.test.runtime).confirm(row.id);
    const url = `/preferences?token=${h.token(row.id, 'preferences')}`;
    // A listing fetched once in September (an operator's backfill, a reader long gone) does not
    // mean the nightly ingest fetches cs.CV now.
    await h.test.runtime.database.sql`insert into source_days (source, category, listing_date, papers, expected) values ('arxiv', 'cs.CV', '2026-09-10', 9, true)`;
    expect((await h.app.inject({ method: 'GET', url })).body).toContain('Your next email: <strong>Saturday 23:00 (Europe/Berlin)</strong>');

    // Once a cs.CV listing has been fetched, the category is fetched every night.
    await h.test.runtime.database.sql`insert into source_days (source, category, listing_date, papers, expected) values ('arxiv', 'cs.CV', '2026-12-03', 12, true)`;
    expect((await h.app.inject({ method: 'GET', url })).body).toContain('Your next email: <strong>Thursday 23:00 (Europe/Berlin)</strong>');
  });

  it('exports everything stored about the reader as a JSON download', async () => {
    const row = await h.subscribe(h.uniqueEmail('export'));
    const { db } = h.test.runtime.database;
    await db.insert(papers).values({ id: '2603.00900', title: 'Exported paper', abstract: 'x', publishedAt: h.clock.now });
    const [edition] = await db.insert(editions).values({ kind: 'daily', key: '2026-02-20', periodStart: '2026-02-20', periodEnd: '2026-02-20' }).returning();
    const [run] = await db.insert(sendRuns).values({ editionId: edition!.id, kind: 'manual' }).returning();
    const [variant] = await db.insert(editionVariants).values({ editionId: edition!.id, paperIds: ['2603.00900'] }).returning();
    const [delivery] = await db
      .insert(deliveries)
      .values({ sendRunId: run!.id, editionId: edition!.id, subscriberId: row.id, status: 'sent', variantId: variant!.id, sentAt: h.clock.now })
      .returning();
    // An older edition whose deliveries retention dropped: only its sent_papers row is left.
    await db.insert(papers).values({ id: '2603.00800', title: 'Older paper', abstract: 'x', publishedAt: h.clock.now });
    const [older] = await db.insert(editions).values({ kind: 'daily', key: '2026-02-10', periodStart: '2026-02-10', periodEnd: '2026-02-10' }).returning();
    const [olderVariant] = await db.insert(editionVariants).values({ editionId: older!.id, paperIds: ['2603.00800'] }).returning();
    const olderSentAt = new Date(h.clock.now.getTime() - 10 * 24 * 3600 * 1000);
    await db.insert(sentPapers).values({ subscriberId: row.id, editionId: older!.id, variantId: olderVariant!.id, sentAt: olderSentAt });

    const response = await h.app.inject({ method: 'GET', url: `/preferences/export?token=${h.token(row.id, 'preferences')}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename=".+\.json"$/);
    const data = response.json();
    expect(data.subscriber).toMatchObject({ id: row.id, email: row.email, status: 'pending' });
    expect(data.consent).toMatchObject({ form: 'signup-v1', source: 'api', at: h.clock.now.toISOString() });
    // The Message-ID is not stored: the export shows the one the digest carried.
    const messageId = `<digest.${delivery!.id}.${await h.test.runtime.database.installationId()}@`;
    expect(data.deliveries).toEqual([expect.objectContaining({ edition: '2026-02-20', status: 'sent', paperIds: ['2603.00900'] })]);
    expect(data.deliveries[0].messageId.startsWith(messageId)).toBe(true);
    expect(data.sentPapers).toEqual([
      { paperId: '2603.00800', title: 'Older paper', sentAt: olderSentAt.toISOString() },
      { paperId: '2603.00900', title: 'Exported paper', sentAt: h.clock.now.toISOString() },
    ]);
  });
});

describe('fresh links', () => {
  it('answers the same for known and unknown addresses, and mails only the known one', async () => {
    const service = createSubscriptionService(h.test.runtime);
    const row = await h.subscribe(h.uniqueEmail('fresh'));
    await service.confirm(row.id);
    const known = await h.app.inject({ method: 'POST', url: '/links/resend', ...form({ email: row.email }) });
    const unknown = await h.app.inject({ method: 'POST', url: '/links/resend', ...form({ email: h.uniqueEmail('nobody') }) });
    expect(known.statusCode).toBe(200);
    expect(known.body).toBe(unknown.body);
    expect((await h.jobsFor(row.id)).map((job) => job.name)).toEqual(expect.arrayContaining(['confirmation', 'manage-links']));

    const bad = await h.app.inject({ method: 'POST', url: '/links/resend', headers: json, payload: { email: 'no-at-sign' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].field).toBe('email');
    const badForm = await h.app.inject({ method: 'POST', url: '/links/resend', ...form({ email: 'x y@example.org' }) });
    expect(badForm.statusCode).toBe(400);
    expect(badForm.body).toContain('id="email-error"');
  });
});

describe('the preference center with a DIGEST_CRON that seldom assembles', () => {
  let yearly: ReaderHarness;
  beforeAll(async () => {
    // Editions assembled on 1 June only: no listing is ready within a month of send times.
    yearly = await createReaderHarness('readers-links-cron', { DIGEST_CRON: '0 0 6 1 6 *' });
  });
  afterAll(async () => {
    await yearly?.close();
  });

  it('shows the page without a next email rather than failing', async () => {
    yearly.clock.now = new Date('2026-12-04T07:00:00Z');
    const row = await yearly.subscribe(yearly.uniqueEmail('yearly'), { sendHour: 7, timeZone: 'Europe/Berlin' });
    await createSubscriptionService(yearly.test.runtime).confirm(row.id);
    const page = await yearly.app.inject({ method: 'GET', url: `/preferences?token=${yearly.token(row.id, 'preferences')}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Your sources: <strong>Hugging Face trending</strong>');
    expect(page.body).not.toContain('Your next email');
  });
});
