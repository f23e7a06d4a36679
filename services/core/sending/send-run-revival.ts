import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { enqueueUnheldDeliveries } from './fanout-service.js';
import { deliverPacing, ensureFanoutJob, pendingDeliverJobs } from './send-jobs.js';
import { completeSendRunIfSettled, type SendRun } from './send-run-repo.js';

export interface RevivalDeps {
  database: DatabaseClient;
  queues: Queues;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'workerStaleSeconds'> & { mail: Pick<Config['mail'], 'rateLimitPerSecond'> };
}

/** What reviving a run did. */
export type Revival = 'fanout-enqueued' | 'deliveries-enqueued' | 'completed' | 'nothing-lost';

/**
 * Gives one unfinished run back the queue work it lost (a worker or CLI that died, a Redis that
 * lost its data, jobs whose retries ran out while Postgres was away), at once rather than at
 * reconcile's next pass:
 * - fanning out without a live fan-out job: a new one, which continues at the checkpoint;
 * - sending with every delivery settled: completed;
 * - sending while the deliver queue holds no job at all: the run's queued deliveries have no job
 *   by definition (the fan-out enqueued every row before it finished), so they are enqueued.
 * A delivery is only sent by the job that claims it, so work enqueued twice is not sent twice.
 */
export async function reviveSendRun(deps: RevivalDeps, run: SendRun): Promise<Revival> {
  if (run.status === 'fanning_out') return (await ensureFanoutJob(deps.queues, run.id)) ? 'fanout-enqueued' : 'nothing-lost';
  if (run.status !== 'sending') return 'nothing-lost';
  if (await completeSendRunIfSettled(deps.database.sql, run.id)) return 'completed';
  if ((await pendingDeliverJobs(deps.queues)) > 0) return 'nothing-lost';
  const { chunkSize } = deliverPacing(deps.config.mail.rateLimitPerSecond);
  const enqueued = await enqueueUnheldDeliveries(deps, run, chunkSize, `-v${deps.clock().getTime()}`);
  if (enqueued === 0) return 'nothing-lost';
  deps.logger.warn({ runId: run.id, deliveries: enqueued }, 'revived a send run: its queued deliveries had no job');
  return 'deliveries-enqueued';
}
