import { describe, expect, it } from 'vitest';
import { checkEmailAddress, normalizeEmailAddress, smtpUtf8RefusalMessage } from '../../../services/core/platform/mail/email-address.js';
import { headerSafeAddress, needsSmtpUtf8 } from '../../../services/core/platform/mail/address.js';
import { suppressionHash } from '../../../services/core/suppression/suppression-repo.js';

describe('checkEmailAddress', () => {
  it.each([
    'reader@example.org',
    'first.last+papers@sub.example.co.uk',
    "o'brien@example.ie",
    'x@xn--mnchen-3ya.de',
  ])('accepts %s', (address) => {
    expect(checkEmailAddress(address)).toEqual({ ok: true, address, normalized: address.toLowerCase(), smtpUtf8: false });
  });

  it('trims and lower-cases for identity, keeps the typed spelling for To:', () => {
    expect(checkEmailAddress('  Ada.Lovelace@Example.ORG\t')).toEqual({
      ok: true,
      address: 'Ada.Lovelace@Example.ORG',
      normalized: 'ada.lovelace@example.org',
      smtpUtf8: false,
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

describe('the canonical form of an address', () => {
  it.each([
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
    ['user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
    ['User@BÜCHER.Example', 'user@xn--bcher-kva.example'],
    ['user@bu\u0308cher.example', 'user@xn--bcher-kva.example'],
    ['user@ex．ample.com', 'user@ex.ample.com'],
    ['user@ex。ample.com', 'user@ex.ample.com'],
    ['user@ex｡ample.com', 'user@ex.ample.com'],
  ])('%s is %s: the domain as an IDNA A-label, lowercased', (input, canonical) => {
    expect(normalizeEmailAddress(input)).toBe(canonical);
    expect(checkEmailAddress(input)).toMatchObject({ ok: true, normalized: canonical });
  });

  it('puts the local part in NFC, so precomposed and combining spellings are one reader', () => {
    expect(normalizeEmailAddress('u\u0308ser@example.org')).toBe(normalizeEmailAddress('\u00fcser@example.org'));
    expect(suppressionHash('u\u0308ser@example.org')).toBe(suppressionHash('\u00fcser@example.org'));
  });

  it('checks the labels the mail is sent to: a fullwidth dot separates labels', () => {
    const check = checkEmailAddress('user@ex．ample.com');
    expect(check).toMatchObject({ ok: true, address: 'user@ex.ample.com' });
    expect(headerSafeAddress('user@ex．ample.com')).toBe('user@ex.ample.com');
    expect(headerSafeAddress('user@bu\u0308cher.example')).toBe('user@xn--bcher-kva.example');
  });

  it('puts a non-ASCII local part into headers and the envelope as UTF-8 (NFC), with the domain in Unicode too', () => {
    expect(headerSafeAddress('josé@xn--exmple-cua.com')).toBe('josé@exämple.com');
    expect(headerSafeAddress('jose\u0301@EXÄMPLE.com')).toBe('josé@exämple.com');
    expect(headerSafeAddress('用户@例子.广告')).toBe('用户@例子.广告');
    expect(needsSmtpUtf8('josé@exämple.com')).toBe(true);
    expect(needsSmtpUtf8(headerSafeAddress('jose@exämple.com'))).toBe(false);
    for (const bad of ['jo sé@example.org', 'josé<x>@example.org', 'jos\u0085é@example.org', `${'é'.repeat(33)}@example.org`]) {
      expect(() => headerSafeAddress(bad), bad).toThrow(/local part/);
    }
  });

  it.each([
    ['zero-width space', 'us\u200Ber@example.org', /invisible character U\+200B/],
    ['zero-width joiner', 'user@exam\u200Dple.org', /invisible character U\+200D/],
    ['word joiner', 'user\u2060@example.org', /invisible character U\+2060/],
    ['byte order mark', 'user@example.org\uFEFFx', /invisible character U\+FEFF/],
    ['right-to-left override', 'user\u202E@example.org', /text-direction control character U\+202E/],
    ['left-to-right isolate', 'user@\u2066example.org', /text-direction control character U\+2066/],
    ['left-to-right mark', 'user\u200E@example.org', /text-direction control character U\+200E/],
    ['replacement character', 'us\uFFFDer@example.org', /replacement character U\+FFFD/],
  ])('refuses a %s with a message naming it', (_what, input, message) => {
    const check = checkEmailAddress(input);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });

  it.each([
    ['josé@exämple.com', 'josé@xn--exmple-cua.com'],
    ['Üser@example.org', 'üser@example.org'],
    ['u\u0308ser@example.org', 'üser@example.org'],
    ['用户@例子.广告', '用户@xn--fsqu00a.xn--4rr70v'],
    ['jürgen.müller+news@münchen.de', 'jürgen.müller+news@xn--mnchen-3ya.de'],
  ])('accepts the non-ASCII local part of %s, marked as needing SMTPUTF8 (identity %s)', (input, normalized) => {
    expect(checkEmailAddress(input)).toEqual({ ok: true, address: input.normalize('NFC'), normalized, smtpUtf8: true });
  });

  it.each([
    ['a fullwidth @', 'a\uFF20b@example.org', /cannot contain "＠"/],
    ['a symbol', 'jos\u2603@example.org', /cannot contain "☃"/],
    ['a no-break space', 'jos\u00A0é@example.org', /spaces/],
    ['a C1 control character', 'jos\u0085é@example.org', /cannot contain/],
    ['65 bytes of letters', `${'é'.repeat(32)}a@example.org`, /at most 64 bytes/],
  ])('refuses a non-ASCII local part with %s', (_what, input, message) => {
    const check = checkEmailAddress(input);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });

  it('explains a refusal while the mail server does not offer SMTPUTF8, naming the character', () => {
    expect(smtpUtf8RefusalMessage('josé@exämple.com')).toBe(
      'Our mail server cannot send to an address with non-ASCII characters ("é") before the @; use an address with only ASCII letters, digits and . _ + - there',
    );
  });

  it('accepts an international domain and keeps its spelling for display', () => {
    expect(checkEmailAddress('Juergen@München.de')).toEqual({ ok: true, address: 'Juergen@München.de', normalized: 'juergen@xn--mnchen-3ya.de', smtpUtf8: false });
  });

  it('refuses a domain that is not a valid international domain name', () => {
    const check = checkEmailAddress('user@a\u0378.org'); // an unassigned code point
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(/not a valid international domain name/);
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
