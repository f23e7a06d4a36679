import type { Clock } from '../platform/clock.js';
import type { Queues } from '../platform/queue/queues.js';

/** What an ingest job carries: a date to fetch, or nothing for the scheduled recent days. */
export interface IngestJobData {
  date?: string;
}

export const INGEST_JOB_NAME = 'ingest';

/**
 * Enqueues an ingest now (`POST /admin/ingest` with `wait: false`). The job id is deterministic
 * per date and minute, so a double click enqueues one job, while a later request runs again.
 */
export async function enqueueIngest(deps: { queues: Pick<Queues, 'ingest'>; clock: Clock }, date?: string): Promise<string> {
  const minute = deps.clock().toISOString().slice(0, 16).replace(/[-T:]/g, '');
  const jobId = `ingest-${date ?? 'recent'}-${minute}`;
  const data: IngestJobData = date ? { date } : {};
  const job = await deps.queues.ingest.add(INGEST_JOB_NAME, data, { jobId });
  return job.id ?? jobId;
}
