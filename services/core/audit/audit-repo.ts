import type { Database } from '../platform/db/client.js';
import { adminAuditLog } from '../platform/db/schema.js';

export interface AdminAction {
  /** The admin token's name. */
  actor: string;
  /** What was done, e.g. "papers.import", "editions.resend". */
  action: string;
  /** What it was done to, e.g. an edition date or subscriber id. */
  target?: string;
  /** The request's parameters (never secrets or raw uploads). */
  params?: Record<string, unknown>;
  ip?: string;
}

/** Appends one entry to the admin audit log. */
export async function recordAdminAction(db: Database, action: AdminAction): Promise<void> {
  await db.insert(adminAuditLog).values({
    actor: action.actor,
    action: action.action,
    target: action.target ?? null,
    params: action.params ?? {},
    ip: action.ip ?? null,
  });
}
