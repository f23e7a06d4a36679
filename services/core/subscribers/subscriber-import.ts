import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Clock } from '../platform/clock.js';
import type { DatabaseClient, SqlExecutor } from '../platform/db/client.js';
import { InvalidInputError } from '../platform/errors.js';
import { checkEmailAddress } from '../platform/mail/email-address.js';
import type { SmtpUtf8Answer } from '../platform/mail/smtputf8.js';
import type { MailTransport } from '../platform/mail/transport.js';
import { JsonStreamError, jsonObjects } from './json-items.js';
import { unguardCell } from './csv-formula-guard.js';
import { checkPreferences } from './preferences.js';
import { upsertImportedSubscribers, type ImportedSubscriber } from './subscriber-admin-repo.js';
import { findSuppressedHashes, suppressionHash } from '../suppression/suppression-repo.js';

/**
 * Importing an existing list of readers (CSV or JSON), streamed: records are validated one by
 * one and written in batches, so memory stays flat whatever the list's length.
 *
 * Consent: rows are imported as confirmed only when the operator states that consent was
 * already collected (`consentConfirmed`); otherwise they are pending, and no confirmation
 * email goes out (a mass mailing to a cold list is what gets a sender blocked; pending readers
 * confirm when they sign up themselves). A row may say "unsubscribed" to carry an opt-out over.
 * Re-importing is idempotent (see upsertImportedSubscribers); suppressed addresses are never
 * imported. The whole import is one transaction: a body that breaks off or cannot be parsed
 * leaves nothing half-imported. Rows with bad values are skipped and named in the report, and so
 * are addresses with a non-ASCII local part while the mail server does not offer SMTPUTF8.
 */

export type ImportFormat = 'csv' | 'json';

export interface ImportProblem {
  /** CSV: the line in the file (1 = header). JSON: the item number (1-based). */
  line: number;
  message: string;
}

export interface ImportReport {
  /** Records read (header excluded). */
  records: number;
  created: number;
  updated: number;
  /** Known readers left as they were (a re-import, or nothing the import may change). */
  unchanged: number;
  /** Rows naming an address on the suppression list (erased, bounced); never imported. */
  suppressed: number;
  /** Rows repeating an address seen earlier in the same import (the last one counts). */
  duplicates: number;
  invalid: number;
  /** The bad rows, up to MAX_REPORTED_PROBLEMS; `problemsTruncated` says when there were more. */
  problems: ImportProblem[];
  problemsTruncated: boolean;
  /** Columns the import does not know and ignored. */
  ignoredColumns: string[];
}

const MAX_REPORTED_PROBLEMS = 1000;
const IMPORT_BATCH_SIZE = 2000;

/** Columns by their normalised header (lower case, letters and digits only). */
const COLUMNS: Record<string, keyof RawRecord> = {
  email: 'email',
  emailaddress: 'email',
  status: 'status',
  frequency: 'frequency',
  weekday: 'weekday',
  sendhour: 'sendHour',
  timezone: 'timeZone',
  topics: 'topics',
  maxpapers: 'maxPapers',
  trending: 'trending',
  arxivcategories: 'arxivCategories',
  consentat: 'consentAt',
  consentdate: 'consentAt',
};
/** Columns of our own export that an import reads past on purpose. */
const EXPORT_ONLY = new Set(['id', 'consentsource', 'confirmedat', 'unsubscribedat', 'createdat', 'pauseduntil', 'images']);

interface RawRecord {
  email?: unknown;
  status?: unknown;
  frequency?: unknown;
  weekday?: unknown;
  sendHour?: unknown;
  timeZone?: unknown;
  topics?: unknown;
  maxPapers?: unknown;
  trending?: unknown;
  arxivCategories?: unknown;
  consentAt?: unknown;
}

const normaliseHeader = (header: string) => header.toLowerCase().replace(/[^a-z0-9]/g, '');

