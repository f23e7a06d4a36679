import { describe, expect, it } from 'vitest';
import {
  arxivAnnouncementInstant,
  arxivCalendar,
  arxivSubmissionWindow,
  createArxivCalendar,
  hfCalendar,
  nextExpectedDay,
  zonedInstant,
} from '../../services/core/papers/source-calendar.js';

const expectedDays = (calendar: typeof hfCalendar, from: string, days: number) =>
  Array.from({ length: days }, (_, i) => new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10)).filter(
    (date) => calendar.dayOf(date).expected,
  );

describe('the Hugging Face Daily Papers calendar', () => {
  it('expects weekdays and says why a weekend has no listing', () => {
    // 2026-08-10 is a Monday.
    expect(expectedDays(hfCalendar, '2026-08-10', 7)).toEqual(['2026-08-10', '2026-08-11', '2026-08-12', '2026-08-13', '2026-08-14']);
    expect(hfCalendar.dayOf('2026-08-15')).toEqual({ expected: false, reason: 'no Hugging Face Daily Papers listing on Saturdays' });
    expect(nextExpectedDay(hfCalendar, '2026-08-14')).toBe('2026-08-17');
  });
});

describe('the arXiv calendar', () => {
  it('expects the listings of Sunday to Thursday evenings: Monday to Friday', () => {
    expect(expectedDays(arxivCalendar, '2026-08-09', 7)).toEqual(['2026-08-10', '2026-08-11', '2026-08-12', '2026-08-13', '2026-08-14']);
    expect(arxivCalendar.dayOf('2026-08-15')).toEqual({ expected: false, reason: 'no arXiv announcement: arXiv does not announce on Friday evenings' });
    expect(arxivCalendar.dayOf('2026-08-16')).toEqual({ expected: false, reason: 'no arXiv announcement: arXiv does not announce on Saturday evenings' });
  });

  it('has no listing after a holiday evening, and says so', () => {
    // Thanksgiving, Thursday 2026-11-26: no Thursday-evening announcement, no Friday listing.
    expect(arxivCalendar.dayOf('2026-11-27')).toEqual({ expected: false, reason: 'no arXiv announcement: holiday (Thursday 2026-11-26)' });
    expect(arxivCalendar.dayOf('2026-11-26')).toEqual({ expected: true });
    expect(nextExpectedDay(arxivCalendar, '2026-11-26')).toBe('2026-11-30');
    // A Friday holiday changes no listing: arXiv does not announce on Fridays anyway.
    expect(arxivCalendar.dayOf('2026-07-06')).toEqual({ expected: true });
    // Labor Day, Monday 2026-09-07: no Tuesday listing.
    expect(arxivCalendar.dayOf('2026-09-08').expected).toBe(false);
    expect(createArxivCalendar({ holidays: [] }).dayOf('2026-09-08')).toEqual({ expected: true });
  });

  it('announces at 20:00 US Eastern the evening before, across both DST changes', () => {
    // DST begins Sunday 2026-03-08: Thursday evening is EST (UTC-5), Sunday evening EDT (UTC-4).
    expect(arxivAnnouncementInstant('2026-03-06').toISOString()).toBe('2026-03-06T01:00:00.000Z');
    expect(arxivAnnouncementInstant('2026-03-09').toISOString()).toBe('2026-03-09T00:00:00.000Z');
    // DST ends Sunday 2026-11-01: Thursday evening EDT, Sunday evening EST.
    expect(arxivAnnouncementInstant('2026-10-30').toISOString()).toBe('2026-10-30T00:00:00.000Z');
    expect(arxivAnnouncementInstant('2026-11-02').toISOString()).toBe('2026-11-02T01:00:00.000Z');
  });

  it('converts wall-clock times on DST change days', () => {
    expect(zonedInstant('2026-03-08', 1, 30, 'America/New_York').toISOString()).toBe('2026-03-08T06:30:00.000Z');
    expect(zonedInstant('2026-03-08', 14, 0, 'America/New_York').toISOString()).toBe('2026-03-08T18:00:00.000Z');
    expect(zonedInstant('2026-11-01', 14, 0, 'America/New_York').toISOString()).toBe('2026-11-01T19:00:00.000Z');
  });

  it('gives the submission window a listing announces, per arXiv’s schedule', () => {
    const iso = (window: { from: Date; to: Date } | undefined) => window && [window.from.toISOString(), window.to.toISOString()];
    // Tuesday's listing (Monday evening): Friday 14:00 EST to Monday 14:00 EDT, across the DST change.
    expect(iso(arxivSubmissionWindow('2026-03-10'))).toEqual(['2026-03-06T19:00:00.000Z', '2026-03-09T18:00:00.000Z']);
    // Monday's listing (Sunday evening): Thursday 14:00 to Friday 14:00.
    expect(iso(arxivSubmissionWindow('2026-03-09'))).toEqual(['2026-03-05T19:00:00.000Z', '2026-03-06T19:00:00.000Z']);
    // After Thanksgiving the Monday listing also holds Wednesday-to-Thursday submissions.
    expect(iso(arxivSubmissionWindow('2026-11-30'))).toEqual(['2026-11-25T19:00:00.000Z', '2026-11-27T19:00:00.000Z']);
    expect(arxivSubmissionWindow('2026-11-27')).toBeUndefined();
  });
});
