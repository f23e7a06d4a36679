import { Queue, type JobsOptions } from 'bullmq';
import { producerConnection } from './redis.js';

/**
 * Every BullMQ queue Paperboy uses. Jobs carry ids of Postgres rows, never content: Postgres is
 * the truth and a lost Redis loses nothing that reconcile cannot rebuild.
 */
export const QUEUE_NAMES = {
  /** Fetch papers from the Hugging Face API (scheduled hourly, or on demand). */
  ingest: 'papers-ingest',
  /** Assemble (freeze) an edition; also the daily scheduler that assembles yesterday's. */
  editions: 'editions-assemble',
  /** Find due readers each hour and start send runs; fan a send run out into delivery batches. */
  fanout: 'sending-fanout',
  /** Send a batch of deliveries over SMTP. */
  deliver: 'sending-deliver',
  /** Transactional mail to one reader (confirmation links, fresh links). */
  transactional: 'mail-transactional',
  /** Housekeeping: reconcile stuck deliveries. */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];
export type Queues = Record<keyof typeof QUEUE_NAMES, Queue>;

/** Sensible defaults: bounded retention so Redis does not grow forever, retries with backoff. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.2 },
  removeOnComplete: { age: 24 * 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface QueueOptions {
  redisUrl: string;
  prefix: string;
}

/** Opens one producer per queue. Nothing connects at import time; close with `closeQueues`. */
export function createQueues(options: QueueOptions): Queues {
  const connection = producerConnection(options.redisUrl);
  const open = (name: QueueName) => {
    const queue = new Queue(name, { connection, prefix: options.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    queue.on('error', () => {
      // Producers surface failures to their callers; a dropped connection reconnects by itself.
    });
    return queue;
  };
  return {
    ingest: open(QUEUE_NAMES.ingest),
    editions: open(QUEUE_NAMES.editions),
    fanout: open(QUEUE_NAMES.fanout),
    deliver: open(QUEUE_NAMES.deliver),
    transactional: open(QUEUE_NAMES.transactional),
    maintenance: open(QUEUE_NAMES.maintenance),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}
