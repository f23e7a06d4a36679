import { domainToUnicode } from 'node:url';
import { InvalidInputError } from '../errors.js';
import { canonicalDomain } from './email-address.js';

/**
 * Addresses as they go into a header we write ourselves (the digest's To: slot) and into the
 * envelope. Anything that could change the header's structure (CR, LF, `<`, `>`, `,`, quotes,
 * spaces, control characters) is refused rather than cleaned: a stored address like that is a
 * bug or an attack, and the delivery should fail visibly.
 */

// RFC 5322 dot-atom characters for the local part; quoted local parts are not accepted.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// RFC 6531 widens atext by non-ASCII characters; of those, letters, marks and digits (what signup accepts).
const INTERNATIONAL_LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\p{L}\p{M}\p{N}-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\p{L}\p{M}\p{N}-]+)*$/u;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** True when mail to or from this address needs SMTPUTF8 (RFC 6531): it is not all ASCII. */
export function needsSmtpUtf8(address: string): boolean {
  return /[^\u0000-\u007f]/.test(address);
}

/**
 * The address ready for a header and the envelope. An ASCII local part gives an ASCII address,
 * an international domain in punycode. A non-ASCII local part (NFC) gives an RFC 6532 UTF-8
 * address with the domain in Unicode too, as nodemailer writes such addresses: it can only go
 * out with SMTPUTF8, which the mail transport checks. Throws InvalidInputError.
 */
export function headerSafeAddress(email: string): string {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`email address refused: ${why}`, [{ field: 'email', message: why }]);
  };
  if (/[\r\n]/.test(email)) refuse('contains a line break');
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) refuse('must look like name@example.org');
  let local = trimmed.slice(0, at);
  const domain = canonicalDomain(trimmed.slice(at + 1));
  if (!domain || domain.length > 253 || !domain.split('.').every((label) => DOMAIN_LABEL.test(label))) {
    refuse('domain is not a valid host name');
  }
  if (LOCAL_PART.test(local)) {
    if (local.length > 64) refuse('local part is longer than 64 characters');
    const address = `${local}@${domain}`;
    if (address.length > 254) refuse('is longer than 254 characters');
    return address;
  }
  local = local.normalize('NFC');
  if (!INTERNATIONAL_LOCAL_PART.test(local)) refuse('local part has characters that cannot go into a header');
  if (Buffer.byteLength(local) > 64) refuse('local part is longer than 64 bytes');
  const address = `${local}@${domainToUnicode(domain)}`;
  if (Buffer.byteLength(address) > 254) refuse('is longer than 254 bytes');
  return address;
}

/** The bare address of a mailbox like `Paperboy <papers@example.org>` (or `papers@example.org`). */
export function bareAddress(mailbox: string): string {
  const bracketed = /<([^<>]+)>\s*$/.exec(mailbox);
  return (bracketed ? bracketed[1]! : mailbox).trim();
}

/** The domain of a mailbox, for Message-IDs: `example.org` from `Paperboy <papers@example.org>`. */
export function mailboxDomain(mailbox: string): string {
  const address = bareAddress(mailbox);
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
