import { createReaderSelector, type ReaderPreferences, type SelectablePaper } from './reader-selection.js';

/**
 * A reader's copy of a daily edition is made of sections, one per source they chose, in their
 * order: Hugging Face trending first (when chosen), then each arXiv category as listed in their
 * preferences. Each section is chosen like a whole digest was before (the reader's topics, papers
 * sent before left out, `maxPapers` at most: the cap is per section, so adding a category adds its
 * papers instead of taking places from trending), and a paper that two of their sections hold
 * goes in the first one only.
 */

/** The section name of Hugging Face trending; an arXiv section is named by its category ("cs.CL"). */
export const TRENDING_SECTION = 'hf';

export interface SectionedReader extends ReaderPreferences {
  trending: boolean;
  arxivCategories: readonly string[];
}

export interface SectionedSelection {
  /** The copy's papers, section after section; empty means no email. */
  paperIds: string[];
  /**
   * The section of each paper, parallel to `paperIds`; empty when every paper is a trending one:
   * such a copy is the plain digest every reader had before sources, and shares its variant.
   */
  paperSections: string[];
}

export interface SectionedSelector {
  select(reader: SectionedReader): SectionedSelection;
}

const NO_SECTIONS: string[] = [];

/**
 * Prepares an edition's ranked trending papers and its arXiv sections (each ranked, by category)
 * for selecting many readers' copies. A reader of trending alone takes the plain selector's path:
 * their copy is exactly what it was before sources existed, at the same cost.
 */
export function createSectionedSelector(
  trending: readonly SelectablePaper[],
  sections: ReadonlyArray<{ category: string; papers: readonly SelectablePaper[] }>,
): SectionedSelector {
  const trendingSelector = createReaderSelector(trending);
  const bySection = new Map(sections.map((section) => [section.category, createReaderSelector(section.papers)]));
  return {
    select(reader) {
      const plain = { topics: reader.topics, alreadySent: reader.alreadySent, maxPapers: reader.maxPapers };
      if (reader.trending && reader.arxivCategories.length === 0) return { paperIds: trendingSelector.select(plain).paperIds, paperSections: NO_SECTIONS };
      const paperIds: string[] = [];
      const paperSections: string[] = [];
      const taken = new Set(reader.alreadySent);
      const add = (section: string, ids: readonly string[]) => {
        for (const id of ids) {
          paperIds.push(id);
          paperSections.push(section);
          taken.add(id);
        }
      };
      if (reader.trending) add(TRENDING_SECTION, trendingSelector.select(plain).paperIds);
      for (const category of new Set(reader.arxivCategories)) {
        const selector = bySection.get(category);
        if (selector) add(category, selector.select({ ...plain, alreadySent: taken }).paperIds);
      }
      return { paperIds, paperSections: paperSections.every((section) => section === TRENDING_SECTION) ? NO_SECTIONS : paperSections };
    },
  };
}
