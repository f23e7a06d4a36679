import { hmacSignature, signatureMatches } from './hmac-signature.js';

/**
 * VERP return paths: the envelope sender of each message is `bounces+<token>@BOUNCE_DOMAIN`,
 * where the token names the message (a digest delivery, or one reader's transactional email)
 * and carries an HMAC (SHA-256 with SECRET_KEY). A bounce sent to that address names its message
 * without our having to trust anything in the bounce itself; a made-up token names nothing.
 *
 * Token: `<code><id base36>-<signature hex>`, e.g. `d2n9c-5be1c0a3f2d46e19`. Only lowercase
 * letters, digits and `-`: some mail systems lowercase local parts, and this survives that.
 * 64 bits of signature: guessing one means about 2^63 bounces sent to the receiver.
 */

export const RETURN_PATH_LOCAL_PREFIX = 'bounces+';

export type ReturnPathSubject =
  | { kind: 'delivery'; deliveryId: number }
  | { kind: 'reader-mail'; subscriberId: number; mail: 'confirmation' | 'manage-links' };

export type ReturnPathCheck = { ok: true; subject: ReturnPathSubject } | { ok: false; problem: 'malformed' | 'forged' };

/** 16 hex digits. */
const SIGNATURE_BYTES = 8;
const CODES = { delivery: 'd', confirmation: 'c', 'manage-links': 'm' } as const;

function sign(secretKey: string, body: string): string {
  return hmacSignature(secretKey, 'paperboy-return-path-v1', body, SIGNATURE_BYTES, 'hex');
}

function bodyOf(subject: ReturnPathSubject): string {
  if (subject.kind === 'delivery') return `${CODES.delivery}${subject.deliveryId.toString(36)}`;
  return `${CODES[subject.mail]}${subject.subscriberId.toString(36)}`;
}

export function createReturnPathToken(secretKey: string, subject: ReturnPathSubject): string {
  const body = bodyOf(subject);
  return `${body}-${sign(secretKey, body)}`;
}

/** `bounces+<token>@<domain>`: the MAIL FROM of a message about `subject`. */
export function returnPathAddress(secretKey: string, domain: string, subject: ReturnPathSubject): string {
  return `${RETURN_PATH_LOCAL_PREFIX}${createReturnPathToken(secretKey, subject)}@${domain}`;
}

/** Checks a token's shape and signature; never throws, whatever the input. Case does not matter. */
export function verifyReturnPathToken(secretKey: string, token: unknown): ReturnPathCheck {
  if (typeof token !== 'string' || token.length > 40) return { ok: false, problem: 'malformed' };
  const match = /^([dcm])([0-9a-z]{1,11})-([0-9a-f]{16})$/.exec(token.toLowerCase());
  if (!match) return { ok: false, problem: 'malformed' };
  const [, code, id, signature] = match as unknown as [string, string, string, string];
  if (!signatureMatches(signature, sign(secretKey, `${code}${id}`))) return { ok: false, problem: 'forged' };
  const numericId = parseInt(id, 36);
  if (!Number.isSafeInteger(numericId)) return { ok: false, problem: 'malformed' };
  if (code === CODES.delivery) return { ok: true, subject: { kind: 'delivery', deliveryId: numericId } };
  return { ok: true, subject: { kind: 'reader-mail', subscriberId: numericId, mail: code === CODES.confirmation ? 'confirmation' : 'manage-links' } };
}

/**
 * The token of a return-path address at `domain` (`bounces+TOKEN@domain`, any case), or
 * undefined when the address is not one of ours. The token is not checked here.
 */
export function returnPathTokenOf(address: string, domain: string): string | undefined {
  const lower = address.trim().replace(/^<|>$/g, '').toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 0 || lower.slice(at + 1) !== domain.toLowerCase()) return undefined;
  const local = lower.slice(0, at);
  return local.startsWith(RETURN_PATH_LOCAL_PREFIX) ? local.slice(RETURN_PATH_LOCAL_PREFIX.length) : undefined;
}
