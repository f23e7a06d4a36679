import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminToken } from '../shared/config/config.js';

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
export function matchAdminToken(tokens: readonly AdminToken[], presented: string): AdminToken | undefined {
  const presentedDigest = digest(presented);
  let match: AdminToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(digest(token.secret), presentedDigest) && !match) match = token;
  }
  return match;
}

/** onRequest hook for the admin scope: anything but a valid bearer token gets a bare 401. */
export function requireAdminToken(tokens: readonly AdminToken[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/i.exec(header);
    const token = match?.[1] ? matchAdminToken(tokens, match[1]) : undefined;
    if (!token) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="paperboy-admin"')
        .type('application/json; charset=utf-8')
        .send({ error: 'Unauthorized', details: [] });
    }
    request.adminName = token.name;
  };
}
