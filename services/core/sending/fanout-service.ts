import { getEditionWithPapers } from '../editions/edition-service.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { findDeliveryIdsToEnqueue } from './delivery-repo.js';
import { createFirstCopyAudience, type FanoutAudience } from './fanout-audience.js';
import { insertDeliveries } from './fanout-repo.js';
import { createResendAudience } from './resend-service.js';
import { deliverPacing, enqueueDeliveries } from './send-jobs.js';
import {
  completeSendRunIfSettled,
  deleteRunWithoutDeliveries,
  findSendRun,
  markFanoutComplete,
  saveFanoutCursor,
  type SendRun,
  type SendRunStatus,
} from './send-run-repo.js';

export interface FanoutDeps {
  database: DatabaseClient;
  queues: Queues;
  logger: Logger;
  /** Deliver jobs are sized by the SMTP rate limit; claims older than the stale window are enqueued again. */
  config: Pick<Config, 'workerStaleSeconds'> & { mail: Pick<Config['mail'], 'rateLimitPerSecond'> };
}

export interface FanoutResult {
  /** Delivery rows this pass wrote (queued + skipped). */
  written: number;
  queued: number;
  readersSeen: number;
  /** Set when the walk stopped early because the run was paused or cancelled: that status. */
  stopped?: SendRunStatus;
}

/**
 * Walks the run's audience by keyset from its checkpoint, writes one ledger row per reader
 * (skipped when nothing is left for them) and enqueues deliver jobs, page by page, saving the
 * checkpoint after each page. Safe to run again after a crash: the ledger's unique keys make a
 * repeated page a no-op, and queued rows without a job are enqueued again first.
 */
export async function runFanout(
  deps: FanoutDeps,
  runId: number,
  onProgress: (readersSeen: number) => Promise<void> | void = () => {},
): Promise<FanoutResult> {
  const { sql } = deps.database;
  const run = await findSendRun(sql, runId);
  if (!run || run.status !== 'fanning_out') return { written: 0, queued: 0, readersSeen: 0 };

  const edition = await getEditionWithPapers(deps, run.editionKey);
  if (!edition) throw new Error(`edition ${run.editionKey} of run ${run.id} no longer exists`);
  const result: FanoutResult = { written: 0, queued: 0, readersSeen: 0 };
  // A resumed manual send may raise the run's upper bound while this walk is under way: then the
  // fan-out is not complete, and the walk goes on from its checkpoint to the new bound.
  for (let current = run; ; ) {
    // First copies (fanout-audience.ts), or a resend's readers (failed, all, a list; resend-service.ts).
    const audience =
      current.audience.kind === 'resend' ? createResendAudience(deps, current, edition) : createFirstCopyAudience(deps, current, edition);
    // Queued rows left by a crashed pass are enqueued once, before the first walk.
    const leftovers = current === run && run.fanoutCursor > 0;
    const pass = await walkAudience(deps, current, audience, leftovers, (seen) => onProgress(result.readersSeen + seen));
    result.written += pass.written;
    result.queued += pass.queued;
    result.readersSeen += pass.readersSeen;
    if (pass.stopped) {
      // Paused (resume starts the fan-out again from its checkpoint) or cancelled.
      result.stopped = pass.stopped;
      deps.logger.info({ runId: run.id, edition: run.editionKey, status: pass.stopped, ...result }, 'fan-out stopped');
      return result;
    }
    if (await markFanoutComplete(sql, run.id, current.fanoutUpperBound)) break;
    const next = await findSendRun(sql, run.id);
    if (!next || next.status !== 'fanning_out') return result;
    current = next;
  }

  if (run.kind === 'scheduled' && (await deleteRunWithoutDeliveries(sql, run.id))) {
    deps.logger.debug({ runId: run.id, edition: run.editionKey }, 'nobody due this slot');
    return result;
  }
  // A run whose every delivery was skipped is complete already.
  await completeSendRunIfSettled(sql, run.id);
  deps.logger.info({ runId: run.id, edition: run.editionKey, kind: run.kind, ...result }, 'fan-out complete');
  return result;
}

async function walkAudience(
  deps: FanoutDeps,
  run: SendRun,
  audience: FanoutAudience,
  enqueueLeftovers: boolean,
  onProgress: (readersSeen: number) => Promise<void> | void,
): Promise<FanoutResult> {
  const { sql } = deps.database;
  const { chunkSize } = deliverPacing(deps.config.mail.rateLimitPerSecond);
  const result: FanoutResult = { written: 0, queued: 0, readersSeen: 0 };
  if (enqueueLeftovers) await enqueueUnheldDeliveries(deps, run, chunkSize);

  let cursor = run.fanoutCursor;
  // The edition's variants this walk has resolved: most pages reuse the same few.
  const variants = new Map<string, number>();
  for (;;) {
    const readers = await audience.nextReaders(cursor);
    if (readers.length === 0) break;
    const planned = await audience.plan(readers);
    const { queuedIds, inserted } = await insertDeliveries(sql, { id: run.id, editionId: run.editionId, resend: audience.resend }, planned, variants);
    await enqueueDeliveries(deps.queues, run.id, queuedIds, chunkSize);
    cursor = readers[readers.length - 1]!.id;
    const status = await saveFanoutCursor(sql, run.id, cursor);
    result.written += inserted;
    result.queued += queuedIds.length;
    result.readersSeen += readers.length;
    await onProgress(result.readersSeen);
    if (status !== 'fanning_out') {
      if (status) result.stopped = status;
      break;
    }
  }
  return result;
}

/**
 * Enqueues every delivery of the run that no live execution holds (queued, or claimed by one that
 * died): after a fan-out that crashed between writing rows and enqueueing them, or for a run whose
 * jobs were lost. `idSuffix` gives the jobs fresh
 * ids when the lost jobs' ids may still be held by retained failed jobs. Returns how many.
 */
export async function enqueueUnheldDeliveries(
  deps: { database: DatabaseClient; queues: Queues; config: Pick<Config, 'workerStaleSeconds'> },
  run: { id: number; editionId: number },
  chunkSize: number,
  idSuffix = '',
): Promise<number> {
  let after = 0;
  let enqueued = 0;
  for (;;) {
    const ids = await findDeliveryIdsToEnqueue(deps.database.sql, run, after, deps.config.workerStaleSeconds, 10 * chunkSize);
    if (ids.length === 0) return enqueued;
    await enqueueDeliveries(deps.queues, run.id, ids, chunkSize, idSuffix);
    enqueued += ids.length;
    after = ids[ids.length - 1] as number;
  }
}
