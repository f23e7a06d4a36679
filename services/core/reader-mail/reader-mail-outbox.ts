import type { Sql } from '../platform/db/client.js';
import type { ReaderMailKind } from '../platform/db/schema.js';
import type { ReaderMailRequest } from './reader-mail-jobs.js';

/**
 * The outbox of transactional reader mail: rows written in the same statement that took their
 * mail slot, and moved from here onto the queue by the worker's relay.
 */

/**
 * Takes up to `limit` of the oldest requests (rows other relays hold are skipped), hands them to
 * `relay`, and deletes them when it resolves; when it throws (Redis down) the transaction rolls
 * back and the rows wait for the next pass. Returns how many were relayed.
 */
export async function relayReaderMailOutbox(
  sql: Sql,
  limit: number,
  relay: (requests: ReaderMailRequest[]) => Promise<unknown>,
): Promise<number> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ subscriberId: number; kind: ReaderMailKind; windowStartedAt: Date; sentInWindow: number }[]>`
      delete from reader_mail_outbox
      where id in (select id from reader_mail_outbox order by id limit ${limit} for update skip locked)
      returning subscriber_id as "subscriberId", kind, window_started_at as "windowStartedAt", sent_in_window as "sentInWindow"`;
    if (rows.length === 0) return 0;
    await relay(
      rows.map((row) => ({
        kind: row.kind,
        slot: { subscriberId: Number(row.subscriberId), windowStartedAt: row.windowStartedAt, sentInWindow: row.sentInWindow },
      })),
    );
    return rows.length;
  });
}

/** How many requests wait in the outbox, and for how long the oldest has (0 when none waits). */
export async function readerMailOutboxBacklog(sql: Sql): Promise<{ count: number; oldestSeconds: number }> {
  const [row] = await sql<{ count: number; oldestSeconds: number }[]>`
    select count(*)::int as count, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as "oldestSeconds"
    from reader_mail_outbox`;
  return { count: row?.count ?? 0, oldestSeconds: Math.max(0, row?.oldestSeconds ?? 0) };
}
