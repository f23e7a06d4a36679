/**
 * arXiv category names: an archive (`hep-th`, `cs`) and, for most, a subject class (`cs.CL`,
 * `astro-ph.GA`, `physics.atom-ph`, `math.AG`). Checked before one goes into a URL or a query,
 * and in `ARXIV_CATEGORIES` at start-up (so it lives with the configuration, below the papers).
 */
export const ARXIV_CATEGORY = /^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$/;

export function isArxivCategory(value: string): boolean {
  return ARXIV_CATEGORY.test(value);
}
