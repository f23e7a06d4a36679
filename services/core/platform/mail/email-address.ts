import { domainToASCII } from 'node:url';

/**
 * A practical check of an email address as a reader types it into a form: the shapes real
 * mailboxes have (dot-atom local part, a dotted domain with a top-level part), and the things
 * that must never reach an SMTP envelope or a header (line breaks, spaces, control characters).
 * Quoted local parts and IP-literal domains are refused on purpose: no real reader uses them, and
 * they are a favourite of header-injection attempts.
 *
 * An address has one canonical form, used for identity, suppression and sending: the domain as
 * its IDNA A-label (after NFC and mapping the ideographic and fullwidth dots to "."), lowercased;
 * the local part in NFC, lowercased. Two spellings that reach one mailbox are one reader.
 *
 * A local part may hold non-ASCII letters, marks and digits (RFC 6531): such an address is
 * valid here but marked `smtpUtf8`, since mail to it needs a server that offers SMTPUTF8.
 * Whether ours does is not this check's business: signup and import ask the mail transport.
 */

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

export type EmailAddressCheck =
  | {
      ok: true;
      /** Trimmed, as typed: used in To:. */ address: string;
      /** The reader's identity. */ normalized: string;
      /** The local part is not ASCII: mail to it needs SMTPUTF8 (RFC 6531). */ smtpUtf8: boolean;
    }
  | { ok: false; /** Says what is wrong, written for the reader. */ message: string };

// RFC 5322 atext, and beyond ASCII the letters, marks and digits of any script (RFC 6531 allows
// any non-ASCII character; symbols such as a fullwidth "＠" only confuse, so they are refused).
const LOCAL_CHAR = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]$/;
const INTERNATIONAL_LOCAL_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
// Checked on the A-label, which is what the mail is sent to; the top-level part as typed.
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const TYPED_LABEL = /^[A-Za-z0-9\u0080-\uFFFF](?:[A-Za-z0-9\u0080-\uFFFF-]*[A-Za-z0-9\u0080-\uFFFF])?$/u;
const TOP_LEVEL = /^(?:[A-Za-z\u0080-\uFFFF]{2,}|xn--[A-Za-z0-9-]+)$/u;
// Characters a reader cannot see or that reorder what they see: an address with one is a typo or a spoof.
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/u;
const DIRECTION_CONTROL = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const REPLACEMENT = /\uFFFD/u;
// The ideographic, fullwidth and halfwidth full stops, which IDNA treats as label separators.
const DOT_VARIANTS = /[\u3002\uFF0E\uFF61]/gu;

/** The domain as typed, with its dots made plain: what the reader means, in Unicode. */
function unicodeDomain(domain: string): string {
  return domain.normalize('NFC').replace(DOT_VARIANTS, '.');
}

/** The domain's IDNA A-label form, lowercased; empty when it is not a valid international domain name. */
export function canonicalDomain(domain: string): string {
  return domainToASCII(unicodeDomain(domain)).toLowerCase();
}

/** Identity of an address: two spellings that reach the same reader compare equal. */
export function normalizeEmailAddress(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at === -1) return trimmed.normalize('NFC').toLowerCase();
  const local = trimmed.slice(0, at).normalize('NFC').toLowerCase();
  const domain = trimmed.slice(at + 1);
  // A domain IDNA refuses has no A-label; it still needs a stable key (checkEmailAddress refuses it).
  return `${local}@${canonicalDomain(domain) || unicodeDomain(domain).toLowerCase()}`;
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The reason an address holds a character no one can see or that reorders the text, if it does. */
function hiddenCharacterProblem(address: string): string | undefined {
  const invisible = INVISIBLE.exec(address)?.[0];
  if (invisible) return `An email address cannot contain the invisible character ${codePoint(invisible)}; retype it rather than paste it`;
  const direction = DIRECTION_CONTROL.exec(address)?.[0];
  if (direction) return `An email address cannot contain the text-direction control character ${codePoint(direction)}; retype it rather than paste it`;
  if (REPLACEMENT.test(address)) return 'An email address cannot contain the replacement character U+FFFD, a sign of a garbled copy; retype it';
  return undefined;
}

function describeChar(char: string): string {
  return char === '"' ? 'a quotation mark (")' : `"${char}"`;
}

