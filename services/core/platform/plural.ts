/**
 * Counted nouns in Paperboy's (English) copy: "1 comment", "2 comments", "1,234 upvotes".
 * Intl.PluralRules picks the form, so the rule lives in one place for pages, emails, the feed
 * and the CLI instead of in scattered `count === 1` checks (or none).
 */

const rules = new Intl.PluralRules('en-US');
const numbers = new Intl.NumberFormat('en-US');

/** The noun alone in the form the count asks for: `pluralWord(1, 'paper', 'papers')` is "paper". */
export function pluralWord(count: number, one: string, other: string): string {
  return rules.select(count) === 'one' ? one : other;
}

/** The count (grouped: "1,234") and its noun: `plural(1, 'upvote', 'upvotes')` is "1 upvote". */
export function plural(count: number, one: string, other: string): string {
  return `${numbers.format(count)} ${pluralWord(count, one, other)}`;
}
