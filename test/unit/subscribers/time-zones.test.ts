import { describe, expect, it } from 'vitest';
import { checkPreferences } from '../../../services/core/subscribers/preferences.js';
import { canonicalTimeZone, RENAMED_TIME_ZONES, selectableTimeZones } from '../../../services/core/subscribers/time-zones.js';

describe('time zones', () => {
  it('lists current IANA names only: Asia/Kolkata and Europe/Kyiv, not their retired spellings', () => {
    const zones = selectableTimeZones();
    expect(zones[0]).toBe('UTC');
    expect(zones).toContain('Asia/Kolkata');
    expect(zones).toContain('Europe/Kyiv');
    expect(zones).toContain('America/Argentina/Buenos_Aires');
    for (const retired of Object.keys(RENAMED_TIME_ZONES)) expect(zones).not.toContain(retired);
    expect(new Set(zones).size).toBe(zones.length);
    // Country names that are zones in their own right stay.
    expect(zones).toContain('Europe/Bratislava');
  });

  it('every current name in the map is a zone ICU accepts', () => {
    for (const current of Object.values(RENAMED_TIME_ZONES)) expect(canonicalTimeZone(current)).toBe(current);
  });

  it.each([
    ['Asia/Calcutta', 'Asia/Kolkata'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['Europe/Kiev', 'Europe/Kyiv'],
    ['asia/calcutta', 'Asia/Kolkata'],
    ['US/Eastern', 'America/New_York'],
    ['Etc/UTC', 'UTC'],
    ['Europe/Berlin', 'Europe/Berlin'],
  ])('reads %s as %s', (given, expected) => {
    expect(canonicalTimeZone(given)).toBe(expected);
  });

  it('refuses what is not a zone', () => {
    expect(canonicalTimeZone('Atlantis/Capital')).toBeNull();
    expect(canonicalTimeZone('')).toBeNull();
  });

  it('keeps a posted legacy name as its current one', () => {
    expect(checkPreferences({ timeZone: 'Asia/Calcutta' })).toMatchObject({ ok: true, preferences: { timeZone: 'Asia/Kolkata' } });
  });
});
