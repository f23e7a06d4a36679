import { describe, expect, it } from 'vitest';
import { createToken, verifyToken } from '../../services/core/platform/tokens/tokens.js';

const SECRET = 'test-secret-key-of-reasonable-length';
const NOW = new Date('2026-11-27T12:00:00Z');

describe('link tokens', () => {
  it('round-trips subscriber and purpose', () => {
    const token = createToken(SECRET, { subscriberId: 12345, purpose: 'unsubscribe' });
    expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(verifyToken(SECRET, token, 'unsubscribe', NOW)).toEqual({ ok: true, subscriberId: 12345, purpose: 'unsubscribe', expiresAt: undefined });
  });

  it('refuses a token made for another purpose', () => {
    const token = createToken(SECRET, { subscriberId: 1, purpose: 'preferences' });
    expect(verifyToken(SECRET, token, 'unsubscribe', NOW)).toEqual({ ok: false, problem: 'wrong-purpose' });
  });

  it('refuses a token whose subscriber id was swapped', () => {
    const token = createToken(SECRET, { subscriberId: 1, purpose: 'unsubscribe' });
    const swapped = token.replace(/^u\.1\./, 'u.2.');
    expect(swapped).not.toBe(token);
    expect(verifyToken(SECRET, swapped, 'unsubscribe', NOW)).toEqual({ ok: false, problem: 'forged' });
  });

  it('refuses a token signed with another key', () => {
    const token = createToken('another-secret', { subscriberId: 1, purpose: 'unsubscribe' });
    expect(verifyToken(SECRET, token, 'unsubscribe', NOW)).toEqual({ ok: false, problem: 'forged' });
  });

  it('expires confirmation tokens and still names the reader', () => {
    const token = createToken(SECRET, { subscriberId: 7, purpose: 'confirm', expiresAt: new Date('2026-11-27T11:59:59Z') });
    expect(verifyToken(SECRET, token, 'confirm', NOW)).toEqual({ ok: false, problem: 'expired', subscriberId: 7 });
    const fresh = createToken(SECRET, { subscriberId: 7, purpose: 'confirm', expiresAt: new Date('2026-11-28T12:00:00Z') });
    expect(verifyToken(SECRET, fresh, 'confirm', NOW).ok).toBe(true);
  });

  it.each([undefined, '', 'abc', 'u.1.0', 'u.1.0.sig.extra', 'u.-1.0.AAAA', 'x'.repeat(500), 'u.1.0.<script>', 42])(
    'calls %j malformed without throwing',
    (input) => {
      expect(verifyToken(SECRET, input, 'unsubscribe', NOW)).toMatchObject({ ok: false });
    },
  );
});
