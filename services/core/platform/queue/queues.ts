import { Queue, type Job, type JobsOptions } from 'bullmq';
import { QUEUES, type JobData, type JobName, type QueueKey } from './queue-contract.js';
import { producerConnection, type RedisTarget } from './redis.js';

/** One producer for each queue of the contract. */
export type Queues = Record<QueueKey, Queue>;

/** Sensible defaults: bounded retention so Redis does not grow forever, retries with backoff. */
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.2 },
  removeOnComplete: { age: 24 * 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface QueueOptions {
  redis: RedisTarget;
  /** The key prefix (hash-tagged on a cluster: redisKeyPrefix). */
  prefix: string;
}

/** What closes the connection the queues of a `createQueues` share (a cluster's). */
const releaseConnection = new WeakMap<Queues, () => void>();

/** Opens one producer per queue. Nothing connects at import time; close with `closeQueues`. */
export function createQueues(options: QueueOptions): Queues {
  const { connection, release } = producerConnection(options.redis);
  const open = (key: QueueKey) => {
    const queue = new Queue(QUEUES[key].name, { connection, prefix: options.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    queue.on('error', () => {
      // Producers surface failures to their callers; a dropped connection reconnects by itself.
    });
    return queue;
  };
  const queues: Queues = {
    ingest: open('ingest'),
    editions: open('editions'),
    fanout: open('fanout'),
    deliver: open('deliver'),
    transactional: open('transactional'),
    maintenance: open('maintenance'),
  };
  releaseConnection.set(queues, release);
  return queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
  releaseConnection.get(queues)?.();
}

/** A job for `addJobs`: a name of queue `Q` with the data the contract gives that name. */
export type JobRequest<Q extends QueueKey> = {
  [N in JobName<Q>]: { name: N; data: JobData<Q, N>; opts?: JobsOptions };
}[JobName<Q>];

/** Adds one job to a queue; its name and data follow the queue contract. */
export function addJob<Q extends QueueKey, N extends JobName<Q>>(queues: Queues, queue: Q, name: N, data: JobData<Q, N>, opts?: JobsOptions): Promise<Job> {
  return queues[queue].add(name, data, opts);
}

/** Adds jobs to a queue atomically, in one round trip; their names and data follow the queue contract. */
export function addJobs<Q extends QueueKey>(queues: Queues, queue: Q, jobs: JobRequest<Q>[]): Promise<Job[]> {
  return queues[queue].addBulk(jobs);
}
