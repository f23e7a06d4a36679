import { describe, expect, it } from 'vitest';
import { checkPreferences, DEFAULT_PREFERENCES, describeDigestChoices, describePreferences } from '../../../services/core/subscribers/preferences.js';

describe('checkPreferences', () => {
  it('gives a new reader the defaults', () => {
    expect(checkPreferences({})).toEqual({ ok: true, preferences: DEFAULT_PREFERENCES });
  });

  it('reads form strings and JSON values alike', () => {
    const fromForm = checkPreferences({ frequency: 'weekly', weekday: '5', sendHour: '0', timeZone: ' Europe/Berlin ', topics: ' LLM ,  Diffusion  models,llm,, ', maxPapers: '50' });
    const fromJson = checkPreferences({ frequency: 'weekly', weekday: 5, sendHour: 0, timeZone: 'Europe/Berlin', topics: ['llm', 'Diffusion models'], maxPapers: 50 });
    const expected = { frequency: 'weekly', weekday: 5, sendHour: 0, timeZone: 'Europe/Berlin', topics: ['llm', 'diffusion models'], maxPapers: 50 };
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

describe('describePreferences', () => {
  it('says when and what, for emails and pages', () => {
    expect(describePreferences(DEFAULT_PREFERENCES)).toBe('daily at 07:00 (UTC), up to 10 papers, all topics');
    expect(describePreferences({ frequency: 'weekly', weekday: 7, sendHour: 18, timeZone: 'Asia/Tokyo', topics: ['llm', 'rl'], maxPapers: 5 })).toBe(
      'weekly on Sundays at 18:00 (Asia/Tokyo), up to 5 papers, about llm, rl',
    );
  });
});

describe('describeDigestChoices', () => {
  it('says what the reader chose, as a digest footer does', () => {
    expect(describeDigestChoices({ ...DEFAULT_PREFERENCES, timeZone: 'Europe/Berlin', topics: ['diffusion', 'agents'] })).toBe(
      'daily at 07:00 Europe/Berlin, topics: diffusion, agents, 10 papers',
    );
    expect(describeDigestChoices({ ...DEFAULT_PREFERENCES, frequency: 'weekly', weekday: 3, sendHour: 18, maxPapers: 1 })).toBe(
      'weekly on Wednesdays at 18:00 UTC, all topics, 1 paper',
    );
  });
});
