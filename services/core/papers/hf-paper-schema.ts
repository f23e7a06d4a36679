import { z } from 'zod';
import { InvalidInputError, type ErrorDetail } from '../platform/errors.js';
import { dailyDateWindowMessage, isDailyDate, isInDailyDateWindow, utcDate, type DailyDateWindow } from './daily-date.js';
import { capitalise } from '../platform/text.js';

/**
 * The one parser for papers, whatever brought them: the Hugging Face `daily_papers` response in
 * each of its three schema eras (2024: `mediaUrl`, no `submittedOnDailyAt`; 2025-26: real
 * submission time; mid-2026 on: date-only buckets), or a plain array of HF `paper` objects.
 * The scheduled ingest, `cli import FILE` and `POST /admin/papers` all go through it, so a file
 * is accepted or refused the same way everywhere.
 *
 * What it guarantees (see PAPER-SOURCES.md 1.4-1.7):
 * - whitespace normalised (arXiv hard wraps gone, real paragraph breaks kept as a blank line);
 * - LaTeX and literal `<...>` kept as text: escaping is the renderer's job, never the parser's;
 * - hidden authors skipped; author order kept;
 * - the arXiv date from `paper.publishedAt`, never the top-level `publishedAt` (US-Eastern wall
 *   clock labelled UTC since 2025);
 * - the daily date from the caller (the queried date) or `paper.submittedOnDailyAt`;
 * - optional fields absent or null alike; links only when they are http(s) URLs;
 * - one broken item refuses the whole input, with errors naming item index, arXiv id and field;
 *   or, for the Hugging Face API (`skipInvalidItems`), is left out and named in `skipped`.
 */

export interface ParsedPaper {
  /** arXiv id without version suffix. */
  id: string;
  title: string;
  abstract: string;
  /** Visible authors in arXiv order. */
  authors: string[];
  /** arXiv publication instant. */
  publishedAt: Date;
  aiSummary: string | null;
  aiKeywords: string[];
  githubRepo: string | null;
  githubStars: number | null;
  projectPage: string | null;
  thumbnailUrl: string | null;
  /** Display name of the HF organization the paper is attributed to. */
  organization: string | null;
  /** Display name of who submitted it to Daily Papers (full name, else the HF username). */
  submittedBy: string | null;
  upvotes: number;
  /** Null when the input does not say (a plain paper object has no comment count). */
  numComments: number | null;
}

export interface ParsedItem {
  /** Position in the input, for messages. */
  index: number;
  /** The Daily Papers date this item was featured on. */
  dailyDate: string;
  paper: ParsedPaper;
}

/** An item left out (see `skipInvalidItems`): where it was, and what is wrong with it. */
export interface SkippedItem {
  index: number;
  /** Its arXiv id, when it has a readable one. */
  id: string | undefined;
  problems: ErrorDetail[];
}

export interface ParsedPapers {
  items: ParsedItem[];
  /** Distinct daily dates of the items, ascending. */
  dates: string[];
  /** Invalid items left out; always empty unless `skipInvalidItems`. */
  skipped: SkippedItem[];
}

export interface ParseOptions {
  /** The daily date the input was fetched for (the `date` query); wins over the items' own. */
  date?: string;
  /** What the input is, for messages: "papers.json", "the request body", "the Hugging Face API". */
  source?: string;
  /** The daily dates accepted (see `dailyDateWindow`); callers that have a clock pass it. */
  window?: DailyDateWindow;
  /**
   * Leave invalid items out (listed in `skipped`) instead of refusing the input: for the Hugging
   * Face API, where one odd item must not cost the day, and nobody can fix the source. Still
   * refused when most items are invalid: that is the API's format changing, not one bad item.
   */
  skipInvalidItems?: boolean;
}

/** At most this many problems are listed; the message still counts all broken items. */
const MAX_DETAILS = 50;

// New-style ids (2602.01234, optionally with a version) and old-style ones (hep-th/9901001).
const ARXIV_ID = /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** arXiv paragraphs start with an indented line ("\n  "); every other line break is a hard wrap. */
export function normaliseAbstract(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]+|\n[ \t]*\n/)
    .map(collapse)
    .filter(Boolean)
    .join('\n\n');
}

function httpUrlOrNull(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  try {
    const url = new URL(trimmed);
    // A javascript: or data: link must never reach an email, whatever the source says.
    return url.protocol === 'https:' || url.protocol === 'http:' ? trimmed : null;
  } catch {
    return null;
  }
}

/** Counts are Postgres `integer` columns. */
const MAX_COUNT = 2 ** 31 - 1;
/** arXiv began in 1991; Postgres has no year 0, so an absurd year is refused here, not by the database. */
const EARLIEST_INSTANT = Date.UTC(1900, 0, 1);

const count = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(MAX_COUNT, `must be at most ${MAX_COUNT}`);

