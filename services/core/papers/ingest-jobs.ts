import type { Clock } from '../platform/clock.js';
import { addJob, type Queues } from '../platform/queue/queues.js';

/**
 * Enqueues an ingest now (`POST /admin/ingest` with `wait: false`). The job id is deterministic
 * per date and minute, so a double click enqueues one job, while a later request runs again.
 */
export async function enqueueIngest(deps: { queues: Queues; clock: Clock }, date?: string): Promise<string> {
  const minute = deps.clock().toISOString().slice(0, 16).replace(/[-T:]/g, '');
  const jobId = `ingest-${date ?? 'recent'}-${minute}`;
  const job = await addJob(deps.queues, 'ingest', 'ingest', date ? { date } : {}, { jobId });
  return job.id ?? jobId;
}
