import { paperLinks } from '../papers/paper-links.js';
import { latexToText } from './latex-text.js';
import type { DigestPaper } from './digest-types.js';

/**
 * What a digest card shows, derived from a stored paper. Values are plain text (never HTML):
 * the templates escape them. LaTeX markup is read as text (latex-text.ts): `{Sora}` → `Sora`,
 * `$\alpha$` → `α`.
 */

export interface DigestCardLinks {
  /** The paper's Hugging Face page (where the discussion is). */
  paper: string;
  arxiv: string;
  pdf: string;
  /** Code repository; null when absent or not an http(s) URL. */
  code: string | null;
  projectPage: string | null;
}

export interface DigestCard {
  id: string;
  /** Position in the edition, 1 = most trending. */
  rank: number;
  title: string;
  /** "A, B, C and 597 others"; empty when no author is known. */
  authors: string;
  upvotes: number;
  numComments: number;
  summary: string;
  /** True when the summary is the AI TL;DR, false when taken from the abstract. */
  summaryIsAi: boolean;
  links: DigestCardLinks;
  /** Hugging Face's thumbnail (http(s) only), or null. */
  thumbnailUrl: string | null;
  organization: string | null;
  /** Who submitted it to Daily Papers. */
  submittedBy: string | null;
  /** GitHub stars, only when the card links a repository. */
  githubStars: number | null;
  /** Up to CARD_KEYWORDS of Hugging Face's AI keywords, first ones first, no repeats. */
  keywords: string[];
  /** arXiv publication date, "1 Aug 2026" (UTC). */
  published: string;
}

/** AI keywords shown on a card (HF lists about ten; the first are the most specific). */
const CARD_KEYWORDS = 3;
const publishedFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** Authors named before "and N others". */
const LISTED_AUTHORS = 3;
/** A summary stops at about this many characters (Gmail clips messages over ~102 KB). */
const SUMMARY_MAX_CHARS = 420;
/** A first sentence shorter than this gets the second one too. */
const SHORT_SENTENCE_CHARS = 140;

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Paper text never contains a live placeholder: `%%` gets a zero-width space in between, so a
 * title like "%%UNSUBSCRIBE_URL%%" stays text instead of becoming a reader's link.
 */
function defusePlaceholders(text: string): string {
  return text.replace(/%(?=%)/g, '%\u200b');
}

/** Display text: LaTeX read as text, whitespace collapsed, placeholders defused. */
function displayText(text: string): string {
  return defusePlaceholders(collapseWhitespace(latexToText(text)));
}

export function shortenAuthors(names: readonly string[], listed = LISTED_AUTHORS): string {
  const authors = names.map(collapseWhitespace).filter(Boolean);
  if (authors.length === 0) return '';
  if (authors.length === 1) return authors[0]!;
  // Naming all but one to write "and 1 others" would be silly: name them all instead.
  if (authors.length <= listed + 1) return `${authors.slice(0, -1).join(', ')} and ${authors.at(-1)}`;
  const others = authors.length - listed;
  return `${authors.slice(0, listed).join(', ')} and ${others} others`;
}

// Words whose trailing period does not end a sentence.
const ABBREVIATIONS = new Set([
  'e.g', 'i.e', 'al', 'etc', 'vs', 'cf', 'fig', 'figs', 'eq', 'eqs', 'sec', 'approx', 'resp', 'no', 'dr', 'mr', 'ms',
  'prof', 'st', 'vol', 'ref', 'refs', 'tab', 'incl', 'est',
]);

