/**
 * Counted nouns in Paperboy's (English) copy: "1 comment", "2 comments", "1,234 upvotes".
 * Intl.PluralRules picks the form, so the rule lives in one place for pages, emails, the feed
 * and the CLI instead of in scattered `count === 1` checks (or none).
 */

const rules = new Intl.PluralRules('en-US');
const numbers = new Intl.NumberFormat('en-US');

/**
 * Whole counts below 1,000, nearly all of them: en-US writes them as String() does and calls
 * only 1 "one". Answered without Intl, which costs microseconds a call (every digest footer
 * has a count, so the send path pays it per copy). (-0 is left to Intl: it writes "-0".)
 */
const isSmallCount = (count: number) => Number.isInteger(count) && count < 1000 && (count > 0 || Object.is(count, 0));

/** The noun alone in the form the count asks for: `pluralWord(1, 'paper', 'papers')` is "paper". */
export function pluralWord(count: number, one: string, other: string): string {
  if (isSmallCount(count)) return count === 1 ? one : other;
  return rules.select(count) === 'one' ? one : other;
}

/** The count (grouped: "1,234") and its noun: `plural(1, 'upvote', 'upvotes')` is "1 upvote". */
export function plural(count: number, one: string, other: string): string {
  return `${isSmallCount(count) ? String(count) : numbers.format(count)} ${pluralWord(count, one, other)}`;
}
