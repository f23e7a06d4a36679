import { describe, expect, it } from 'vitest';
import { isoWeekOf, isoWeekRange } from '../../services/core/editions/iso-week.js';
import { compareByTrending, rankPapers } from '../../services/core/editions/ranking.js';
import { addDays, dateInTimeZone, isDailyDate, recentDailyDates } from '../../services/core/papers/daily-date.js';

const paper = (id: string, upvotes: number, numComments: number, published: string) => ({
  id,
  upvotes,
  numComments,
  publishedAt: new Date(published),
});

describe('ranking', () => {
  it('puts most upvotes first', () => {
    const ranked = rankPapers([paper('a', 1, 9, '2026-01-01'), paper('b', 5, 0, '2026-01-01'), paper('c', 3, 0, '2026-01-01')]);
    expect(ranked.map((p) => p.id)).toEqual(['b', 'c', 'a']);
  });

  it('breaks an upvote tie by comments', () => {
    const ranked = rankPapers([paper('a', 5, 1, '2026-01-01'), paper('b', 5, 3, '2026-01-01')]);
    expect(ranked.map((p) => p.id)).toEqual(['b', 'a']);
  });

  it('breaks an upvote and comment tie by the most recent arXiv date', () => {
    const ranked = rankPapers([paper('a', 5, 1, '2026-01-01T00:00:00Z'), paper('b', 5, 1, '2026-01-02T00:00:00Z'), paper('c', 5, 1, '2026-01-01T12:00:00Z')]);
    expect(ranked.map((p) => p.id)).toEqual(['b', 'c', 'a']);
  });

  it('breaks a full tie by arXiv id, so the order never depends on the input order', () => {
    const tied = [paper('2602.00002', 2, 1, '2026-02-01'), paper('2602.00010', 2, 1, '2026-02-01'), paper('2602.00001', 2, 1, '2026-02-01')];
    const expected = ['2602.00001', '2602.00002', '2602.00010'];
    expect(rankPapers(tied).map((p) => p.id)).toEqual(expected);
    expect(rankPapers([...tied].reverse()).map((p) => p.id)).toEqual(expected);
    expect(compareByTrending(tied[0]!, tied[0]!)).toBe(0);
  });

  it('leaves its input alone', () => {
    const input = [paper('a', 1, 0, '2026-01-01'), paper('b', 2, 0, '2026-01-01')];
    rankPapers(input);
    expect(input.map((p) => p.id)).toEqual(['a', 'b']);
  });
});

describe('daily dates', () => {
  it('accepts real calendar days only', () => {
    expect(isDailyDate('2026-02-03')).toBe(true);
    expect(isDailyDate('2024-02-29')).toBe(true);
    for (const bad of ['2026-13-40', '2026-02-30', '2025-02-29', '2026-2-3', '20260203', '2026-02-03T00:00:00Z', '']) {
      expect(isDailyDate(bad), bad).toBe(false);
    }
  });

  it('adds days across months and years', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
  });

  it('tells the calendar date in a time zone', () => {
    const instant = new Date('2026-02-03T02:30:00Z');
    expect(dateInTimeZone(instant, 'UTC')).toBe('2026-02-03');
    expect(dateInTimeZone(instant, 'America/New_York')).toBe('2026-02-02');
    expect(dateInTimeZone(instant, 'Asia/Tokyo')).toBe('2026-02-03');
  });

  it('lists today and the previous days for the scheduled ingest', () => {
    expect(recentDailyDates(new Date('2026-02-03T23:59:00Z'), 3)).toEqual(['2026-02-03', '2026-02-02', '2026-02-01', '2026-01-31']);
  });
});

describe('ISO weeks', () => {
  it('finds the week of a date, across year boundaries', () => {
    expect(isoWeekOf('2026-02-03')).toBe('2026-W06');
    expect(isoWeekOf('2026-01-01')).toBe('2026-W01');
    expect(isoWeekOf('2027-01-01')).toBe('2026-W53');
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
  });

  it('gives Monday and Sunday of a week, and refuses weeks that do not exist', () => {
    expect(isoWeekRange('2026-W06')).toEqual({ start: '2026-02-02', end: '2026-02-08' });
    expect(isoWeekRange('2025-W01')).toEqual({ start: '2024-12-30', end: '2025-01-05' });
    expect(isoWeekRange('2026-W53')).toEqual({ start: '2026-12-28', end: '2027-01-03' });
    expect(isoWeekRange('2025-W53')).toBeUndefined();
    expect(isoWeekRange('2026-W00')).toBeUndefined();
    expect(isoWeekRange('2026-6')).toBeUndefined();
  });
});
