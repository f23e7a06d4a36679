import { describe, expect, it } from 'vitest';
import { ARXIV_TAXONOMY, arxivCategoryName, isKnownArxivCategory } from '../../services/core/papers/arxiv-taxonomy.js';
import { isArxivCategory } from '../../services/core/papers/paper-source.js';

const codes = ARXIV_TAXONOMY.flatMap((archive) => archive.categories.map((category) => category.code));

describe('arXiv taxonomy', () => {
  it('has every archive of arXiv, each with named categories', () => {
    expect(ARXIV_TAXONOMY.map((archive) => archive.archive).sort()).toEqual(
      ['astro-ph', 'cond-mat', 'cs', 'econ', 'eess', 'gr-qc', 'hep-ex', 'hep-lat', 'hep-ph', 'hep-th', 'math', 'math-ph', 'nlin', 'nucl-ex', 'nucl-th', 'physics', 'q-bio', 'q-fin', 'quant-ph', 'stat'].sort(),
    );
    for (const archive of ARXIV_TAXONOMY) {
      expect(archive.name.length).toBeGreaterThan(0);
      expect(archive.categories.length).toBeGreaterThan(0);
      for (const category of archive.categories) {
        expect(category.code === archive.archive || category.code.startsWith(`${archive.archive}.`)).toBe(true);
        expect(category.name.trim()).toBe(category.name);
        expect(category.name.length).toBeGreaterThan(0);
      }
    }
  });

  it('lists each code once, and every code is a well-formed category name', () => {
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.filter((code) => !isArxivCategory(code))).toEqual([]);
    expect(codes.length).toBeGreaterThan(150);
  });

  it('names categories as arXiv does', () => {
    expect(arxivCategoryName('cs.CL')).toBe('Computation and Language');
    expect(arxivCategoryName('cs.LG')).toBe('Machine Learning');
    expect(arxivCategoryName('hep-th')).toBe('High Energy Physics - Theory');
    expect(arxivCategoryName('cond-mat.str-el')).toBe('Strongly Correlated Electrons');
    expect(arxivCategoryName('cs.XX')).toBeUndefined();
  });

  it('knows only the taxonomy\'s codes, case included', () => {
    expect(isKnownArxivCategory('cs.CL')).toBe(true);
    expect(isKnownArxivCategory('quant-ph')).toBe(true);
    expect(isKnownArxivCategory('cs.cl')).toBe(false);
    expect(isKnownArxivCategory('cs')).toBe(false);
    expect(isKnownArxivCategory('constructor')).toBe(false);
  });
});
