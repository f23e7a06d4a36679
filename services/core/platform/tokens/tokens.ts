import { hmacSignature, signatureMatches } from './hmac-signature.js';

/**
 * Signed link tokens. A token names one subscriber and one purpose and carries an optional
 * expiry; the HMAC (SHA-256 with SECRET_KEY) covers all three, so a token for one reader or
 * purpose never works for another, and nothing is stored server-side.
 *
 * Format: `<purpose>.<subscriber id base36>.<expiry base36 seconds, 0 = never>.<signature>`,
 * URL-safe without escaping.
 */
const TOKEN_PURPOSES = {
  confirm: 'c',
  unsubscribe: 'u',
  preferences: 'p',
} as const;

export type TokenPurpose = keyof typeof TOKEN_PURPOSES;

export type TokenProblem = 'malformed' | 'forged' | 'expired' | 'wrong-purpose';

export type TokenCheck =
  | { ok: true; subscriberId: number; purpose: TokenPurpose; expiresAt: Date | undefined }
  | { ok: false; problem: TokenProblem; /** Known when the token was genuine but expired. */ subscriberId?: number };

/** Confirmation links expire; unsubscribe and preference links must keep working (CAN-SPAM: 30 days at least). */
export const CONFIRMATION_TOKEN_TTL_SECONDS = 48 * 3600;

const SIGNATURE_BYTES = 18;
const PURPOSE_BY_CODE = new Map<string, TokenPurpose>(Object.entries(TOKEN_PURPOSES).map(([purpose, code]) => [code, purpose as TokenPurpose]));

function sign(secretKey: string, body: string): string {
  return hmacSignature(secretKey, 'paperboy-link-v1', body, SIGNATURE_BYTES);
}

export interface TokenRequest {
  subscriberId: number;
  purpose: TokenPurpose;
  /** Absent: the token never expires. */
  expiresAt?: Date;
}

export function createToken(secretKey: string, request: TokenRequest): string {
  const expiry = request.expiresAt ? Math.ceil(request.expiresAt.getTime() / 1000) : 0;
  const body = `${TOKEN_PURPOSES[request.purpose]}.${request.subscriberId.toString(36)}.${expiry.toString(36)}`;
  return `${body}.${sign(secretKey, body)}`;
}

/** Checks signature, purpose and expiry; never throws, whatever the input. */
export function verifyToken(secretKey: string, token: unknown, purpose: TokenPurpose, now: Date): TokenCheck {
  if (typeof token !== 'string' || token.length > 100) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, problem: 'malformed' };
  const [code, id, expiry, signature] = parts as [string, string, string, string];
  if (!/^[a-z]$/.test(code) || !/^[0-9a-z]{1,13}$/.test(id) || !/^[0-9a-z]{1,10}$/.test(expiry) || !/^[A-Za-z0-9_-]+$/.test(signature)) {
    return { ok: false, problem: 'malformed' };
  }
  if (!signatureMatches(signature, sign(secretKey, `${code}.${id}.${expiry}`))) return { ok: false, problem: 'forged' };

  const subscriberId = parseInt(id, 36);
  // Signed by us, yet not an id we issue: ids are bigint rows, read as JS numbers.
  if (!Number.isSafeInteger(subscriberId)) return { ok: false, problem: 'malformed' };
  const tokenPurpose = PURPOSE_BY_CODE.get(code);
  if (tokenPurpose !== purpose) return { ok: false, problem: 'wrong-purpose' };
  const expirySeconds = parseInt(expiry, 36);
  const expiresAt = expirySeconds === 0 ? undefined : new Date(expirySeconds * 1000);
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return { ok: false, problem: 'expired', subscriberId };
  return { ok: true, subscriberId, purpose, expiresAt };
}
