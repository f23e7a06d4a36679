import { describe, expect, it } from 'vitest';
import { firstSendTimeAfter, isDue, type SendTimePreference } from '../../services/core/sending/send-schedule.js';

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
