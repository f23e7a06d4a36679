import { describe, expect, it } from 'vitest';
import { createTopicGrouper, groupingKey } from '../../services/core/digest/topic-groups.js';
import { makePaper } from '../helpers/digest-fixtures.js';

describe('createTopicGrouper', () => {
  const ranked = [
    makePaper({ id: 'p1', title: 'Agents that plan', abstract: 'We use diffusion for planning.' }),
    makePaper({ id: 'p2', title: 'Image diffusion at scale', abstract: 'Fast.' }),
    makePaper({ id: 'p3', title: 'A benchmark', abstract: 'Nothing special.', aiKeywords: ['LLM agents'] }),
    makePaper({ id: 'p4', title: 'Robots', abstract: 'Robots.', aiSummary: 'Robot agents learn to walk.' }),
    makePaper({ id: 'p5', title: 'Unrelated', abstract: 'Nothing.' }),
  ];
  const grouper = createTopicGrouper(ranked);
  const all = ranked.map((paper) => paper.id);

  it('does not group a reader without topics', () => {
    expect(grouper.group(all, [])).toBeNull();
    expect(grouper.group(all, ['++'])).toBeNull();
  });

  it('puts each paper under the first of the reader\'s topics it matches, saying where; groups in the order of their best paper', () => {
    expect(grouper.group(all, ['diffusion', 'agent'])).toEqual([
      { topic: 'diffusion', papers: [{ id: 'p1', reason: '“diffusion” in the abstract' }, { id: 'p2', reason: '“diffusion” in the title' }] },
      { topic: 'agent', papers: [{ id: 'p3', reason: '“agent” in the keywords' }, { id: 'p4', reason: '“agent” in the summary' }] },
      // Matched by no topic (the reader's topics changed since the fan-out): last, with no reason.
      { topic: null, papers: [{ id: 'p5', reason: null }] },
    ]);
    // The reader's order decides which topic a paper goes under; the title is the most telling place.
    expect(grouper.group(['p1', 'p2'], ['agent', 'diffusion'])).toEqual([
      { topic: 'agent', papers: [{ id: 'p1', reason: '“agent” in the title' }] },
      { topic: 'diffusion', papers: [{ id: 'p2', reason: '“diffusion” in the title' }] },
    ]);
  });

  it('shows papers in rank order whatever order the selection is given in, and refuses unknown ids', () => {
    expect(grouper.group(['p2', 'p1'], ['diffusion'])![0]!.papers.map((paper) => paper.id)).toEqual(['p1', 'p2']);
    expect(() => grouper.group(['p9'], ['diffusion'])).toThrow(/p9 is not in this edition/);
  });

  it('names a grouping by its content', () => {
    const one = grouper.group(all, ['diffusion', 'agent'])!;
    expect(groupingKey(one)).toBe(groupingKey(grouper.group(all, ['diffusion', 'agent', 'zebra'])!));
    expect(groupingKey(one)).not.toBe(groupingKey(grouper.group(all, ['agent', 'diffusion'])!));
  });
});