/** Splits prose into sentences: at `.`, `!` or `?` followed by a space and a capital, digit or quote. */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  const boundary = /[.!?]["')\]]?\s+(?=[\p{Lu}\p{N}"“'(\[$\\])/gu;
  let start = 0;
  for (let match = boundary.exec(text); match; match = boundary.exec(text)) {
    const end = match.index + match[0].trimEnd().length;
    const lastWord = (/(\S+)$/.exec(text.slice(start, match.index))?.[1] ?? '').toLowerCase().replace(/^[(["'“]+/, '');
    // "e.g. The", "et al. Our", and single initials like "J. Smith" do not end a sentence.
    if (text[match.index] === '.' && (ABBREVIATIONS.has(lastWord) || /^\p{L}$/u.test(lastWord))) continue;
    sentences.push(text.slice(start, end).trim());
    start = match.index + match[0].length;
  }
  const rest = text.slice(start).trim();
  if (rest) sentences.push(rest);
  return sentences;
}

/** At most `maxChars` characters, the ellipsis included, cut at a word boundary when one is near. */
export function truncateAtWord(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars - 1);
  // When the cut lands right before a space, the whole last word fits.
  const space = /\s/.test(text[cut.length] ?? '') ? cut.length : cut.lastIndexOf(' ');
  return `${(space > cut.length * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}…`;
}

/** The abstract's first sentence, or two when the first is short; at most SUMMARY_MAX_CHARS. */
export function summarizeAbstract(abstract: string): string {
  const sentences = splitSentences(collapseWhitespace(latexToText(abstract)));
  if (sentences.length === 0) return '';
  let summary = sentences[0]!;
  if (summary.length < SHORT_SENTENCE_CHARS && sentences[1]) summary = `${summary} ${sentences[1]}`;
  return truncateAtWord(summary, SUMMARY_MAX_CHARS);
}

/** An http(s) URL as given (trimmed), or null for anything else (javascript:, relative, garbage). */
export function httpUrlOrNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  if (!trimmed || /[\s<>"]|%%/.test(trimmed)) return null;
  try {
    const url = new URL(trimmed);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The paper's links (see paper-links.ts), with code and project page kept only when safe in an email. */
function cardLinks(paper: DigestPaper): DigestCardLinks {
  const links = paperLinks(paper);
  return {
    paper: links.huggingFace,
    arxiv: links.arxiv,
    pdf: links.pdf,
    code: httpUrlOrNull(links.code),
    projectPage: httpUrlOrNull(links.project),
  };
}

/** The first `count` keywords as display text, skipping repeats that differ only in case. */
export function cardKeywords(keywords: readonly string[], count = CARD_KEYWORDS): string[] {
  const seen = new Set<string>();
  const shown: string[] = [];
  for (const keyword of keywords) {
    const text = displayText(keyword);
    if (!text || seen.has(text.toLowerCase())) continue;
    seen.add(text.toLowerCase());
    shown.push(text);
    if (shown.length === count) break;
  }
  return shown;
}

function publishedLabel(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : publishedFormat.format(date);
}

/** The card for one paper at its rank (1-based) in the edition. */
export function toDigestCard(paper: DigestPaper, rank: number): DigestCard {
  // AI summaries are one sentence (median 204 characters) but reach 1.6k; cards stay short.
  const aiSummary = paper.aiSummary ? truncateAtWord(displayText(paper.aiSummary), SUMMARY_MAX_CHARS) : '';
  const links = cardLinks(paper);
  return {
    id: paper.id,
    rank,
    title: displayText(paper.title),
    authors: defusePlaceholders(shortenAuthors(paper.authors)),
    upvotes: paper.upvotes,
    numComments: paper.numComments,
    summary: aiSummary || defusePlaceholders(summarizeAbstract(paper.abstract)),
    summaryIsAi: aiSummary !== '',
    links,
    thumbnailUrl: httpUrlOrNull(paper.thumbnailUrl),
    organization: paper.organization ? displayText(paper.organization) || null : null,
    submittedBy: paper.submittedBy ? displayText(paper.submittedBy) || null : null,
    githubStars: links.code && paper.githubStars !== null && paper.githubStars >= 0 ? paper.githubStars : null,
    keywords: cardKeywords(paper.aiKeywords),
    published: publishedLabel(paper.publishedAt),
  };
}

/**
 * A card of an arXiv section: the upvote badge and the Hugging Face page only for a paper HF has
 * upvotes for (the only signal an arXiv paper can have); otherwise the title opens arXiv.
 */
export function arxivCard(card: DigestCard): DigestCard & { showVotes: boolean } {
  const onHf = card.upvotes > 0;
  return { ...card, showVotes: onHf, links: onHf ? card.links : { ...card.links, paper: card.links.arxiv } };
}
