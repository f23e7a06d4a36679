import { describe, expect, it } from 'vitest';
import {
  createReturnPathToken,
  returnPathAddress,
  returnPathTokenOf,
  verifyReturnPathToken,
} from '../../services/core/platform/tokens/return-path.js';

const SECRET = 'test-secret-key-of-reasonable-length';

describe('VERP return paths', () => {
  it('names a digest delivery in a short, lowercase local part', () => {
    const address = returnPathAddress(SECRET, 'bounces.example.org', { kind: 'delivery', deliveryId: 123456789 });
    expect(address).toMatch(/^bounces\+d[0-9a-z]+-[0-9a-f]{16}@bounces\.example\.org$/);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(40);
    const token = returnPathTokenOf(address, 'bounces.example.org');
    expect(verifyReturnPathToken(SECRET, token)).toEqual({ ok: true, subject: { kind: 'delivery', deliveryId: 123456789 } });
  });

  it('names a reader and the transactional email', () => {
    for (const mail of ['confirmation', 'manage-links'] as const) {
      const token = createReturnPathToken(SECRET, { kind: 'reader-mail', subscriberId: 42, mail });
      expect(verifyReturnPathToken(SECRET, token)).toEqual({ ok: true, subject: { kind: 'reader-mail', subscriberId: 42, mail } });
    }
  });

  it('survives a mail system that changes the case of the local part', () => {
    const address = returnPathAddress(SECRET, 'bounces.example.org', { kind: 'delivery', deliveryId: 77 });
    const token = returnPathTokenOf(address.toUpperCase(), 'BOUNCES.example.org');
    expect(verifyReturnPathToken(SECRET, token)).toMatchObject({ ok: true });
  });

  it('refuses a token for another delivery, or signed with another key', () => {
    const token = createReturnPathToken(SECRET, { kind: 'delivery', deliveryId: 1 });
    expect(verifyReturnPathToken(SECRET, token.replace(/^d1-/, 'd2-'))).toEqual({ ok: false, problem: 'forged' });
    expect(verifyReturnPathToken(SECRET, token.replace(/^d1-/, 'c1-'))).toEqual({ ok: false, problem: 'forged' });
    expect(verifyReturnPathToken('another-secret', token)).toEqual({ ok: false, problem: 'forged' });
  });

  it.each([undefined, '', 'd1', 'd1-xyz', 'x1-0123456789abcdef', 'd-0123456789abcdef', `d${'z'.repeat(12)}-0123456789abcdef`, 'a'.repeat(200), 42])(
    'calls %j malformed without throwing',
    (input) => {
      expect(verifyReturnPathToken(SECRET, input)).toEqual({ ok: false, problem: 'malformed' });
    },
  );

  it('finds tokens only in our own bounce addresses', () => {
    expect(returnPathTokenOf('<bounces+d1-abc@bounces.example.org>', 'bounces.example.org')).toBe('d1-abc');
    expect(returnPathTokenOf('bounces+d1-abc@elsewhere.example', 'bounces.example.org')).toBeUndefined();
    expect(returnPathTokenOf('postmaster@bounces.example.org', 'bounces.example.org')).toBeUndefined();
  });
});