const instant = z
  .string({ error: 'must be an ISO 8601 date or timestamp' })
  .refine((value) => ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value)), {
    message: 'must be an ISO 8601 date or timestamp, e.g. 2026-02-03T00:00:00.000Z',
  })
  // Not NaN-sensitive: an unreadable value has its message above.
  .refine((value) => !(Date.parse(value) < EARLIEST_INSTANT), { message: 'must not be before 1900' })
  .transform((value) => new Date(value));

// Postgres text cannot hold NUL.
const text = z.string({ error: 'must be text' }).refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');

const author = z.object({
  name: text,
  hidden: z.boolean().nullish(),
});

const organization = z.object({ name: text.nullish(), fullname: text.nullish() });
/** A HF user: the username is `name` in `submittedBy` and `user` in `submittedOnDailyBy`. */
const hfUser = z.object({ fullname: text.nullish(), name: text.nullish(), user: text.nullish() });

/** The HF `paper` object (also what `/api/papers/{id}` answers): the shape of a plain paper. */
const paperObject = z.object({
  id: z
    .string({ error: 'must be an arXiv id such as 2602.01234' })
    .trim()
    .regex(ARXIV_ID, 'must be an arXiv id such as 2602.01234')
    .transform((id) => id.replace(/v\d+$/, '')),
  title: text.refine((value) => collapse(value).length > 0, 'must not be empty'),
  summary: text,
  authors: z.array(author, { error: 'must be a list of authors' }),
  publishedAt: instant,
  upvotes: count,
  submittedOnDailyAt: instant.nullish(),
  ai_summary: text.nullish(),
  ai_keywords: z.array(text).nullish(),
  githubRepo: text.nullish(),
  githubStars: count.nullish(),
  projectPage: text.nullish(),
  organization: organization.nullish(),
  /** Since Mar 2025. */
  submittedOnDailyBy: hfUser.nullish(),
  /** Not in HF's paper object; lets a hand-made plain array carry a comment count. */
  numComments: count.nullish(),
  thumbnail: text.nullish(),
});

/** One element of the `daily_papers` response: the paper plus the Daily-Papers wrapper. */
const dailyItem = z.object({
  paper: paperObject,
  numComments: count,
  /** Since mid-2024 (`mediaUrl` before): the social-card thumbnail. */
  thumbnail: text.nullish(),
  mediaUrl: text.nullish(),
  /** 2024 schema only: the moment of submission to Daily Papers (see `dailyDateOf`). */
  publishedAt: instant.nullish(),
  organization: organization.nullish(),
  /** Since Jun 2024; the same person as `paper.submittedOnDailyBy`. */
  submittedBy: hfUser.nullish(),
});

type PaperObject = z.output<typeof paperObject>;
type DailyItem = z.output<typeof dailyItem>;

function toParsedPaper(paper: PaperObject, wrapper: DailyItem | undefined): ParsedPaper {
  const org = paper.organization ?? wrapper?.organization;
  const submitter = paper.submittedOnDailyBy ?? wrapper?.submittedBy;
  const keywords = (paper.ai_keywords ?? []).map(collapse).filter(Boolean);
  return {
    id: paper.id,
    title: collapse(paper.title),
    abstract: normaliseAbstract(paper.summary),
    authors: paper.authors.filter((a) => a.hidden !== true).map((a) => collapse(a.name)).filter(Boolean),
    publishedAt: paper.publishedAt,
    aiSummary: paper.ai_summary ? collapse(paper.ai_summary) || null : null,
    aiKeywords: keywords,
    githubRepo: httpUrlOrNull(paper.githubRepo),
    githubStars: paper.githubStars ?? null,
    projectPage: httpUrlOrNull(paper.projectPage),
    thumbnailUrl: httpUrlOrNull(wrapper?.thumbnail ?? wrapper?.mediaUrl ?? paper.thumbnail),
    organization: org ? collapse(org.fullname ?? org.name ?? '') || null : null,
    submittedBy: submitter ? collapse(submitter.fullname || submitter.user || submitter.name || '') || null : null,
    upvotes: paper.upvotes,
    numComments: wrapper ? wrapper.numComments : (paper.numComments ?? null),
  };
}

/**
 * The daily date of an item: the caller's (queried) date first, then `submittedOnDailyAt`
 * (its UTC date always equals the queried date). Items of the 2024 schema have neither; there
 * the top-level `publishedAt` was still the moment of submission to Daily Papers, in real UTC.
 */
