import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InvalidInputError, type ErrorDetail } from '../platform/errors.js';
import { dateInTimeZone } from './daily-date.js';
import { normaliseAbstract } from './hf-paper-schema.js';
import { ARXIV_TIME_ZONE } from './source-calendar.js';
import { capitalise } from '../platform/text.js';

/**
 * Parsers for what arXiv answers (PAPER-SOURCES.md 2-3): the API's Atom feed in its current
 * (2026) and legacy layouts, its error document, and the RSS listing feed of a category. Both
 * give the same entries: arXiv id without version (so a paper on HF and arXiv is one paper),
 * text normalised like HF's, LaTeX kept as text.
 */

export type AnnounceType = 'new' | 'cross' | 'replace' | 'replace-cross';
const ANNOUNCE_TYPES: readonly string[] = ['new', 'cross', 'replace', 'replace-cross'];

export interface ArxivEntry {
  /** arXiv id without version suffix. */
  id: string;
  /** The version this entry describes (2 for `2604.26951v2`); null when the input does not say. */
  version: number | null;
  title: string;
  abstract: string;
  /** Authors in arXiv order. */
  authors: string[];
  /** When version 1 was submitted (the API's `published`); the RSS feed does not say. */
  firstVersionAt: Date | null;
  /** When this version was submitted (the API's `updated`). */
  versionAt: Date | null;
  /** The API names it; the RSS feed does not. */
  primaryCategory: string | null;
  categories: string[];
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  /** RSS only: why the paper is in today's listing. */
  announceType: AnnounceType | null;
}

export interface ArxivListing {
  kind: 'api' | 'rss';
  /** API answers: which layout the feed had. */
  format: 'current' | 'legacy' | null;
  /** The query as arXiv echoes it (API), or the feed's title (RSS). */
  title: string;
  /** RSS: the category of the feed (`cs.LG`, or `cs.LG+stat.ML` for a combined one). */
  category: string | null;
  /** RSS: the listing date arXiv prints (US Eastern date of the feed's `pubDate`). */
  listingDate: string | null;
  /** RSS: the feed's `pubDate`. */
  publishedAt: Date | null;
  /** API paging: `opensearch:totalResults`, `startIndex`, `itemsPerPage`. */
  totalResults: number | null;
  startIndex: number | null;
  itemsPerPage: number | null;
  entries: ArxivEntry[];
}


/** arXiv answered with its error document (HTTP 400 from the API), not papers. */
export class ArxivErrorDocument extends InvalidInputError {
  constructor(
    readonly problem: string,
    source: string,
  ) {
    super(`${capitalise(source)} is an arXiv API error document, not papers: "${problem}"`, [{ field: 'feed', message: problem }]);
  }
}

const ATOM_NS = 'http://www.w3.org/2005/Atom';
const ARXIV_NS = 'http://arxiv.org/schemas/atom';
const OPENSEARCH_NS = 'http://a9.com/-/spec/opensearch/1.1/';
const ARXIV_ID = /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})$/;
const ABS_URL = /^https?:\/\/(?:export\.)?arxiv\.org\/abs\/(.+?)(?:v(\d+))?$/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Decodes numeric character references (`Ob&#322;&#243;j`) as well as XML's own five.
  htmlEntities: true,
  isArray: (name) => ['entry', 'item', 'author', 'category', 'link'].includes(name),
});

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isNode(value) && typeof value['#text'] === 'string') return value['#text'];
  return '';
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

function optionalText(value: unknown): string | null {
  return collapse(textOf(value)) || null;
}

function listOf(value: unknown): Node[] {
  return Array.isArray(value) ? value.filter(isNode) : isNode(value) ? [value] : [];
}

function instantOrNull(value: unknown): Date | null {
  const text = collapse(textOf(value));
  if (!text) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : new Date(at);
}

function countOrNull(value: unknown): number | null {
  const text = collapse(textOf(value));
  return /^\d+$/.test(text) ? Number(text) : null;
}

/**
 * Which kind of recorded answer a text is, by its content: JSON (Hugging Face), an Atom feed in
 * the arXiv API's namespaces, or an RSS feed. Undefined for anything else.
 */
export function detectRecordedFormat(text: string): 'hf-json' | 'arxiv-api' | 'arxiv-rss' | undefined {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('[') || start.startsWith('{')) return 'hf-json';
  if (!start.startsWith('<')) return undefined;
  // The root element, after the XML declaration, comments and whitespace.
  const root = /^(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|\s)*<([A-Za-z][\w:.-]*)([^>]*)>/.exec(start);
  if (!root) return undefined;
  if (root[1] === 'feed' && root[2]?.includes(ATOM_NS) && (start.includes(ARXIV_NS) || start.includes(OPENSEARCH_NS))) return 'arxiv-api';
  if (root[1] === 'rss') return 'arxiv-rss';
  return undefined;
}

