import mjml2html from 'mjml';
import type { Config } from '../platform/config/config.js';
import { escapeHtml } from '../platform/html.js';
import { plural, pluralWord } from '../platform/plural.js';
import { arxivCard, toDigestCard, truncateAtWord, type DigestCard } from './digest-content.js';
import { loadDigestTemplates } from './digest-templates.js';
import type { DigestEdition, DigestPaper } from './digest-types.js';
import { variantKeyOf } from './reader-selection.js';
import { TRENDING_SECTION } from './section-selection.js';
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
  /**
   * The section of each paper, parallel to the paper ids ("hf" or an arXiv category; see
   * section-selection.ts). Absent, null or empty: an all-trending copy, as every copy was before
   * readers chose sources (no section headings).
   */
  sections?: readonly string[] | null;
}

/** One source's part of a copy in sections: its papers, in that source's rank order. */
export interface DigestVariantSource {
  /** "hf" or an arXiv category. */
  section: string;
  paperIds: string[];
}

/** A selection as rendered: its papers, their grouping and whether cards show images. */
export interface DigestVariant {
  key: string;
  /** Section after section for a copy in sections; in rank order otherwise. */
  paperIds: string[];
  /** Null: one ungrouped list. Copies in sections are not grouped by topic: the sources are their headings. */
  groups: TopicGroup[] | null;
  images: boolean;
  /** Null: an all-trending copy. */
  sources: DigestVariantSource[] | null;
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

/** A copy's source headings: "Trending on Hugging Face", "New in cs.CL · Computation and Language". */
export function sourceHeading(section: string, edition: DigestEdition): string {
  if (section === TRENDING_SECTION) return 'Trending on Hugging Face';
  const name = edition.sections?.find((entry) => entry.category === section)?.name;
  return name && name !== section ? `New in ${section} · ${name}` : `New in ${section}`;
}

/** "5 papers for this day: 3 trending on Hugging Face, 2 new in cs.CL on arXiv." */
function sectionedIntro(sources: ReadonlyArray<{ section: string; cards: readonly unknown[] }>, total: number): string {
  const parts = sources.map((source) =>
    source.section === TRENDING_SECTION ? `${source.cards.length} trending on Hugging Face` : `${source.cards.length} new in ${source.section} on arXiv`,
  );
  return `${plural(total, 'paper', 'papers')} for this day: ${parts.join(', ')}.`;
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

function cardView(card: DigestCard & { showVotes?: boolean }, reason: string | null, images: boolean) {
  return {
    ...card,
    showVotes: card.showVotes ?? true,
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

/** The cards of one source of a copy in sections, in that source's order. */
export interface RenderSource {
  section: string;
  cards: readonly DigestCard[];
}

function digestView(
  edition: DigestEdition,
  cards: readonly DigestCard[],
  settings: DigestRenderSettings,
  variant: Pick<DigestVariant, 'groups' | 'images'> & { sources?: readonly RenderSource[] | null },
) {
  const daily = edition.kind !== 'weekly';
  const start = utcDate(edition.periodStart);
  const host = new URL(settings.publicUrl).host;
  const trendingIntro = `${cards.length === 1 ? 'The trending paper' : `${cards.length} trending papers`} from Hugging Face Daily Papers ${
    daily ? 'for this day' : 'this week'
  }, ranked by upvotes and discussion.`;
  const view = (card: DigestCard & { showVotes?: boolean }, reason: string | null) => cardView(card, reason, variant.images);
  // An all-trending copy is one source without a heading: its markup is what it was before sources.
  const sources = variant.sources
    ? variant.sources.map((source) => ({
        heading: sourceHeading(source.section, edition),
        sections: [
          {
            topic: null,
            heading: null,
            stopTopicParam: null,
            cards: source.cards.map((card) => view(source.section === TRENDING_SECTION ? card : arxivCard(card), null)),
          },
        ],
      }))
    : [
        {
          heading: null,
          sections: sectionsOf(cards, variant.groups).map((section) => ({ ...section, cards: section.cards.map(({ card, reason }) => view(card, reason)) })),
        },
      ];
  return {
    subject: digestSubject(cards),
    preheader: digestPreheader(edition, cards),
    kindLabel: daily ? 'Daily papers' : 'Weekly papers',
    dateLabel: daily ? dateFormat.format(start) : `Week of ${longDayFormat.format(start)}`,
    intro: variant.sources ? sectionedIntro(variant.sources, cards.length) : trendingIntro,
    whyText: `You get this ${daily ? 'daily' : 'weekly'} digest because you subscribed to Paperboy at ${host}.`,
    postalAddress: settings.postalAddress,
    sources,
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
 * Renders one variant: the given cards (in the order given, or in `groups`, or under their
 * `sources`' headings) as subject, HTML and text. MJML runs with validationLevel strict, so a broken template throws instead of sending.
 */
export async function renderDigestVariant(
  edition: DigestEdition,
  cards: readonly DigestCard[],
  settings: DigestRenderSettings,
  variant: Pick<DigestVariant, 'groups' | 'images'> & { sources?: readonly RenderSource[] | null } = { groups: null, images: true },
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
  // Each source's cards, ranked within it: a paper can be in trending and in a category.
  const cardsBySection = new Map<string, Map<string, DigestCard>>([
    [TRENDING_SECTION, cards],
    ...(edition.sections ?? []).map((section) => [section.category, new Map(section.papers.map((paper, index) => [paper.id, toDigestCard(paper, index + 1)]))] as const),
  ]);
  const grouper = createTopicGrouper(rankedPapers);
  const cache = createVariantCache<RenderedDigest>(options.maxCachedVariants ?? 256);

  const sectionedVariant = (paperIds: readonly string[], sections: readonly string[], images: boolean): DigestVariant => {
    if (sections.length !== paperIds.length) throw new Error(`edition ${edition.key}: ${paperIds.length} papers but ${sections.length} sections`);
    const sources: DigestVariantSource[] = [];
    paperIds.forEach((id, index) => {
      const section = sections[index]!;
      if (!cardsBySection.get(section)?.has(id)) throw new Error(`paper ${id} is not in section ${section} of edition ${edition.key}`);
      let source = sources.find((entry) => entry.section === section);
      if (!source) sources.push((source = { section, paperIds: [] }));
      if (!source.paperIds.includes(id)) source.paperIds.push(id);
    });
    for (const source of sources) {
      const ranked = cardsBySection.get(source.section)!;
      source.paperIds.sort((a, b) => ranked.get(a)!.rank - ranked.get(b)!.rank);
    }
    const ids = sources.flatMap((source) => source.paperIds);
    const sectionsKey = variantKeyOf(sources.map((source, index) => `${index}:${source.section}:${source.paperIds.join(',')}`));
    const key = [variantKeyOf(ids), `s${sectionsKey}`, images ? '' : 'noimg'].filter(Boolean).join('.');
    return { key, paperIds: ids, groups: null, images, sources };
  };

  const variant = (paperIds: readonly string[], variantOptions: DigestVariantOptions = {}): DigestVariant => {
    const images = variantOptions.images !== false;
    if (variantOptions.sections && variantOptions.sections.length > 0) return sectionedVariant(paperIds, variantOptions.sections, images);
    const unknown = paperIds.filter((id) => !cards.has(id));
    if (unknown.length > 0) throw new Error(`papers ${unknown.join(', ')} are not in edition ${edition.key}`);
    const ids = [...new Set(paperIds)].sort((a, b) => cards.get(a)!.rank - cards.get(b)!.rank);
    const groups = grouper.group(ids, variantOptions.topics ?? []);
    // A reader without topics and with images keeps the plain selection's key.
    const key = [variantKeyOf(ids), groups ? `g${groupingKey(groups)}` : '', images ? '' : 'noimg'].filter(Boolean).join('.');
    return { key, paperIds: ids, groups, images, sources: null };
  };
  const renderVariant = (chosen: DigestVariant) =>
    cache.get(chosen.key, async () => {
      const sources = chosen.sources?.map((source) => {
        const ranked = cardsBySection.get(source.section)!;
        return { section: source.section, cards: source.paperIds.map((id) => ranked.get(id)!) };
      });
      const shown = sources ? sources.flatMap((source) => source.cards) : chosen.paperIds.map((id) => cards.get(id)!);
      return { ...(await renderDigestVariant(edition, shown, settings, { ...chosen, sources: sources ?? null })), variantKey: chosen.key };
    });

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
