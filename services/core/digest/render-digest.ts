import mjml2html from 'mjml';
import type { Config } from '../platform/config/config.js';
import { escapeHtml } from '../platform/html.js';
import { plural, pluralWord } from '../platform/plural.js';
import { toDigestCard, truncateAtWord, type DigestCard } from './digest-content.js';
import { loadDigestTemplates } from './digest-templates.js';
import type { DigestEdition, DigestPaper } from './digest-types.js';
import { variantKeyOf } from './reader-selection.js';
import { createTopicGrouper, groupingKey, type TopicGroup } from './topic-groups.js';
import { createVariantCache } from './variant-cache.js';

/**
 * Renders the digest for one paper selection: MJML compiled once per selection (a few ms),
 * never per reader. The reader's own links stay as placeholders that survive compilation and
 * are filled in per email (see digest-message.ts).
 */

/**
 * Per-reader values left in the rendered html and text, filled in per email. The stop-topic
 * link is the reader's part only (`…/topics/stop?token=T`); each topic's `&topic=` follows it in
 * the variant. The choices are the reader's own words for their settings, shown in the footer.
 */
export const DIGEST_PLACEHOLDERS = {
  unsubscribeUrl: '%%UNSUBSCRIBE_URL%%',
  preferencesUrl: '%%PREFERENCES_URL%%',
  stopTopicUrl: '%%STOP_TOPIC_URL%%',
  readerChoices: '%%READER_CHOICES%%',
  webCopyUrl: '%%WEB_COPY_URL%%',
} as const;

/** The values of the DIGEST_PLACEHOLDERS for one reader, as plain text. */
export interface DigestReaderValues {
  unsubscribeUrl: string;
  preferencesUrl: string;
  /** The stop-topic link without its topic: `https://…/topics/stop?token=T`. */
  stopTopicUrl: string;
  /** "daily at 07:00 Europe/Berlin, topics: diffusion, agents, 10 papers". */
  readerChoices: string;
  /** "View in browser": the reader's copy (readerCopyUrl), or the edition's page in a preview. */
  webCopyUrl: string;
}

/** What shapes a reader's copy besides the papers: the same for every reader of a variant. */
export interface DigestVariantOptions {
  /** The reader's topics: papers are grouped under them. Empty or absent: not grouped. */
  topics?: readonly string[];
  /** Card thumbnails; on unless false. */
  images?: boolean;
}

/** A selection as rendered: its papers, their grouping and whether cards show images. */
export interface DigestVariant {
  key: string;
  paperIds: string[];
  /** Null: one ungrouped list. */
  groups: TopicGroup[] | null;
  images: boolean;
}

export interface DigestRenderSettings {
  /** Without a trailing slash, as config.publicUrl. */
  publicUrl: string;
  postalAddress: string;
  /** Folder holding `emails/digest.mjml`; found next to the code when absent. */
  templatesDir?: string;
}

export function digestRenderSettings(config: Pick<Config, 'publicUrl' | 'mail'>): DigestRenderSettings {
  return { publicUrl: config.publicUrl, postalAddress: config.mail.postalAddress };
}

export interface RenderedDigest {
  variantKey: string;
  /** The papers shown, in rank order. */
  paperIds: string[];
  subject: string;
  /** Complete HTML document with the DIGEST_PLACEHOLDERS in it. */
  html: string;
  /** Plain-text version with the same placeholders. */
  text: string;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const shortDateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const longDayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function utcDate(isoDate: string): Date {
  const date = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) throw new Error(`edition date "${isoDate}" is not YYYY-MM-DD`);
  return date;
}

/** "1,234" stars read as "1.2K". */
const compactNumber = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Phones show about this much of a subject line. */
const SUBJECT_MAX_CHARS = 70;
/** Inbox previews show about this much of the preheader. */
const PREHEADER_MAX_CHARS = 140;

/** The public page of an edition ("view in browser"). */
export function editionUrl(publicUrl: string, edition: Pick<DigestEdition, 'key'>): string {
  return `${publicUrl}/editions/${encodeURIComponent(edition.key)}`;
}

/**
 * "View in browser" in a reader's email: the edition's page showing that reader's copy, named by
 * a copy token (platform/tokens/copy-token.ts) of their delivery.
 */
export function readerCopyUrl(publicUrl: string, edition: Pick<DigestEdition, 'key'>, copyToken: string): string {
  // Copy tokens are URL-safe by construction.
  return `${editionUrl(publicUrl, edition)}?copy=${copyToken}`;
}

/**
 * The top paper's title first, so a phone's cut keeps what the email is about: "Kimi K2.5:
 * Visual Agentic Intelligence and 43 more". The title is shortened at a word; the count never.
 * The date is in the preheader (digestPreheader).
 */
