import type { Sql } from '../../services/core/platform/db/client.js';
import { importPapersFile } from '../../services/core/papers/paper-import-service.js';
import type { Runtime } from '../../services/runtime.js';
import { hfFixturePath } from './hf-replay-server.js';

/** Imports one recorded Hugging Face day (2024-03-21, 2026-02-03 or 2026-08-13). */
export async function importFixtureDay(runtime: Runtime, date: string): Promise<void> {
  await importPapersFile(runtime, hfFixturePath(date), { date });
}

export interface ReaderOverrides {
  frequency?: 'daily' | 'weekly';
  weekday?: number;
  sendHour?: number;
  timeZone?: string;
  topics?: string[];
  maxPapers?: number;
  trending?: boolean;
  arxivCategories?: string[];
  status?: 'pending' | 'confirmed' | 'unsubscribed';
}

/**
 * Inserts `count` readers reader-{start}@example.org ... in one statement (fast enough for
 * thousands) and returns their ids in order.
 */
export async function insertReaders(sql: Sql, count: number, overrides: ReaderOverrides = {}, start = 1, domain = 'example.org'): Promise<number[]> {
  const rows = await sql<{ id: string }[]>`
    insert into subscribers (email, email_normalized, status, frequency, weekday, send_hour, time_zone, topics, max_papers,
                             trending, arxiv_categories, consent_at, consent_source, confirmed_at)
    select 'reader-' || n || '@' || ${domain}, 'reader-' || n || '@' || ${domain}, ${overrides.status ?? 'confirmed'},
           ${overrides.frequency ?? 'daily'}, ${overrides.weekday ?? 1}, ${overrides.sendHour ?? 7}, ${overrides.timeZone ?? 'UTC'},
           ${overrides.topics ?? []}::text[], ${overrides.maxPapers ?? 10},
           ${overrides.trending ?? true}, ${overrides.arxivCategories ?? []}::text[], now(), 'import', now()
    from generate_series(${start}::int, ${start + count - 1}::int) as n
    order by n
    returning id`;
  return rows.map((row) => Number(row.id));
}
