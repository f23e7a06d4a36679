import { z } from 'zod';
import type { ErrorDetail } from '../platform/errors.js';
import { plural } from '../platform/plural.js';
import { isKnownArxivCategory } from '../papers/arxiv-taxonomy.js';
import { canonicalTimeZone } from './time-zones.js';

/**
 * A reader's delivery preferences, as typed into the signup form or the preference center (all
 * strings) or sent as JSON (numbers, arrays). One schema serves both, so the two entry points can
 * never disagree about what is valid.
 */

export const FREQUENCIES = ['daily', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

const MAX_TOPICS = 20;
const MAX_TOPIC_LENGTH = 40;
export const MAX_ARXIV_CATEGORIES = 20;
export const MAX_PAPERS_LIMIT = 50;

export interface Preferences {
  frequency: Frequency;
  /** ISO weekday of a weekly digest: 1 = Monday ... 7 = Sunday. */
  weekday: number;
  /** Local hour, 0-23, in `timeZone`. */
  sendHour: number;
  timeZone: string;
  /** Lower-cased keywords; empty means every paper. */
  topics: string[];
  maxPapers: number;
  /** Whether the daily email has the Hugging Face trending section. */
  trending: boolean;
  /** arXiv categories ("cs.CL") whose new papers are sections of the daily email, in the reader's order. */
  arxivCategories: string[];
}

export const DEFAULT_PREFERENCES: Readonly<Preferences> = Object.freeze({
  frequency: 'daily',
  weekday: 1,
  sendHour: 7,
  timeZone: 'UTC',
  topics: [],
  maxPapers: 10,
  trending: true,
  arxivCategories: [],
});

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** A whole number from a form string or a JSON number; blanks count as "not given". */
function wholeNumber(field: string, min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: `${field} must be a whole number from ${min} to ${max}` })
      .int(`${field} must be a whole number from ${min} to ${max}`)
      .min(min, `${field} must be at least ${min}`)
      .max(max, `${field} must be at most ${max}`),
  );
}