function dailyDateOf(paper: PaperObject, wrapper: DailyItem | undefined, date: string | undefined): string | undefined {
  if (date) return date;
  if (paper.submittedOnDailyAt) return utcDate(paper.submittedOnDailyAt);
  if (wrapper?.publishedAt) return utcDate(wrapper.publishedAt);
  return undefined;
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The arXiv id of a raw item, when it has a readable one: errors name it. */
function rawIdOf(item: unknown): string | undefined {
  const paper = isRecord(item) && isRecord(item.paper) ? item.paper : item;
  const id = isRecord(paper) ? paper.id : undefined;
  return typeof id === 'string' && id.trim() ? id.trim() : undefined;
}

function formatPath(index: number, path: PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${String(key)}`),
    `items[${index}]`,
  );
}

function describeIssue(issue: z.core.$ZodIssue & { input?: unknown }): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is missing';
  if (issue.code === 'invalid_type' && issue.input === null) return 'must not be null';
  return issue.message;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Parses an already-decoded JSON value. Throws InvalidInputError naming every broken item
 * (index, arXiv id, field) and accepts nothing when any item is broken.
 */
export function parsePapers(value: unknown, options: ParseOptions = {}): ParsedPapers {
  const source = capitalise(options.source ?? 'the input');
  if (options.date !== undefined && !isDailyDate(options.date)) {
    throw new InvalidInputError(`Invalid date "${options.date}"`, [
      { field: 'date', message: 'must be a real calendar date written as YYYY-MM-DD' },
    ]);
  }
  if (options.date !== undefined && options.window && !isInDailyDateWindow(options.date, options.window)) {
    throw new InvalidInputError(`Invalid date "${options.date}"`, [{ field: 'date', message: dailyDateWindowMessage(options.window) }]);
  }
  if (!Array.isArray(value)) {
    const hfError = isRecord(value) && typeof value.error === 'string' ? value.error : undefined;
    throw new InvalidInputError(
      hfError
        ? `${source} holds an error response, not papers: "${hfError}"`
        : `${source} must be a JSON array of papers (a Hugging Face daily_papers response or a plain array of papers), not ${describeValue(value)}`,
      [{ field: 'items', message: 'must be an array' }],
    );
  }

  const items: ParsedItem[] = [];
  const details: ErrorDetail[] = [];
  const skipped: SkippedItem[] = [];
  let brokenItems = 0;
  value.forEach((raw, index) => {
    const id = rawIdOf(raw);
    const problems: ErrorDetail[] = [];
    const say = (path: PropertyKey[], message: string) =>
      problems.push({ field: formatPath(index, path), message: id ? `arXiv ${id}: ${message}` : message });

    if (!isRecord(raw)) {
      say([], `must be an object (a Daily Papers item or a paper), not ${describeValue(raw)}`);
    } else {
      const isDaily = 'paper' in raw;
      const result = isDaily
        ? dailyItem.safeParse(raw, { reportInput: true })
        : paperObject.safeParse(raw, { reportInput: true });
      if (!result.success) {
        for (const issue of result.error.issues) say(issue.path, describeIssue(issue));
      } else {
        const wrapper = isDaily ? (result.data as DailyItem) : undefined;
        const paper = wrapper ? wrapper.paper : (result.data as PaperObject);
        const dailyDate = dailyDateOf(paper, wrapper, options.date);
        if (!dailyDate) {
          say(
            isDaily ? ['paper', 'submittedOnDailyAt'] : ['submittedOnDailyAt'],
            'has no Daily Papers date; give the date the papers were featured on (--date YYYY-MM-DD or ?date=YYYY-MM-DD)',
          );
        } else if (options.window && !isInDailyDateWindow(dailyDate, options.window)) {
          const field = !paper.submittedOnDailyAt ? ['publishedAt'] : isDaily ? ['paper', 'submittedOnDailyAt'] : ['submittedOnDailyAt'];
          say(field, `${dailyDate} ${dailyDateWindowMessage(options.window)}`);
        } else {
          items.push({ index, dailyDate, paper: toParsedPaper(paper, wrapper) });
        }
      }
    }
    if (problems.length > 0) {
      brokenItems += 1;
      details.push(...problems.slice(0, Math.max(0, MAX_DETAILS - details.length)));
      skipped.push({ index, id, problems });
    }
  });

  const skipping = options.skipInvalidItems === true && brokenItems * 2 <= value.length;
  if (brokenItems > 0 && !skipping) {
    const shown = details.length;
    throw new InvalidInputError(
      `${source} was refused: ${brokenItems} of ${value.length} item${value.length === 1 ? '' : 's'} ${brokenItems === 1 ? 'is' : 'are'} invalid; nothing was imported` +
        (shown >= MAX_DETAILS ? ` (first ${MAX_DETAILS} problems listed)` : ''),
      details,
    );
  }
  const dates = [...new Set(items.map((item) => item.dailyDate))].sort();
  return { items, dates, skipped };
}

/** Parses JSON text (a file, an HTTP body): says so when it is empty or not JSON at all. */
export function parsePapersJson(textInput: string, options: ParseOptions = {}): ParsedPapers {
  const source = capitalise(options.source ?? 'the input');
  const body = textInput.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    throw new InvalidInputError(`${source} is empty; expected a JSON array of papers`, [
      { field: 'items', message: 'is empty' },
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidInputError(`${source} is not JSON (${(error as Error).message}); expected a JSON array of papers`, [
      { field: 'items', message: 'is not JSON' },
    ]);
  }
  return parsePapers(value, options);
}
