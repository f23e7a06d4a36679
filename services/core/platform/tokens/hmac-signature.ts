import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature every kind of Paperboy token carries: HMAC-SHA-256 with SECRET_KEY over the
 * token's body under a label of its kind (so a token of one kind never verifies as another),
 * cut to `bytes` and written base64url (hex where case must not matter, as in an address's local part).
 */
export function hmacSignature(secretKey: string, label: string, body: string, bytes: number, encoding: 'base64url' | 'hex' = 'base64url'): string {
  return createHmac('sha256', secretKey).update(`${label}|${body}`).digest().subarray(0, bytes).toString(encoding);
}

/** Compares a token's signature with the expected one in constant time. */
export function signatureMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