const TOPIC = /^[\p{L}\p{N}][\p{L}\p{N} +#.&/_-]*$/u;

/** A topic as it is stored and matched: " LLM   Agents" → "llm agents". */
export function storedTopic(topic: string): string {
  return topic.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** "Diffusion, LLM agents , diffusion" → ["diffusion", "llm agents"]. */
const topics = z
  .union([z.string().max(1000, 'Topics are too long: at most 1000 characters'), z.array(z.string().max(200)).max(100)], {
    error: 'Topics must be keywords separated by commas',
  })
  .transform((value, context) => {
    const raw = Array.isArray(value) ? value : value.split(',');
    const list = [...new Set(raw.map(storedTopic).filter(Boolean))];
    if (list.length > MAX_TOPICS) {
      context.addIssue({ code: 'custom', message: `Choose at most ${MAX_TOPICS} topics (you gave ${list.length})` });
      return z.NEVER;
    }
    const tooLong = list.find((topic) => topic.length > MAX_TOPIC_LENGTH);
    if (tooLong) {
      context.addIssue({ code: 'custom', message: `The topic "${tooLong.slice(0, 20)}..." is too long: at most ${MAX_TOPIC_LENGTH} characters` });
      return z.NEVER;
    }
    const odd = list.find((topic) => !TOPIC.test(topic));
    if (odd) {
      context.addIssue({
        code: 'custom',
        message: `The topic "${odd}" may contain only letters, digits, spaces and + # . & / _ -, starting with a letter or digit`,
      });
      return z.NEVER;
    }
    return list;
  });

const ON_WORDS = new Set(['on', 'true', '1']);
const OFF_WORDS = new Set(['off', 'false', '0']);

/**
 * A checkbox ("on"; the browser sends nothing when it is unchecked, see checkPreferences), a
 * word, or a JSON boolean, as a boolean; anything else as given, for the schema to refuse. A
 * repeated form value (a hidden "off" before the checkbox) counts by its last value, as a browser
 * sends them in page order.
 */
export function trendingChoice(value: unknown): unknown {
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (typeof last !== 'string') return last;
  const word = last.trim().toLowerCase();
  return ON_WORDS.has(word) ? true : OFF_WORDS.has(word) ? false : last;
}

const trending = z.preprocess(trendingChoice, z.boolean({ error: 'Trending must be on or off (true or false)' }));

/** The codes of ["cs.CL", "cs.LG"], repeated form values (each maybe "cs.CL,cs.LG") or "cs.CL, cs.LG": trimmed, each once, in order. */
export function splitArxivCategories(value: string | readonly string[]): string[] {
  const raw = typeof value === 'string' ? value.split(/[,\s]+/) : value.flatMap((item) => item.split(','));
  return [...new Set(raw.map((code) => code.trim()).filter(Boolean))];
}

/** ["cs.CL", "cs.LG"], repeated form values, or "cs.CL, cs.LG": known arXiv codes, each once, in the given order. */
const arxivCategories = z
  .union([z.string().max(2000, 'arXiv categories are too long: at most 2000 characters'), z.array(z.string().max(100)).max(200)], {
    error: 'arXiv categories must be codes such as "cs.CL", separated by commas',
  })
  .transform((value, context) => {
    const list = splitArxivCategories(value);
    const unknown = list.find((code) => !isKnownArxivCategory(code));
    if (unknown !== undefined) {
      context.addIssue({ code: 'custom', message: `"${unknown.slice(0, 40)}" is not an arXiv category (codes look like "cs.CL" or "hep-th")` });
      return z.NEVER;
    }
    if (list.length > MAX_ARXIV_CATEGORIES) {
      context.addIssue({ code: 'custom', message: `Choose at most ${MAX_ARXIV_CATEGORIES} arXiv categories (you gave ${list.length})` });
      return z.NEVER;
    }
    return list;
  });

const blankAsMissing = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const preferencesSchema = z.object({
  frequency: z.preprocess(
    blankAsMissing,
    z.enum(FREQUENCIES, { error: 'Frequency must be "daily" or "weekly"' }).default(DEFAULT_PREFERENCES.frequency),
  ),
  weekday: z.preprocess(blankAsMissing, wholeNumber('Weekday', 1, 7).default(DEFAULT_PREFERENCES.weekday)),
  sendHour: z.preprocess(blankAsMissing, wholeNumber('Send hour', 0, 23).default(DEFAULT_PREFERENCES.sendHour)),
  timeZone: z.preprocess(
    blankAsMissing,
    z
      .string({ error: 'Time zone must be an IANA name such as "Europe/Berlin"' })
      .trim()
      .max(64, 'Time zone is too long')
      .refine((zone) => canonicalTimeZone(zone) !== null, 'Time zone must be an IANA name such as "Europe/Berlin" or "UTC"')
      // Stored by its current IANA name: "Asia/Calcutta" is kept as "Asia/Kolkata".
      .transform((zone) => canonicalTimeZone(zone)!)
      .default(DEFAULT_PREFERENCES.timeZone),
  ),
  topics: z.preprocess((value) => value ?? '', topics),
  maxPapers: z.preprocess(blankAsMissing, wholeNumber('Papers per email', 1, MAX_PAPERS_LIMIT).default(DEFAULT_PREFERENCES.maxPapers)),
  trending,
  arxivCategories: z.preprocess((value) => value ?? '', arxivCategories),
});

export type PreferencesCheck = { ok: true; preferences: Preferences } | { ok: false; details: ErrorDetail[] };

/**
 * Validates preferences from a form or JSON. Missing fields take `base` (the defaults for a new
 * reader, the stored values in the preference center): a JSON client that only changes
 * `maxPapers` keeps its sources. A form that shows the source choice posts a hidden "off" before
 * the trending box and a hidden blank before the category boxes (a browser sends nothing for an
 * unchecked box), so unticking everything arrives as given, not as missing. A blank `topics` or
 * `arxivCategories` is an empty list, not missing.
 * Every problem is reported with its field; a choice with no source at all, or a weekly digest
 * without trending (weekly digests are trending only, so it would never be sent), is reported on
 * `sources`.
 */
export function checkPreferences(input: Record<string, unknown>, base: Preferences = DEFAULT_PREFERENCES): PreferencesCheck {
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(preferencesSchema.shape) as Array<keyof Preferences>) {
    const given = input[key];
    const listField = key === 'topics' || key === 'arxivCategories';
    const missing = given === undefined || given === null || (typeof given === 'string' && given.trim() === '' && !listField);
    merged[key] = missing ? base[key] : given;
  }
  const result = preferencesSchema.safeParse(merged);
  if (result.success && !result.data.trending && result.data.arxivCategories.length === 0) {
    return { ok: false, details: [{ field: 'sources', message: 'Choose at least one source: Hugging Face trending or an arXiv category' }] };
  }
  if (result.success && result.data.frequency === 'weekly' && !result.data.trending) {
    return {
      ok: false,
      details: [{ field: 'sources', message: 'Weekly digests carry Hugging Face trending only: turn trending on (arXiv categories come in daily emails)' }],
    };
  }
  if (result.success) return { ok: true, preferences: result.data };
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'preferences');
    if (seen.has(field)) continue;
    seen.add(field);
    details.push({ field, message: issue.message });
  }
  return { ok: false, details };
}

