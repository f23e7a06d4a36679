import { describe, expect, it } from 'vitest';
import type { SelectablePaper } from '../../services/core/digest/reader-selection.js';
import { createSectionedSelector, type SectionedReader } from '../../services/core/digest/section-selection.js';

const paper = (id: string, title: string): SelectablePaper => ({ id, title, abstract: '', aiSummary: null, aiKeywords: [] });
const trending = [paper('h1', 'Video diffusion'), paper('both', 'Agents for parsing'), paper('h2', 'Robot arms')];
const cl = [paper('both', 'Agents for parsing'), paper('c1', 'Translation agents'), paper('c2', 'Tokenizers')];
const selector = createSectionedSelector(trending, [{ category: 'cs.CL', papers: cl }]);
const reader = (overrides: Partial<SectionedReader>): SectionedReader => ({
  topics: [],
  alreadySent: new Set(),
  maxPapers: 10,
  trending: true,
  arxivCategories: [],
  ...overrides,
});

describe('a reader copy in sections', () => {
  it('keeps a trending-only copy as it always was: no sections', () => {
    expect(selector.select(reader({}))).toEqual({ paperIds: ['h1', 'both', 'h2'], paperSections: [] });
  });

  it('puts a paper two sections hold in the first of the reader’s sections only', () => {
    expect(selector.select(reader({ arxivCategories: ['cs.CL'] }))).toEqual({
      paperIds: ['h1', 'both', 'h2', 'c1', 'c2'],
      paperSections: ['hf', 'hf', 'hf', 'cs.CL', 'cs.CL'],
    });
    expect(selector.select(reader({ trending: false, arxivCategories: ['cs.CL'] }))).toEqual({
      paperIds: ['both', 'c1', 'c2'],
      paperSections: ['cs.CL', 'cs.CL', 'cs.CL'],
    });
  });

  it('applies topics, what was sent before and the cap to each section', () => {
    expect(selector.select(reader({ arxivCategories: ['cs.CL'], topics: ['agent'], maxPapers: 1 }))).toEqual({
      paperIds: ['both', 'c1'],
      paperSections: ['hf', 'cs.CL'],
    });
    expect(selector.select(reader({ arxivCategories: ['cs.CL'], alreadySent: new Set(['c1', 'h1']) }))).toEqual({
      paperIds: ['both', 'h2', 'c2'],
      paperSections: ['hf', 'hf', 'cs.CL'],
    });
  });

  it('gives a plain copy when the category sections come out empty, and nothing when every section does', () => {
    // cs.LG has no section today (a category nobody listed anything in).
    expect(selector.select(reader({ arxivCategories: ['cs.LG'] }))).toEqual({ paperIds: ['h1', 'both', 'h2'], paperSections: [] });
    expect(selector.select(reader({ trending: false, arxivCategories: ['cs.LG'] }))).toEqual({ paperIds: [], paperSections: [] });
    expect(selector.select(reader({ trending: false, arxivCategories: ['cs.CL'], topics: ['quantum'] }))).toEqual({ paperIds: [], paperSections: [] });
  });
});