/** Parses XML text, refusing what is not well-formed XML and any DOCTYPE (no entity expansion). */
function parseXml(text: string, source: string, expected: string): Node {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new InvalidInputError(`${capitalise(source)} is empty; expected ${expected}`, [{ field: 'feed', message: 'is empty' }]);
  if (/<!DOCTYPE/i.test(body)) {
    throw new InvalidInputError(`${capitalise(source)} declares a DOCTYPE; arXiv feeds have none, and it is not read`, [
      { field: 'feed', message: 'must not declare a DOCTYPE' },
    ]);
  }
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new InvalidInputError(`${capitalise(source)} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}); expected ${expected}`, [
      { field: `line ${valid.err.line}`, message: valid.err.msg },
    ]);
  }
  return parser.parse(body) as Node;
}

export interface ArxivParseOptions {
  /** What the input is, for messages: "file cs.CL.xml", "the arXiv API answer to ...". */
  source?: string;
  /** Leave out broken entries (listed in `skipped`) instead of refusing the input: for the network. */
  skipInvalidEntries?: boolean;
}

export interface ArxivParseResult {
  listing: ArxivListing;
  /** Problems of the entries left out (only with `skipInvalidEntries`). */
  skipped: ErrorDetail[];
  /** Entries (items) in the input, left out or not: what an API page advanced by. */
  received: number;
}

/** Collects entries, refusing the input at the first broken one unless told to skip. */
function collect(
  raw: Node[],
  read: (node: Node, say: (field: string, message: string) => void) => ArxivEntry | undefined,
  what: string,
  source: string,
  skip: boolean,
): { entries: ArxivEntry[]; skipped: ErrorDetail[] } {
  const entries: ArxivEntry[] = [];
  const problems: ErrorDetail[] = [];
  let broken = 0;
  raw.forEach((node, index) => {
    const before = problems.length;
    const entry = read(node, (field, message) => problems.push({ field: `${what}[${index}].${field}`, message }));
    if (problems.length > before || !entry) broken += 1;
    else entries.push(entry);
  });
  if (broken > 0 && !(skip && broken * 2 <= raw.length)) {
    throw new InvalidInputError(
      `${capitalise(source)} was refused: ${broken} of ${raw.length} ${what === 'entry' ? 'entries' : 'items'} ${broken === 1 ? 'is' : 'are'} invalid; nothing was imported`,
      problems.slice(0, 50),
    );
  }
  return { entries, skipped: problems };
}

function readApiEntry(node: Node, legacy: boolean, say: (field: string, message: string) => void): ArxivEntry | undefined {
  const rawId = collapse(textOf(node.id));
  const match = ABS_URL.exec(rawId);
  const id = match?.[1];
  if (!id || !ARXIV_ID.test(id)) {
    say('id', `must be an arXiv abstract URL such as http://arxiv.org/abs/2604.26951v1, not "${rawId}"`);
    return undefined;
  }
  const title = collapse(textOf(node.title));
  if (!title) say('title', `arXiv ${id}: must not be empty`);
  const firstVersionAt = instantOrNull(node.published);
  if (!firstVersionAt) say('published', `arXiv ${id}: must be an ISO 8601 timestamp`);
  const summary = textOf(node.summary);
  const categories = listOf(node.category).map((c) => String(c['@term'] ?? '')).filter(Boolean);
  return {
    id,
    version: match?.[2] ? Number(match[2]) : null,
    title,
    // Legacy summaries are hard-wrapped at ~80 columns (a paragraph starts with an indented
    // line); current ones are one line per paragraph.
    abstract: legacy ? normaliseAbstract(summary) : summary.split(/\r?\n\s*/).map(collapse).filter(Boolean).join('\n\n'),
    authors: listOf(node.author).map((a) => collapse(textOf(a.name))).filter(Boolean),
    firstVersionAt,
    versionAt: instantOrNull(node.updated),
    primaryCategory: isNode(node['arxiv:primary_category']) ? String(node['arxiv:primary_category']['@term'] ?? '') || null : null,
    categories,
    comment: optionalText(node['arxiv:comment']),
    journalRef: optionalText(node['arxiv:journal_ref']),
    doi: optionalText(node['arxiv:doi']),
    announceType: null,
  };
}

/**
 * An arXiv API answer (`/api/query`), either layout. Throws ArxivErrorDocument for arXiv's error
 * feed (one entry whose id is `.../api/errors#...`), InvalidInputError for anything else that is
 * not an API feed or has a broken entry.
 */