export function checkEmailAddress(input: unknown): EmailAddressCheck {
  if (typeof input !== 'string' || input.trim() === '') return { ok: false, message: 'Enter your email address' };
  if (/[\r\n]/.test(input)) return { ok: false, message: 'An email address cannot contain line breaks' };
  const address = input.trim();
  // Control characters, and the Unicode line/paragraph separators some mail software treats as breaks.
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(address)) {
    return { ok: false, message: 'An email address cannot contain control characters' };
  }
  if (address.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, message: `This address is too long: an email address has at most ${MAX_ADDRESS_LENGTH} characters` };
  }
  const hidden = hiddenCharacterProblem(address);
  if (hidden) return { ok: false, message: hidden };
  if (/\s/u.test(address)) return { ok: false, message: 'An email address cannot contain spaces' };

  const at = address.lastIndexOf('@');
  if (at === -1) return { ok: false, message: 'An email address needs an @, as in name@example.org' };
  const local = address.slice(0, at).normalize('NFC');
  const domain = unicodeDomain(address.slice(at + 1));
  if (local.includes('@')) return { ok: false, message: 'An email address has only one @' };
  if (local === '') return { ok: false, message: 'The part before the @ is missing, as in name@example.org' };
  if (domain === '') return { ok: false, message: 'The domain after the @ is missing, as in name@example.org' };

  const smtpUtf8 = hasNonAscii(local);
  // RFC 6531 counts the local part in octets: a non-ASCII letter takes two to four.
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL_PART_LENGTH) {
    return {
      ok: false,
      message: smtpUtf8
        ? `The part before the @ is too long: at most ${MAX_LOCAL_PART_LENGTH} bytes, and a non-ASCII letter takes two to four`
        : `The part before the @ is too long: at most ${MAX_LOCAL_PART_LENGTH} characters`,
    };
  }
  const badLocal = [...local].find((char) => !LOCAL_CHAR.test(char) && !(char > '\u007f' && INTERNATIONAL_LOCAL_CHAR.test(char)));
  if (badLocal) return { ok: false, message: `The part before the @ cannot contain ${describeChar(badLocal)}` };
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return { ok: false, message: 'The part before the @ cannot start or end with a dot or have two dots in a row' };
  }

  const labels = domain.split('.');
  if (labels.length < 2) {
    return { ok: false, message: `The domain "${domain}" needs a top-level part, as in ${domain}.org` };
  }
  if (labels.some((label) => label === '')) {
    return { ok: false, message: 'The domain cannot start or end with a dot or have two dots in a row' };
  }
  const hyphenOrSymbol = 'The domain may contain only letters, digits, dots and hyphens (not at the start or end of a part)';
  if (!labels.every((label) => TYPED_LABEL.test(label))) return { ok: false, message: hyphenOrSymbol };
  const topLevel = labels[labels.length - 1] as string;
  if (!TOP_LEVEL.test(topLevel)) {
    return { ok: false, message: `The domain ends in ".${topLevel}", which is not a top-level domain such as .org or .com` };
  }
  const ascii = canonicalDomain(domain);
  if (ascii === '') return { ok: false, message: `The domain "${domain}" is not a valid international domain name` };
  const asciiLabels = ascii.split('.');
  const badLabel = asciiLabels.find((label) => label.length > MAX_LABEL_LENGTH || !DOMAIN_LABEL.test(label));
  if (badLabel !== undefined) {
    return {
      ok: false,
      message:
        badLabel.length > MAX_LABEL_LENGTH
          ? `The domain part "${badLabel.slice(0, 20)}..." is too long: at most ${MAX_LABEL_LENGTH} characters between dots`
          : hyphenOrSymbol,
    };
  }
  const normalized = `${local.toLowerCase()}@${ascii}`;
  if (normalized.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, message: `This address is too long: an email address has at most ${MAX_ADDRESS_LENGTH} characters` };
  }
  return { ok: true, address: `${local}@${domain}`, normalized, smtpUtf8 };
}

function hasNonAscii(text: string): boolean {
  return /[^\u0000-\u007f]/.test(text);
}

/**
 * Why an address with a non-ASCII local part is refused while the mail server does not offer
 * SMTPUTF8 (or could not be asked), written for the reader.
 */
export function smtpUtf8RefusalMessage(address: string): string {
  const local = address.slice(0, address.lastIndexOf('@'));
  const nonAscii = [...local].find((char) => char > '\u007f') ?? '';
  return `Our mail server cannot send to an address with non-ASCII characters ("${nonAscii}") before the @; use an address with only ASCII letters, digits and . _ + - there`;
}
