import { latexToText } from '../../core/digest/latex-text.js';
import type { EditionPaper } from '../../core/editions/edition-service.js';
import { ARXIV_TAXONOMY } from '../../core/papers/arxiv-taxonomy.js';
import type { ErrorDetail } from '../../core/platform/errors.js';
import {
  DEFAULT_PREFERENCES,
  formatTopics,
  MAX_PAPERS_LIMIT,
  splitArxivCategories,
  trendingChoice,
  WEEKDAY_NAMES,
  type Preferences,
} from '../../core/subscribers/preferences.js';
import { canonicalTimeZone, selectableTimeZones } from '../../core/subscribers/time-zones.js';

/**
 * View models for the reader pages: plain data the Handlebars templates print (escaped). A form
 * shown again after an error keeps exactly what the reader typed, so values are strings here.
 */

export interface Option {
  value: string;
  label: string;
  selected: boolean;
}

export interface PreferenceFieldsView {
  daily: boolean;
  weekly: boolean;
  weekdays: Option[];
  hours: Option[];
  timeZones: Option[];
  topics: string;
  maxPapers: string;
  maxPapersLimit: number;
  /** Lets /assets/timezone.js pre-select the browser's zone (new signups only). */
  autodetect: boolean;
  sources: SourcesView;
}

export interface ArchiveView {
  name: string;
  /** Open when it holds a chosen category, so the reader sees their choice without JavaScript. */
  open: boolean;
  chosen: number;
  categories: Array<{ code: string; name: string; checked: boolean }>;
}

export interface SourcesView {
  trending: boolean;
  /** Archives holding a chosen category first, and in each the chosen categories first. */
  archives: ArchiveView[];
  categoryCount: number;
}

export interface ErrorsView {
  errors: Record<string, string>;
  errorList: ErrorDetail[];
}

function text(value: unknown, fallback: string): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (value === undefined || value === null) return fallback;
  return String(value);
}

const CATEGORY_COUNT = ARXIV_TAXONOMY.reduce((count, archive) => count + archive.categories.length, 0);

/**
 * The source choice: the Hugging Face checkbox, and arXiv's taxonomy by archive with the chosen
 * categories ticked (submitted form values, or a stored Preferences). checkPreferences decides
 * what is valid; an unknown code simply matches no checkbox and its error is shown.
 */
function sourcesView(values: Record<string, unknown>): SourcesView {
  const trending = trendingChoice(values.trending);
  const given = values.arxivCategories;
  const chosen = new Set(Array.isArray(given) ? splitArxivCategories(given.map(String)) : typeof given === 'string' ? splitArxivCategories(given) : []);
  const archives = ARXIV_TAXONOMY.map((archive) => {
    const categories = archive.categories.map((category) => ({ code: category.code, name: category.name, checked: chosen.has(category.code) }));
    const picked = categories.filter((category) => category.checked).length;
    return {
      name: archive.name,
      open: picked > 0,
      chosen: picked,
      categories: [...categories.filter((category) => category.checked), ...categories.filter((category) => !category.checked)],
    };
  });
  return {
    trending: trending === undefined || trending === null ? DEFAULT_PREFERENCES.trending : trending === true,
    archives: [...archives.filter((archive) => archive.open), ...archives.filter((archive) => !archive.open)],
    categoryCount: CATEGORY_COUNT,
  };
}

/** Form fields from what was submitted (strings) or what is stored (a Preferences). */
export function preferenceFieldsView(values: Record<string, unknown> | Preferences, autodetect: boolean): PreferenceFieldsView {
  const raw = values as Record<string, unknown>;
  const frequency = text(raw.frequency, DEFAULT_PREFERENCES.frequency);
  const weekday = text(raw.weekday, String(DEFAULT_PREFERENCES.weekday));
  const sendHour = text(raw.sendHour, String(DEFAULT_PREFERENCES.sendHour));
  const given = text(raw.timeZone, DEFAULT_PREFERENCES.timeZone).trim();
  // A stored legacy name (Asia/Calcutta) shows as its current one (Asia/Kolkata).
  const timeZone = canonicalTimeZone(given) ?? given;
  const zones = selectableTimeZones();
  // A zone the list lacks (a typo to correct) stays selectable.
  const zoneValues = timeZone && !zones.includes(timeZone) ? [timeZone, ...zones] : zones;
  return {
    daily: frequency !== 'weekly',
    weekly: frequency === 'weekly',
    weekdays: WEEKDAY_NAMES.map((name, index) => ({ value: String(index + 1), label: name, selected: String(index + 1) === weekday.trim() })),
    hours: Array.from({ length: 24 }, (_, hour) => ({
      value: String(hour),
      label: `${String(hour).padStart(2, '0')}:00`,
      selected: String(hour) === sendHour.trim(),
    })),
    timeZones: zoneValues.map((zone) => ({ value: zone, label: zone, selected: zone === timeZone })),
    topics: Array.isArray(raw.topics) ? formatTopics(raw.topics.map(String)) : text(raw.topics, ''),
    maxPapers: text(raw.maxPapers, String(DEFAULT_PREFERENCES.maxPapers)),
    maxPapersLimit: MAX_PAPERS_LIMIT,
    autodetect,
    sources: sourcesView(raw),
  };
}

export function errorsView(details: ErrorDetail[] = []): ErrorsView {
  const errors: Record<string, string> = {};
  for (const detail of details) errors[detail.field] ??= detail.message;
  return { errors, errorList: details };
}

const SUMMARY_LENGTH = 230;

function shorten(value: string, length: number): string {
  const clean = value.replace(/\s+/g, ' ').trim();
  if (clean.length <= length) return clean;
  const cut = clean.slice(0, length);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), length - 30)).replace(/[,.;:]$/, '')}…`;
}

function authorLine(authors: string[]): string {
  if (authors.length === 0) return 'Unknown authors';
  return authors.length > 3 ? `${authors.slice(0, 3).join(', ')} et al.` : authors.join(', ');
}

/** The sample on the signup page: the edition's date and its first papers, shortened. */
export function editionPreviewView(sample: { date: string; papers: EditionPaper[] } | undefined) {
  if (!sample || sample.papers.length === 0) return undefined;
  const date = new Date(`${sample.date}T00:00:00Z`);
  return {
    dateLabel: Number.isNaN(date.getTime())
      ? sample.date
      : new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date),
    papers: sample.papers.map((paper) => ({
      rank: paper.rank,
      title: latexToText(paper.title),
      url: paper.links.huggingFace,
      summary: shorten(latexToText(paper.aiSummary ?? paper.abstract), SUMMARY_LENGTH),
      authors: authorLine(paper.authors),
      upvotes: paper.upvotes,
      numComments: paper.numComments,
    })),
  };
}
