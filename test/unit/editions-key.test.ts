import { describe, expect, it } from 'vitest';
import { parseEditionKey } from '../../services/core/editions/edition-key.js';

describe('edition keys', () => {
  it('reads a Hugging Face day, an ISO week and an arXiv category listing', () => {
    expect(parseEditionKey('2026-08-13')).toEqual({ ok: true, key: { kind: 'daily', day: { source: 'hf', date: '2026-08-13' } } });
    expect(parseEditionKey('2026-W06')).toEqual({ ok: true, key: { kind: 'weekly', week: '2026-W06', range: { start: '2026-02-02', end: '2026-02-08' } } });
    expect(parseEditionKey('arxiv:cs.CL:2026-08-13')).toEqual({ ok: true, key: { kind: 'daily', day: { source: 'arxiv', category: 'cs.CL', date: '2026-08-13' } } });
    for (const category of ['hep-th', 'astro-ph.GA', 'physics.atom-ph', 'math.AG', 'cs']) {
      expect(parseEditionKey(`arxiv:${category}:2026-08-13`).ok).toBe(true);
    }
  });

  it('says what is wrong with a key that is not valid', () => {
    expect(parseEditionKey('arxiv:cs CL:2026-08-13')).toEqual({ ok: false, message: '"cs CL" is not an arXiv category such as cs.CL, math.AG or hep-th' });
    expect(parseEditionKey('arxiv:cs.CL:2026-02-30')).toEqual({ ok: false, message: '"2026-02-30" is not a calendar date written as YYYY-MM-DD' });
    expect(parseEditionKey('arxiv:cs.CL:2026-08-13:extra')).toMatchObject({ ok: false, message: expect.stringMatching(/^must be a daily date/) });
    for (const bad of ['', 'arxiv:', 'arxiv::2026-08-13', 'hf:2026-08-13', '2026-W54', 'arxiv:../x:2026-08-13']) {
      expect(parseEditionKey(bad).ok).toBe(false);
    }
  });
});
