import { CronExpressionParser } from 'cron-parser';
import { addDays, utcDate } from '../papers/daily-date.js';
import { ARXIV_TIME_ZONE, arxivCalendar, hfCalendar, zonedInstant } from '../papers/source-calendar.js';

/**
 * When a reader is due. A reader gets an edition at the first send hour, on their own clock,
 * after the edition exists (for weekly readers: the first such hour on their weekday). The rule
 * catches up by itself: a reader whose hour fell while no worker ran is due at the next check
 * (the schedule checks every 15-minute slot).
 */

export interface SendTimePreference {
  frequency: 'daily' | 'weekly';
  /** ISO weekday, 1 = Monday ... 7 = Sunday; used by weekly readers. */
  weekday: number;
  /** Local hour, 0-23. */
  sendHour: number;
  /** IANA time zone. */
  timeZone: string;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time in `timeZone` at `instant`. */
function localTimeAt(instant: Date, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
  };
}

/** The UTC instant at which `timeZone`'s clock shows the given local date and hour. */
function instantOfLocal(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, hour);
  // Two rounds of "subtract the zone's offset" settle on the right instant; in a DST gap the
  // nonexistent hour resolves to the hour after it.
  let guess = wanted;
  for (let i = 0; i < 2; i += 1) {
    const local = localTimeAt(new Date(guess), timeZone);
    const shownAsUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
    guess += wanted - shownAsUtc;
  }
  return new Date(guess);
}

function isoWeekday(year: number, month: number, day: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** The first instant at or after `after` when the reader's clock shows their send hour (and weekday). */
export function firstSendTimeAfter(after: Date, preference: SendTimePreference): Date {
  const start = localTimeAt(after, preference.timeZone);
  for (let offset = 0; offset <= 8; offset += 1) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + offset));
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (preference.frequency === 'weekly' && isoWeekday(year, month, day) !== preference.weekday) continue;
    const candidate = instantOfLocal(year, month, day, preference.sendHour, preference.timeZone);
    if (candidate.getTime() >= after.getTime()) return candidate;
  }
  throw new Error(`no send time found after ${after.toISOString()} for ${JSON.stringify(preference)}`);
}

/** True when the reader's send time for an edition that became ready at `readyAt` has come by `now`. */
export function isDue(preference: SendTimePreference, readyAt: Date, now: Date): boolean {
  return firstSendTimeAfter(readyAt, preference).getTime() <= now.getTime();
}

/** The sources a reader chose: Hugging Face trending, arXiv categories (both may be chosen). */
export interface ReaderSources {
  trending: boolean;
  arxivCategories: readonly string[];
}

/** When each source's listing of a date (as the source dates it) is in Paperboy, ready to go out. */
export interface ListingReadiness {
  hf(date: string): Date;
  arxiv(date: string): Date;
}

/**
 * - Hugging Face: a day's list (a UTC day) grows all day; the digest freezes it at its first
 *   assembly (`DIGEST_CRON` in `DIGEST_TZ`, "yesterday") once that day is over.
 * - arXiv: a listing is announced at 20:00 US Eastern the evening before its date and fetched by
 *   the scheduled arXiv ingest at 00:30 US Eastern on its date (arxivIngestScheduler); it goes
 *   out as a section of the daily edition of its date, frozen by that same assembly.
 */
export function listingReadiness(digest: { cron: string; timeZone: string }): ListingReadiness {
  // Both sources reach readers in the daily edition of their date, frozen by the first digest
  // assembly after that day ends. The arXiv listing of a date is fetched at 00:30 New York on
  // that date, before the date has ended in any time zone, so it is always in by then.
  const dailyEditionAssembled = (date: string): Date => {
    const dayAfter = zonedInstant(addDays(date, 1), 0, 0, digest.timeZone);
    return CronExpressionParser.parse(digest.cron, { currentDate: new Date(dayAfter.getTime() - 1), tz: digest.timeZone }).next().toDate();
  };
  return { hf: dailyEditionAssembled, arxiv: dailyEditionAssembled };
}

/** When the scheduled arXiv ingest fetches the listing of `date` (arxivIngestScheduler). */
function arxivFetchTime(date: string): Date {
  return zonedInstant(date, 0, 30, ARXIV_TIME_ZONE);
}

/** Later than any send time: a listing that never reaches the reader. */
const NEVER = new Date(8.64e15);

