import type { Sql } from '../../services/core/platform/db/client.js';
import type { TestSmtpServer } from './smtp-server.js';

/** What the SMTP server received for a set of readers, per reader. */
export interface CopyCount {
  readers: number;
  exactlyOnce: number;
  missing: number;
  duplicated: number;
  /** Duplicated readers whose copies do not all carry one Message-ID (mail systems cannot fold them). */
  duplicatedWithDifferentIds: number;
}

/** Counts the copies `smtp` received for readers reader-{start}@domain ... (insertReaders' addresses). */
export function countCopies(smtp: TestSmtpServer, readers: number, domain: string, start = 1): CopyCount {
  const messageIds = new Map<string, string[]>();
  for (const mail of smtp.messages) {
    const recipient = mail.recipients[0]!;
    if (!recipient.endsWith(`@${domain}`)) continue;
    messageIds.set(recipient, [...(messageIds.get(recipient) ?? []), mail.parsed.messageId ?? '']);
  }
  const count: CopyCount = { readers, exactlyOnce: 0, missing: 0, duplicated: 0, duplicatedWithDifferentIds: 0 };
  for (let n = start; n < start + readers; n++) {
    const ids = messageIds.get(`reader-${n}@${domain}`) ?? [];
    if (ids.length === 0) count.missing += 1;
    else if (ids.length === 1) count.exactlyOnce += 1;
    else {
      count.duplicated += 1;
      if (new Set(ids).size > 1) count.duplicatedWithDifferentIds += 1;
    }
  }
  return count;
}

/** The line each fault test prints, so a run's figures can be quoted. */
export function describeCopies(fault: string, count: CopyCount): string {
  return `${fault}: ${count.readers} readers, ${count.exactlyOnce} with exactly one copy, ${count.missing} missing, ${count.duplicated} duplicated`;
}

/** The run's ledger: how many deliveries are sent and how many are anything else. */
export async function ledgerOfRun(sql: Sql, runId: number): Promise<{ sent: number; other: number }> {
  const [row] = await sql<{ sent: string; other: string }[]>`
    select count(*) filter (where status = 'sent') as sent, count(*) filter (where status <> 'sent') as other
    from deliveries where send_run_id = ${runId}`;
  return { sent: Number(row!.sent), other: Number(row!.other) };
}

/** Addresses of the run's readers whose delivery is still queued: no job has claimed it yet. */
export async function queuedAddresses(sql: Sql, runId: number): Promise<Set<string>> {
  const rows = await sql<{ email: string }[]>`
    select s.email from deliveries d join subscribers s on s.id = d.subscriber_id
    where d.send_run_id = ${runId} and d.status = 'queued'`;
  return new Set(rows.map((row) => row.email));
}

/**
 * Whether `smtp` received a message for one of `addresses`, read after an outage ended: a
 * delivery still queued then was claimed and sent afterwards, so sending had resumed.
 */
export function receivedForAny(smtp: TestSmtpServer, addresses: Set<string>): boolean {
  return smtp.messages.some((mail) => addresses.has(mail.recipients[0]!));
}