function mapRecord(input: Record<string, unknown>, ignored: Set<string>): RawRecord {
  const record: RawRecord = {};
  for (const [key, value] of Object.entries(input)) {
    const normalised = normaliseHeader(key);
    // Own keys only: a "constructor" column must not find Object's.
    const field = Object.hasOwn(COLUMNS, normalised) ? COLUMNS[normalised] : undefined;
    if (field) record[field] = value;
    else if (!EXPORT_ONLY.has(normalised)) ignored.add(key);
  }
  return record;
}

const STATUS_WORDS: Record<string, 'subscribed' | 'pending' | 'unsubscribed'> = {
  '': 'subscribed',
  confirmed: 'subscribed',
  subscribed: 'subscribed',
  active: 'subscribed',
  enabled: 'subscribed',
  pending: 'pending',
  unconfirmed: 'pending',
  unsubscribed: 'unsubscribed',
  optedout: 'unsubscribed',
  blocklisted: 'unsubscribed',
};

/**
 * Lists repeat the same few preference combinations; validating one (a zod pass and an
 * Intl time-zone probe) costs far more than the rest of a row, so results are memoised by the
 * raw values. Bounded: cleared when it grows past PREFERENCE_CACHE_SIZE.
 */
const PREFERENCE_CACHE_SIZE = 10_000;
const preferenceCache = new Map<string, ReturnType<typeof checkPreferences>>();
function cachedPreferences(input: Record<string, unknown>): ReturnType<typeof checkPreferences> {
  const key = JSON.stringify([input.frequency, input.weekday, input.sendHour, input.timeZone, input.topics, input.maxPapers, input.trending, input.arxivCategories]);
  let result = preferenceCache.get(key);
  if (!result) {
    if (preferenceCache.size >= PREFERENCE_CACHE_SIZE) preferenceCache.clear();
    result = checkPreferences(input);
    preferenceCache.set(key, result);
  }
  // Each row gets its own arrays (the cached ones are shared).
  return result.ok
    ? { ok: true, preferences: { ...result.preferences, topics: [...result.preferences.topics], arxivCategories: [...result.preferences.arxivCategories] } }
    : result;
}

/** One record checked: the row to write, or why it cannot be imported. */
export function checkImportRecord(
  record: RawRecord,
  consentConfirmed: boolean,
): { ok: true; row: ImportedSubscriber; /** The address needs SMTPUTF8. */ smtpUtf8: boolean } | { ok: false; message: string } {
  const email = checkEmailAddress(record.email);
  if (!email.ok) return { ok: false, message: `email: ${email.message}` };
  const statusWord = STATUS_WORDS[normaliseHeader(String(record.status ?? ''))];
  if (!statusWord) return { ok: false, message: `status: "${String(record.status).slice(0, 40)}" is not confirmed, pending or unsubscribed` };
  const topics = typeof record.topics === 'string' ? record.topics.replace(/;/g, ',') : record.topics;
  const preferences = cachedPreferences({
    frequency: record.frequency,
    weekday: record.weekday,
    sendHour: record.sendHour,
    timeZone: record.timeZone,
    topics,
    maxPapers: record.maxPapers,
    trending: record.trending,
    // The export joins categories with ";" like topics.
    arxivCategories: typeof record.arxivCategories === 'string' ? record.arxivCategories.replace(/;/g, ',') : record.arxivCategories,
  });
  if (!preferences.ok) return { ok: false, message: preferences.details.map((d) => `${d.field}: ${d.message}`).join('; ') };
  let consentAt: Date | null = null;
  if (record.consentAt !== undefined && record.consentAt !== null && String(record.consentAt).trim() !== '') {
    consentAt = new Date(String(record.consentAt));
    if (Number.isNaN(consentAt.getTime())) return { ok: false, message: `consent_at: "${String(record.consentAt).slice(0, 40)}" is not a date` };
  }
  const status = statusWord === 'unsubscribed' ? 'unsubscribed' : statusWord === 'subscribed' && consentConfirmed ? 'confirmed' : 'pending';
  return {
    ok: true,
    row: { email: email.address, emailNormalized: email.normalized, status, ...preferences.preferences, consentAt },
    smtpUtf8: email.smtpUtf8,
  };
}