/**
 * For a reader whose arXiv categories are all new to the installation (no listing of theirs was
 * ever fetched): the scheduled ingest fetches a category from its next run after it is chosen, so
 * listings fetched before `chosenBy` were fetched without it and never reach this reader.
 */
export function listingsFetchedAfter(readiness: ListingReadiness, chosenBy: Date): ListingReadiness {
  return {
    hf: readiness.hf,
    arxiv: (date) => (arxivFetchTime(date).getTime() > chosenBy.getTime() ? readiness.arxiv(date) : NEVER),
  };
}

/**
 * Whether a listing one of the reader's sources expects (source-calendar.ts: Hugging Face on
 * weekdays, arXiv on its announcement days, holidays skipped) became ready in `(after, until]`:
 * the email of the send time `until`, after the reader's previous one at `after`, carries it.
 * Every arXiv category has the same calendar.
 */
function hasNewListing(sources: ReaderSources, after: Date, until: Date, readiness: ListingReadiness): boolean {
  const calendars = [
    ...(sources.trending ? [{ calendar: hfCalendar, readyAt: readiness.hf }] : []),
    ...(sources.arxivCategories.length > 0 ? [{ calendar: arxivCalendar, readyAt: readiness.arxiv }] : []),
  ];
  // Listings are ready on their date or a few days after; the dates around the window cover them.
  const last = utcDate(until);
  for (let date = addDays(utcDate(after), -3); date <= last; date = addDays(date, 1)) {
    for (const { calendar, readyAt } of calendars) {
      if (!calendar.dayOf(date).expected) continue;
      const ready = readyAt(date).getTime();
      if (ready > after.getTime() && ready <= until.getTime()) return true;
    }
  }
  return false;
}

/** Longer than any run of days without a listing (a weekend next to holidays). */
const MAX_SEND_TIMES_WITHOUT_LISTING = 31;
/** A day and the widest clock change: the previous daily send time lies within it. */
const PREVIOUS_SEND_TIME_WITHIN_MS = 26 * 3_600_000;

/**
 * When the reader's next email is due: their first send time after now, or after the end of a
 * pause, by which a listing of one of their sources became ready since their previous send time
 * (a cs.CL reader told on a Friday evening in Europe hears "Saturday": Friday's listing, in
 * Friday's daily edition). Weekly readers get the week's best trending papers on their weekday.
 * Undefined for a reader without any source, a weekly reader without trending (weekly digests
 * are trending only), and when no listing is ready within a month of send times (a `DIGEST_CRON`
 * that seldom assembles): a page then says nothing rather than guess.
 */
export function nextSendTime(
  preference: SendTimePreference,
  sources: ReaderSources,
  readiness: ListingReadiness,
  now: Date,
  pausedUntil?: Date | null,
): Date | undefined {
  if (!sources.trending && sources.arxivCategories.length === 0) return undefined;
  const from = pausedUntil && pausedUntil.getTime() > now.getTime() ? pausedUntil : now;
  // "After": an email due this very second has gone, or is going, already.
  let candidate = firstSendTimeAfter(new Date(from.getTime() + 1), preference);
  if (preference.frequency === 'weekly') return sources.trending ? candidate : undefined;
  let previous = firstSendTimeAfter(new Date(candidate.getTime() - PREVIOUS_SEND_TIME_WITHIN_MS), preference);
  for (let tries = 0; tries < MAX_SEND_TIMES_WITHOUT_LISTING; tries += 1) {
    if (hasNewListing(sources, previous, candidate, readiness)) return candidate;
    previous = candidate;
    candidate = firstSendTimeAfter(new Date(candidate.getTime() + 1), preference);
  }
  return undefined;
}

/**
 * "Tuesday 07:00 (Europe/Berlin)" on the reader's clock; a date too when it is a week or more
 * away (after a pause), as a weekday alone would then say the wrong week.
 */
export function describeSendTime(instant: Date, timeZone: string, now: Date): string {
  // Within a week each weekday names one day (today's name, said after today's send, is next week's).
  const withinAWeek = instant.getTime() - now.getTime() <= 7 * 24 * 3_600_000;
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', ...(withinAWeek ? {} : { day: 'numeric', month: 'long', year: 'numeric' }) })
    .format(instant)
    .replace(',', '');
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(instant);
  return `${day} ${time} (${timeZone})`;
}
