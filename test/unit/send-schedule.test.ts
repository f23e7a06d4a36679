import { describe, expect, it } from 'vitest';
import {
  describeSendTime,
  firstSendTimeAfter,
  isDue,
  listingReadiness,
  listingsFetchedAfter,
  nextSendTime,
  type ReaderSources,
  type SendTimePreference,
} from '../../services/core/sending/send-schedule.js';

const daily = (sendHour: number, timeZone: string): SendTimePreference => ({ frequency: 'daily', weekday: 1, sendHour, timeZone });

describe('send schedule', () => {
  const assembled = new Date('2026-11-27T06:00:00Z'); // a Friday

  it('is due at the reader hour on the day the edition exists, in their zone', () => {
    expect(firstSendTimeAfter(assembled, daily(7, 'UTC')).toISOString()).toBe('2026-11-27T07:00:00.000Z');
    expect(firstSendTimeAfter(assembled, daily(8, 'Europe/Berlin')).toISOString()).toBe('2026-11-27T07:00:00.000Z');
    expect(firstSendTimeAfter(assembled, daily(7, 'America/New_York')).toISOString()).toBe('2026-11-27T12:00:00.000Z');
    expect(firstSendTimeAfter(assembled, daily(9, 'Asia/Kolkata')).toISOString()).toBe('2026-11-28T03:30:00.000Z');
  });

  it('counts the hour the edition appears in as on time, and an hour already past as tomorrow', () => {
    expect(firstSendTimeAfter(assembled, daily(6, 'UTC')).toISOString()).toBe('2026-11-27T06:00:00.000Z');
    expect(firstSendTimeAfter(assembled, daily(5, 'UTC')).toISOString()).toBe('2026-11-28T05:00:00.000Z');
  });

  it('gives weekly readers their weekday', () => {
    const wednesday8 = { frequency: 'weekly', weekday: 3, sendHour: 8, timeZone: 'Europe/Berlin' } as const;
    expect(firstSendTimeAfter(assembled, wednesday8).toISOString()).toBe('2026-12-02T07:00:00.000Z');
    const friday7 = { frequency: 'weekly', weekday: 5, sendHour: 7, timeZone: 'UTC' } as const;
    expect(firstSendTimeAfter(assembled, friday7).toISOString()).toBe('2026-11-27T07:00:00.000Z');
  });

  it('handles the day clocks change', () => {
    // Europe/Berlin springs forward on 2026-03-29 at 02:00 -> 03:00: 07:00 local is 05:00 UTC.
    expect(firstSendTimeAfter(new Date('2026-03-29T00:00:00Z'), daily(7, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T05:00:00.000Z');
    // The hour that does not exist (02:00) resolves to the next real hour.
    expect(firstSendTimeAfter(new Date('2026-03-28T23:00:00Z'), daily(2, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('says whether the hour has come', () => {
    expect(isDue(daily(7, 'UTC'), assembled, new Date('2026-11-27T06:59:59Z'))).toBe(false);
    expect(isDue(daily(7, 'UTC'), assembled, new Date('2026-11-27T07:00:00Z'))).toBe(true);
    // A worker that was down at 07:00 still finds the reader due later.
    expect(isDue(daily(7, 'UTC'), assembled, new Date('2026-11-27T15:00:00Z'))).toBe(true);
  });
});

// The default digest: yesterday's edition frozen at 06:00 UTC.
const readiness = listingReadiness({ cron: '0 0 6 * * *', timeZone: 'UTC' });
const HF: ReaderSources = { trending: true, arxivCategories: [] };
const CS_CL: ReaderSources = { trending: false, arxivCategories: ['cs.CL'] };
const BOTH: ReaderSources = { trending: true, arxivCategories: ['cs.CL', 'math.AG'] };

function nextEmail(preference: SendTimePreference, sources: ReaderSources, now: string, pausedUntil?: string) {
  const instant = nextSendTime(preference, sources, readiness, new Date(now), pausedUntil ? new Date(pausedUntil) : null);
  return instant && { at: instant.toISOString(), label: describeSendTime(instant, preference.timeZone, new Date(now)) };
}

describe("the reader's next email", () => {
  const berlin = (frequency: 'daily' | 'weekly', weekday = 2): SendTimePreference => ({ frequency, weekday, sendHour: 7, timeZone: 'Europe/Berlin' });
  const next = (preference: SendTimePreference, now: string, pausedUntil?: string) => nextEmail(preference, HF, now, pausedUntil);

  it('is the next send hour on the reader clock: today before it, tomorrow once it has passed', () => {
    // Wednesday 2 December 2026, 06:59 and 07:00 in Berlin (UTC+1).
    expect(next(berlin('daily'), '2026-12-02T05:59:00Z')).toEqual({ at: '2026-12-02T06:00:00.000Z', label: 'Wednesday 07:00 (Europe/Berlin)' });
    expect(next(berlin('daily'), '2026-12-02T06:00:00Z')).toEqual({ at: '2026-12-03T06:00:00.000Z', label: 'Thursday 07:00 (Europe/Berlin)' });
  });

  it('gives a weekly reader their weekday, next week once this week has gone', () => {
    expect(next(berlin('weekly', 2), '2026-12-02T05:00:00Z')).toEqual({ at: '2026-12-08T06:00:00.000Z', label: 'Tuesday 07:00 (Europe/Berlin)' });
    expect(next(berlin('weekly', 3), '2026-12-02T05:00:00Z')).toEqual({ at: '2026-12-02T06:00:00.000Z', label: 'Wednesday 07:00 (Europe/Berlin)' });
  });

  it('keeps the local hour across the clock changes', () => {
    // Berlin springs forward on Sunday 2026-03-29 (UTC+1 -> UTC+2) and falls back on Sunday 2026-10-25.
    expect(next(berlin('weekly', 1), '2026-03-28T12:00:00Z')).toEqual({ at: '2026-03-30T05:00:00.000Z', label: 'Monday 07:00 (Europe/Berlin)' });
    expect(next(berlin('weekly', 1), '2026-10-24T12:00:00Z')).toEqual({ at: '2026-10-26T06:00:00.000Z', label: 'Monday 07:00 (Europe/Berlin)' });
    // New York changes on other Sundays (2026-03-08, 2026-11-01): 07:00 local is 12:00 then 11:00 UTC.
    // (A Hugging Face reader told on a Saturday hears Tuesday: Monday's list goes out then.)
    const newYork: SendTimePreference = { frequency: 'daily', weekday: 1, sendHour: 7, timeZone: 'America/New_York' };
    expect(next(newYork, '2026-03-07T13:00:00Z')).toEqual({ at: '2026-03-10T11:00:00.000Z', label: 'Tuesday 07:00 (America/New_York)' });
    expect(next(newYork, '2026-10-31T12:00:00Z')).toEqual({ at: '2026-11-03T12:00:00.000Z', label: 'Tuesday 07:00 (America/New_York)' });
  });

  it('starts after a pause, with the date when that is more than a week away', () => {
    expect(next(berlin('daily'), '2026-12-02T05:00:00Z', '2026-12-16T05:00:00Z')).toEqual({
      at: '2026-12-16T06:00:00.000Z',
      label: 'Wednesday 16 December 2026 07:00 (Europe/Berlin)',
    });
    // A pause that has ended changes nothing.
    expect(next(berlin('daily'), '2026-12-02T05:00:00Z', '2026-12-01T05:00:00Z')?.at).toBe('2026-12-02T06:00:00.000Z');
  });
});

describe("the reader's next email follows their sources' calendars", () => {
  const berlin: SendTimePreference = { frequency: 'daily', weekday: 1, sendHour: 7, timeZone: 'Europe/Berlin' };
  // Friday 4 December 2026, 08:00 in Berlin: the reader's 07:00 has passed.
  const fridayAfterSendHour = '2026-12-04T07:00:00Z';

  it("gives a cs.CL reader each listing in the next morning's daily edition: Friday's on Saturday, then Monday's on Tuesday", () => {
    expect(nextEmail(berlin, CS_CL, fridayAfterSendHour)).toEqual({ at: '2026-12-05T06:00:00.000Z', label: 'Saturday 07:00 (Europe/Berlin)' });
    // Before their hour on Friday: Thursday's listing, in Thursday's edition frozen on Friday morning.
    expect(nextEmail(berlin, CS_CL, '2026-12-04T05:00:00Z')?.label).toBe('Friday 07:00 (Europe/Berlin)');
    // arXiv lists nothing on Saturdays and Sundays.
    expect(nextEmail(berlin, CS_CL, '2026-12-05T07:00:00Z')).toEqual({ at: '2026-12-08T06:00:00.000Z', label: 'Tuesday 07:00 (Europe/Berlin)' });
  });

  it("gives a Hugging Face reader each weekday's list the morning after: Friday's on Saturday, then Monday's on Tuesday", () => {
    expect(nextEmail(berlin, HF, fridayAfterSendHour)?.label).toBe('Saturday 07:00 (Europe/Berlin)');
    expect(nextEmail(berlin, HF, '2026-12-05T07:00:00Z')).toEqual({ at: '2026-12-08T06:00:00.000Z', label: 'Tuesday 07:00 (Europe/Berlin)' });
  });

  it('takes the first day any chosen source has a listing', () => {
    // No arXiv listing is dated Wednesday 30 December (no announcement on the 29th); Hugging Face has one.
    expect(nextEmail(berlin, BOTH, '2026-12-30T07:00:00Z')?.label).toBe('Thursday 07:00 (Europe/Berlin)');
    expect(nextEmail(berlin, CS_CL, '2026-12-30T07:00:00Z')?.label).toBe('Friday 07:00 (Europe/Berlin)');
  });

  it("skips arXiv's holidays", () => {
    // arXiv does not announce on Tuesday 29 and Thursday 31 December 2026: no listing dated
    // Wednesday 30 December nor Friday 1 January.
    expect(nextEmail(berlin, CS_CL, '2026-12-30T07:00:00Z')).toEqual({ at: '2027-01-01T06:00:00.000Z', label: 'Friday 07:00 (Europe/Berlin)' });
    expect(nextEmail(berlin, CS_CL, '2027-01-01T07:00:00Z')).toEqual({ at: '2027-01-05T06:00:00.000Z', label: 'Tuesday 07:00 (Europe/Berlin)' });
    // Thanksgiving (Thursday 26 November): no listing on Friday 27.
    expect(nextEmail(berlin, CS_CL, '2026-11-27T07:00:00Z')?.label).toBe('Tuesday 07:00 (Europe/Berlin)');
    // Hugging Face has no holidays: its reader hears Saturday.
    expect(nextEmail(berlin, HF, '2026-11-27T07:00:00Z')?.label).toBe('Saturday 07:00 (Europe/Berlin)');
  });

  it('keeps the local hour across a clock change on the weekend it skips', () => {
    // Berlin falls back on Sunday 25 October 2026: Sunday 07:00 is 06:00 UTC, Saturday's was 05:00.
    expect(nextEmail(berlin, CS_CL, '2026-10-24T07:00:00Z')).toEqual({ at: '2026-10-25T06:00:00.000Z', label: 'Sunday 07:00 (Europe/Berlin)' });
    // New York, arXiv's own clock, falls back on Sunday 1 November: Tuesday 07:00 is 12:00 UTC, Saturday's was 11:00.
    const newYork: SendTimePreference = { ...berlin, timeZone: 'America/New_York' };
    expect(nextEmail(newYork, CS_CL, '2026-10-30T12:00:00Z')).toEqual({ at: '2026-10-31T11:00:00.000Z', label: 'Saturday 07:00 (America/New_York)' });
    expect(nextEmail(newYork, CS_CL, '2026-10-31T12:00:00Z')).toEqual({ at: '2026-11-03T12:00:00.000Z', label: 'Tuesday 07:00 (America/New_York)' });
  });

  it("waits a day where the daily edition is frozen after the reader's hour", () => {
    // A 07:00 reader in Berlin in summer (05:00 UTC) is mailed before the 06:00 UTC assembly:
    // Thursday's listing comes on Saturday, not Friday.
    expect(nextEmail(berlin, CS_CL, '2026-10-23T06:00:00Z')).toEqual({ at: '2026-10-24T05:00:00.000Z', label: 'Saturday 07:00 (Europe/Berlin)' });
    // Tokyo's 07:00 is 22:00 UTC the day before: Friday's listing, frozen Saturday 15:00 there, comes on Sunday.
    const tokyo: SendTimePreference = { ...berlin, timeZone: 'Asia/Tokyo' };
    expect(nextEmail(tokyo, CS_CL, '2026-12-05T12:00:00Z')).toEqual({ at: '2026-12-05T22:00:00.000Z', label: 'Sunday 07:00 (Asia/Tokyo)' });
  });

  it('counts from the end of a pause, and leaves weekly readers on their weekday', () => {
    // Paused until Saturday 12 December: Friday's listing is mailed that morning.
    expect(nextEmail(berlin, CS_CL, '2026-12-02T07:00:00Z', '2026-12-12T05:00:00Z')?.label).toBe('Saturday 12 December 2026 07:00 (Europe/Berlin)');
    const weeklySunday: SendTimePreference = { ...berlin, frequency: 'weekly', weekday: 7 };
    expect(nextEmail(weeklySunday, BOTH, fridayAfterSendHour)?.label).toBe('Sunday 07:00 (Europe/Berlin)');
  });

  it('promises a weekly reader without trending nothing: weekly digests are trending only', () => {
    const weeklySunday: SendTimePreference = { ...berlin, frequency: 'weekly', weekday: 7 };
    expect(nextEmail(weeklySunday, CS_CL, fridayAfterSendHour)).toBeUndefined();
  });

  it('says nothing, rather than fail, when no listing is ready within a month of send times', () => {
    // A DIGEST_CRON that assembles on 1 June only: Friday's listing is ready in six months.
    const yearly = listingReadiness({ cron: '0 0 6 1 6 *', timeZone: 'UTC' });
    expect(nextSendTime(berlin, HF, yearly, new Date(fridayAfterSendHour))).toBeUndefined();
  });

  it('does not promise a new category a listing fetched before it was chosen', () => {
    // A cs.CV reader at 23:00 in Berlin chooses cs.CV on Thursday 3 December 2026 at 11:00 in
    // Berlin, after that night's fetch of Thursday's listing, which did not include cs.CV: their
    // first cs.CV section is Friday's listing, on Saturday.
    const late: SendTimePreference = { frequency: 'daily', weekday: 1, sendHour: 23, timeZone: 'Europe/Berlin' };
    const chosenAt = new Date('2026-12-03T10:00:00Z');
    const cv: ReaderSources = { trending: false, arxivCategories: ['cs.CV'] };
    expect(nextSendTime(late, cv, readiness, chosenAt)?.toISOString()).toBe('2026-12-03T22:00:00.000Z');
    expect(nextSendTime(late, cv, listingsFetchedAfter(readiness, chosenAt), chosenAt)?.toISOString()).toBe('2026-12-05T22:00:00.000Z');
    // Hugging Face's listings are not the ingest's: a trending reader's next email stays.
    expect(nextSendTime(late, { trending: true, arxivCategories: ['cs.CV'] }, listingsFetchedAfter(readiness, chosenAt), chosenAt)?.toISOString()).toBe('2026-12-03T22:00:00.000Z');
  });

  it('has no next email without a source', () => {
    expect(nextEmail(berlin, { trending: false, arxivCategories: [] }, fridayAfterSendHour)).toBeUndefined();
  });

  it("knows when each listing is ready: in its date's daily edition, frozen by the first digest assembly after that day", () => {
    expect(readiness.hf('2026-12-04').toISOString()).toBe('2026-12-05T06:00:00.000Z');
    expect(listingReadiness({ cron: '0 30 7 * * *', timeZone: 'Europe/Berlin' }).hf('2026-12-04').toISOString()).toBe('2026-12-05T06:30:00.000Z');
    expect(readiness.arxiv('2026-12-07').toISOString()).toBe('2026-12-08T06:00:00.000Z');
    // The earliest a day ends is 10:00 UTC (UTC+14), after the listing's 00:30 New York fetch.
    expect(listingReadiness({ cron: '0 1 0 * * *', timeZone: 'Pacific/Kiritimati' }).arxiv('2026-07-06').toISOString()).toBe('2026-07-06T10:01:00.000Z');
  });
});
