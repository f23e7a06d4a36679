import { z } from 'zod';
import type { ErrorDetail } from '../platform/errors.js';
import { plural } from '../platform/plural.js';
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
}

export const DEFAULT_PREFERENCES: Readonly<Preferences> = Object.freeze({
  frequency: 'daily',
  weekday: 1,
  sendHour: 7,
  timeZone: 'UTC',
  topics: [],
  maxPapers: 10,
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
});

export type PreferencesCheck = { ok: true; preferences: Preferences } | { ok: false; details: ErrorDetail[] };

/**
 * Validates preferences from a form or JSON. Missing fields take `base` (the defaults for a new
 * reader, the stored values in the preference center). Every problem is reported with its field.
 */
export function checkPreferences(input: Record<string, unknown>, base: Preferences = DEFAULT_PREFERENCES): PreferencesCheck {
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(preferencesSchema.shape) as Array<keyof Preferences>) {
    const given = input[key];
    const missing = given === undefined || given === null || (typeof given === 'string' && given.trim() === '' && key !== 'topics');
    merged[key] = missing ? base[key] : given;
  }
  const result = preferencesSchema.safeParse(merged);
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

/** "daily at 07:00 (Europe/Berlin), up to 10 papers, about llm, diffusion" — for emails and pages. */
export function describePreferences(preferences: Preferences): string {
  const about = preferences.topics.length > 0 ? `, about ${preferences.topics.join(', ')}` : ', all topics';
  return `${sendTimeOf(preferences)} (${preferences.timeZone}), up to ${plural(preferences.maxPapers, 'paper', 'papers')}${about}`;
}

/** "daily at 07:00 Europe/Berlin, topics: diffusion, agents, 10 papers": a digest's footer. */
export function describeDigestChoices(preferences: Preferences): string {
  const topics = preferences.topics.length > 0 ? `topics: ${preferences.topics.join(', ')}` : 'all topics';
  return `${sendTimeOf(preferences)} ${preferences.timeZone}, ${topics}, ${plural(preferences.maxPapers, 'paper', 'papers')}`;
}
