import { describe, expect, it } from 'vitest';
import { plural, pluralWord } from '../../services/core/platform/plural.js';

describe('plural', () => {
  it.each([
    [0, '0 comments'],
    [1, '1 comment'],
    [2, '2 comments'],
    [1234, '1,234 comments'],
  ])('%i → %s', (count, expected) => {
    expect(plural(count, 'comment', 'comments')).toBe(expected);
  });

  it('gives the word alone', () => {
    expect(pluralWord(1, 'paper', 'papers')).toBe('paper');
    expect(pluralWord(3, 'paper', 'papers')).toBe('papers');
  });
});

describe('plural without Intl for small counts', () => {
  it('says every whole count up to 2,000 as Intl does', () => {
    const numbers = new Intl.NumberFormat('en-US');
    const rules = new Intl.PluralRules('en-US');
    for (const count of [...Array.from({ length: 2001 }, (_, i) => i), -0, -1, -2, 1.5, 0.5, 999.9]) {
      const word = rules.select(count) === 'one' ? 'paper' : 'papers';
      expect(plural(count, 'paper', 'papers')).toBe(`${numbers.format(count)} ${word}`);
      expect(pluralWord(count, 'paper', 'papers')).toBe(word);
    }
  });
});
