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
