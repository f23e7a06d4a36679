import { createHash } from 'node:crypto';
import type { DigestPaper } from './digest-types.js';

/**
 * Which of an edition's papers one reader gets. Readers with the same selection share one
 * rendered message, so the selection also yields a `variantKey` naming it.
 */

export type SelectablePaper = Pick<DigestPaper, 'id' | 'title' | 'abstract' | 'aiSummary' | 'aiKeywords'>;

export interface ReaderPreferences {
  /** Keywords as the reader chose them; empty means every paper. */
  topics: readonly string[];
  /** Paper ids this reader was already sent (in any earlier digest). */
  alreadySent: ReadonlySet<string>;
  /** Most papers per email (at least 1). */
  maxPapers: number;
}

export interface ReaderSelection {
  /** Paper ids in the edition's rank order; empty means no email (the delivery is skipped). */
  paperIds: string[];
  /** Short stable name of the selection; null when the selection is empty. */
  variantKey: string | null;
}

export interface ReaderSelector {
  select(reader: ReaderPreferences): ReaderSelection;
}

/**
 * Lower-cases and reduces text to words separated by single spaces (any run of characters
 * that are not letters or digits becomes one space), padded with a space at both ends, so
 * `" " + topic + " "` finds a topic only as whole words.
 */
export function normalizeForMatching(text: string): string {
  const words = text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return words ? ` ${words} ` : ' ';
}

/** A topic as matched: its words, or undefined when nothing word-like is left ("++"). */
export function normalizeTopic(topic: string): string | undefined {
  const normalized = normalizeForMatching(topic).trim();
  return normalized || undefined;
}

/**
 * True when the topic occurs as whole words in the normalized text, also in a simple plural
 * ("agent" matches "agents", "LLM" matches "LLMs", "model" does not match "modelling").
 */
export function matchesTopic(normalizedText: string, topic: string): boolean {
  return (
    normalizedText.includes(` ${topic} `) ||
    normalizedText.includes(` ${topic}s `) ||
    normalizedText.includes(` ${topic}es `)
  );
}

/** Names a selection independently of the order its ids are given in. */
export function variantKeyOf(paperIds: readonly string[]): string {
  const canonical = [...new Set(paperIds)].sort().join('\n');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/**
 * Prepares an edition's ranked papers (best first) for selecting many readers' copies: each
 * paper's searchable text (title, abstract, AI summary, AI keywords) is normalized once, and
 * each distinct topic is matched against the papers once, however many readers chose it.
 */
export function createReaderSelector(rankedPapers: readonly SelectablePaper[], options: { maxCachedTopics?: number } = {}): ReaderSelector {
  const searchable = rankedPapers.map((paper) =>
    normalizeForMatching([paper.title, paper.abstract, paper.aiSummary ?? '', ...paper.aiKeywords].join(' \n ')),
  );
  const maxCachedTopics = options.maxCachedTopics ?? 10_000;
  const matchesByTopic = new Map<string, boolean[]>();

  const matchesOf = (topic: string): boolean[] => {
    let matches = matchesByTopic.get(topic);
    if (!matches) {
      matches = searchable.map((text) => matchesTopic(text, topic));
      if (matchesByTopic.size >= maxCachedTopics) matchesByTopic.clear();
      matchesByTopic.set(topic, matches);
    }
    return matches;
  };

  return {
    select(reader) {
      const topics = [...new Set(reader.topics.map(normalizeTopic).filter((t): t is string => t !== undefined))];
      const topicMatches = topics.map(matchesOf);
      const cap = Math.max(1, Math.floor(reader.maxPapers));
      const paperIds: string[] = [];
      for (let index = 0; index < rankedPapers.length && paperIds.length < cap; index++) {
        const paper = rankedPapers[index]!;
        if (reader.alreadySent.has(paper.id)) continue;
        if (topicMatches.length > 0 && !topicMatches.some((matches) => matches[index])) continue;
        paperIds.push(paper.id);
      }
      return { paperIds, variantKey: paperIds.length > 0 ? variantKeyOf(paperIds) : null };
    },
  };
}

/** One reader's copy; for many readers of one edition, keep a `createReaderSelector`. */
export function selectPapersForReader(rankedPapers: readonly SelectablePaper[], reader: ReaderPreferences): ReaderSelection {
  return createReaderSelector(rankedPapers).select(reader);
}