export function digestSubject(cards: readonly DigestCard[]): string {
  const more = cards.length > 1 ? ` and ${cards.length - 1} more` : '';
  return `${truncateAtWord(cards[0]?.title ?? 'Trending papers', SUBJECT_MAX_CHARS - more.length)}${more}`;
}

/** "Trending papers, 3 Feb 2026 · " and the next titles, as far as an inbox preview shows. */
export function digestPreheader(edition: DigestEdition, cards: readonly DigestCard[]): string {
  const start = shortDateFormat.format(utcDate(edition.periodStart));
  const when = edition.kind !== 'weekly' ? `Trending papers, ${start}` : `Trending papers, week of ${start}`;
  const next = cards.slice(1).map((card) => card.title);
  return truncateAtWord(next.length > 0 ? `${when} · ${next.join(' · ')}` : when, PREHEADER_MAX_CHARS);
}

/** "Tencent · submitted by Ada · published 1 Aug 2026 · ★ 1.2K stars on GitHub", each part only when known. */
function detailsOf(card: DigestCard): string {
  return [
    card.organization,
    card.submittedBy && `submitted by ${card.submittedBy}`,
    card.published && `published ${card.published}`,
    card.githubStars !== null && `★ ${compactNumber.format(card.githubStars)} ${pluralWord(card.githubStars, 'star', 'stars')} on GitHub`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The cards in sections: one unnamed section, or one per topic group in the grouping's order. */
function sectionsOf(cards: readonly DigestCard[], groups: readonly TopicGroup[] | null) {
  if (!groups) return [{ topic: null, heading: null, stopTopicParam: null, cards: cards.map((card) => ({ card, reason: null })) }];
  const byId = new Map(cards.map((card) => [card.id, card]));
  return groups.map((group) => ({
    topic: group.topic,
    heading: group.topic === null ? 'Also in your selection' : `Matched: ${group.topic}`,
    stopTopicParam: group.topic === null ? null : encodeURIComponent(group.topic),
    cards: group.papers.map((paper) => ({ card: byId.get(paper.id)!, reason: paper.reason })),
  }));
}

function cardView(card: DigestCard, reason: string | null, images: boolean) {
  return {
    ...card,
    thumbnailUrl: images ? card.thumbnailUrl : null,
    reason,
    upvotesLabel: plural(card.upvotes, 'upvote', 'upvotes'),
    commentsLabel: plural(card.numComments, 'comment', 'comments'),
    // Why it was picked, authors, "Tencent · published 1 Aug 2026 · ★ 1.2K stars on GitHub" and the
    // keywords: the lines known, in one paragraph (a paragraph's inline style costs ~70 bytes a
    // card, and Gmail clips at ~102 KB).
    bylineLabel: [reason && `Matched ${reason}`, card.authors, detailsOf(card), card.keywords.join(' · ')].filter(Boolean),
    detailsLabel: detailsOf(card),
    keywordsLabel: card.keywords.join(' · '),
    thumbnailAlt: `Preview of “${card.title}”`,
  };
}

function digestView(
  edition: DigestEdition,
  cards: readonly DigestCard[],
  settings: DigestRenderSettings,
  variant: Pick<DigestVariant, 'groups' | 'images'>,
) {
  const daily = edition.kind !== 'weekly';
  const start = utcDate(edition.periodStart);
  const host = new URL(settings.publicUrl).host;
  return {
    subject: digestSubject(cards),
    preheader: digestPreheader(edition, cards),
    kindLabel: daily ? 'Daily papers' : 'Weekly papers',
    dateLabel: daily ? dateFormat.format(start) : `Week of ${longDayFormat.format(start)}`,
    intro: `${cards.length === 1 ? 'The trending paper' : `${cards.length} trending papers`} from Hugging Face Daily Papers ${
      daily ? 'for this day' : 'this week'
    }, ranked by upvotes and discussion.`,
    whyText: `You get this ${daily ? 'daily' : 'weekly'} digest because you subscribed to Paperboy at ${host}.`,
    postalAddress: settings.postalAddress,
    sections: sectionsOf(cards, variant.groups).map((section) => ({
      ...section,
      cards: section.cards.map(({ card, reason }) => cardView(card, reason, variant.images)),
    })),
  };
}

/**
 * Drops MJML's indentation (about a tenth of the output) without its minifier: leading
 * whitespace of a line is never significant in this markup (no <pre>), and Gmail clips
 * messages over ~102 KB.
 */
function compactHtml(html: string): string {
  return html.replace(/\n[ \t]+/g, '\n').replace(/\n{2,}/g, '\n').trim();
}

/**
 * Renders one variant: the given cards (in the order given, or in `groups`) as subject, HTML
 * and text. MJML runs with validationLevel strict, so a broken template throws instead of sending.
 */
export async function renderDigestVariant(
  edition: DigestEdition,
  cards: readonly DigestCard[],
  settings: DigestRenderSettings,
  variant: Pick<DigestVariant, 'groups' | 'images'> = { groups: null, images: true },
): Promise<RenderedDigest> {
  if (cards.length === 0) throw new Error('a digest needs at least one paper; an empty selection is skipped, not rendered');
  const templates = await loadDigestTemplates(settings.templatesDir);
  const view = digestView(edition, cards, settings, variant);
  const compiled = await mjml2html(templates.mjml(view), {
    validationLevel: 'strict',
    // Without this MJML adds a Google Fonts <link> because the system stack names Roboto.
    fonts: {},
    keepComments: false,
    filePath: templates.mjmlPath,
  });
  const paperIds = cards.map((card) => card.id);
  return { variantKey: variantKeyOf(paperIds), paperIds, subject: view.subject, html: compactHtml(compiled.html), text: templates.text(view) };
}

export interface DigestRenderer {
  /**
   * What a reader's copy of a selection (this edition's paper ids, any order) is: its papers,
   * grouped by the reader's topics, and its key. Cheap (no rendering); throws for an unknown id.
   */
  variant(paperIds: readonly string[], options?: DigestVariantOptions): DigestVariant;
  /** Renders a variant. Memoised by its key: readers with the same variant share one compiled result. */
  renderVariant(variant: DigestVariant): Promise<RenderedDigest>;
  /** `renderVariant(variant(paperIds, options))`. */
  render(paperIds: readonly string[], options?: DigestVariantOptions): Promise<RenderedDigest>;
  /** Variants compiled and still cached. */
  readonly cachedVariants: number;
}

/**
 * A per-edition renderer. `rankedPapers` is the edition in rank order (best first). At most
 * `maxCachedVariants` results are kept (least recently used dropped first), so a run with
 * many distinct selections keeps bounded memory; a dropped variant is compiled again if asked.
 */
export function createDigestRenderer(
  edition: DigestEdition,
  rankedPapers: readonly DigestPaper[],
  settings: DigestRenderSettings,
  options: { maxCachedVariants?: number } = {},
): DigestRenderer {
  const cards = new Map(rankedPapers.map((paper, index) => [paper.id, toDigestCard(paper, index + 1)]));
  const grouper = createTopicGrouper(rankedPapers);
  const cache = createVariantCache<RenderedDigest>(options.maxCachedVariants ?? 256);

  const variant = (paperIds: readonly string[], variantOptions: DigestVariantOptions = {}): DigestVariant => {
    const unknown = paperIds.filter((id) => !cards.has(id));
    if (unknown.length > 0) throw new Error(`papers ${unknown.join(', ')} are not in edition ${edition.key}`);
    const ids = [...new Set(paperIds)].sort((a, b) => cards.get(a)!.rank - cards.get(b)!.rank);
    const groups = grouper.group(ids, variantOptions.topics ?? []);
    const images = variantOptions.images !== false;
    // A reader without topics and with images keeps the plain selection's key.
    const key = [variantKeyOf(ids), groups ? `g${groupingKey(groups)}` : '', images ? '' : 'noimg'].filter(Boolean).join('.');
    return { key, paperIds: ids, groups, images };
  };
  const renderVariant = (chosen: DigestVariant) =>
    cache.get(chosen.key, async () => ({
      ...(await renderDigestVariant(edition, chosen.paperIds.map((id) => cards.get(id)!), settings, chosen)),
      variantKey: chosen.key,
    }));

  return {
    variant,
    renderVariant,
    async render(paperIds, variantOptions) {
      return renderVariant(variant(paperIds, variantOptions));
    },
    get cachedVariants() {
      return cache.size;
    },
  };
}

/**
 * Fills the placeholders with given values, for previews and the web version (the send path
 * fills them inside the prepared MIME message instead). HTML gets the values escaped.
 */
export function fillDigestPlaceholders(rendered: Pick<RenderedDigest, 'html' | 'text'>, values: DigestReaderValues): { html: string; text: string } {
  const fill = (source: string, escape: (value: string) => string) =>
    source
      .replaceAll(DIGEST_PLACEHOLDERS.unsubscribeUrl, escape(values.unsubscribeUrl))
      .replaceAll(DIGEST_PLACEHOLDERS.preferencesUrl, escape(values.preferencesUrl))
      .replaceAll(DIGEST_PLACEHOLDERS.stopTopicUrl, escape(values.stopTopicUrl))
      .replaceAll(DIGEST_PLACEHOLDERS.readerChoices, escape(values.readerChoices))
      .replaceAll(DIGEST_PLACEHOLDERS.webCopyUrl, escape(values.webCopyUrl));
  return { html: fill(rendered.html, escapeHtml), text: fill(rendered.text, (value) => value) };
}
