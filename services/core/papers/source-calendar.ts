import { addDays, isDailyDate } from './daily-date.js';

/**
 * When each paper source publishes a listing, as pure functions of a date: so an empty day can be
 * told apart from a failed ingest ("no arXiv announcement: holiday" versus an alarm).
 *
 * Dates are the ones each source prints on its listing:
 * - Hugging Face Daily Papers: the UTC day (PAPER-SOURCES.md 1.5); a listing on weekdays.
 * - arXiv: the listing date arXiv prints ("new submissions for Monday, 27 April 2026", the RSS
 *   `pubDate`). arXiv announces the evening before, Sunday to Thursday at 20:00 US Eastern
 *   (arxiv-docs `help/availability.md`), so listings are dated Monday to Friday, and a holiday
 *   on an announcement evening removes the next day's listing.
 */

export type ExpectedDay = { expected: true } | { expected: false; reason: string };

export interface SourceCalendar {
  /** Whether the source publishes a listing dated `date` (YYYY-MM-DD), or why not. */
  dayOf(date: string): ExpectedDay;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** 0 = Sunday ... 6 = Saturday, of a calendar date (no time zone involved). */
export function weekdayOf(date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function requireDate(date: string): void {
  if (!isDailyDate(date)) throw new RangeError(`"${date}" is not a calendar date written as YYYY-MM-DD`);
}

export const hfCalendar: SourceCalendar = {
  dayOf(date) {
    requireDate(date);
    const weekday = weekdayOf(date);
    if (weekday === 0 || weekday === 6) {
      return { expected: false, reason: `no Hugging Face Daily Papers listing on ${WEEKDAYS[weekday]}s` };
    }
    return { expected: true };
  },
};

/**
 * Days arXiv does not announce (its "Holidays" list, dates in US Eastern). arXiv publishes the
 * list yearly on https://info.arxiv.org/help/availability.html; 2023 from arxiv-docs
 * `source/help/availability.md` (commit 01871500), 2026 from the page as published in 2026.
 * 2024 and 2025 are not recorded here: for those years a holiday looks like an unexpected empty
 * day. A holiday on a Friday or Saturday changes no listing (arXiv does not announce then).
 */
export const ARXIV_HOLIDAYS: readonly string[] = [
  '2023-01-16', '2023-06-14', '2023-06-19', '2023-07-04', '2023-09-04', '2023-11-23', '2023-12-25', '2023-12-27',
  '2026-01-01', '2026-01-19', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25', '2026-12-29', '2026-12-31',
];

export interface ArxivCalendarOptions {
  holidays?: readonly string[];
}

export const ARXIV_TIME_ZONE = 'America/New_York';

/** The evening (US Eastern date) whose 20:00 announcement a listing date shows: the day before. */
export function arxivAnnouncementDay(listingDate: string): string {
  requireDate(listingDate);
  return addDays(listingDate, -1);
}

export function createArxivCalendar(options: ArxivCalendarOptions = {}): SourceCalendar {
  const holidays = new Set(options.holidays ?? ARXIV_HOLIDAYS);
  return {
    dayOf(date) {
      const evening = arxivAnnouncementDay(date);
      const weekday = weekdayOf(evening);
      if (weekday === 5 || weekday === 6) {
        return { expected: false, reason: `no arXiv announcement: arXiv does not announce on ${WEEKDAYS[weekday]} evenings` };
      }
      if (holidays.has(evening)) {
        return { expected: false, reason: `no arXiv announcement: holiday (${WEEKDAYS[weekday]} ${evening})` };
      }
      return { expected: true };
    },
  };
}

export const arxivCalendar = createArxivCalendar();

/** The first date after `date` on which the calendar expects a listing (within a year). */
export function nextExpectedDay(calendar: SourceCalendar, date: string): string {
  for (let offset = 1; offset <= 366; offset += 1) {
    const candidate = addDays(date, offset);
    if (calendar.dayOf(candidate).expected) return candidate;
  }
  throw new RangeError(`no expected listing within a year after ${date}`);
}

/** Minutes the time zone is ahead of UTC at an instant (-240 for New York in summer). */
function offsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant a wall-clock time on a date has in a time zone (not for times inside a DST gap). */
export function zonedInstant(date: string, hour: number, minute: number, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offset at the guess can differ from the offset at the answer across a DST change:
  // correct once with the offset at the first answer.
  const first = wall - offsetMinutes(wall, timeZone) * 60_000;
  return new Date(wall - offsetMinutes(first, timeZone) * 60_000);
}

/** When arXiv announces the listing dated `listingDate`: 20:00 US Eastern the evening before. */
export function arxivAnnouncementInstant(listingDate: string): Date {
  return zonedInstant(arxivAnnouncementDay(listingDate), 20, 0, ARXIV_TIME_ZONE);
}

/** The 14:00 US Eastern deadline that closes submissions for an announcement evening (Sunday: Friday's). */
function deadlineOf(evening: string): Date {
  return zonedInstant(weekdayOf(evening) === 0 ? addDays(evening, -2) : evening, 14, 0, ARXIV_TIME_ZONE);
}

/**
 * The submissions a listing announces: received from the deadline of the previous announcement
 * that took place up to this one's (arxiv-docs announcement schedule: Monday 14:00 - Tuesday
 * 14:00 is announced Tuesday 20:00, Thursday 14:00 - Friday 14:00 on Sunday, and so on; a
 * cancelled announcement's submissions go out with the next). Undefined on a day without a
 * listing. Moderation can hold a paper back a day or more, so this is a window for the API's
 * `submittedDate`, not a guarantee; the RSS listing is what arXiv actually announced.
 */
export function arxivSubmissionWindow(
  listingDate: string,
  calendar: SourceCalendar = arxivCalendar,
): { from: Date; to: Date } | undefined {
  if (!calendar.dayOf(listingDate).expected) return undefined;
  let previous = addDays(listingDate, -1);
  while (!calendar.dayOf(previous).expected) previous = addDays(previous, -1);
  return { from: deadlineOf(arxivAnnouncementDay(previous)), to: deadlineOf(arxivAnnouncementDay(listingDate)) };
}
