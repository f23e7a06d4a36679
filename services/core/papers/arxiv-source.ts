import { InvalidInputError } from '../platform/errors.js';
import type { ArxivClient } from './arxiv-client.js';
import { detectRecordedFormat, parseArxivApiFeed, parseArxivRssFeed, type ArxivListing } from './arxiv-feed.js';
import { idPath, type PaperSource, type SourceDay } from './paper-source.js';
import { arxivCalendar, arxivSubmissionWindow } from './source-calendar.js';

type ArxivDay = Extract<SourceDay, { source: 'arxiv' }>;

export interface ArxivSourceOptions {
  /**
   * `rss`: today's listing from the category's RSS feed (what arXiv announced, with announce
   * types); `api` (default): the submissions of the day's window from the API, for any day.
   */
  via?: 'api' | 'rss';
}

/**
 * arXiv as a paper source: a day is one category's listing, dated as arXiv prints it (see
 * source-calendar.ts); papers carry a version, categories and, from RSS, an announce type.
 */
export function createArxivSource(client?: ArxivClient, options: ArxivSourceOptions = {}): PaperSource<ArxivDay> {
  return {
    id: 'arxiv',
    name: 'arXiv',
    calendar: arxivCalendar,
    describeDay: (day) => `New in ${day.category} on arXiv`,
    dayUrl: (day) => `https://arxiv.org/list/${encodeURIComponent(day.category)}/new`,
    paperUrl: arxivAbstractUrl,
    async fetchDay(day) {
      if (!client) throw new Error('this arXiv source was made without a client; it can parse but not fetch');
      if (options.via === 'rss') {
        // The feed of a day arXiv does not announce is empty or still the previous listing:
        // that day is empty without asking (the calendar says why), as with the API below.
        if (!arxivCalendar.dayOf(day.date).expected) return { source: 'arxiv', listing: emptyListing(day) };
        const { listing } = await client.fetchListingFeed(day.category);
        if (listing.listingDate !== day.date) {
          throw new InvalidInputError(`The arXiv ${day.category} feed holds the listing of ${listing.listingDate ?? 'an unknown day'}, not of ${day.date}; past days come from the API`, [
            { field: 'date', message: `the RSS feed only has today's listing (${listing.listingDate ?? 'unknown'})` },
          ]);
        }
        return { source: 'arxiv', listing };
      }
      const window = arxivSubmissionWindow(day.date);
      // A day without an announcement has no window: its listing is empty without asking arXiv
      // (the calendar says why).
      if (!window) return { source: 'arxiv', listing: emptyListing(day) };
      const { listing } = await client.fetchCategoryWindow({ category: day.category, ...window });
      return { source: 'arxiv', listing: { ...listing, category: day.category, listingDate: day.date } };
    },
    parse(text, parseOptions) {
      const format = detectRecordedFormat(text);
      const parsed = format === 'arxiv-rss' ? parseArxivRssFeed(text, parseOptions) : parseArxivApiFeed(text, parseOptions);
      return { source: 'arxiv', listing: parsed.listing };
    },
  };
}

function emptyListing(day: ArxivDay): ArxivListing {
  return {
    kind: 'api',
    format: null,
    title: `cat:${day.category} on ${day.date}`,
    category: day.category,
    listingDate: day.date,
    publishedAt: null,
    totalResults: 0,
    startIndex: 0,
    itemsPerPage: 0,
    entries: [],
  };
}

export function arxivAbstractUrl(id: string): string {
  return `https://arxiv.org/abs/${idPath(id)}`;
}

export function arxivPdfUrl(id: string): string {
  return `https://arxiv.org/pdf/${idPath(id)}`;
}
