/**
 * A practical check of an email address as a reader types it into a form: the shapes real
 * mailboxes have (dot-atom local part, a dotted domain with a top-level part), and the things
 * that must never reach an SMTP envelope or a header (line breaks, spaces, control characters).
 * Quoted local parts and IP-literal domains are refused on purpose: no real reader uses them, and
 * they are a favourite of header-injection attempts.
 */

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

export type EmailAddressCheck =
  | { ok: true; /** Trimmed, as typed: used in To:. */ address: string; /** The reader's identity. */ normalized: string }
  | { ok: false; /** Says what is wrong, written for the reader. */ message: string };

// RFC 5322 atext, plus any non-ASCII character (internationalised addresses, RFC 6531).
const LOCAL_CHAR = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF.-]$/u;
const DOMAIN_LABEL = /^[A-Za-z0-9\u0080-\uFFFF](?:[A-Za-z0-9\u0080-\uFFFF-]*[A-Za-z0-9\u0080-\uFFFF])?$/u;
const TOP_LEVEL = /^(?:[A-Za-z\u0080-\uFFFF]{2,}|xn--[A-Za-z0-9-]+)$/u;

/** Identity of an address: two spellings that reach the same reader compare equal. */
export function normalizeEmailAddress(address: string): string {
  return address.trim().toLowerCase();
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
  if (/\s/u.test(address)) return { ok: false, message: 'An email address cannot contain spaces' };

  const at = address.lastIndexOf('@');
  if (at === -1) return { ok: false, message: 'An email address needs an @, as in name@example.org' };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.includes('@')) return { ok: false, message: 'An email address has only one @' };
  if (local === '') return { ok: false, message: 'The part before the @ is missing, as in name@example.org' };
  if (domain === '') return { ok: false, message: 'The domain after the @ is missing, as in name@example.org' };

  if (local.length > MAX_LOCAL_PART_LENGTH) {
    return { ok: false, message: `The part before the @ is too long: at most ${MAX_LOCAL_PART_LENGTH} characters` };
  }
  const badLocal = [...local].find((char) => !LOCAL_CHAR.test(char));
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
  const badLabel = labels.find((label) => label.length > MAX_LABEL_LENGTH || !DOMAIN_LABEL.test(label));
  if (badLabel !== undefined) {
    return {
      ok: false,
      message:
        badLabel.length > MAX_LABEL_LENGTH
          ? `The domain part "${badLabel.slice(0, 20)}..." is too long: at most ${MAX_LABEL_LENGTH} characters between dots`
          : 'The domain may contain only letters, digits, dots and hyphens (not at the start or end of a part)',
    };
  }
  const topLevel = labels[labels.length - 1] as string;
  if (!TOP_LEVEL.test(topLevel)) {
    return { ok: false, message: `The domain ends in ".${topLevel}", which is not a top-level domain such as .org or .com` };
  }
  return { ok: true, address, normalized: normalizeEmailAddress(address) };
}
