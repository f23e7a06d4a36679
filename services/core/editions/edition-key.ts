import { isDailyDate } from '../papers/daily-date.js';
import { ConflictError, InvalidInputError } from '../platform/errors.js';
import { isArxivCategory, type SourceDay } from '../papers/paper-source.js';
import { isoWeekRange, type IsoWeekRange } from './iso-week.js';

/**
 * Edition keys say which listing an edition is: `2026-02-03` (a Hugging Face Daily Papers day,
 * the key every stored edition has), `2026-W06` (a weekly edition of HF papers) or
 * `arxiv:cs.CL:2026-08-13` (one arXiv category's listing of a day). Keys stay unique across
 * sources because only arXiv keys contain a colon.
 * Every route and command that takes an edition key parses it here.
 */

export type EditionKey = { kind: 'daily'; day: SourceDay } | { kind: 'weekly'; week: string; range: IsoWeekRange };

export type EditionKeyResult = { ok: true; key: EditionKey } | { ok: false; message: string };

export const EDITION_KEY_FORMATS = 'a daily date YYYY-MM-DD, an ISO week YYYY-Www or an arXiv listing arxiv:CATEGORY:YYYY-MM-DD, e.g. 2026-02-03, 2026-W06 or arxiv:cs.CL:2026-08-13';

const ARXIV_KEY = /^arxiv:([^:]*):([^:]*)$/;

/** Parses an edition key; says what is wrong with one that is not valid. */
export function parseEditionKey(value: string): EditionKeyResult {
  if (isDailyDate(value)) return { ok: true, key: { kind: 'daily', day: { source: 'hf', date: value } } };
  const range = isoWeekRange(value);
  if (range) return { ok: true, key: { kind: 'weekly', week: value, range } };
  const arxiv = ARXIV_KEY.exec(value);
  if (arxiv) {
    const [, category = '', date = ''] = arxiv;
    if (!isArxivCategory(category)) return { ok: false, message: `"${category}" is not an arXiv category such as cs.CL, math.AG or hep-th` };
    if (!isDailyDate(date)) return { ok: false, message: `"${date}" is not a calendar date written as YYYY-MM-DD` };
    return { ok: true, key: { kind: 'daily', day: { source: 'arxiv', category, date } } };
  }
  return { ok: false, message: `must be ${EDITION_KEY_FORMATS}` };
}

/** The key of one arXiv category's listing of a day: `arxiv:cs.CL:2026-08-13`. */
export function arxivEditionKey(category: string, date: string): string {
  return `arxiv:${category}:${date}`;
}

/**
 * Which readers an edition goes to: a daily edition to the daily readers, a weekly one to the
 * weekly readers. An arXiv category edition is not sent by itself: readers who chose the category
 * get it as a section of the daily edition of its day, so sending one is a conflict, refused
 * before anything is assembled or queued.
 */
export function audienceFrequencyOf(key: string): 'daily' | 'weekly' {
  const parsed = parseEditionKey(key);
  if (!parsed.ok) throw new InvalidInputError(`Invalid edition "${key}"`, [{ field: 'date', message: parsed.message }]);
  if (parsed.key.kind === 'weekly') return 'weekly';
  if (parsed.key.day.source === 'hf') return 'daily';
  const { category, date } = parsed.key.day;
  throw new ConflictError(
    `Edition ${key} is an arXiv category listing: readers who chose ${category} get it as a section of the daily edition ${date}, so send ${date} instead`,
  );
}
