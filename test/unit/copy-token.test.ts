import { describe, expect, it } from 'vitest';
import { createCopyToken, verifyCopyToken } from '../../services/core/platform/tokens/copy-token.js';
import { createToken } from '../../services/core/platform/tokens/tokens.js';

const SECRET = 'test-secret-key-of-reasonable-length';

describe('copy tokens (a reader\'s "view in browser" link)', () => {
  it('round-trips the delivery id, URL-safe', () => {
    for (const deliveryId of [1, 5001, 2 ** 40]) {
      const token = createCopyToken(SECRET, deliveryId);
      expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(encodeURIComponent(token)).toBe(token);
      expect(verifyCopyToken(SECRET, token)).toEqual({ ok: true, deliveryId });
    }
  });

  it('refuses another delivery\'s id under a genuine signature, another key, or another purpose\'s token', () => {
    const [, signature] = createCopyToken(SECRET, 41).split('.');
    expect(verifyCopyToken(SECRET, `${(42).toString(36)}.${signature}`)).toEqual({ ok: false, problem: 'forged' });
    expect(verifyCopyToken(SECRET, createCopyToken('another-secret-key-entirely', 41))).toEqual({ ok: false, problem: 'forged' });
    expect(verifyCopyToken(SECRET, createToken(SECRET, { subscriberId: 41, purpose: 'preferences' }))).toEqual({ ok: false, problem: 'malformed' });
  });

  it('never throws on junk', () => {
    for (const junk of [undefined, null, 42, '', '.', 'a.b', 'x'.repeat(500), '1.AAAAAAAAAAAAAAAA.', 'zzzzzzzzzzz.AAAAAAAAAAAAAAAA']) {
      expect(verifyCopyToken(SECRET, junk).ok).toBe(false);
    }
  });
});
