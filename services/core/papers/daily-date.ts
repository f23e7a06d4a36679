import { z } from 'zod';

/**
 * Daily dates ("2026-02-03") are calendar days, not instants: Hugging Face buckets Daily Papers
 * by UTC date, and editions are keyed by them. They stay strings (Postgres `date` in string
 * mode) so no time zone can shift them by a day.
 */

const DAILY_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written as YYYY-MM-DD (so "2026-13-40" and "2026-02-30" are not). */
export function isDailyDate(value: string): boolean {
  const match = DAILY_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const instant = new Date(Date.UTC(year, month - 1, day));
  return instant.getUTCFullYear() === year && instant.getUTCMonth() === month - 1 && instant.getUTCDate() === day;
}

export const DAILY_DATE_MESSAGE = 'must be a real calendar date written as YYYY-MM-DD, e.g. 2026-02-03';

/** A daily date in a request (query, params, body): rejected with a message that says the format. */
export const dailyDateSchema = z
  .string({ error: DAILY_DATE_MESSAGE })
  .refine(isDailyDate, { message: DAILY_DATE_MESSAGE })
  .meta({ description: 'A calendar date, YYYY-MM-DD', example: '2026-02-03' });

/**
 * The daily dates Paperboy takes in: from 2020 (Daily Papers began then) to tomorrow in the
 * digest's time zone (Hugging Face's UTC day may be ahead of it). A far-future date would
 * otherwise become "the latest" day for every page and the schedule.
 */
export interface DailyDateWindow {
  earliest: string;
  latest: string;
}

export const EARLIEST_DAILY_DATE = '2020-01-01';

export function dailyDateWindow(now: Date, timeZone: string): DailyDateWindow {
  return { earliest: EARLIEST_DAILY_DATE, latest: addDays(dateInTimeZone(now, timeZone), 1) };
}

export function isInDailyDateWindow(date: string, window: DailyDateWindow): boolean {
  return date >= window.earliest && date <= window.latest;
}

export function dailyDateWindowMessage(window: DailyDateWindow): string {
  return `must be a date from ${window.earliest} to tomorrow (${window.latest})`;
}

/** The day `days` after (or before, when negative) a daily date. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The calendar date of an instant in an IANA time zone. */
export function dateInTimeZone(instant: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD; formatToParts keeps this independent of that detail.
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The UTC calendar date of an instant. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * The daily dates a scheduled ingest fetches: today (UTC, Hugging Face's bucket) and the
 * `previousDays` days before it, newest first. Re-fetching recent days picks up late
 * submissions and growing upvotes.
 */
export function recentDailyDates(now: Date, previousDays: number): string[] {
  const today = utcDate(now);
  return Array.from({ length: previousDays + 1 }, (_, index) => addDays(today, -index));
}
