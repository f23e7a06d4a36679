/**
 * What "trending" means in Paperboy, in one place: most upvotes first, then most comments, then
 * the most recent arXiv publication, then the arXiv id. The id makes the order total, so the
 * same papers always rank the same way (an edition, a preview and a resend agree).
 */

export interface Rankable {
  id: string;
  upvotes: number;
  numComments: number;
  publishedAt: Date;
}

export function compareByTrending(a: Rankable, b: Rankable): number {
  return (
    b.upvotes - a.upvotes ||
    b.numComments - a.numComments ||
    b.publishedAt.getTime() - a.publishedAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** A new array in trending order; the input is left as it was. */
export function rankPapers<T extends Rankable>(papers: readonly T[]): T[] {
  return [...papers].sort(compareByTrending);
}

/**
 * The order of an arXiv category edition ("new in this category today"): Hugging Face upvotes
 * first, where the paper is on HF too (the one community signal arXiv papers can have; 0 for the
 * others), then arXiv's own listing order. The reader's topics are applied later, per reader.
 */
export function rankArxivListing<T extends { upvotes: number; position: number }>(papers: readonly T[]): T[] {
  return [...papers].sort((a, b) => b.upvotes - a.upvotes || a.position - b.position);
}
