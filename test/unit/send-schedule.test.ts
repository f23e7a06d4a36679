import { describe, expect, it } from 'vitest';
import { describeSendTime, firstSendTimeAfter, isDue, nextSendTime, type SendTimePreference } from '../../services/core/sending/send-schedule.js';

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

describe("the reader's next email", () => {
  const berlin = (frequency: 'daily' | 'weekly', weekday = 2): SendTimePreference => ({ frequency, weekday, sendHour: 7, timeZone: 'Europe/Berlin' });
  const next = (preference: SendTimePreference, now: string, pausedUntil?: string) => {
    const instant = nextSendTime(preference, new Date(now), pausedUntil ? new Date(pausedUntil) : null);
    return { at: instant.toISOString(), label: describeSendTime(instant, preference.timeZone, new Date(now)) };
  };

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
    const newYork: SendTimePreference = { frequency: 'daily', weekday: 1, sendHour: 7, timeZone: 'America/New_York' };
    expect(next(newYork, '2026-03-07T13:00:00Z')).toEqual({ at: '2026-03-08T11:00:00.000Z', label: 'Sunday 07:00 (America/New_York)' });
    expect(next(newYork, '2026-10-31T12:00:00Z')).toEqual({ at: '2026-11-01T12:00:00.000Z', label: 'Sunday 07:00 (America/New_York)' });
  });

  it('starts after a pause, with the date when that is more than a week away', () => {
    expect(next(berlin('daily'), '2026-12-02T05:00:00Z', '2026-12-16T05:00:00Z')).toEqual({
      at: '2026-12-16T06:00:00.000Z',
      label: 'Wednesday 16 December 2026 07:00 (Europe/Berlin)',
    });
    // A pause that has ended changes nothing.
    expect(next(berlin('daily'), '2026-12-02T05:00:00Z', '2026-12-01T05:00:00Z').at).toBe('2026-12-02T06:00:00.000Z');
  });
});
