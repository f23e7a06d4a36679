import { describe, expect, it } from 'vitest';
import type { SelectablePaper } from '../../services/core/digest/reader-selection.js';
import { createSectionedSelector } from '../../services/core/digest/section-selection.js';
import type { FanoutReader } from '../../services/core/sending/fanout-repo.js';
import { planFanoutPage } from '../../services/core/sending/fanout-plan.js';

const papers: SelectablePaper[] = [
  { id: '2601.00001', title: 'Agents that plan', abstract: 'We study agents.', aiSummary: null, aiKeywords: [] },
  { id: '2601.00002', title: 'Diffusion for video', abstract: 'Video generation.', aiSummary: null, aiKeywords: [] },
  { id: '2601.00003', title: 'Protein folding', abstract: 'Biology.', aiSummary: null, aiKeywords: [] },
];

function reader(id: number, overrides: Partial<FanoutReader> = {}): FanoutReader {
  return { id, frequency: 'daily', weekday: 1, sendHour: 7, timeZone: 'UTC', topics: [], maxPapers: 10, trending: true, arxivCategories: [], ...overrides };
}

const base = { haveCopy: new Set<number>(), alreadySent: new Map<number, Set<string>>(), selector: createSectionedSelector(papers, []) };

describe('fan-out planning', () => {
  it('gives each reader the papers matching their topics, minus what they had, capped', () => {
    const planned = planFanoutPage({
      ...base,
      readers: [reader(1), reader(2, { topics: ['video'] }), reader(3, { maxPapers: 1 }), reader(4)],
      alreadySent: new Map([[4, new Set(['2601.00001'])]]),
    });
    expect(planned).toEqual([
      { subscriberId: 1, paperIds: ['2601.00001', '2601.00002', '2601.00003'], paperSections: [] },
      { subscriberId: 2, paperIds: ['2601.00002'], paperSections: [] },
      { subscriberId: 3, paperIds: ['2601.00001'], paperSections: [] },
      { subscriberId: 4, paperIds: ['2601.00002', '2601.00003'], paperSections: [] },
    ]);
  });

  it('plans an empty copy (a skipped delivery) when nothing is left', () => {
    const planned = planFanoutPage({ ...base, readers: [reader(5, { topics: ['quantum'] })] });
    expect(planned).toEqual([{ subscriberId: 5, paperIds: [], paperSections: [] }]);
  });

  it('plans a copy in sections for a reader of arXiv categories: trending first, then their categories in their order', () => {
    const clPapers: SelectablePaper[] = [
      { id: '2604.00011', title: 'Parsing with agents', abstract: 'Language.', aiSummary: null, aiKeywords: [] },
      { id: '2601.00001', title: 'Agents that plan', abstract: 'We study agents.', aiSummary: null, aiKeywords: [] },
    ];
    const lgPapers: SelectablePaper[] = [{ id: '2604.00021', title: 'Optimisers', abstract: 'Learning.', aiSummary: null, aiKeywords: [] }];
    const selector = createSectionedSelector(papers, [
      { category: 'cs.CL', papers: clPapers },
      { category: 'cs.LG', papers: lgPapers },
    ]);
    const planned = planFanoutPage({
      ...base,
      selector,
      readers: [reader(1, { arxivCategories: ['cs.LG', 'cs.CL'], maxPapers: 1 }), reader(2, { trending: false, arxivCategories: ['cs.CL'] }), reader(3)],
    });
    expect(planned).toEqual([
      // The cap is per section; 2601.00001 is in trending and cs.CL, and goes in trending only.
      { subscriberId: 1, paperIds: ['2601.00001', '2604.00021', '2604.00011'], paperSections: ['hf', 'cs.LG', 'cs.CL'] },
      { subscriberId: 2, paperIds: ['2604.00011', '2601.00001'], paperSections: ['cs.CL', 'cs.CL'] },
      { subscriberId: 3, paperIds: ['2601.00001', '2601.00002', '2601.00003'], paperSections: [] },
    ]);
  });

  it('leaves out readers who have their copy and, for scheduled runs, readers not yet due', () => {
    const planned = planFanoutPage({
      ...base,
      readers: [reader(1), reader(2, { sendHour: 9 }), reader(3, { sendHour: 8, timeZone: 'Europe/Berlin' })],
      haveCopy: new Set([1]),
      due: { editionReadyAt: new Date('2026-11-27T06:00:00Z'), now: new Date('2026-11-27T07:00:00Z') },
    });
    expect(planned.map((p) => p.subscriberId)).toEqual([3]);
  });
});
