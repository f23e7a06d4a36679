import type { ArxivListing } from './arxiv-feed.js';
import type { DailyDateWindow } from './daily-date.js';
import type { ParsedPapers } from './hf-paper-schema.js';
import type { SourceCalendar } from './source-calendar.js';

/**
 * The seam between Paperboy and where papers come from. Hugging Face Daily Papers and arXiv are
 * two implementations (hf-source.ts, arxiv-source.ts) of one small interface: what a day of the
 * source is, its calendar, its links and wording, fetching a day and parsing a recorded answer.
 * What a paper carries differs by source (HF: upvotes, comments, AI summary; arXiv: version,
 * categories, announce type), so a batch says which source it is and the import saves each kind
 * with the columns it can fill.
 */

export type SourceId = 'hf' | 'arxiv';

/** One listing of one source: an HF Daily Papers day, or an arXiv category's listing of a day. */
export type SourceDay = { source: 'hf'; date: string } | { source: 'arxiv'; category: string; date: string };

/** What one fetch or one recorded answer holds. */
export type SourceBatch = { source: 'hf'; parsed: ParsedPapers } | { source: 'arxiv'; listing: ArxivListing };

export interface ParseRecordedOptions {
  /** What the input is, for messages: "file papers.json", "the request body". */
  source: string;
  /** The listing date the operator says the input is of. */
  date?: string;
  /** Listing dates accepted. */
  window?: DailyDateWindow;
}

export interface PaperSource<Day extends SourceDay = SourceDay> {
  readonly id: Day['source'];
  /** "Hugging Face Daily Papers", "arXiv". */
  readonly name: string;
  readonly calendar: SourceCalendar;
  /** How a reader sees a listing named: "Trending on Hugging Face", "New in cs.CL on arXiv". */
  describeDay(day: Day): string;
  /** The source's own page of the listing. */
  dayUrl(day: Day): string;
  /** The source's page of a paper. */
  paperUrl(id: string): string;
  /** Every paper of one listing, from the network. */
  fetchDay(day: Day): Promise<SourceBatch>;
  /** A recorded answer of the source (a file, a request body), parsed as fetchDay would. */
  parse(text: string, options: ParseRecordedOptions): SourceBatch;
}

/** arXiv ids (2602.01234, hep-th/9901001) go into paths as they are; anything else is encoded. */
export function idPath(id: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9./-]*$/.test(id) && !id.includes('..') ? id : encodeURIComponent(id);
}

export { isArxivCategory } from '../platform/config/arxiv-category.js';
