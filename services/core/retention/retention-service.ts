import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import { dropPartition, dropUnsubscribedHistory, downsamplePaperStats, findExpiredPartitions, type LedgerTable } from './retention-repo.js';

/**
 * Retention: what every email and every ingest adds is kept for a window and then dropped, so the
 * database levels off instead of growing for ever. Run nightly by the maintenance queue.
 * - An edition's deliveries (its partition) go DELIVERY_RETENTION_DAYS after the edition's date,
 *   leaving one sent-paper row per sent email (reader, variant), which go SENT_PAPERS_RETENTION_DAYS
 *   after: a whole table each, no DELETE.
 * - A reader who unsubscribed more than DELIVERY_RETENTION_DAYS ago loses their history
 *   (deliveries, sent papers); the reader row and any suppression stay.
 * - Upvote history older than PAPER_STATS_FULL_DAYS keeps one row per paper and day.
 * Each step works in bounded batches and a bounded number of them, so a night after a long pause
 * does not turn into one long transaction; what is left waits for the next night.
 */

export interface RetentionDeps {
  database: DatabaseClient;
  clock: Clock;
  logger: Logger;
  config: { retention: Config['retention'] };
}

export interface RetentionResult {
  deliveryPartitionsDropped: number;
  sentPaperPartitionsDropped: number;
  /** Partitions whose drop waited too long for its lock: tried again next night. */
  partitionsPostponed: number;
  readersForgotten: number;
  paperStatsRowsDeleted: number;
}

/** Upvote history younger than this keeps every observation (trending compares recent hours). */
export const PAPER_STATS_FULL_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
/** At most this many partitions a table a night: about a month of editions after a long pause. */
const MAX_PARTITIONS_PER_RUN = 40;
const PARTITION_LOCK_TIMEOUT_MS = 5_000;
const READERS_PER_BATCH = 500;
const PAPER_STATS_ROWS_PER_BATCH = 5_000;
const MAX_BATCHES_PER_STEP = 100;

/** The UTC midnight `days` days before `now`: windows start on day boundaries, so a day is kept or thinned whole. */
function daysBefore(now: Date, days: number): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(midnight - days * DAY_MS);
}

const isoDate = (instant: Date): string => instant.toISOString().slice(0, 10);

async function inBatches(step: () => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_STEP; batch++) {
    const done = await step();
    total += done;
    if (done < batchSize) break;
  }
  return total;
}

async function dropExpiredPartitions(deps: RetentionDeps, table: LedgerTable, days: number): Promise<{ dropped: number; postponed: number }> {
  const { sql } = deps.database;
  const expired = await findExpiredPartitions(sql, table, isoDate(daysBefore(deps.clock(), days)), MAX_PARTITIONS_PER_RUN);
  let dropped = 0;
  for (const partition of expired) {
    if (await dropPartition(sql, table, partition, PARTITION_LOCK_TIMEOUT_MS)) dropped += 1;
  }
  return { dropped, postponed: expired.length - dropped };
}

export async function applyRetention(deps: RetentionDeps): Promise<RetentionResult> {
  const { sql } = deps.database;
  const { deliveryDays, sentPapersDays } = deps.config.retention;
  const now = deps.clock();
  const deliveries = await dropExpiredPartitions(deps, 'deliveries', deliveryDays);
  const sentPapers = await dropExpiredPartitions(deps, 'sent_papers', sentPapersDays);
  // A reader's history is from before they unsubscribed (and a weekly edition's week): once the
  // longer window has passed that too, it lies in dropped partitions already.
  const window = { before: daysBefore(now, deliveryDays), notBefore: daysBefore(now, Math.max(deliveryDays, sentPapersDays) + 14), now };
  const readersForgotten = await inBatches(() => dropUnsubscribedHistory(sql, window, READERS_PER_BATCH), READERS_PER_BATCH);
  const paperStatsRowsDeleted = await inBatches(
    () => downsamplePaperStats(sql, daysBefore(now, PAPER_STATS_FULL_DAYS), PAPER_STATS_ROWS_PER_BATCH),
    PAPER_STATS_ROWS_PER_BATCH,
  );
  const result: RetentionResult = {
    deliveryPartitionsDropped: deliveries.dropped,
    sentPaperPartitionsDropped: sentPapers.dropped,
    partitionsPostponed: deliveries.postponed + sentPapers.postponed,
    readersForgotten,
    paperStatsRowsDeleted,
  };
  if (result.partitionsPostponed > 0) deps.logger.warn(result, 'retention: some partitions were busy and wait for the next night');
  else deps.logger.info(result, 'retention applied');
  return result;
}
