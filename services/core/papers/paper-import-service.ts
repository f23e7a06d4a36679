import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError } from '../platform/errors.js';
import type { Logger } from '../platform/logging/logger.js';
import { plural } from '../platform/plural.js';
import { detectRecordedFormat, type ArxivListing } from './arxiv-feed.js';
import { createArxivSource } from './arxiv-source.js';
import { dailyDateWindow, dailyDateWindowMessage, isInDailyDateWindow, type DailyDateWindow } from './daily-date.js';
import { parsePapers, type ParsedPapers, type ParseOptions } from './hf-paper-schema.js';
import { createHfSource } from './hf-source.js';
import { isArxivCategory, type SourceBatch } from './paper-source.js';
import { saveArxivPapers, savePaperImport, type ArxivPaperRow, type ListedPaper, type ListingToSave, type PaperImport } from './paper-repo.js';
import { arxivAnnouncementInstant, arxivCalendar } from './source-calendar.js';
import { capitalise } from '../platform/text.js';

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
  /** Where an arXiv listing found empty on a day arXiv announces is reported, at error. */
  logger?: Pick<Logger, 'error'>;
}

export interface ImportSummary {
  /** Distinct papers in the input. */
  papers: number;
  created: number;
  updated: number;
  /** Daily dates the papers were featured on, ascending. */
  dates: string[];
  /** Where the papers came from, when not Hugging Face: "arXiv cs.CL listing", "the arXiv API". */
  from?: string;
  /** What else the operator should know, one clause each ("1 replacement of a paper not stored was left out"). */
  notes?: string[];
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
  const from = summary.from ? ` from ${summary.from}` : '';
  const notes = summary.notes && summary.notes.length > 0 ? `; ${summary.notes.join('; ')}` : '';
  return `imported ${plural(summary.papers, 'paper', 'papers')} (${summary.created} new, ${summary.updated} updated)${dates}${from}${notes}`;
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

/** Parses and saves a request body: decoded JSON (Hugging Face), or the text of an XML body (arXiv). */
export async function importPapers(
  deps: PaperImportDeps,
  value: unknown,
  options: ParseOptions & ImportOptions = {},
): Promise<ImportSummary> {
  if (typeof value === 'string') return importPapersText(deps, value, options);
  return importParsedPapers(deps, parsePapers(value, { ...options, window: dailyDateWindow(deps.clock(), deps.config.digest.timeZone) }), options);
}

const ANNOUNCE_WORDS: Record<string, [string, string]> = {
  new: ['new', 'new'],
  cross: ['cross-list', 'cross-lists'],
  replace: ['replacement', 'replacements'],
  'replace-cross': ['replaced cross-list', 'replaced cross-lists'],
};

/**
 * What arXiv says of a paper, as the papers table can hold it. A listing's `new` and `cross`
 * papers are added; a replacement (`replace`, `replace-cross`: a new version of an older paper)
 * refreshes a stored paper's text but adds none, as its first-version date is not in the feed.
 * Each paper once (its first entry): arXiv can list a paper twice across pages.
 */
function toArxivRows(listing: ArxivListing): ArxivPaperRow[] {
  const announcedAt = listing.listingDate ? arxivAnnouncementInstant(listing.listingDate) : undefined;
  const rows = new Map<string, ArxivPaperRow>();
  for (const entry of listing.entries) {
    if (rows.has(entry.id)) continue;
    const publishedAt = entry.firstVersionAt ?? announcedAt;
    if (!publishedAt) continue; // an RSS feed without pubDate is refused before this
    rows.set(entry.id, {
      id: entry.id,
      title: entry.title,
      abstract: entry.abstract,
      authors: entry.authors,
      publishedAt,
      publishedAtKnown: entry.firstVersionAt !== null,
      mayCreate: entry.announceType !== 'replace' && entry.announceType !== 'replace-cross',
      primaryCategory: entry.primaryCategory,
      categories: entry.primaryCategory ? [entry.primaryCategory, ...entry.categories.filter((c) => c !== entry.primaryCategory)] : entry.categories,
    });
  }
  return [...rows.values()];
}

/** The listing date of an arXiv input: the feed's own (RSS), else the one the operator gave. */
function arxivDates(listing: ArxivListing, options: { source: string; date?: string | undefined; window: DailyDateWindow }): string[] {
  if (listing.kind === 'rss' && !listing.listingDate) {
    throw new InvalidInputError(`${capitalise(options.source)} has no pubDate, so its listing date is unknown`, [{ field: 'channel.pubDate', message: 'is missing' }]);
  }
  if (listing.listingDate && options.date && options.date !== listing.listingDate) {
    throw new InvalidInputError(`${capitalise(options.source)} is the arXiv listing of ${listing.listingDate}, not of ${options.date}`, [
      { field: 'date', message: `must be ${listing.listingDate} (the feed's pubDate) or left out` },
    ]);
  }
  const date = listing.listingDate ?? options.date;
  if (date && !isInDailyDateWindow(date, options.window)) {
    throw new InvalidInputError(`Invalid date "${date}"`, [{ field: 'date', message: dailyDateWindowMessage(options.window) }]);
  }
  return date ? [date] : [];
}


/**
 * The one category an API answer was asked for: the fetch says it, a recorded file's query
 * (`search_query=cat:cs.CL`, `cat:cs.CL AND submittedDate:[...]`) names it. A query of several
 * categories, or of none, is no category's listing.
 */
function listingCategory(listing: ArxivListing): string | undefined {
  if (listing.category) return isArxivCategory(listing.category) ? listing.category : undefined;
  if (listing.kind !== 'api') return undefined;
  const named = [...listing.title.matchAll(/\bcat:([^\s&+]+)/g)].map((match) => match[1] ?? '');
  return named.length === 1 && !/\bOR\b|\bANDNOT\b/.test(listing.title) && isArxivCategory(named[0] ?? '') ? named[0] : undefined;
}

/**
 * What a listing day holds, in listing order, each paper once: RSS says why each is there;
 * the API does not, so a paper whose primary category is the listing's is `new` and any other
 * a `cross`-list (it names the category among its others).
 */
function listedPapers(listing: ArxivListing, category: string): ListedPaper[] {
  const seen = new Set<string>();
  const listed: ListedPaper[] = [];
  for (const entry of listing.entries) {
    if (seen.has(entry.id)) continue;
    seen.add(entry.id);
    const announceType = entry.announceType ?? (entry.primaryCategory === null || entry.primaryCategory === category ? 'new' : 'cross');
    listed.push({ paperId: entry.id, announceType, position: listed.length, version: entry.version });
  }
  return listed;
}

/** Saves an arXiv listing (a parsed API answer or RSS feed). */
export async function importArxivListing(
  deps: PaperImportDeps,
  listing: ArxivListing,
  options: ImportOptions & { source?: string; date?: string | undefined } = {},
): Promise<ImportSummary> {
  const dates = arxivDates(listing, { source: options.source ?? 'the input', date: options.date, window: dailyDateWindow(deps.clock(), deps.config.digest.timeZone) });
  const rows = toArxivRows(listing);
  const notes: string[] = [];
  const category = listingCategory(listing);
  let toSave: ListingToSave | undefined;
  if (category && dates[0] !== undefined) {
    const day = arxivCalendar.dayOf(dates[0]);
    toSave = {
      source: 'arxiv',
      category,
      listingDate: dates[0],
      papers: listedPapers(listing, category),
      expected: day.expected,
      reason: day.expected ? null : day.reason,
    };
  } else if (listing.entries.length > 0) {
    notes.push(`not kept as a listing: ${category ? 'its listing date is unknown (give --date or ?date=)' : 'it is not the listing of one arXiv category'}`);
  }
  const counts =
    rows.length === 0 && !toSave
      ? { created: 0, updated: 0, notStored: [] }
      : await saveArxivPapers(deps.database.db, rows, { now: deps.clock(), onProgress: options.onProgress, listing: toSave });
  if (listing.kind === 'rss') {
    const byType = new Map<string, number>();
    for (const entry of listing.entries) byType.set(entry.announceType ?? 'new', (byType.get(entry.announceType ?? 'new') ?? 0) + 1);
    const parts = Object.entries(ANNOUNCE_WORDS)
      .filter(([type]) => byType.has(type))
      .map(([type, [one, many]]) => plural(byType.get(type) ?? 0, one, many));
    if (parts.length > 0) notes.push(`listed: ${parts.join(', ')}`);
  }
  if (toSave && toSave.papers.length === 0) {
    if (toSave.reason !== null) {
      notes.push(toSave.reason);
    } else {
      // arXiv announces that day, so an empty listing is a fetch or a feed that went wrong:
      // say so loudly (paperboy_source_empty_days{expected="false"} counts these days).
      const message = `arXiv ${toSave.category} listing of ${toSave.listingDate} is empty, but arXiv announces that day: the ingest or the feed failed`;
      deps.logger?.error({ source: 'arxiv', category: toSave.category, listingDate: toSave.listingDate }, message);
      notes.push(`empty, but arXiv announces that day: recorded as an unexpected empty day`);
    }
  }
  if (counts.notStored.length > 0) {
    notes.push(
      `left out ${plural(counts.notStored.length, 'replacement', 'replacements')} of papers not stored (${counts.notStored.join(', ')})`,
    );
  }
  return {
    papers: rows.length - counts.notStored.length,
    created: counts.created,
    updated: counts.updated,
    dates,
    from: listing.kind === 'rss' ? `arXiv ${listing.category ?? 'RSS'} listing` : listing.category ? `the arXiv API (${listing.category})` : 'the arXiv API',
    notes,
  };
}

/**
 * Parses and saves a recorded answer of either source, told apart by content: JSON is a Hugging
 * Face daily_papers response, an Atom feed in arXiv's API namespaces an API answer, RSS an arXiv
 * listing feed.
 */
export async function importPapersText(
  deps: PaperImportDeps,
  text: string,
  options: ParseOptions & ImportOptions = {},
): Promise<ImportSummary> {
  const source = options.source ?? 'the input';
  const window = dailyDateWindow(deps.clock(), deps.config.digest.timeZone);
  const format = detectRecordedFormat(text);
  if (format === undefined && text.replace(/^\uFEFF/, '').trimStart().startsWith('<')) {
    throw new InvalidInputError(
      `${capitalise(source)} is not JSON, nor an arXiv API or RSS feed; expected a Hugging Face daily_papers response (JSON) or a recorded arXiv API or RSS answer (XML)`,
      [{ field: 'items', message: 'is not JSON, nor an arXiv feed' }],
    );
  }
  const parseOptions = { ...options, source, window };
  const batch = format === 'arxiv-api' || format === 'arxiv-rss' ? createArxivSource().parse(text, parseOptions) : createHfSource().parse(text, parseOptions);
  return importSourceBatch(deps, batch, { ...options, source });
}

/** Saves what a source fetched or parsed, with the columns its papers can fill. */
export async function importSourceBatch(
  deps: PaperImportDeps,
  batch: SourceBatch,
  options: ImportOptions & { source?: string; date?: string | undefined } = {},
): Promise<ImportSummary> {
  return batch.source === 'hf' ? importParsedPapers(deps, batch.parsed, options) : importArxivListing(deps, batch.listing, options);
}

/** Reads, parses and saves a file (see importPapersText); a missing, empty or unreadable file is an InvalidInputError. */
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
  return importPapersText(deps, text, { ...options, source: `file ${path.basename(file)}` });
}
