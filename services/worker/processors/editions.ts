import { assembleScheduledEditions } from '../../core/editions/edition-service.js';
import { QUEUES } from '../../core/platform/queue/queue-contract.js';
import type { Runtime } from '../../runtime.js';
import { defineProcessor } from '../define-processor.js';
import type { ProcessorDefinition, SchedulerDefinition } from '../worker-host.js';

/**
 * Freezes yesterday's edition (in `DIGEST_TZ`) and any day of the last week that was missed, and
 * on the day after a Sunday (or the first run after it) the weekly one. A day without papers is
 * skipped, not failed. Safe to run twice or on several workers: an edition is assembled once and
 * then returned as frozen.
 */
export function editionsProcessor(runtime: Runtime): ProcessorDefinition {
  return defineProcessor('editions', { concurrency: 1 }, {
    async 'assemble-yesterday'(_data, job) {
      const log = runtime.logger.child({ role: 'worker', queue: QUEUES.editions.name, jobId: job.id });
      const outcomes = await assembleScheduledEditions(runtime);
      for (const outcome of outcomes) log.info(outcome, `edition ${outcome.key}: ${outcome.status}`);
      return outcomes;
    },
  });
}

/** Daily at `DIGEST_CRON` in `DIGEST_TZ`. */
export function editionsScheduler(runtime: Runtime): SchedulerDefinition {
  return {
    queue: 'editions',
    id: 'editions-assemble-yesterday',
    repeat: { pattern: runtime.config.digest.cron, tz: runtime.config.digest.timeZone },
  };
}
