import type { SqlExecutor } from '../platform/db/client.js';
import type { Preferences } from './preferences.js';

/**
 * The one mapping between a reader's preferences and the `subscribers` columns that store them.
 * drizzle rows carry the columns under the Preferences field names; raw SQL selects them with
 * `preferenceColumns`, which names them the same way. So every row that holds a reader's
 * preferences, and every drizzle write of them, goes through `preferencesOf`.
 */

/** The preference fields of a row (or of any object that has them), and nothing else. */
export function preferencesOf(row: Preferences): Preferences {
  return {
    frequency: row.frequency,
    weekday: row.weekday,
    sendHour: row.sendHour,
    timeZone: row.timeZone,
    topics: row.topics,
    maxPapers: row.maxPapers,
    trending: row.trending,
    arxivCategories: row.arxivCategories,
  };
}

/** A select list of the preference columns of `table` (an alias such as "s"), named as the Preferences fields. */
export function preferenceColumns(sql: SqlExecutor, table: string) {
  const column = (name: string) => sql(`${table}.${name}`);
  return sql`${column('frequency')} as frequency, ${column('weekday')} as weekday, ${column('send_hour')} as "sendHour",
    ${column('time_zone')} as "timeZone", ${column('topics')} as topics, ${column('max_papers')} as "maxPapers",
    ${column('trending')} as trending, ${column('arxiv_categories')} as "arxivCategories"`;
}
