import { Worker, type Job } from 'bullmq';
import { scheduledJobName, type QueueKey, type QueueName, type SchedulerId } from '../core/platform/queue/queue-contract.js';
import { redisTargetOf, workerConnection } from '../core/platform/queue/redis.js';
import type { Runtime } from '../runtime.js';

export interface ProcessorDefinition {
  queue: QueueName;
  concurrency: number;
  process: (job: Job) => Promise<unknown>;
  /** Global across every worker process (BullMQ keeps the counter in Redis). */
  limiter?: { max: number; duration: number };
}

/** Recurring work: a scheduler of the queue contract and when it fires. */
export type SchedulerDefinition = {
  [Q in QueueKey]: {
    queue: Q;
    /** Stable id: upserting it on every start keeps exactly one scheduler. */
    id: SchedulerId<Q>;
    repeat: { pattern: string; tz?: string } | { every: number };
    /** Also run it once, at once, whenever Redis comes back after being lost. */
    runWhenRedisReturns?: boolean;
  };
}[QueueKey];

const SCHEDULER_REFRESH_MS = 60_000;

export interface WorkerHost {
  workers: Worker[];
  /** Stops taking jobs and waits for jobs in flight up to `deadlineMs`, then forces the close. */
  close(deadlineMs: number): Promise<void>;
}

/** Starts one BullMQ worker per processor definition and upserts the job schedulers. */
export async function startWorkers(
  runtime: Runtime,
  processors: ProcessorDefinition[],
  schedulers: SchedulerDefinition[],
): Promise<WorkerHost> {
  const { connection, release } = workerConnection(redisTargetOf(runtime.config));
  const workers = processors.map((definition) => {
    const log = runtime.logger.child({ role: 'worker', queue: definition.queue });
    const worker = new Worker(definition.queue, definition.process, {
      connection,
      prefix: runtime.redisKeyPrefix,
      concurrency: definition.concurrency,
      // A job whose worker stopped renewing its lock for the stale window is stalled, and is
      // handed to another worker; the same window as the delivery claims (delivery-claims.ts).
      lockDuration: runtime.config.workerStaleSeconds * 1000,
      stalledInterval: runtime.config.workerStaleSeconds * 1000,
      ...(definition.limiter ? { limiter: definition.limiter } : {}),
    });
    worker.on('failed', (job, error) => {
      log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed');
    });
    worker.on('error', (error) => {
      log.error({ err: error }, 'worker error');
    });
    return worker;
  });

  const upsertSchedulers = async () => {
    for (const { queue, id, repeat } of schedulers) {
      await runtime.queues[queue].upsertJobScheduler(id, repeat, { name: scheduledJobName(queue, id), data: {} });
    }
  };
  await upsertSchedulers();
  // Schedulers live in Redis: if Redis loses its data, the next refresh brings them back (and
  // with them reconcile, which rebuilds the lost jobs from Postgres). Upserting is idempotent.
  const refresh = setInterval(() => {
    upsertSchedulers().catch((error: unknown) => runtime.logger.warn({ err: error }, 'could not refresh job schedulers'));
  }, SCHEDULER_REFRESH_MS);
  refresh.unref();

  // Redis back after an outage (perhaps empty): the schedulers are put back and the recovery
  // work runs now rather than at its next tick, up to a minute away. A fixed job id lets only one
  // such run be waiting, however many workers saw Redis return.
  const runRecoveryWork = async () => {
    await upsertSchedulers();
    for (const { queue, id, runWhenRedisReturns } of schedulers) {
      if (!runWhenRedisReturns) continue;
      await runtime.queues[queue].add(scheduledJobName(queue, id), {}, { jobId: `${id}-on-redis-return`, removeOnComplete: true, removeOnFail: true });
    }
  };
  let redisLost = false;
  const onRedisLost = () => {
    redisLost = true;
  };
  const onRedisReady = () => {
    if (!redisLost) return;
    redisLost = false;
    runtime.logger.info('Redis is back; running recovery work now');
    runRecoveryWork().catch((error: unknown) => runtime.logger.warn({ err: error }, 'could not start recovery work after Redis returned'));
  };
  // The probe client reconnects by itself within 2 s of Redis answering again.
  runtime.redisProbe.on('close', onRedisLost);
  runtime.redisProbe.on('ready', onRedisReady);

  return {
    workers,
    async close(deadlineMs) {
      clearInterval(refresh);
      runtime.redisProbe.off('close', onRedisLost);
      runtime.redisProbe.off('ready', onRedisReady);
      await Promise.all(
        workers.map(async (worker) => {
          // pause() stops fetching and waits for the jobs in flight; close() afterwards has
          // nothing left to wait for. (A graceful close() cannot be forced once started.)
          let timer: NodeJS.Timeout | undefined;
          const drained = worker.pause().then(() => 'drained' as const);
          const deadline = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), deadlineMs);
          });
          const outcome = await Promise.race([drained, deadline]);
          clearTimeout(timer);
          if (outcome === 'timeout') {
            // Jobs still running become stalled and another worker retries them; the delivery
            // ledger keeps a retry from sending twice.
            runtime.logger.warn({ queue: worker.name, deadlineMs }, 'worker did not finish in time; forcing close');
          }
          await worker.close(outcome === 'timeout');
        }),
      );
      release();
    },
  };
}
