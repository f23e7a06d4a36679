import { randomUUID } from 'node:crypto';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Metrics } from '../platform/metrics/metrics.js';
import type { Queues } from '../platform/queue/queues.js';
import { countRunAttempts, markRunCancelled, markRunPaused, markRunResumed } from './run-control-repo.js';
import { attemptsWorthCounting, autoPauseReason } from './run-health.js';
import { enqueueUnheldDeliveries } from './fanout-service.js';
import { deliverPacing, ensureFanoutJob } from './send-jobs.js';
import { completeSendRunIfSettled, findSendRun, type SendRun } from './send-run-repo.js';

/**
 * Holding, continuing and stopping send runs: by an operator (pause, resume, cancel), and by
 * the run itself when its bounces or complaints spike. A paused run keeps its queued
 * deliveries: deliver jobs leave them queued, and resume enqueues them again.
 */

export interface RunControlDeps {
  database: DatabaseClient;
  queues: Queues;
  logger: Logger;
  metrics: Pick<Metrics, 'recordRunPaused'>;
  /** Re-enqueued deliver jobs are sized like the fan-out's. */
  config: Pick<Config, 'workerStaleSeconds'> & { mail: Pick<Config['mail'], 'rateLimitPerSecond'> };
}

async function existingRun(deps: { database: DatabaseClient }, runId: number): Promise<SendRun> {
  const run = await findSendRun(deps.database.sql, runId);
  if (!run) throw new NotFoundError(`No send run ${runId}`);
  return run;
}

/** An operator holds a run: nothing more is sent until it is resumed (or cancelled). */
export async function pauseRun(deps: RunControlDeps, runId: number, actor: string, note?: string): Promise<SendRun> {
  const before = await existingRun(deps, runId);
  const reason = `paused by ${actor}${note ? `: ${note}` : ''}`;
  if (!(await markRunPaused(deps.database.sql, runId, reason))) {
    const now = await existingRun(deps, runId);
    throw new ConflictError(`Send run ${runId} is ${now.status}: only a run that is fanning_out or sending can be paused`);
  }
  deps.metrics.recordRunPaused('operator');
  deps.logger.warn({ runId, edition: before.editionKey, actor, reason }, 'send run paused');
  return existingRun(deps, runId);
}

/**
 * Continues a paused run where it stopped: its fan-out, if that had not finished, and every
 * delivery still queued, in fresh deliver jobs (the jobs that met the pause have ended). A run
 * an operator resumed does not pause itself again: the operator has seen its numbers.
 */
export async function resumeRun(deps: RunControlDeps, runId: number, actor: string): Promise<SendRun> {
  const { sql } = deps.database;
  const run = await existingRun(deps, runId);
  const status = await markRunResumed(sql, runId);
  if (!status) {
    const now = await existingRun(deps, runId);
    throw new ConflictError(`Send run ${runId} is ${now.status}: only a paused run can be resumed`);
  }
  if (status === 'fanning_out') await ensureFanoutJob(deps.queues, runId);
  // Fresh job ids: the jobs that met the pause may still be kept as completed under theirs.
  const requeued = await enqueueUnheldDeliveries(deps, run, deliverPacing(deps.config.mail.rateLimitPerSecond).chunkSize, `-resume-${randomUUID()}`);
  // A run paused after its last delivery settled has nothing left to send.
  await completeSendRunIfSettled(sql, runId);
  deps.logger.warn({ runId, actor, requeued, status }, 'send run resumed');
  return existingRun(deps, runId);
}

/** Stops a run for good: its queued deliveries are skipped, saying so, and it ends as cancelled. */
export async function cancelRun(deps: RunControlDeps, runId: number, actor: string): Promise<{ run: SendRun; skipped: number }> {
  const run = await existingRun(deps, runId);
  const cancelled = await markRunCancelled(deps.database.sql, run, `the run was cancelled by ${actor}`);
  if (!cancelled) {
    const now = await existingRun(deps, runId);
    throw new ConflictError(`Send run ${runId} is ${now.status}: only a run that is fanning_out, sending or paused can be cancelled`);
  }
  deps.logger.warn({ runId, actor, skipped: cancelled.skipped }, 'send run cancelled');
  return { run: await existingRun(deps, runId), skipped: cancelled.skipped };
}

// ------------------------------------------------------------ in the deliver path

/**
 * What one process remembers of each run's attempts: they only grow, so a count stays a lower
 * bound, and attemptsWorthCounting skips counting again until the counters could matter.
 */
export interface RunHealthMonitor {
  attemptsAtLeast(runId: number): number;
  remember(runId: number, attempts: number): void;
}

/** Runs a process remembers; older ones are forgotten (a count is then taken again if needed). */
const REMEMBERED_RUNS = 64;

export function createRunHealthMonitor(): RunHealthMonitor {
  const known = new Map<number, number>();
  return {
    attemptsAtLeast: (runId) => known.get(runId) ?? 0,
    remember(runId, attempts) {
      known.delete(runId);
      known.set(runId, attempts);
      if (known.size > REMEMBERED_RUNS) known.delete(known.keys().next().value as number);
    },
  };
}

export interface RunGateDeps {
  database: DatabaseClient;
  logger: Logger;
  metrics: Pick<Metrics, 'recordRunPaused'>;
  config: { autoPause: Config['autoPause'] };
  /** Shared by a process's jobs; a fresh one per batch otherwise (then each check may count). */
  runHealth?: RunHealthMonitor;
}

/**
 * Whether a deliver job may send for `run` (as read when the job started): not when it is
 * paused, and not when its bounces or complaints have passed their limits, in which case this
 * pauses it, logs at error and counts it. Cheap on a healthy run: the run's counters are in the
 * row already read, and its attempts are counted only when the counters could pass the limits.
 */
export async function admitBatch(deps: RunGateDeps, run: SendRun): Promise<boolean> {
  if (run.status === 'paused') return false;
  // A run once paused and resumed is the operator's to watch (see resumeRun).
  if ((run.status !== 'fanning_out' && run.status !== 'sending') || run.pausedAt) return true;
  const monitor = deps.runHealth ?? createRunHealthMonitor();
  const thresholds = deps.config.autoPause;
  if (!attemptsWorthCounting(run, monitor.attemptsAtLeast(run.id), thresholds)) return true;
  const attempts = await countRunAttempts(deps.database.sql, run);
  monitor.remember(run.id, attempts);
  const reason = autoPauseReason({ attempts, hardBounces: run.hardBounces, complaints: run.complaints }, thresholds);
  if (!reason) return true;
  if (await markRunPaused(deps.database.sql, run.id, reason)) {
    deps.metrics.recordRunPaused(run.hardBounces / attempts > thresholds.hardBounceRate ? 'hard-bounces' : 'complaints');
    deps.logger.error(
      { runId: run.id, edition: run.editionKey, attempts, hardBounces: run.hardBounces, complaints: run.complaints, reason },
      'send run paused itself: resume with POST /admin/runs/ID/resume or stop it with /cancel',
    );
  }
  return false;
}
