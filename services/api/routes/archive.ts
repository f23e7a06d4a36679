import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { arxivCard, toDigestCard, type DigestCard } from '../../core/digest/digest-content.js';
import { TRENDING_SECTION } from '../../core/digest/section-selection.js';
import type { TopicGroup } from '../../core/digest/topic-groups.js';
import { digestSubject, editionUrl, sourceHeading } from '../../core/digest/render-digest.js';
import { getEditionWithPapers, listEditionsWithHeadlines, listEditionsWithPapers, type EditionWithPapers } from '../../core/editions/edition-service.js';
import { parseEditionKey } from '../../core/editions/edition-key.js';
import { NotFoundError } from '../../core/platform/errors.js';
import { escapeHtml } from '../../core/platform/html.js';
import { plural } from '../../core/platform/plural.js';
import { dailyDateSchema, dateInTimeZone } from '../../core/papers/daily-date.js';
import { findExpectedEmptyDays } from '../../core/papers/paper-repo.js';
import type { Runtime } from '../../runtime.js';
import { toDigestEdition } from '../../core/sending/edition-messages.js';
import { findReaderCopy } from '../../core/sending/reader-copy.js';
import type { PageRenderer } from '../pages/page-renderer.js';
import { editionKeySchema } from './admin-editions.js';

/**
 * The public side of editions: the archive, each edition's web version and an Atom feed. The web
 * version is the edition for everyone: all its papers, no reader's links, and a way to subscribe.
 * "View in browser" in a digest opens the same page with the reader's copy token (`?copy=`): then
 * it shows the papers that reader was sent, grouped as in their email, from the frozen edition.
 */

const PAGE_SIZE = 30;
const FEED_ENTRIES = 30;
const CACHE = 'public, max-age=300';

const longDay = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const shortDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "Thursday 13 August 2026", or "Week of 10 August 2026" for a weekly edition. */
function editionLabel(edition: { kind: 'daily' | 'weekly' | 'arxiv'; periodStart: string }): string {
  const start = new Date(`${edition.periodStart}T00:00:00Z`);
  return edition.kind !== 'weekly' ? longDay.format(start) : `Week of ${shortDay.format(start)}`;
}

/** The arXiv category of an arXiv edition's key (`arxiv:cs.CL:2026-08-13`). */
function arxivCategoryOf(key: string): string {
  const parsed = parseEditionKey(key);
  return parsed.ok && parsed.key.kind === 'daily' && parsed.key.day.source === 'arxiv' ? parsed.key.day.category : '';
}

/** "Daily edition", "Weekly edition 2026-W06", "arXiv cs.CL". */
function kindLabelOf(edition: { kind: 'daily' | 'weekly' | 'arxiv'; key: string }): string {
  if (edition.kind === 'daily') return 'Daily edition';
  if (edition.kind === 'weekly') return `Weekly edition ${edition.key}`;
  return `arXiv ${arxivCategoryOf(edition.key)}`;
}

/** What a page says an edition holds. */
function introOf(edition: { kind: 'daily' | 'weekly' | 'arxiv'; key: string }, count: number): string {
  if (edition.kind === 'arxiv') {
    return `${count === 1 ? 'The paper' : `The ${count} papers`} new in ${arxivCategoryOf(edition.key)} on arXiv this day, ranked by Hugging Face upvotes where a paper is on HF too, then in arXiv's listing order.`;
  }
  return `${count === 1 ? 'The trending paper' : `The ${count} trending papers`} from Hugging Face Daily Papers ${edition.kind === 'daily' ? 'of this day' : 'of this week'}, ranked by upvotes and discussion.`;
}

// XML 1.0 allows no C0 control characters except tab, newline and carriage return.
const xmlText = (value: unknown) => escapeHtml(String(value ?? '').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));

/** A card as a page shows it: with or without its upvotes and comments. */
type PageCard = DigestCard & { showVotes: boolean };

/**
 * The cards of an edition's own papers: an arXiv edition's as its section in an email shows them
 * (upvotes and comments only for a paper Hugging Face has a signal for), a trending one's with both.
 */
function cardsOf(found: EditionWithPapers): PageCard[] {
  const cards = toDigestEdition(found).papers.map((paper, index) => toDigestCard(paper, index + 1));
  return found.edition.kind === 'arxiv' ? cards.map(arxivCard) : cards.map((card) => ({ ...card, showVotes: true }));
}

/** A reader's papers under their topics' headings, as the digest groups them; one unnamed section without topics. */
function sectionsOf(cards: readonly PageCard[], paperIds: readonly string[], groups: readonly TopicGroup[] | null) {
  const byId = new Map(cards.map((card) => [card.id, card]));
  if (!groups) return [{ heading: null, papers: paperIds.map((id) => ({ ...byId.get(id)!, reason: null })) }];
  return groups.map((group) => ({
    heading: group.topic === null ? 'Also in your selection' : `Matched: ${group.topic}`,
    papers: group.papers.map((paper) => ({ ...byId.get(paper.id)!, reason: paper.reason })),
  }));
}

