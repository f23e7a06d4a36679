import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSubscriptionService } from '../../services/core/subscribers/subscription-service.js';
import { acceptJson as json, createReaderHarness, form, type ReaderHarness } from '../helpers/readers.js';

/** A digest's "stop this topic" links, and pausing (from the preferences and the unsubscribe page). */

let h: ReaderHarness;
beforeAll(async () => {
  h = await createReaderHarness('readers-topics-pause');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.clock.now = new Date(h.clock.now.getTime() + 2 * 3600_000);
});

const WEEK_MS = 7 * 24 * 3600_000;

async function confirmedReader(tag: string, extra: Record<string, unknown> = {}) {
  const row = await h.subscribe(h.uniqueEmail(tag), extra);
  await createSubscriptionService(h.test.runtime).confirm(row.id);
  return (await h.subscriberByEmail(row.email))!;
}

/** Form actions and link targets on a page, site-relative and unescaped. */
function targets(html: string): string[] {
  return [...html.matchAll(/\b(?:href|action)="([^"]*)"/g)]
    .map((match) => match[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&').replace(/^https?:\/\/paperboy\.test/, ''))
    .filter((target) => target.startsWith('/'));
}

describe('/topics/stop', () => {
  it('GET shows one button and changes nothing, even for a scanner that follows every link', async () => {
    const reader = await confirmedReader('scanned', { topics: 'diffusion, agents' });
    const url = `/topics/stop?token=${h.token(reader.id, 'preferences')}&topic=diffusion`;
    const page = await h.app.inject({ method: 'GET', url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Stop “diffusion”?');
    const forms = [...page.body.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'));
    expect(forms).toEqual([url]);
    for (const target of targets(page.body)) await h.app.inject({ method: 'GET', url: target });
    expect((await h.subscriberByEmail(reader.email))?.topics).toEqual(['diffusion', 'agents']);
  });

  it('POST takes the topic off (once; again is fine), and leaves the others', async () => {
    const reader = await confirmedReader('stopper', { topics: 'diffusion, agents' });
    const url = `/topics/stop?token=${h.token(reader.id, 'preferences')}&topic=Diffusion`;
    const first = await h.app.inject({ method: 'POST', url });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Stopped “diffusion”');
    expect(first.body).toContain('Your topics now: agents.');
    expect((await h.subscriberByEmail(reader.email))?.topics).toEqual(['agents']);
    const again = await h.app.inject({ method: 'POST', url, headers: json });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ outcome: 'not-a-topic', topics: ['agents'] });
  });

  it('refuses a link without a topic, or with a token of another purpose or reader, changing nothing', async () => {
    const reader = await confirmedReader('refused', { topics: 'diffusion' });
    const noTopic = await h.app.inject({ method: 'POST', url: `/topics/stop?token=${h.token(reader.id, 'preferences')}`, headers: json });
    expect(noTopic.statusCode).toBe(400);
    expect(noTopic.json().details[0].field).toBe('topic');
    const wrongPurpose = await h.app.inject({ method: 'POST', url: `/topics/stop?token=${h.token(reader.id, 'unsubscribe')}&topic=diffusion` });
    expect(wrongPurpose.statusCode).toBe(400);
    const forged = h.token(reader.id + 1, 'preferences').replace(`.${(reader.id + 1).toString(36)}.`, `.${reader.id.toString(36)}.`);
    const forgedResponse = await h.app.inject({ method: 'POST', url: `/topics/stop?token=${forged}&topic=diffusion` });
    expect(forgedResponse.statusCode).toBe(400);
    expect((await h.subscriberByEmail(reader.email))?.topics).toEqual(['diffusion']);
  });
});

describe('pausing', () => {
  it('pauses for two weeks from the preferences page, shows "paused until", and resumes now', async () => {
    const reader = await confirmedReader('holiday', { timeZone: 'Europe/Berlin' });
    const token = h.token(reader.id, 'preferences');
    const page = await h.app.inject({ method: 'GET', url: `/preferences?token=${token}` });
    expect(page.body).toMatch(/<button type="submit" class="secondary" name="weeks" value="2">Pause for 2 weeks<\/button>/);
    expect(page.body).toMatch(/name="weeks" value="1">Pause for 1 week</);

    const paused = await h.app.inject({ method: 'POST', url: `/preferences/pause?token=${token}`, ...form({ weeks: '2' }) });
    expect(paused.statusCode).toBe(303);
    expect((await h.subscriberByEmail(reader.email))?.pausedUntil).toEqual(new Date(h.clock.now.getTime() + 2 * WEEK_MS));
    const shown = await h.app.inject({ method: 'GET', url: paused.headers.location as string });
    const until = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeZone: 'Europe/Berlin' }).format(new Date(h.clock.now.getTime() + 2 * WEEK_MS));
    expect(shown.body).toContain(`Paused until ${until}`);
    expect(shown.body).toContain(`action="/preferences/resume?token=${token}"`);

    const resumed = await h.app.inject({ method: 'POST', url: `/preferences/resume?token=${token}` });
    expect(resumed.statusCode).toBe(303);
    expect((await h.subscriberByEmail(reader.email))?.pausedUntil).toBeNull();
    expect((await h.app.inject({ method: 'GET', url: `/preferences?token=${token}` })).body).not.toContain('Paused until');
  });

  it('ends by itself: once the date passes the page no longer says paused', async () => {
    const reader = await confirmedReader('expires');
    const token = h.token(reader.id, 'preferences');
    await h.app.inject({ method: 'POST', url: `/preferences/pause?token=${token}`, headers: json, payload: { weeks: 1 } });
    h.clock.now = new Date(h.clock.now.getTime() + WEEK_MS + 60_000);
    expect((await h.app.inject({ method: 'GET', url: `/preferences?token=${token}` })).body).not.toContain('Paused until');
  });

  it('refuses any other length with a 400 naming the field, changing nothing', async () => {
    const reader = await confirmedReader('odd-pause');
    const token = h.token(reader.id, 'preferences');
    for (const weeks of ['3', '0', '-1', 'forever', '']) {
      const response = await h.app.inject({ method: 'POST', url: `/preferences/pause?token=${token}`, headers: json, payload: { weeks } });
      expect(response.statusCode, weeks).toBe(400);
      expect(response.json().details).toEqual([{ field: 'weeks', message: 'Pause for 1, 2 or 4 weeks' }]);
    }
    const page = await h.app.inject({ method: 'POST', url: `/preferences/pause?token=${token}`, ...form({ weeks: '9' }) });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Pause for 1, 2 or 4 weeks');
    expect((await h.subscriberByEmail(reader.email))?.pausedUntil).toBeNull();
  });

  it('is offered on the unsubscribe page as an alternative to leaving', async () => {
    const reader = await confirmedReader('leaving');
    const page = await h.app.inject({ method: 'GET', url: `/unsubscribe?token=${h.token(reader.id, 'unsubscribe')}` });
    expect(page.body).toContain('Pause for 4 weeks instead');
    const pauseForm = /<form method="post" action="([^"]*\/preferences\/pause[^"]*)"[^]*?name="weeks" value="4"/.exec(page.body);
    expect(pauseForm).not.toBeNull();
    const action = pauseForm![1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const paused = await h.app.inject({ method: 'POST', url: action, ...form({ weeks: '4' }) });
    expect(paused.statusCode).toBe(303);
    const row = await h.subscriberByEmail(reader.email);
    expect(row?.status).toBe('confirmed');
    expect(row?.pausedUntil).toEqual(new Date(h.clock.now.getTime() + 4 * WEEK_MS));
  });

  it('is in the GDPR export, with the images choice', async () => {
    const reader = await confirmedReader('exported');
    const token = h.token(reader.id, 'preferences');
    await h.app.inject({ method: 'POST', url: `/preferences/pause?token=${token}`, headers: json, payload: { weeks: 1 } });
    const data = (await h.app.inject({ method: 'GET', url: `/preferences/export?token=${token}` })).json();
    expect(data.subscriber).toMatchObject({ pausedUntil: new Date(h.clock.now.getTime() + WEEK_MS).toISOString(), images: true });
  });
});

describe('images', () => {
  it('turns the digest\'s paper images off and on from the preferences page, and refuses anything else', async () => {
    const reader = await confirmedReader('images');
    const token = h.token(reader.id, 'preferences');
    const page = await h.app.inject({ method: 'GET', url: `/preferences?token=${token}` });
    expect(page.body).toMatch(/<input type="radio" id="images-on" name="images" value="on" checked>/);
    const off = await h.app.inject({ method: 'POST', url: `/preferences?token=${token}`, ...form({ images: 'off' }) });
    expect(off.statusCode).toBe(303);
    expect((await h.subscriberByEmail(reader.email))?.images).toBe(false);
    expect((await h.app.inject({ method: 'GET', url: `/preferences?token=${token}` })).body).toMatch(/id="images-off" name="images" value="off" checked>/);
    // Saving other fields leaves the choice alone.
    await h.app.inject({ method: 'POST', url: `/preferences?token=${token}`, headers: json, payload: { maxPapers: 5 } });
    expect((await h.subscriberByEmail(reader.email))?.images).toBe(false);
    const bad = await h.app.inject({ method: 'POST', url: `/preferences?token=${token}`, headers: json, payload: { images: 'maybe' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([{ field: 'images', message: 'Images must be on or off' }]);
    const on = await h.app.inject({ method: 'POST', url: `/preferences?token=${token}`, headers: json, payload: { images: true } });
    expect(on.json()).toMatchObject({ images: true });
  });
});
