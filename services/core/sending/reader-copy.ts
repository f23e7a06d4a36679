import type { DigestPaper } from '../digest/digest-types.js';
import { TRENDING_SECTION } from '../digest/section-selection.js';
import { createTopicGrouper, type TopicGroup } from '../digest/topic-groups.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError } from '../platform/errors.js';
import { verifyCopyToken } from '../platform/tokens/copy-token.js';
import { findDeliveredCopy } from './delivery-repo.js';

/**
 * A reader's copy of an edition, as "view in browser" in their email shows it: the papers that
 * reader was sent, from the frozen edition, grouped by their topics as the email was. The link
 * names the delivery with a signed copy token, so no other reader's copy can be reached from it.
 */

export interface ReaderCopyDeps {
  database: DatabaseClient;
  config: { secretKey: string };
}

export type ReaderCopy =
  /**
   * `paperIds` in rank order; `groups` null for a reader without topics. A copy in sections has
   * `sections` (each source's papers in its rank order) and no groups; others have sections null.
   */
  | { kept: true; paperIds: string[]; groups: TopicGroup[] | null; sections: Array<{ section: string; paperIds: string[] }> | null }
  /** Retention dropped the delivery (or it never had papers): only the whole edition can be shown. */
  | { kept: false };

/**
 * The copy `copyToken` names among the edition's deliveries. `rankedPapers` is the frozen edition,
 * best first. Throws InvalidInputError (field `copy`) for a token that is malformed or not ours.
 * The grouping uses the reader's topics as they are now: the ledger keeps the papers sent, not the
 * topics they were sent under, and the papers of a topic dropped since fall under "also".
 */
export async function findReaderCopy(
  deps: ReaderCopyDeps,
  edition: { id: number; rankedPapers: readonly DigestPaper[]; sections?: ReadonlyArray<{ category: string; papers: readonly DigestPaper[] }> },
  copyToken: string,
): Promise<ReaderCopy> {
  const check = verifyCopyToken(deps.config.secretKey, copyToken);
  if (!check.ok) {
    const message = check.problem === 'forged' ? 'is not a link Paperboy made' : 'is not a copy token';
    throw new InvalidInputError('This link to a reader’s copy is not valid; the edition itself is at the same address without "?copy="', [
      { field: 'copy', message },
    ]);
  }
  const delivered = await findDeliveredCopy(deps.database.sql, edition.id, check.deliveryId);
  if (!delivered) return { kept: false };
  if (delivered.paperSections.length > 0) return sectionedCopy(edition, delivered.paperIds, delivered.paperSections);
  const rank = new Map(edition.rankedPapers.map((paper, index) => [paper.id, index]));
  const paperIds = delivered.paperIds.filter((id) => rank.has(id)).sort((a, b) => rank.get(a)! - rank.get(b)!);
  if (paperIds.length === 0) return { kept: false };
  return { kept: true, paperIds, groups: createTopicGrouper(edition.rankedPapers).group(paperIds, delivered.topics), sections: null };
}

/** A copy in sections as it was sent: each source's papers under it, in that source's rank order. */
function sectionedCopy(
  edition: { rankedPapers: readonly DigestPaper[]; sections?: ReadonlyArray<{ category: string; papers: readonly DigestPaper[] }> },
  paperIds: readonly string[],
  paperSections: readonly string[],
): ReaderCopy {
  const ranks = new Map<string, Map<string, number>>([
    [TRENDING_SECTION, new Map(edition.rankedPapers.map((paper, index) => [paper.id, index]))],
    ...(edition.sections ?? []).map((section) => [section.category, new Map(section.papers.map((paper, index) => [paper.id, index]))] as const),
  ]);
  const sections: Array<{ section: string; paperIds: string[] }> = [];
  paperIds.forEach((id, index) => {
    const section = paperSections[index] ?? '';
    if (!ranks.get(section)?.has(id)) return;
    let entry = sections.find((candidate) => candidate.section === section);
    if (!entry) sections.push((entry = { section, paperIds: [] }));
    entry.paperIds.push(id);
  });
  for (const entry of sections) entry.paperIds.sort((a, b) => ranks.get(entry.section)!.get(a)! - ranks.get(entry.section)!.get(b)!);
  if (sections.length === 0) return { kept: false };
  return { kept: true, paperIds: sections.flatMap((entry) => entry.paperIds), groups: null, sections };
}