/** Why a row with a non-ASCII local part is not imported, for the operator. */
function smtpUtf8ImportProblem(answer: SmtpUtf8Answer): string {
  const why =
    answer.support === 'unknown'
      ? `whether the mail server offers SMTPUTF8 could not be asked (${answer.problem ?? 'no answer'})`
      : 'the mail server (SMTP_URL) does not offer SMTPUTF8';
  return `email: the part before the @ has non-ASCII characters, which only mail sent with SMTPUTF8 can reach, and ${why}; not imported`;
}

/** Records of a CSV body with a header line, each with the line it ends on. */
async function* csvRecords(body: Readable, report: ImportReport, ignored: Set<string>): AsyncGenerator<{ line: number; record: RawRecord }> {
  let sawEmailColumn = false;
  const parser = body.pipe(
    parse({
      bom: true,
      columns: (headers: string[]) => {
        sawEmailColumn = headers.some((header) => COLUMNS[normaliseHeader(header)] === 'email');
        if (!sawEmailColumn) throw new InvalidInputError('The CSV has no email column', [{ field: 'header', message: 'The first line must name the columns, one of them "email"' }]);
        return headers;
      },
      skip_empty_lines: true,
      trim: true,
      // Undoes the export's guard against spreadsheet formulas.
      cast: (value: string) => unguardCell(value),
      info: true,
      // A malformed line (wrong column count, an unclosed quote) is reported, not fatal.
      skip_records_with_error: true,
      // A quote inside an unquoted cell is text, as spreadsheets read it. Strict quoting would
      // also refuse that line, but csv-parse rebuilds its message from the whole cell at every
      // such quote: one long line full of quotes took minutes (quadratic), holding the request.
      relax_quotes: true,
      relax_column_count_less: true,
    }),
  );
  parser.on('skip', (error: Error & { lines?: number }) => addProblem(report, error.lines ?? 0, `not a valid CSV line: ${error.message}`));
  body.on('error', (error) => parser.destroy(error));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, record: mapRecord(record, ignored) };
  }
}

async function* jsonRecords(body: Readable, ignored: Set<string>): AsyncGenerator<{ line: number; record: RawRecord | undefined }> {
  for await (const { item, value } of jsonObjects(body)) {
    const record = value && typeof value === 'object' && !Array.isArray(value) ? mapRecord(value as Record<string, unknown>, ignored) : undefined;
    yield { line: item, record };
  }
}

function addProblem(report: ImportReport, line: number, message: string): void {
  report.invalid += 1;
  if (report.problems.length < MAX_REPORTED_PROBLEMS) report.problems.push({ line, message });
  else report.problemsTruncated = true;
}

interface SubscriberImportDeps {
  database: DatabaseClient;
  clock: Clock;
  /** Asked, once per import and only if a row needs it, whether the mail server offers SMTPUTF8. */
  mail: Pick<MailTransport, 'smtpUtf8'>;
}

export interface ImportOptions {
  format: ImportFormat;
  consentConfirmed: boolean;
  /** Called after each batch with the records read so far. */
  onProgress?: (records: number) => void;
}

