import { describe, expect, it } from 'vitest';
import { preferenceFieldsView } from '../../../services/api/pages/reader-views.js';
import { checkPreferences, DEFAULT_PREFERENCES, describeDigestChoices, describePreferences } from '../../../services/core/subscribers/preferences.js';

describe('checkPreferences', () => {
  it('gives a new reader the defaults', () => {
    expect(checkPreferences({})).toEqual({ ok: true, preferences: DEFAULT_PREFERENCES });
  });

  it('reads form strings and JSON values alike', () => {
    const fromForm = checkPreferences({ frequency: 'weekly', weekday: '5', sendHour: '0', timeZone: ' Europe/Berlin ', topics: ' LLM ,  Diffusion  models,llm,, ', maxPapers: '50' });
    const fromJson = checkPreferences({ frequency: 'weekly', weekday: 5, sendHour: 0, timeZone: 'Europe/Berlin', topics: ['llm', 'Diffusion models'], maxPapers: 50 });
    const expected = { frequency: 'weekly', weekday: 5, sendHour: 0, timeZone: 'Europe/Berlin', topics: ['llm', 'diffusion models'], maxPapers: 50, trending: true, arxivCategories: [] };
    expect(fromForm).toEqual({ ok: true, preferences: expected });
    expect(fromJson).toEqual({ ok: true, preferences: expected });
  });

  it('keeps stored values for fields left out, but an empty topics field clears topics', () => {
    const base = { ...DEFAULT_PREFERENCES, sendHour: 18, topics: ['rl'] };
    expect(checkPreferences({ maxPapers: 3 }, base)).toEqual({ ok: true, preferences: { ...base, maxPapers: 3 } });
    expect(checkPreferences({ topics: '' }, base)).toEqual({ ok: true, preferences: { ...base, topics: [] } });
  });

  it.each([
    [{ frequency: 'monthly' }, 'frequency', /daily.*weekly/],
    [{ weekday: '0' }, 'weekday', /at least 1/],
    [{ weekday: 8 }, 'weekday', /at most 7/],
    [{ sendHour: -1 }, 'sendHour', /at least 0/],
    [{ sendHour: '23.5' }, 'sendHour', /whole number/],
    [{ sendHour: true }, 'sendHour', /whole number/],
    [{ timeZone: 'Atlantis/Capital' }, 'timeZone', /IANA/],
    [{ topics: Array.from({ length: 21 }, (_, i) => `t${i}`).join(',') }, 'topics', /at most 20 topics/],
    [{ topics: 'a'.repeat(41) }, 'topics', /too long/],
    [{ topics: 'ok, <img src=x>' }, 'topics', /may contain only/],
    [{ topics: 'x'.repeat(1001) }, 'topics', /at most 1000/],
    [{ maxPapers: 0 }, 'maxPapers', /at least 1/],
    [{ maxPapers: '51' }, 'maxPapers', /at most 50/],
  ])('refuses %j, naming %s', (input, field, message) => {
    const result = checkPreferences(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.details).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it('reports every bad field at once', () => {
    const result = checkPreferences({ weekday: 9, maxPapers: 99 });
    expect(result.ok ? [] : result.details.map((d) => d.field)).toEqual(['weekday', 'maxPapers']);
  });
});

describe('checkPreferences: sources', () => {
  it('reads categories from a JSON array, repeated form values or a comma-separated string, each once and in order', () => {
    const want = { ok: true, preferences: { ...DEFAULT_PREFERENCES, arxivCategories: ['cs.CL', 'cs.LG'] } };
    expect(checkPreferences({ arxivCategories: ['cs.CL', 'cs.LG', 'cs.CL'] })).toEqual(want);
    expect(checkPreferences({ arxivCategories: ' cs.CL, cs.LG ' })).toEqual(want);
    expect(checkPreferences({ arxivCategories: 'cs.CL cs.LG' })).toEqual(want);
  });

  it('reads trending from a checkbox, a word or a JSON boolean; a hidden "off" before the box counts by its last value', () => {
    const base = { ...DEFAULT_PREFERENCES, arxivCategories: ['cs.CL'] };
    for (const on of ['on', 'true', '1', true, ['off', 'on']]) expect(checkPreferences({ trending: on }, { ...base, trending: false })).toMatchObject({ ok: true, preferences: { trending: true } });
    for (const off of ['off', 'false', '0', false, ['off']]) expect(checkPreferences({ trending: off }, base)).toMatchObject({ ok: true, preferences: { trending: false } });
    expect(checkPreferences({ trending: 'maybe' }, base)).toEqual({ ok: false, details: [{ field: 'trending', message: 'Trending must be on or off (true or false)' }] });
  });

  it("keeps stored sources when JSON leaves them out; a form's hidden 'off' and blank clear them when no box is ticked", () => {
    const base = { ...DEFAULT_PREFERENCES, arxivCategories: ['cs.CL'] };
    expect(checkPreferences({ maxPapers: 3 }, base)).toEqual({ ok: true, preferences: { ...base, maxPapers: 3 } });
    expect(checkPreferences({ trending: 'off', arxivCategories: ['', 'cs.CL'] }, base)).toEqual({ ok: true, preferences: { ...base, trending: false } });
    expect(checkPreferences({ trending: ['off', 'on'], arxivCategories: '' }, base)).toEqual({ ok: true, preferences: { ...base, arxivCategories: [] } });
    expect(checkPreferences({ arxivCategories: '' }, base)).toEqual({ ok: true, preferences: { ...base, arxivCategories: [] } });
  });

  it('names an unknown category, refuses more than 20, and wants at least one source', () => {
    expect(checkPreferences({ arxivCategories: ['cs.CL', 'cs.Cl'] })).toEqual({
      ok: false,
      details: [{ field: 'arxivCategories', message: '"cs.Cl" is not an arXiv category (codes look like "cs.CL" or "hep-th")' }],
    });
    const many = ['cs.AI', 'cs.AR', 'cs.CC', 'cs.CE', 'cs.CG', 'cs.CL', 'cs.CR', 'cs.CV', 'cs.CY', 'cs.DB', 'cs.DC', 'cs.DL', 'cs.DM', 'cs.DS', 'cs.ET', 'cs.FL', 'cs.GL', 'cs.GR', 'cs.GT', 'cs.HC', 'cs.IR'];
    expect(checkPreferences({ arxivCategories: many })).toMatchObject({ ok: false, details: [{ field: 'arxivCategories', message: 'Choose at most 20 arXiv categories (you gave 21)' }] });
    expect(checkPreferences({ arxivCategories: many.slice(0, 20) })).toMatchObject({ ok: true });
    expect(checkPreferences({ trending: false })).toEqual({
      ok: false,
      details: [{ field: 'sources', message: 'Choose at least one source: Hugging Face trending or an arXiv category' }],
    });
    expect(checkPreferences({ trending: 'off', arxivCategories: '' })).toMatchObject({ ok: false, details: [{ field: 'sources' }] });
  });

  it('refuses a weekly digest without trending, which would never be sent: weekly digests are trending only', () => {
    const refused = {
      ok: false,
      details: [{ field: 'sources', message: 'Weekly digests carry Hugging Face trending only: turn trending on (arXiv categories come in daily emails)' }],
    };
    expect(checkPreferences({ frequency: 'weekly', trending: false, arxivCategories: ['cs.CL'] })).toEqual(refused);
    // Switching a daily cs.CL-only reader to weekly, or a weekly reader's trending off, is refused alike.
    const dailyClOnly = { ...DEFAULT_PREFERENCES, trending: false, arxivCategories: ['cs.CL'] };
    expect(checkPreferences({ frequency: 'weekly' }, dailyClOnly)).toEqual(refused);
    expect(checkPreferences({ trending: 'off' }, { ...DEFAULT_PREFERENCES, frequency: 'weekly', arxivCategories: ['cs.CL'] })).toEqual(refused);
    expect(checkPreferences({ frequency: 'weekly', arxivCategories: ['cs.CL'] })).toMatchObject({ ok: true, preferences: { frequency: 'weekly', trending: true } });
  });
});

describe('the source choice a form shows again', () => {
  it('reads sources as checkPreferences does: the same categories ticked, trending by the same words', () => {
    const ticked = (values: Record<string, unknown>) =>
      preferenceFieldsView(values, false)
        .sources.archives.flatMap((archive) => archive.categories)
        .filter((category) => category.checked)
        .map((category) => category.code);
    for (const arxivCategories of [['', 'cs.CL', 'cs.LG,math.AG'], ' cs.CL  cs.LG,math.AG ', 'cs.CL,cs.CL']) {
      const checked = checkPreferences({ arxivCategories });
      expect(checked.ok && new Set(ticked({ arxivCategories }))).toEqual(checked.ok && new Set(checked.preferences.arxivCategories));
    }
    for (const trending of ['on', 'TRUE', ' 1 ', 'off', '0', ['off', 'on'], ['on', 'off'], true, false]) {
      const checked = checkPreferences({ trending, arxivCategories: 'cs.CL' });
      expect(preferenceFieldsView({ trending }, false).sources.trending, String(trending)).toBe(checked.ok && checked.preferences.trending);
    }
  });
});

describe('describePreferences', () => {
  it('says when and what, for emails and pages', () => {
    expect(describePreferences(DEFAULT_PREFERENCES)).toBe('daily at 07:00 (UTC), up to 10 papers, all topics, from Hugging Face trending');
    expect(
      describePreferences({ frequency: 'weekly', weekday: 7, sendHour: 18, timeZone: 'Asia/Tokyo', topics: ['llm', 'rl'], maxPapers: 5, trending: true, arxivCategories: ['cs.CL'] }),
    ).toBe('weekly on Sundays at 18:00 (Asia/Tokyo), up to 5 papers, about llm, rl, from Hugging Face trending and arXiv cs.CL (arXiv categories come in daily emails only)');
    expect(describePreferences({ ...DEFAULT_PREFERENCES, arxivCategories: ['cs.CL', 'cs.LG'] })).toBe(
      'daily at 07:00 (UTC), up to 10 papers, all topics, from Hugging Face trending and arXiv cs.CL, cs.LG',
    );
  });
});

describe('describeDigestChoices', () => {
  it('says what the reader chose, as a digest footer does', () => {
    expect(describeDigestChoices({ ...DEFAULT_PREFERENCES, timeZone: 'Europe/Berlin', topics: ['diffusion', 'agents'] })).toBe(
      'daily at 07:00 Europe/Berlin, topics: diffusion, agents, 10 papers, from Hugging Face trending',
    );
    expect(describeDigestChoices({ ...DEFAULT_PREFERENCES, frequency: 'weekly', weekday: 3, sendHour: 18, maxPapers: 1 })).toBe(
      'weekly on Wednesdays at 18:00 UTC, all topics, 1 paper, from Hugging Face trending',
    );
  });
});
