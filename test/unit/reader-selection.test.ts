import { describe, expect, it } from 'vitest';
import {
  createReaderSelector,
  matchesTopic,
  normalizeForMatching,
  selectPapersForReader,
  variantKeyOf,
} from '../../services/core/digest/reader-selection.js';
import { fixturePapers, makePaper } from '../helpers/digest-fixtures.js';

const none = new Set<string>();

describe('selectPapersForReader', () => {
  const papers = [
    makePaper({ id: 'p1', title: 'Scaling Laws for Diffusion Transformers', abstract: 'We study scaling.' }),
    makePaper({ id: 'p2', title: 'A Benchmark for Web Agents', abstract: 'Agents browse the web.', aiKeywords: ['web agents', 'LLM'] }),
    makePaper({ id: 'p3', title: 'Robot Learning at Scale', abstract: 'Reinforcement learning for robots.', aiSummary: 'An RL recipe for robot arms.' }),
    makePaper({ id: 'p4', title: 'Tokenizers Revisited', abstract: 'Byte-level BPE for multilingual LLMs.' }),
  ];

  it('gives every paper, in rank order, to a reader without topics', () => {
    expect(selectPapersForReader(papers, { topics: [], alreadySent: none, maxPapers: 10 }).paperIds).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  it('keeps papers whose title, abstract, AI summary or AI keywords mention a topic, case-insensitively', () => {
    const select = (topics: string[]) => selectPapersForReader(papers, { topics, alreadySent: none, maxPapers: 10 }).paperIds;
    expect(select(['diffusion'])).toEqual(['p1']); // title
    expect(select(['BROWSE'])).toEqual(['p2']); // abstract
    expect(select(['robot arms'])).toEqual(['p3']); // AI summary
    expect(select(['llm'])).toEqual(['p2', 'p4']); // AI keyword, and "LLMs" in an abstract
    expect(select(['diffusion', 'tokenizers'])).toEqual(['p1', 'p4']);
  });

  it('matches whole words only', () => {
    const select = (topics: string[]) => selectPapersForReader(papers, { topics, alreadySent: none, maxPapers: 10 }).paperIds;
    expect(select(['scal'])).toEqual([]);
    expect(select(['RL'])).toEqual(['p3']); // not inside "multilingual" or "world"
    expect(select(['web-agents'])).toEqual(['p2']); // punctuation is a word break on both sides
  });

  it('leaves out papers already sent to the reader', () => {
    const selection = selectPapersForReader(papers, { topics: [], alreadySent: new Set(['p1', 'p3']), maxPapers: 10 });
    expect(selection.paperIds).toEqual(['p2', 'p4']);
  });

  it('caps the copy at the reader maximum, keeping the best ranked', () => {
    expect(selectPapersForReader(papers, { topics: [], alreadySent: new Set(['p1']), maxPapers: 2 }).paperIds).toEqual(['p2', 'p3']);
  });

  it('is empty, with no variant, when nothing is left', () => {
    expect(selectPapersForReader(papers, { topics: ['quantum'], alreadySent: none, maxPapers: 5 })).toEqual({ paperIds: [], variantKey: null });
    expect(selectPapersForReader(papers, { topics: [], alreadySent: new Set(['p1', 'p2', 'p3', 'p4']), maxPapers: 5 }).paperIds).toEqual([]);
    expect(selectPapersForReader([], { topics: [], alreadySent: none, maxPapers: 5 }).paperIds).toEqual([]);
  });

  it('gives readers with the same papers the same variant key, whatever their topics or their order', () => {
    const selector = createReaderSelector(papers);
    const a = selector.select({ topics: ['diffusion', 'tokenizers'], alreadySent: none, maxPapers: 10 });
    const b = selector.select({ topics: ['Tokenizers', 'DIFFUSION', 'tokenizers'], alreadySent: new Set(['p2']), maxPapers: 10 });
    const c = selector.select({ topics: ['diffusion'], alreadySent: none, maxPapers: 10 });
    expect(a.variantKey).toBe(b.variantKey);
    expect(a.variantKey).not.toBe(c.variantKey);
    expect(a.variantKey).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe('variantKeyOf', () => {
  it('does not depend on the order of the ids and is stable across calls', () => {
    expect(variantKeyOf(['2602.00001', '2602.00002', '2602.00003'])).toBe(variantKeyOf(['2602.00003', '2602.00001', '2602.00002']));
    expect(variantKeyOf(['a', 'b'])).toBe(variantKeyOf(['a', 'b']));
    expect(variantKeyOf(['a', 'b'])).not.toBe(variantKeyOf(['a', 'c']));
    // The id list is joined unambiguously: ["ab"] is not ["a", "b"].
    expect(variantKeyOf(['ab'])).not.toBe(variantKeyOf(['a', 'b']));
  });
});

describe('topic matching helpers', () => {
  it('normalizes punctuation and case to single spaces', () => {
    expect(normalizeForMatching('Vision-Language  Models (VLMs)!')).toBe(' vision language models vlms ');
    expect(matchesTopic(normalizeForMatching('Multi-agent systems'), 'agent')).toBe(true);
    expect(matchesTopic(normalizeForMatching('agentic workflows'), 'agent')).toBe(false);
  });
});

describe('selection over a recorded day', () => {
  it('narrows the 44 papers of 2026-02-03 by topic and stays in rank order', () => {
    const papers = fixturePapers('2026-02-03');
    const selector = createReaderSelector(papers);
    const all = selector.select({ topics: [], alreadySent: none, maxPapers: 100 });
    expect(all.paperIds).toEqual(papers.map((p) => p.id));
    const agents = selector.select({ topics: ['agent'], alreadySent: none, maxPapers: 100 });
    expect(agents.paperIds.length).toBeGreaterThan(0);
    expect(agents.paperIds.length).toBeLessThan(papers.length);
    const ranks = agents.paperIds.map((id) => papers.findIndex((p) => p.id === id));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const id of agents.paperIds) {
      const paper = papers.find((p) => p.id === id)!;
      const text = normalizeForMatching([paper.title, paper.abstract, paper.aiSummary ?? '', ...paper.aiKeywords].join(' '));
      expect(matchesTopic(text, 'agent')).toBe(true);
    }
  });
});
