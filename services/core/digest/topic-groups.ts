import { createHash } from 'node:crypto';
import type { DigestPaper } from './digest-types.js';
import { matchesTopic, normalizeForMatching, normalizeTopic } from './reader-selection.js';

/**
 * A reader with topics gets their papers grouped under the topic each matched ("Matched:
 * diffusion"), each with a one-line reason saying where it matched. The grouping is a function
 * of the selection and the reader's topics only, so readers who share both share one rendered
 * variant: `groupingKey` names a grouping for the variant key.
 */

export type MatchablePaper = Pick<DigestPaper, 'id' | 'title' | 'abstract' | 'aiSummary' | 'aiKeywords'>;

export interface GroupedPaper {
  id: string;
  /** "“diffusion” in the title"; null when no topic matches. */
  reason: string | null;
}

export interface TopicGroup {
  /** The reader's topic as they wrote it; null for papers no topic matches any more. */
  topic: string | null;
  papers: GroupedPaper[];
}

export interface TopicGrouper {
  /**
   * Groups selected papers (ids of this edition) under the reader's topics; null when the reader
   * has no topics (the digest is not grouped). A paper goes under the first of the reader's
   * topics it matches; groups come in the order of their best-ranked paper, papers in rank order.
   */
  group(paperIds: readonly string[], topics: readonly string[]): TopicGroup[] | null;
}

/** Where a topic can match, the most telling first. */
const FIELDS = ['title', 'keywords', 'summary', 'abstract'] as const;
type Field = (typeof FIELDS)[number];

/**
 * The reason line of a paper: the most telling place its group's topic matched, "“diffusion” in
 * the title". One place and no other topics: the line stays short (Gmail clips at ~102 KB) and
 * readers whose topics overlap share more variants.
 */
export function matchReason(topic: string, field: Field): string {
  return `“${topic}” in the ${field}`;
}

/** Prepares an edition's ranked papers (best first): each field is normalized once, each topic matched once. */
export function createTopicGrouper(rankedPapers: readonly MatchablePaper[], options: { maxCachedTopics?: number } = {}): TopicGrouper {
  const rankOf = new Map(rankedPapers.map((paper, index) => [paper.id, index]));
  const fieldsOf = rankedPapers.map((paper) => ({
    title: normalizeForMatching(paper.title),
    keywords: normalizeForMatching(paper.aiKeywords.join(' \n ')),
    summary: normalizeForMatching(paper.aiSummary ?? ''),
    abstract: normalizeForMatching(paper.abstract),
  }));
  const maxCachedTopics = options.maxCachedTopics ?? 10_000;
  // Per topic, per paper: the first field the topic matches, or undefined.
  const fieldsByTopic = new Map<string, Array<Field | undefined>>();
  const matchedFields = (topic: string): Array<Field | undefined> => {
    let matched = fieldsByTopic.get(topic);
    if (!matched) {
      matched = fieldsOf.map((texts) => FIELDS.find((field) => matchesTopic(texts[field], topic)));
      if (fieldsByTopic.size >= maxCachedTopics) fieldsByTopic.clear();
      fieldsByTopic.set(topic, matched);
    }
    return matched;
  };

  return {
    group(paperIds, topics) {
      const seen = new Set<string>();
      const readerTopics = topics
        .map((topic) => ({ topic, normalized: normalizeTopic(topic) }))
        .filter((t): t is { topic: string; normalized: string } => t.normalized !== undefined && !seen.has(t.normalized) && !!seen.add(t.normalized));
      if (readerTopics.length === 0) return null;
      const ranked = [...new Set(paperIds)]
        .map((id) => {
          const rank = rankOf.get(id);
          if (rank === undefined) throw new Error(`paper ${id} is not in this edition`);
          return rank;
        })
        .sort((a, b) => a - b);
      const groups = new Map<string | null, TopicGroup>();
      for (const rank of ranked) {
        let first: { topic: string; field: Field } | undefined;
        for (const { topic, normalized } of readerTopics) {
          const field = matchedFields(normalized)[rank];
          if (field) {
            first = { topic, field };
            break;
          }
        }
        const topic = first?.topic ?? null;
        let group = groups.get(topic);
        if (!group) groups.set(topic, (group = { topic, papers: [] }));
        group.papers.push({
          id: rankedPapers[rank]!.id,
          reason: first ? matchReason(first.topic, first.field) : null,
        });
      }
      // Papers matching no topic (topics changed since the fan-out) come last, whatever their rank.
      const unmatched = groups.get(null);
      groups.delete(null);
      return [...groups.values(), ...(unmatched ? [unmatched] : [])];
    },
  };
}

/** Names a grouping (topics, papers and reasons), for the variant key. */
export function groupingKey(groups: readonly TopicGroup[]): string {
  return createHash('sha256').update(JSON.stringify(groups)).digest('base64url').slice(0, 16);
}