export async function importSubscribers(deps: SubscriberImportDeps, body: Readable, options: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = {
    records: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    suppressed: 0,
    duplicates: 0,
    invalid: 0,
    problems: [],
    problemsTruncated: false,
    ignoredColumns: [],
  };
  const ignored = new Set<string>();
  const now = deps.clock();
  const consentForm = options.consentConfirmed ? 'import-consent-confirmed' : 'import';
  let smtpUtf8: Promise<SmtpUtf8Answer> | undefined;

  const writeBatch = async (tx: SqlExecutor, batch: Map<string, { line: number; row: ImportedSubscriber }>) => {
    if (batch.size === 0) return;
    const entries = [...batch.values()].map((entry) => ({ ...entry, hash: suppressionHash(entry.row.emailNormalized) }));
    const suppressed = await findSuppressedHashes(tx, entries.map((entry) => entry.hash));
    const rows: ImportedSubscriber[] = [];
    for (const entry of entries) {
      if (suppressed.has(entry.hash)) {
        report.suppressed += 1;
        if (report.problems.length < MAX_REPORTED_PROBLEMS) report.problems.push({ line: entry.line, message: 'address is suppressed (erased or bounced); not imported' });
        else report.problemsTruncated = true;
      } else rows.push(entry.row);
    }
    const { created, updated } = await upsertImportedSubscribers(tx, rows, { now, consentForm });
    report.created += created;
    report.updated += updated;
    report.unchanged += rows.length - created - updated;
    batch.clear();
    options.onProgress?.(report.records);
  };

  try {
    await deps.database.sql.begin(async (tx) => {
      // Within one batch an address must appear once (ON CONFLICT cannot touch a row twice);
      // across batches the upsert itself makes a repeat harmless.
      const batch = new Map<string, { line: number; row: ImportedSubscriber }>();
      const records = options.format === 'csv' ? csvRecords(body, report, ignored) : jsonRecords(body, ignored);
      for await (const { line, record } of records) {
        report.records += 1;
        if (!record) {
          addProblem(report, line, 'not an object with an "email" field');
          continue;
        }
        const checked = checkImportRecord(record, options.consentConfirmed);
        if (!checked.ok) {
          addProblem(report, line, checked.message);
          continue;
        }
        if (checked.smtpUtf8) {
          smtpUtf8 ??= deps.mail.smtpUtf8();
          const answer = await smtpUtf8;
          if (answer.support !== 'offered') {
            addProblem(report, line, smtpUtf8ImportProblem(answer));
            continue;
          }
        }
        if (batch.has(checked.row.emailNormalized)) report.duplicates += 1;
        batch.set(checked.row.emailNormalized, { line, row: checked.row });
        if (batch.size >= IMPORT_BATCH_SIZE) await writeBatch(tx, batch);
      }
      await writeBatch(tx, batch);
    });
  } catch (error) {
    if (error instanceof JsonStreamError) {
      throw new InvalidInputError(`Not valid JSON; nothing was imported: ${error.message}`, [{ field: `item ${error.item}`, message: error.message }]);
    }
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) {
      throw new InvalidInputError(`Not valid CSV; nothing was imported: ${(error as Error).message}`, [{ field: 'body', message: (error as Error).message }]);
    }
    throw error;
  }
  report.ignoredColumns = [...ignored];
  return report;
}

/** "imported 998 of 1,000 rows: 990 new, 8 updated, 0 unchanged; 1 suppressed, 1 invalid (line 7: ...)" */
export function formatImportReport(report: ImportReport): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `read ${n(report.records)} records: ${n(report.created)} new, ${n(report.updated)} updated, ${n(report.unchanged)} unchanged, ` +
      `${n(report.suppressed)} suppressed, ${n(report.duplicates)} duplicates, ${n(report.invalid)} invalid`,
  ];
  for (const problem of report.problems) lines.push(`  line ${problem.line}: ${problem.message}`);
  if (report.problemsTruncated) lines.push(`  ... and more (only the first ${MAX_REPORTED_PROBLEMS} problems are listed)`);
  if (report.ignoredColumns.length > 0) lines.push(`ignored columns: ${report.ignoredColumns.join(', ')}`);
  return lines.join('\n');
}

/** The export's CSV header; an import reads it back. */
export const EXPORT_COLUMNS = [
  'id',
  'email',
  'status',
  'frequency',
  'weekday',
  'send_hour',
  'time_zone',
  'topics',
  'max_papers',
  'consent_at',
  'consent_source',
  'confirmed_at',
  'unsubscribed_at',
  'created_at',
  'paused_until',
  'images',
  'trending',
  'arxiv_categories',
] as const;

