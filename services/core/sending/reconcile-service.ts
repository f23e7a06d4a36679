import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { findStrandedDeliveries } from './delivery-repo.js';
import { deliverPacing, enqueueDeliveries, ensureFanoutJob } from './send-jobs.js';
import { completeSendRunIfSettled, findUnfinishedSendRuns } from './send-run-repo.js';

export interface ReconcileDeps {
  database: DatabaseClient;
  queues: Queues;
  clock: Clock;
  logger: Logger;
  /** Re-enqueued deliver jobs are sized by the SMTP rate limit, like the fan-out's. */
  config: Pick<Config, 'workerStaleSeconds'> & { mail: Pick<Config['mail'], 'rateLimitPerSecond'> };
}

export interface ReconcileResult {
  fanoutsResumed: number;
  deliveriesRequeued: number;
  runsCompleted: number;
}

/**
 * Queued rows this recently touched may still be on their way into a job (the fan-out writes, then
 * enqueues; a transient failure releases, then its job is retried). A job for them enqueued twice
 * only costs a claim that finds nothing, so a few seconds suffice, and a Redis that returns empty
 * gets its work back at once. (No longer than the shortest stale window, WORKER_STALE_SECONDS' 5 s, so
 * stranded claims are found too.)
 */
const DEFAULT_SETTLE_MS = 5 * 1000;
const MAX_REQUEUE_PER_PASS = 50_000;

/**
 * Rebuilds the queue's work from Postgres after a crash or a Redis flush:
 * - a run still fanning out whose fan-out job is gone gets it back (it resumes at its checkpoint);
 * - when the deliver queue has no job left at all, every delivery still queued (or claimed by an
 *   execution that died: its claim went stale) has no live job by definition, and is enqueued
 *   again; a claim that a live execution keeps fresh (one whose job Redis lost) is left to it;
 * - a run whose deliveries are all settled is marked completed.
 * Sending stays exactly-once per delivery: a job only sends what it can claim. Several workers
 * may reconcile at once: at worst a delivery gets two jobs, and the second claims nothing.
 */
export async function reconcile(deps: ReconcileDeps, options: { settleMs?: number } = {}): Promise<ReconcileResult> {
  const { sql } = deps.database;
  const result: ReconcileResult = { fanoutsResumed: 0, deliveriesRequeued: 0, runsCompleted: 0 };
  const now = deps.clock();

  for (const run of await findUnfinishedSendRuns(sql)) {
    if (run.status === 'fanning_out') {
      if (await ensureFanoutJob(deps.queues, run.id)) result.fanoutsResumed += 1;
    } else if (await completeSendRunIfSettled(sql, run.id)) {
      result.runsCompleted += 1;
    }
  }

  const pending = await deps.queues.deliver.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
  if (pending === 0) {
    const { chunkSize } = deliverPacing(deps.config.mail.rateLimitPerSecond);
    const settledBefore = new Date(now.getTime() - (options.settleMs ?? DEFAULT_SETTLE_MS));
    const stranded = await findStrandedDeliveries(sql, settledBefore, deps.config.workerStaleSeconds, MAX_REQUEUE_PER_PASS);
    for (const batch of stranded) {
      await enqueueDeliveries(deps.queues, batch.sendRunId, batch.deliveryIds, chunkSize, `-r${now.getTime()}`);
      result.deliveriesRequeued += batch.deliveryIds.length;
    }
  }
  if (result.fanoutsResumed + result.deliveriesRequeued > 0) deps.logger.warn({ ...result }, 'reconciled lost work');
  return result;
}
