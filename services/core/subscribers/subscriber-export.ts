import { stringify } from 'csv-stringify/sync';
import type { DatabaseClient } from '../platform/db/client.js';
import { guardCell } from './csv-formula-guard.js';
import { streamSubscribers, type SubscriberListRow } from './subscriber-admin-repo.js';
import { EXPORT_COLUMNS } from './subscriber-import.js';

/**
 * Every reader as CSV, produced batch by batch from a database cursor: the header line first,
 * then one chunk per batch. `subscribers import` reads the file back (topics and arXiv categories are joined with
 * ";"; the id and timestamps columns are informational). No cell starts as a spreadsheet formula
 * (see csv-formula-guard).
 */
export async function* exportSubscribersCsv(deps: { database: DatabaseClient }, onProgress?: (rows: number) => void): AsyncGenerator<string> {
  yield stringify([[...EXPORT_COLUMNS]]);
  let rows = 0;
  for await (const batch of streamSubscribers(deps.database.sql)) {
    yield stringify(batch.map((row) => toCsvRow(row).map(guardCell)));
    rows += batch.length;
    onProgress?.(rows);
  }
}

const iso = (value: Date | null) => value?.toISOString() ?? '';

function toCsvRow(row: SubscriberListRow): string[] {
  return [
    String(row.id),
    row.email,
    row.status,
    row.frequency,
    String(row.weekday),
    String(row.sendHour),
    row.timeZone,
    row.topics.join(';'),
    String(row.maxPapers),
    iso(row.consentAt),
    row.consentSource,
    iso(row.confirmedAt),
    iso(row.unsubscribedAt),
    iso(row.createdAt),
    iso(row.pausedUntil),
    String(row.images),
    String(row.trending),
    row.arxivCategories.join(';'),
  ];
}
