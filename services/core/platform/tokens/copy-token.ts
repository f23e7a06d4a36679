import { hmacSignature, signatureMatches } from './hmac-signature.js';

/**
 * Tokens naming one reader's copy of a digest: the delivery that sent it. A digest's "view in
 * browser" link carries one, so the web version can show exactly the papers that reader got.
 * The HMAC (SHA-256 with SECRET_KEY, under its own label) makes a changed delivery id a forgery,
 * so nobody can walk through other readers' copies; a link token of another purpose is no copy
 * token either. It grants reading one copy only, and never expires: the email it is in does not.
 *
 * Format: `<delivery id base36>.<signature base64url>`, URL-safe without escaping.
 */

export type CopyTokenCheck = { ok: true; deliveryId: number } | { ok: false; problem: 'malformed' | 'forged' };

const SIGNATURE_BYTES = 12;

function sign(secretKey: string, body: string): string {
  return hmacSignature(secretKey, 'paperboy-copy-v1', body, SIGNATURE_BYTES);
}

export function createCopyToken(secretKey: string, deliveryId: number): string {
  const body = deliveryId.toString(36);
  return `${body}.${sign(secretKey, body)}`;
}

/** Checks shape and signature; never throws, whatever the input. */
export function verifyCopyToken(secretKey: string, token: unknown): CopyTokenCheck {
  if (typeof token !== 'string' || token.length > 60) return { ok: false, problem: 'malformed' };
  const match = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{16})$/.exec(token);
  if (!match) return { ok: false, problem: 'malformed' };
  const [, id, signature] = match as unknown as [string, string, string];
  if (!signatureMatches(signature, sign(secretKey, id))) return { ok: false, problem: 'forged' };
  const deliveryId = parseInt(id, 36);
  if (!Number.isSafeInteger(deliveryId)) return { ok: false, problem: 'malformed' };
  return { ok: true, deliveryId };
}
