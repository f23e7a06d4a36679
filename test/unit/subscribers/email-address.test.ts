import { describe, expect, it } from 'vitest';
import { checkEmailAddress, normalizeEmailAddress } from '../../../services/core/platform/mail/email-address.js';
import { suppressionHash } from '../../../services/core/suppression/suppression-repo.js';

describe('checkEmailAddress', () => {
  it.each([
    'reader@example.org',
    'first.last+papers@sub.example.co.uk',
    "o'brien@example.ie",
    'x@xn--mnchen-3ya.de',
    'jürgen@münchen.de',
  ])('accepts %s', (address) => {
    expect(checkEmailAddress(address)).toEqual({ ok: true, address, normalized: address.toLowerCase() });
  });

  it('trims and lower-cases for identity, keeps the typed spelling for To:', () => {
    expect(checkEmailAddress('  Ada.Lovelace@Example.ORG\t')).toEqual({
      ok: true,
      address: 'Ada.Lovelace@Example.ORG',
      normalized: 'ada.lovelace@example.org',
    });
    expect(normalizeEmailAddress(' A@B.org ')).toBe('a@b.org');
  });

  it.each([
    [undefined, /Enter your email/],
    ['   ', /Enter your email/],
    ['a@example.org\r\nBcc: b@example.org', /line breaks/],
    ['a@example.org\n', /line breaks/],
    ['a\u0000@example.org', /control characters/],
    ['a b@example.org', /spaces/],
    ['a@exam ple.org', /spaces/],
    ['example.org', /needs an @/],
    ['a@b@example.org', /only one @/],
    ['@example.org', /before the @ is missing/],
    ['a@', /domain after the @ is missing/],
    ['a@localhost', /top-level part/],
    ['a@example.', /start or end with a dot/],
    ['a@example..org', /two dots/],
    ['.a@example.org', /start or end with a dot/],
    ['a..b@example.org', /two dots/],
    ['a<b>@example.org', /cannot contain "<"/],
    ['"a"@example.org', /quotation mark/],
    ['a@-example.org', /letters, digits, dots and hyphens/],
    ['a@example.o', /not a top-level domain/],
    ['a@example.123', /not a top-level domain/],
    ['a@[127.0.0.1]', /letters, digits/],
    [`${'a'.repeat(65)}@example.org`, /before the @ is too long: at most 64/],
    [`a@${'b'.repeat(64)}.org`, /at most 63 characters between dots/],
    [`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.org`, /too long: an email address has at most 254/],
  ])('refuses %j with a message that names the problem', (input, message) => {
    const check = checkEmailAddress(input);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });

  it('accepts exactly 254 characters', () => {
    const address = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.org`;
    expect(address).toHaveLength(254);
    expect(checkEmailAddress(address).ok).toBe(true);
  });
});

describe('suppressionHash', () => {
  it('is the SHA-256 hex of the normalised address, so spellings of one address match', () => {
    expect(suppressionHash(' Reader@Example.org ')).toBe(suppressionHash('reader@example.org'));
    // sha256("reader@example.org"), computed independently with `sha256sum`.
    expect(suppressionHash('reader@example.org')).toBe('32a9c5afd14518dde375f5d361400d2f88d8a1cf099f57eeaf6ad15e6bfdd3b8');
    expect(suppressionHash('reader@example.org')).not.toBe(suppressionHash('other@example.org'));
  });
});
