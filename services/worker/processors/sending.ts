import { Worker } from 'bullmq';
import { createMessageBufferPool } from '../../core/platform/mail/message-template.js';
import { createSharedRateLimit } from '../../core/platform/queue/shared-rate-limit.js';
import type { Runtime } from '../../runtime.js';
import { createClaimKeeper, createSentMarker } from '../../core/sending/delivery-claims.js';
import { deliverBatch, type DeliveryOutcome } from '../../core/sending/delivery-service.js';
import { createEditionMessages } from '../../core/sending/edition-messages.js';
import { runFanout } from '../../core/sending/fanout-service.js';
import { applyRetention } from '../../core/retention/retention-service.js';
import { reconcile } from '../../core/sending/reconcile-service.js';
import { createRunHealthMonitor } from '../../core/sending/run-control-service.js';
import { deliverPacing } from '../../core/sending/send-jobs.js';
import { SCHEDULE_SLOT_MINUTES, startScheduledRuns } from '../../core/sending/send-service.js';
import { defineProcessor } from '../define-processor.js';
import type { ProcessorDefinition, SchedulerDefinition } from '../worker-host.js';

/** The fan-out queue runs the schedule every slot (15 minutes) and each run's fan-out. */
export function fanoutProcessor(runtime: Runtime): ProcessorDefinition {
  return defineProcessor('fanout', { concurrency: 2 }, {
    async 'schedule-due'() {
      const runs = await startScheduledRuns(runtime);
      return { runsStarted: runs.map((run) => run.id) };
    },
    fanout: ({ runId }, job) => runFanout(runtime, runId, (readersSeen) => job.updateProgress({ readersSeen })),
  });
}

class TransientDeliveryError extends Error {}

/**
 * Without SMTP_RATE_LIMIT the deliver worker still needs a limiter: BullMQ honours a manual
 * backoff (queue.rateLimit) only on a rate-limited worker. This one never limits by itself.
 */
const BACKOFF_ONLY_LIMITER = { max: 1_000_000_000, duration: 1000 };

/**
 * Sends deliver jobs. A job whose batch hit transient SMTP failures throws after the rest of the
 * batch went out, so BullMQ retries it with backoff and the retry claims only what is left. A
 * batch the server throttled stops the whole deliver queue, on every worker, for the backoff the
 * core chose; the job goes back to waiting without spending an attempt and claims what is left.
 */
export function deliverProcessor(runtime: Runtime, onOutcome?: (outcome: DeliveryOutcome) => void): ProcessorDefinition {
  const messages = createEditionMessages(runtime);
  // One marker for the process: the "sent" marks of all concurrent jobs share each write; one
  // keeper refreshes all their claims in one statement.
  const sentMarker = createSentMarker(runtime.database.genericPlanSql, runtime.logger);
  const claimKeeper = createClaimKeeper(runtime.database.sql, runtime.config.workerStaleSeconds, runtime.logger);
  const messageBuffers = createMessageBufferPool();
  // Each process remembers the runs' attempts it counted, so healthy runs are rarely counted.
  const runHealth = createRunHealthMonitor();
  const { limiter = BACKOFF_ONLY_LIMITER } = deliverPacing(runtime.config.mail.rateLimitPerSecond);
  // The limit itself, per message and shared by every worker through Redis; the job limiter
  // above only keeps workers from claiming deliveries far ahead of their slots.
  const ratePerSecond = runtime.config.mail.rateLimitPerSecond;
  const sendRate = ratePerSecond > 0 ? createSharedRateLimit(runtime.rateLimitRedis, {
          keyPrefix: `${runtime.redisKeyPrefix}:sending:rate`,
          perSecond: ratePerSecond,
          inFlightPerProcess: runtime.config.mail.poolSize,
        }) : undefined;
  // Each job keeps about two messages per pooled SMTP connection in flight; a few jobs at once
  // keep the pool busy while others wait on Postgres.
  return defineProcessor('deliver', { concurrency: 4, limiter }, {
    async deliver(data, job) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      // Without a given callback, outcomes feed this process's metrics (/metrics).
      const result = await deliverBatch(
        { ...runtime, messages, sentMarker, claimKeeper, messageBuffers, runHealth, sendRate, onOutcome: onOutcome ?? runtime.metrics.recordDelivery },
        { ...data, id: job.id as string, lastAttempt },
      );
      if (result.backoffMs > 0) {
        runtime.logger.warn({ runId: data.runId, jobId: job.id, backoffMs: result.backoffMs }, 'the SMTP server throttled: every worker waits before sending on');
        await runtime.queues.deliver.rateLimit(result.backoffMs);
        throw Worker.RateLimitError();
      }
      if (result.retrying > 0) {
        throw new TransientDeliveryError(`${result.retrying} of ${data.deliveryIds.length} deliveries hit a transient SMTP failure; retrying`);
      }
      return result;
    },
  });
}

export function maintenanceProcessor(runtime: Runtime): ProcessorDefinition {
  return defineProcessor('maintenance', { concurrency: 1 }, {
    reconcile: () => reconcile(runtime),
    retention: () => applyRetention(runtime),
  });
}

/** Retention at 03:30 UTC, after the night's edition and before the morning's sends. */
export function retentionScheduler(): SchedulerDefinition {
  return { queue: 'maintenance', id: 'nightly-retention', repeat: { pattern: '0 30 3 * * *', tz: 'UTC' } };
}

export function sendingSchedulers(): SchedulerDefinition[] {
  return [
    { queue: 'fanout', id: 'sending-schedule-due', repeat: { pattern: `0 */${SCHEDULE_SLOT_MINUTES} * * * *`, tz: 'UTC' } },
    { queue: 'maintenance', id: 'sending-reconcile', repeat: { every: 60_000 }, runWhenRedisReturns: true },
  ];
}
