import type { Sql } from '../platform/db/client.js';

/**
 * Data access for retention: what grows with every email is dropped once it is old, in bounded
 * steps, none of them a long DELETE of the ledger.
 */

/** The partitioned tables that hold one partition per edition (`{table}_e{edition id}`, migration 0005). */
export type LedgerTable = 'deliveries' | 'sent_papers';

export interface LedgerPartition {
  name: string;
  editionId: number;
}

/**
 * Partitions of `table` whose edition's last day is before `before` (YYYY-MM-DD), or whose
 * edition is gone, oldest edition first, at most `limit`. A partition of an edition with a run
 * still going (fanning out, sending or paused) is kept until the run ends.
 */
export async function findExpiredPartitions(sql: Sql, table: LedgerTable, before: string, limit: number): Promise<LedgerPartition[]> {
  const rows = await sql<{ name: string; edition_id: string }[]>`
    select c.relname as name, p.edition_id
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    cross join lateral (select (regexp_match(c.relname, '_e([0-9]+)$'))[1]::bigint as edition_id) p
    left join editions e on e.id = p.edition_id
    where i.inhparent = to_regclass(${table}) and p.edition_id is not null
      and (e.id is null or e.period_end < ${before}::date)
      and not exists (
        select 1 from send_runs r where r.edition_id = p.edition_id and r.status in ('fanning_out', 'sending', 'paused'))
    order by p.edition_id
    limit ${limit}`;
  return rows.map((row) => ({ name: row.name, editionId: Number(row.edition_id) }));
}

/**
 * Drops one partition: a catalogue change, however many rows it holds. A deliveries partition
 * first hands what it says about sent papers to sent_papers (one row per sent email: reader and
 * variant), which is kept longer, unless that edition's sent_papers partition is gone already.
 * Once neither partition of an edition is left, its variants go too. All in one transaction.
 * Dropping locks the parent table for a moment; a send's statements are short, but a long query
 * on the ledger would hold the drop and every statement queued behind it, so the drop gives up
 * after `lockTimeoutMs` (returns false, having changed nothing) and the next night tries again.
 * Before an edition's deliveries go, its finished runs' counts are stored once more from them,
 * so the runs report what the ledger last said (a cancelled run's last claims included).
 */
export async function dropPartition(sql: Sql, table: LedgerTable, partition: LedgerPartition, lockTimeoutMs: number): Promise<boolean> {
  // The name is checked against the pattern the partitions are made with, not merely quoted.
  if (partition.name !== `${table}_e${partition.editionId}`) throw new Error(`not a ledger partition: ${partition.name}`);
  const sentPapersPartition = `sent_papers_e${partition.editionId}`;
  const other = table === 'deliveries' ? sentPapersPartition : `deliveries_e${partition.editionId}`;
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`;
      const [kept] = await tx<{ other: boolean }[]>`select to_regclass(${other}) is not null as other`;
      if (table === 'deliveries') {
        await tx`
          update send_runs set delivery_counts = paperboy_run_delivery_counts(id, edition_id)
          where edition_id = ${partition.editionId} and status in ('completed', 'cancelled')`;
      }
      if (table === 'deliveries' && kept?.other) {
        await tx`
          insert into ${tx(sentPapersPartition)} (subscriber_id, edition_id, sent_at, variant_id)
          select subscriber_id, edition_id, sent_at, variant_id from ${tx(partition.name)}
          where sent_at is not null and variant_id is not null`;
      }
      await tx`drop table if exists ${tx(partition.name)}`;
      if (!kept?.other) await tx`delete from edition_variants where edition_id = ${partition.editionId}`;
    });
    return true;
  } catch (error) {
    // 55P03 lock_not_available: someone held the ledger longer than the timeout.
    if ((error as { code?: string }).code === '55P03') return false;
    throw error;
  }
}

/**
 * Deletes the sent-paper history and any remaining deliveries of up to `limit` readers who
 * unsubscribed before `before` (and not before `notBefore`: older readers' history is already in
 * dropped partitions), marking them done so the next batch moves on. Suppressions and the reader
 * row stay. Returns how many readers it handled.
 */
export async function dropUnsubscribedHistory(sql: Sql, window: { before: Date; notBefore: Date; now: Date }, limit: number): Promise<number> {
  const rows = await sql`
    with readers as (
      select id from subscribers
      where status = 'unsubscribed' and unsubscribed_at < ${window.before} and unsubscribed_at >= ${window.notBefore}
        and (history_dropped_at is null or history_dropped_at < unsubscribed_at)
      order by unsubscribed_at, id
      limit ${limit}
    ), gone_deliveries as (
      delete from deliveries d using readers where d.subscriber_id = readers.id
    ), gone_sent_papers as (
      delete from sent_papers sp using readers where sp.subscriber_id = readers.id
    )
    update subscribers s set history_dropped_at = ${window.now} from readers where s.id = readers.id
    returning s.id`;
  return rows.length;
}

/**
 * Thins the upvote history observed before `before` to one row per paper, listed day and
 * observation day: the day's last one, which is what the history is read for (countsOfDay in
 * paper-repo.ts reads a day's latest row). Deletes at most `limit` rows; returns how many.
 */
export async function downsamplePaperStats(sql: Sql, before: Date, limit: number): Promise<number> {
  const rows = await sql`
    delete from paper_stats where id in (
      select id from (
        select id, row_number() over (
          partition by paper_id, daily_date, (observed_at at time zone 'UTC')::date
          order by observed_at desc, id desc) as newer_of_day
        from paper_stats where observed_at < ${before}
      ) ranked
      where newer_of_day > 1
      limit ${limit})
    returning id`;
  return rows.length;
}