/** The Atom document (RFC 4287) for the newest editions. */
function renderAtomFeed(publicUrl: string, editions: EditionWithPapers[], now: Date): string {
  const updated = editions[0]?.edition.assembledAt ?? now;
  const entries = editions.map((found) => {
    const { edition } = toDigestEdition(found);
    const cards = cardsOf(found);
    const url = editionUrl(publicUrl, edition);
    const list = cards.map((card) => `<li><a href="${escapeHtml(card.links.paper)}">${escapeHtml(card.title)}</a>${card.showVotes ? ` (${plural(card.upvotes, 'upvote', 'upvotes')})` : ''}</li>`).join('');
    return [
      '  <entry>',
      `    <id>${xmlText(url)}</id>`,
      `    <title type="text">${xmlText(`${editionLabel(edition)}: ${digestSubject(cards)}`)}</title>`,
      `    <updated>${found.edition.assembledAt.toISOString()}</updated>`,
      `    <link rel="alternate" type="text/html" href="${xmlText(url)}"/>`,
      `    <summary type="text">${xmlText(cards.map((card) => card.title).join(' · '))}</summary>`,
      `    <content type="html">${xmlText(`<ol>${list}</ol>`)}</content>`,
      '  </entry>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xmlText(`${publicUrl}/editions`)}</id>`,
    '  <title type="text">Paperboy: trending research papers</title>',
    '  <subtitle type="text">The most upvoted new papers from Hugging Face Daily Papers, one edition a day.</subtitle>',
    `  <updated>${updated.toISOString()}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlText(`${publicUrl}/feed.xml`)}"/>`,
    `  <link rel="alternate" type="text/html" href="${xmlText(`${publicUrl}/editions`)}"/>`,
    '  <author><name>Paperboy</name></author>',
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}

export function archiveRoutes(runtime: Runtime, pages: PageRenderer): FastifyPluginAsyncZod {
  /** The public lists end today in the digest's time zone: an edition of a future day shows nowhere first. */
  const today = () => dateInTimeZone(runtime.clock(), runtime.config.digest.timeZone);

  return async (app) => {
    const { publicUrl } = runtime.config;

    app.get(
      '/editions',
      {
        schema: {
          tags: ['editions'],
          summary: 'Archive of past editions (HTML)',
          description: `Newest first, ${PAGE_SIZE} a page; \`before\` (a period end date) pages back.`,
          querystring: z.object({ before: dailyDateSchema.optional() }),
          produces: ['text/html'],
        },
      },
      async (request, reply) => {
        const { before } = request.query;
        const notAfter = today();
        const rows = await listEditionsWithHeadlines(runtime, { limit: PAGE_SIZE, before, notAfter });
        const last = rows[rows.length - 1];
        // Days a source did not publish (a weekend, an arXiv holiday) among this page's editions,
        // so a reader who missed an email sees why; a full page stops at its oldest edition.
        const emptyDays = await findExpectedEmptyDays(runtime.database.db, {
          notAfter,
          before,
          from: rows.length === PAGE_SIZE ? last?.periodEnd : undefined,
          limit: PAGE_SIZE,
        });
        const editions = [
          ...rows.map((row) => ({
            date: row.periodEnd,
            url: `/editions/${encodeURIComponent(row.key)}`,
            kind: row.kind,
            kindLabel: kindLabelOf(row),
            label: editionLabel(row),
            headline: row.headline,
            paperCount: row.paperCount,
          })),
          ...emptyDays.map((day) => ({
            date: day.listingDate,
            kind: 'empty',
            kindLabel: day.source === 'arxiv' ? `arXiv ${day.category}` : 'Hugging Face',
            label: editionLabel({ kind: 'daily', periodStart: day.listingDate }),
            headline: day.reason ?? 'no listing',
            paperCount: 0,
          })),
        ].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
        const nextUrl = rows.length === PAGE_SIZE && last ? `/editions?before=${last.periodEnd}` : undefined;
        return reply.header('cache-control', CACHE).type('text/html; charset=utf-8').send(pages.render('editions', { editions, nextUrl }));
      },
    );

    app.get(
      '/editions/:key',
      {
        schema: {
          tags: ['editions'],
          summary: 'The web version of an edition, or one reader\'s copy of it ("view in browser", HTML)',
          description:
            'Without `copy`: the whole edition. With `copy` (the signed token of a reader\'s delivery, put in each ' +
            'digest\'s "view in browser" link): the papers that reader was sent, grouped by their topics; the whole ' +
            'edition with a note when that delivery is no longer kept. 400 for a token Paperboy did not make.',
          params: z.object({ key: editionKeySchema }),
          querystring: z.object({ copy: z.string().max(100).optional() }),
          produces: ['text/html'],
        },
      },
      async (request, reply) => {
        const found = await getEditionWithPapers(runtime, request.params.key);
        if (!found) throw new NotFoundError(`No edition ${request.params.key}`);
        const { edition, papers } = toDigestEdition(found);
        const cards = cardsOf(found);
        const label = editionLabel(edition);
        const period = edition.kind === 'daily' ? 'of this day' : 'of this week';
        const copy =
          request.query.copy === undefined
            ? undefined
            : await findReaderCopy(runtime, { id: found.edition.id, rankedPapers: papers, sections: edition.sections ?? [] }, request.query.copy);
        const kept = copy?.kept ? copy : undefined;
        // A daily edition with arXiv sections shows each source under its heading, as a copy in sections does.
        const sourceCards = new Map<string, PageCard[]>([
          [TRENDING_SECTION, cards],
          ...(edition.sections ?? []).map((section) => [section.category, section.papers.map((paper, index) => arxivCard(toDigestCard(paper, index + 1)))] as const),
        ]);
        const bySource = (sources: ReadonlyArray<{ section: string; paperIds: readonly string[] }>) =>
          sources.map(({ section, paperIds }) => {
            const byId = new Map((sourceCards.get(section) ?? []).map((card) => [card.id, card]));
            return { heading: sourceHeading(section, edition), papers: paperIds.map((id) => ({ ...byId.get(id)!, reason: null })) };
          });
        // A category's whole listing can run to hundreds of papers: the whole edition shows the
        // first of each, as many as an edition holds, and links the category's own edition.
        const shown = runtime.config.digest.editionSize;
        const wholeSections =
          found.sections.length > 0
            ? [
                ...(cards.length > 0 ? bySource([{ section: TRENDING_SECTION, paperIds: cards.map((card) => card.id) }]) : []),
                ...found.sections.map((section) => ({
                  ...bySource([{ section: section.category, paperIds: section.papers.slice(0, shown).map((paper) => paper.id) }])[0]!,
                  more:
                    section.papers.length > shown
                      ? { url: `/editions/${encodeURIComponent(section.edition.key)}`, label: `All ${section.papers.length} new papers in ${section.category}` }
                      : undefined,
                })),
              ]
            : sectionsOf(cards, cards.map((card) => card.id), null);
        const html = pages.render('edition', {
          title: edition.kind === 'weekly' ? `Papers, week of ${label.replace('Week of ', '')}` : `${edition.kind === 'arxiv' ? `New in ${arxivCategoryOf(edition.key)}, ` : 'Papers of '}${label}`,
          heading: label,
          kindLabel: kindLabelOf(edition),
          intro: kept
            ? kept.sections
              ? `Your copy: ${kept.paperIds.length === 1 ? 'the paper' : `the ${kept.paperIds.length} papers`} you were sent ${period}, by source.`
              : `Your copy: ${kept.paperIds.length === 1 ? 'the paper' : `the ${kept.paperIds.length} papers`} you were sent from the trending papers ${period}${kept.groups ? ', grouped by your topics' : ''}.`
            : found.sections.length > 0
              ? `The papers ${period}: ${cards.length > 0 ? 'the trending papers from Hugging Face Daily Papers, and ' : ''}what was new in ${found.sections.map((section) => section.category).join(', ')} on arXiv.`
              : introOf(edition, cards.length),
          note: copy && !copy.kept ? 'Your own copy of this edition is no longer kept, so this is the whole edition.' : undefined,
          wholeEditionUrl: kept ? `/editions/${encodeURIComponent(edition.key)}` : undefined,
          sections: kept ? (kept.sections ? bySource(kept.sections) : sectionsOf(cards, kept.paperIds, kept.groups)) : wholeSections,
        });
        // A copy's address carries its token: kept out of shared caches and of Referer headers.
        if (copy) reply.header('cache-control', 'private, max-age=300').header('referrer-policy', 'no-referrer');
        else reply.header('cache-control', CACHE);
        return reply.type('text/html; charset=utf-8').send(html);
      },
    );

    app.get(
      '/feed.xml',
      { schema: { tags: ['editions'], summary: 'Atom feed of the editions', produces: ['application/atom+xml'] } },
      async (_request, reply) => {
        const editions = await listEditionsWithPapers(runtime, { limit: FEED_ENTRIES, notAfter: today() });
        return reply
          .header('cache-control', CACHE)
          .type('application/atom+xml; charset=utf-8')
          .send(renderAtomFeed(publicUrl, editions, runtime.clock()));
      },
    );
  };
}
