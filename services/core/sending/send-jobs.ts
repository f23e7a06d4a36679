import type { JobsOptions } from 'bullmq';
import { addJob, addJobs, type JobRequest, type Queues } from '../platform/queue/queues.js';

/**
 * Adding the jobs of the send pipeline (their names and data are in the queue contract). Their
 * ids are deterministic (no `:`), so enqueueing the same work twice is a no-op while the first
 * job exists.
 */
export const fanoutJobId = (runId: number) => `fanout-${runId}`;
const deliverJobId = (runId: number, firstDeliveryId: number) => `deliver-${runId}-${firstDeliveryId}`;

/** Deliver jobs retry transient SMTP failures with exponential backoff (2 s, 4 s, ... ~4 min). */
const DELIVER_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.2 },
  // Hundreds of thousands of these a morning: keep Redis small; the ledger is the record.
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * A fan-out resumes at its checkpoint, so a retry loses nothing; 2 s apart, its retries ride out a
 * Postgres restart of up to 20 s and resume within 2 s of it (a longer outage: reconcile).
 */
export async function enqueueFanout(queues: Queues, runId: number): Promise<void> {
  await addJob(queues, 'fanout', 'fanout', { runId }, { jobId: fanoutJobId(runId), attempts: 10, backoff: { type: 'fixed', delay: 2000 } });
}

/**
 * Gives a run that is still fanning out a fan-out job again when its job is gone or dead (failed
 * after its retries, or completed by a pass that stopped early): a retained dead job holds the
 * id, so it is removed first. Returns true when it enqueued one.
 */
export async function ensureFanoutJob(queues: Queues, runId: number): Promise<boolean> {
  const job = await queues.fanout.getJob(fanoutJobId(runId));
  const state = job ? await job.getState() : 'missing';
  if (state !== 'missing' && state !== 'failed' && state !== 'completed' && state !== 'unknown') return false;
  await job?.remove();
  await enqueueFanout(queues, runId);
  return true;
}

/** Deliver jobs waiting, running or retrying later, of every run. */
export function pendingDeliverJobs(queues: Queues): Promise<number> {
  return queues.deliver.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
}

/**
 * Splits delivery ids into deliver jobs of `chunkSize` and adds them in one atomic bulk.
 * `idSuffix` gives reconcile's re-enqueued jobs fresh ids, since the lost job's id may still be
 * held by a retained failed job.
 */
export async function enqueueDeliveries(queues: Queues, runId: number, deliveryIds: number[], chunkSize: number, idSuffix = ''): Promise<number> {
  const jobs: JobRequest<'deliver'>[] = [];
  for (let start = 0; start < deliveryIds.length; start += chunkSize) {
    const chunk = deliveryIds.slice(start, start + chunkSize);
    jobs.push({
      name: 'deliver',
      data: { runId, deliveryIds: chunk },
      opts: { ...DELIVER_JOB_OPTIONS, jobId: `${deliverJobId(runId, chunk[0] as number)}${idSuffix}` },
    });
  }
  if (jobs.length > 0) await addJobs(queues, 'deliver', jobs);
  return jobs.length;
}

/**
 * 100 deliveries a job: each job costs Postgres a run read and a claim (a statement and a commit
 * whatever its size), so 100 instead of 50 took the send's Postgres CPU per email from about
 * 107 to 90 µs at 100,000 readers (issue 15). A job then lives about 0.4 s at full speed. An
 * earlier version of the send saw a worker's RSS climb by 100+ MB with 100 a job (what a job
 * holds piling up in V8's old generation); measured again with today's send, peak RSS is the
 * same as with 50 (188 vs 189 MB at 100,000 readers), and the bench's RSS targets watch it.
 */
const DEFAULT_DELIVER_CHUNK = 100;

/**
 * How many deliveries one deliver job carries, and the global job rate that paces SMTP_RATE_LIMIT
 * across every worker: one job of `chunk` messages per `chunk / rate` seconds (BullMQ keeps the
 * limiter in Redis, so N workers share one budget). It paces job starts only, so workers claim
 * no more than they can soon send; each message's own slot comes from the shared rate limit
 * (platform/queue/shared-rate-limit.ts), which keeps every second within the limit.
 */
export function deliverPacing(ratePerSecond: number): { chunkSize: number; limiter?: { max: number; duration: number } } {
  if (ratePerSecond <= 0) return { chunkSize: DEFAULT_DELIVER_CHUNK };
  const chunkSize = Math.max(1, Math.min(DEFAULT_DELIVER_CHUNK, ratePerSecond));
  return { chunkSize, limiter: { max: 1, duration: Math.ceil((1000 * chunkSize) / ratePerSecond) } };
}
