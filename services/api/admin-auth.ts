import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminToken } from '../core/platform/config/config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Name of the admin token that authenticated this request (for the audit log). */
    adminName?: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Finds the token that matches `presented`. Both sides are hashed to equal length and every
 * token is compared, so timing reveals neither which token matched nor how much of one did.
 */
function matchAdminToken(tokens: readonly AdminToken[], presented: string): AdminToken | undefined {
  const presentedDigest = digest(presented);
  let match: AdminToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(digest(token.secret), presentedDigest) && !match) match = token;
  }
  return match;
}

/**
 * Browsers cannot send a bearer header when an operator opens the queue dashboard, so under
 * `path` (and only there) a valid token given once as `?token=` is exchanged for an HttpOnly,
 * SameSite=Strict cookie scoped to that path, and the browser is redirected to the same URL
 * without the token (it leaves the address bar and history). The cookie holds no secret: the
 * token's name, an expiry and an HMAC over both and a hash of the token's secret, so removing or
 * rotating the token in ADMIN_TOKEN ends every session made with it.
 */
export interface AdminCookieOptions {
  path: string;
  secretKey: string;
  secure: boolean;
  /** Session length; 8 hours by default. */
  maxAgeSeconds?: number;
}

const ADMIN_COOKIE_NAME = 'paperboy_admin';

function cookieSignature(secretKey: string, token: AdminToken, expires: number): string {
  return createHmac('sha256', secretKey)
    .update(`admin-cookie\n${token.name}\n${expires}\n${digest(token.secret).toString('hex')}`)
    .digest('base64url');
}

export function createAdminCookieValue(secretKey: string, token: AdminToken, expires: number): string {
  return `${Buffer.from(token.name).toString('base64url')}.${expires}.${cookieSignature(secretKey, token, expires)}`;
}

/** The token a dashboard cookie was made with, if it is genuine, unexpired and its token still configured. */
export function verifyAdminCookieValue(tokens: readonly AdminToken[], secretKey: string, value: string, nowSeconds: number): AdminToken | undefined {
  const [encodedName, expiresText, signature] = value.split('.');
  if (!encodedName || !expiresText || !signature || !/^\d+$/.test(expiresText)) return undefined;
  const expires = Number(expiresText);
  if (expires < nowSeconds) return undefined;
  const name = Buffer.from(encodedName, 'base64url').toString();
  const token = tokens.find((candidate) => candidate.name === name);
  if (!token) return undefined;
  const expected = Buffer.from(cookieSignature(secretKey, token, expires));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? token : undefined;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function unauthorized(reply: FastifyReply) {
  return reply
    .status(401)
    .header('www-authenticate', 'Bearer realm="paperboy-admin"')
    .type('application/json; charset=utf-8')
    .send({ error: 'Unauthorized', details: [] });
}

/**
 * onRequest hook for the admin scope: anything but a valid bearer token gets a bare 401. With
 * `cookie`, requests under `cookie.path` may also authenticate with the dashboard cookie (see
 * AdminCookieOptions).
 */
export function requireAdminToken(tokens: readonly AdminToken[], cookie?: AdminCookieOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/i.exec(header);
    let token = match?.[1] ? matchAdminToken(tokens, match[1]) : undefined;
    if (!token && !header && cookie && (request.url === cookie.path || request.url.startsWith(`${cookie.path}/`) || request.url.startsWith(`${cookie.path}?`))) {
      const url = new URL(request.url, 'http://admin.invalid');
      const presented = url.searchParams.get('token');
      if (presented !== null) {
        const exchanged = matchAdminToken(tokens, presented);
        if (!exchanged) return unauthorized(reply);
        const maxAge = cookie.maxAgeSeconds ?? 8 * 3600;
        const value = createAdminCookieValue(cookie.secretKey, exchanged, Math.floor(Date.now() / 1000) + maxAge);
        url.searchParams.delete('token');
        return reply
          .status(303)
          .header(
            'set-cookie',
            `${ADMIN_COOKIE_NAME}=${value}; Path=${cookie.path}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${cookie.secure ? '; Secure' : ''}`,
          )
          .header('location', `${url.pathname}${url.search}`)
          .send();
      }
      const value = readCookie(request.headers.cookie, ADMIN_COOKIE_NAME);
      if (value) token = verifyAdminCookieValue(tokens, cookie.secretKey, value, Math.floor(Date.now() / 1000));
    }
    if (!token) return unauthorized(reply);
    request.adminName = token.name;
  };
}
