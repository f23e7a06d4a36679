import type { Preferences } from './preferences.js';

/** A reader's preferences as raw SQL (postgres.js) returns their columns. */
export interface PreferenceColumns {
  frequency: Preferences['frequency'];
  weekday: number;
  send_hour: number;
  time_zone: string;
  topics: string[];
  max_papers: number;
}

export function preferencesFromColumns(row: PreferenceColumns): Preferences {
  return {
    frequency: row.frequency,
    weekday: row.weekday,
    sendHour: row.send_hour,
    timeZone: row.time_zone,
    topics: row.topics,
    maxPapers: row.max_papers,
  };
}
