import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAdminAction, type AdminAction } from '../core/audit/audit-repo.js';
import type { DatabaseClient } from '../core/platform/db/client.js';

/** What an admin request changed; the actor (the token's name) and the ip come from the request. */
export type AuditEntry = Omit<AdminAction, 'actor' | 'ip'>;

/** An entry, or one that depends on how the answer turned out (its status). */
type AuditDeclaration = AuditEntry | ((reply: FastifyReply) => AuditEntry | undefined);

declare module 'fastify' {
  interface FastifyRequest {
    /** What this admin request changed, declared by its route; written by `installAdminAudit`. */
    auditDeclaration?: AuditDeclaration;
  }
}

/**
 * Declares what this request changed. Every changing admin route calls it once the change is
 * made: the entry is written before the answer leaves, even when the route fails afterwards
 * (a partly failed ingest has still imported the dates that worked).
 */
export function auditAdminAction(request: FastifyRequest, entry: AuditDeclaration): void {
  request.auditDeclaration = entry;
}

/**
 * The one place the admin audit log is written: for every request in the admin scope that
 * declared an entry, with the token's name and the client's address. Read-only routes declare
 * nothing and leave no trace.
 */
export function installAdminAudit(admin: FastifyInstance, database: Pick<DatabaseClient, 'db'>): void {
  // onSend, not onResponse: the entry is written before the operator sees the answer.
  admin.addHook('onSend', async (request, reply, payload) => {
    const declared = request.auditDeclaration;
    // Taken before writing: if the write fails, the error answer passes here again and must not retry it.
    request.auditDeclaration = undefined;
    const entry = typeof declared === 'function' ? declared(reply) : declared;
    if (entry) await recordAdminAction(database.db, { actor: request.adminName ?? 'unknown', ...entry, ip: request.ip });
    return payload;
  });
}