export function parseArxivApiFeed(text: string, options: ArxivParseOptions = {}): ArxivParseResult {
  const source = options.source ?? 'the input';
  const feed = parseXml(text, source, 'an arXiv API Atom feed').feed;
  if (!isNode(feed)) {
    throw new InvalidInputError(`${capitalise(source)} is not an arXiv API answer (an Atom <feed>)`, [{ field: 'feed', message: 'is missing' }]);
  }
  const raw = listOf(feed.entry);
  const firstId = collapse(textOf(raw[0]?.id));
  if (raw.length === 1 && /arxiv\.org\/api\/errors/.test(firstId)) {
    throw new ArxivErrorDocument(collapse(textOf(raw[0]?.summary)) || firstId.replace(/^.*#/, ''), source);
  }
  const title = collapse(textOf(feed.title));
  // The legacy layout: `<title type="html">ArXiv Query: ...`, an `http://arxiv.org/api/` id.
  const legacy = isNode(feed.title) && feed.title['@type'] === 'html' ? true : collapse(textOf(feed.id)).startsWith('http://');
  const { entries, skipped } = collect(raw, (node, say) => readApiEntry(node, legacy, say), 'entry', source, options.skipInvalidEntries === true);
  return {
    listing: {
      kind: 'api',
      format: legacy ? 'legacy' : 'current',
      title,
      category: null,
      listingDate: null,
      publishedAt: null,
      totalResults: countOrNull(feed['opensearch:totalResults']),
      startIndex: countOrNull(feed['opensearch:startIndex']),
      itemsPerPage: countOrNull(feed['opensearch:itemsPerPage']),
      entries,
    },
    skipped,
    received: raw.length,
  };
}

const RSS_DESCRIPTION = /^\s*arXiv:(\S+?)(?:v(\d+))?\s+Announce Type:\s*([a-z-]+)\s*(?:Abstract:\s*)?([\s\S]*)$/;

/** `dc:creator` holds every author in one string: "A, B, C and D" (PAPER-SOURCES.md 3). */
export function splitCreators(value: string): string[] {
  return collapse(value)
    .split(/\s*,\s*(?:and\s+)?|\s+and\s+/)
    .map(collapse)
    .filter(Boolean);
}

function readRssItem(node: Node, say: (field: string, message: string) => void): ArxivEntry | undefined {
  const description = RSS_DESCRIPTION.exec(textOf(node.description));
  const linkId = ABS_URL.exec(collapse(textOf(node.link)))?.[1];
  const id = description?.[1] ?? linkId;
  if (!id || !ARXIV_ID.test(id)) {
    say('description', 'must start with "arXiv:<id>v<n> Announce Type: <type>"');
    return undefined;
  }
  const declared = collapse(textOf(node['arxiv:announce_type'])) || description?.[3] || '';
  if (!ANNOUNCE_TYPES.includes(declared)) say('arxiv:announce_type', `arXiv ${id}: must be one of ${ANNOUNCE_TYPES.join(', ')}, not "${declared}"`);
  const title = collapse(textOf(node.title));
  if (!title) say('title', `arXiv ${id}: must not be empty`);
  const version = description?.[2] ?? /v(\d+)$/.exec(collapse(textOf(node.guid)))?.[1];
  return {
    id,
    version: version ? Number(version) : null,
    title,
    abstract: (description?.[4] ?? '').split(/\r?\n\s*/).map(collapse).filter(Boolean).join('\n\n'),
    authors: splitCreators(textOf(node['dc:creator'])),
    firstVersionAt: null,
    versionAt: null,
    primaryCategory: null,
    categories: (Array.isArray(node.category) ? node.category : []).map((c) => collapse(textOf(c))).filter(Boolean),
    comment: null,
    journalRef: optionalText(node['arxiv:journal_reference']),
    doi: optionalText(node['arxiv:DOI']),
    announceType: declared as AnnounceType,
  };
}

/**
 * The RSS listing feed of a category (`rss.arxiv.org/rss/cs.CL`): today's announcement, each item
 * with its announce type (new, cross, replace, replace-cross). Empty on days without one.
 */
export function parseArxivRssFeed(text: string, options: ArxivParseOptions = {}): ArxivParseResult {
  const source = options.source ?? 'the input';
  const channel = (parseXml(text, source, 'an arXiv RSS listing feed').rss as Node | undefined)?.channel;
  if (!isNode(channel)) {
    throw new InvalidInputError(`${capitalise(source)} is not an RSS feed (no <rss><channel>)`, [{ field: 'channel', message: 'is missing' }]);
  }
  const title = collapse(textOf(channel.title));
  const link = collapse(textOf(channel.link));
  const category = /\/rss\/([^/?#]+)$/.exec(link)?.[1] ?? /^(\S+) updates on arXiv\.org$/.exec(title)?.[1] ?? null;
  if (!/arxiv\.org/i.test(link) && !/arXiv\.org/.test(title)) {
    throw new InvalidInputError(`${capitalise(source)} is an RSS feed, but not an arXiv listing (channel "${title}")`, [
      { field: 'channel.link', message: 'must be an rss.arxiv.org feed' },
    ]);
  }
  const publishedAt = instantOrNull(channel.pubDate);
  const raw = listOf(channel.item);
  const { entries, skipped } = collect(raw, readRssItem, 'item', source, options.skipInvalidEntries === true);
  return {
    listing: {
      kind: 'rss',
      format: null,
      title,
      category,
      listingDate: publishedAt ? dateInTimeZone(publishedAt, ARXIV_TIME_ZONE) : null,
      publishedAt,
      totalResults: null,
      startIndex: null,
      itemsPerPage: null,
      entries,
    },
    skipped,
    received: raw.length,
  };
}
