import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError } from '../platform/errors.js';
import { plural } from '../platform/plural.js';
import { dailyDateWindow } from './daily-date.js';
import { parsePapers, parsePapersJson, type ParsedPapers, type ParseOptions } from './hf-paper-schema.js';
import { savePaperImport, type PaperImport } from './paper-repo.js';

/**
 * The one way papers enter Paperboy: the scheduled ingest, `cli import FILE` and
 * `POST /admin/papers` all parse with the same parser and save through here. An import is
 * all-or-nothing, and re-importing the same data changes nothing but the upvote history.
 */

export interface PaperImportDeps {
  database: DatabaseClient;
  /** Stamps the upvote history and, with the digest's time zone, bounds the daily dates taken. */
  clock: Clock;
  config: { digest: Pick<Config['digest'], 'timeZone'> };
}

export interface ImportSummary {
  /** Distinct papers in the input. */
  papers: number;
  created: number;
  updated: number;
  /** Daily dates the papers were featured on, ascending. */
  dates: string[];
}

export interface ImportOptions {
  onProgress?: (done: number, total: number) => void;
}

/** `imported 44 papers (3 new, 41 updated) for 2026-02-03` */
export function formatImportSummary(summary: ImportSummary): string {
  const dates =
    summary.dates.length === 0
      ? ''
      : summary.dates.length <= 3
        ? ` for ${summary.dates.join(', ')}`
        : ` for ${summary.dates.length} days (${summary.dates[0]} to ${summary.dates.at(-1)})`;
  return `imported ${plural(summary.papers, 'paper', 'papers')} (${summary.created} new, ${summary.updated} updated)${dates}`;
}

/**
 * Collapses the parsed items into what is stored: each paper once (a paper listed on several
 * days takes its data from the latest day), each (paper, day) observation once.
 */
function toImport(parsed: ParsedPapers): PaperImport {
  const latest = new Map<string, { dailyDate: string; paper: ParsedPapers['items'][number]['paper'] }>();
  const observations = new Map<string, PaperImport['observations'][number]>();
  for (const item of parsed.items) {
    const current = latest.get(item.paper.id);
    if (!current || item.dailyDate >= current.dailyDate) latest.set(item.paper.id, { dailyDate: item.dailyDate, paper: item.paper });
    observations.set(`${item.paper.id} ${item.dailyDate}`, {
      paperId: item.paper.id,
      dailyDate: item.dailyDate,
      upvotes: item.paper.upvotes,
      numComments: item.paper.numComments,
      githubStars: item.paper.githubStars,
    });
  }
  return { papers: [...latest.values()].map((entry) => entry.paper), observations: [...observations.values()] };
}

/** Saves already-parsed papers (the HF client's result, a parsed file). */
export async function importParsedPapers(deps: PaperImportDeps, parsed: ParsedPapers, options: ImportOptions = {}): Promise<ImportSummary> {
  const input = toImport(parsed);
  const counts =
    input.papers.length === 0
      ? { created: 0, updated: 0 }
      : await savePaperImport(deps.database.db, input, { now: deps.clock(), onProgress: options.onProgress });
  return { papers: input.papers.length, ...counts, dates: parsed.dates };
}

/** Parses and saves a decoded JSON value (a request body). */
export async function importPapers(
  deps: PaperImportDeps,
  value: unknown,
  options: ParseOptions & ImportOptions = {},
): Promise<ImportSummary> {
  return importParsedPapers(deps, parsePapers(value, { ...options, window: dailyDateWindow(deps.clock(), deps.config.digest.timeZone) }), options);
}

/** Reads, parses and saves a JSON file; a missing, empty or non-JSON file is an InvalidInputError. */
export async function importPapersFile(
  deps: PaperImportDeps,
  file: string,
  options: Omit<ParseOptions, 'source'> & ImportOptions = {},
): Promise<ImportSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (error as Error).message})`;
    throw new InvalidInputError(`File ${file} ${reason}`, [{ field: 'file', message: reason }]);
  }
  const parsed = parsePapersJson(text, { ...options, source: `file ${path.basename(file)}`, window: dailyDateWindow(deps.clock(), deps.config.digest.timeZone) });
  return importParsedPapers(deps, parsed, options);
}
