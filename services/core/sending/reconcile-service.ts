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
  config: { mail: Pick<Config['mail'], 'rateLimitPerSecond'> };
}

export interface ReconcileResult {
  fanoutsResumed: number;
  deliveriesRequeued: number;
  runsCompleted: number;
}

/** Rows this recently touched may still be on their way into a job (fan-out writes, then enqueues). */
const DEFAULT_SETTLE_MS = 60 * 1000;
const MAX_REQUEUE_PER_PASS = 50_000;

/**
 * Rebuilds the queue's work from Postgres after a crash or a Redis flush:
 * - a run still fanning out whose fan-out job is gone gets it back (it resumes at its checkpoint);
 * - when the deliver queue has no job left at all, every delivery still queued (or claimed by a
 *   worker that died) has no live job by definition, and is enqueued again;
 * - a run whose deliveries are all settled is marked completed.
 * Sending stays exactly-once per delivery: a job only sends what it can claim.
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
    const stranded = await findStrandedDeliveries(sql, new Date(now.getTime() - (options.settleMs ?? DEFAULT_SETTLE_MS)), MAX_REQUEUE_PER_PASS);
    for (const batch of stranded) {
      await enqueueDeliveries(deps.queues, batch.sendRunId, batch.deliveryIds, chunkSize, `-r${now.getTime()}`);
      result.deliveriesRequeued += batch.deliveryIds.length;
    }
  }
  if (result.fanoutsResumed + result.deliveriesRequeued > 0) deps.logger.warn({ ...result }, 'reconciled lost work');
  return result;
}