/** How a reader's topics are shown in a form field. */
export function formatTopics(list: readonly string[]): string {
  return list.join(', ');
}

function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

/** "daily at 07:00" or "weekly on Mondays at 07:00". */
function sendTimeOf(preferences: Preferences): string {
  return preferences.frequency === 'weekly'
    ? `weekly on ${WEEKDAY_NAMES[preferences.weekday - 1] ?? 'Monday'}s at ${hourLabel(preferences.sendHour)}`
    : `daily at ${hourLabel(preferences.sendHour)}`;
}

/**
 * "Hugging Face trending and arXiv cs.CL, cs.LG": where the reader's papers come from. Weekly
 * digests are trending only, and say so when the reader chose categories.
 */
export function describeSources(preferences: Pick<Preferences, 'frequency' | 'trending' | 'arxivCategories'>): string {
  const arxiv = preferences.arxivCategories.length > 0 ? `arXiv ${preferences.arxivCategories.join(', ')}` : '';
  const sources = [preferences.trending ? 'Hugging Face trending' : '', arxiv].filter(Boolean).join(' and ');
  return preferences.frequency === 'weekly' && arxiv ? `${sources} (arXiv categories come in daily emails only)` : sources;
}

/** "daily at 07:00 (Europe/Berlin), up to 10 papers, about llm, diffusion, from Hugging Face trending" — for emails and pages. */
export function describePreferences(preferences: Preferences): string {
  const about = preferences.topics.length > 0 ? `, about ${preferences.topics.join(', ')}` : ', all topics';
  return `${sendTimeOf(preferences)} (${preferences.timeZone}), up to ${plural(preferences.maxPapers, 'paper', 'papers')}${about}, from ${describeSources(preferences)}`;
}

/** "daily at 07:00 Europe/Berlin, topics: diffusion, agents, 10 papers, from Hugging Face trending": a digest's footer. */
export function describeDigestChoices(preferences: Preferences): string {
  const topics = preferences.topics.length > 0 ? `topics: ${preferences.topics.join(', ')}` : 'all topics';
  return `${sendTimeOf(preferences)} ${preferences.timeZone}, ${topics}, ${plural(preferences.maxPapers, 'paper', 'papers')}, from ${describeSources(preferences)}`;
}
