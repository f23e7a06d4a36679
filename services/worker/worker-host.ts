import { Worker, type Job } from 'bullmq';
import { scheduledJobName, type QueueKey, type QueueName, type SchedulerId } from '../core/platform/queue/queue-contract.js';
import { workerConnection } from '../core/platform/queue/redis.js';
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
  const connection = workerConnection(runtime.config.redisUrl);
  const workers = processors.map((definition) => {
    const log = runtime.logger.child({ role: 'worker', queue: definition.queue });
    const worker = new Worker(definition.queue, definition.process, {
      connection,
      prefix: runtime.config.queuePrefix,
      concurrency: definition.concurrency,
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

  return {
    workers,
    async close(deadlineMs) {
      clearInterval(refresh);
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
    },
  };
}
