import { addDays } from '../papers/daily-date.js';

/**
 * ISO 8601 weeks ("2026-W06"): Monday to Sunday, week 1 holds the year's first Thursday. The
 * key of a weekly edition.
 */

const ISO_WEEK = /^(\d{4})-W(\d{2})$/;

export interface IsoWeekRange {
  /** Monday, YYYY-MM-DD. */
  start: string;
  /** Sunday, YYYY-MM-DD. */
  end: string;
}

function utcMidnightOf(date: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day));
}

/** The ISO weekday of a daily date: 1 = Monday ... 7 = Sunday. */
export function isoWeekdayOf(date: string): number {
  return ((utcMidnightOf(date).getUTCDay() + 6) % 7) + 1;
}

/** The ISO week a daily date belongs to, e.g. "2026-02-03" -> "2026-W06". */
export function isoWeekOf(date: string): string {
  const instant = utcMidnightOf(date);
  const weekday = isoWeekdayOf(date) - 1; // Monday 0 ... Sunday 6
  // The Thursday of this week decides the ISO year.
  const thursday = new Date(instant.getTime() + (3 - weekday) * 86_400_000);
  const isoYear = thursday.getUTCFullYear();
  const firstThursday = Date.UTC(isoYear, 0, 4) + (3 - ((new Date(Date.UTC(isoYear, 0, 4)).getUTCDay() + 6) % 7)) * 86_400_000;
  const week = 1 + Math.round((thursday.getTime() - firstThursday) / (7 * 86_400_000));
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

/** Monday and Sunday of an ISO week; undefined when the key is not a real week ("2026-W54"). */
export function isoWeekRange(week: string): IsoWeekRange | undefined {
  const match = ISO_WEEK.exec(week);
  if (!match) return undefined;
  const [year, number] = [Number(match[1]), Number(match[2])];
  if (number < 1 || number > 53) return undefined;
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const mondayOfWeek1 = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
  const start = addDays(mondayOfWeek1, (number - 1) * 7);
  // Week 53 exists only in some years; a week that lands in the next year's week 1 does not.
  if (isoWeekOf(start) !== week) return undefined;
  return { start, end: addDays(start, 6) };
}

export function isIsoWeek(value: string): boolean {
  return isoWeekRange(value) !== undefined;
}

export const ISO_WEEK_MESSAGE = 'must be an ISO week written as YYYY-Www, e.g. 2026-W06';
