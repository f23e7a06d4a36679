import { getEditionWithPapers } from '../editions/edition-service.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { findQueuedDeliveryIds } from './delivery-repo.js';
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
  /** Deliver jobs are sized by the SMTP rate limit. */
  config: { mail: Pick<Config['mail'], 'rateLimitPerSecond'> };
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
  // First copies (fanout-audience.ts), or a resend's readers (failed, all, a list; resend-service.ts).
  const audience = run.audience.kind === 'resend' ? createResendAudience(deps, run, edition.papers) : createFirstCopyAudience(deps, run, edition.papers);
  const result = await walkAudience(deps, run, audience, onProgress);
  if (result.stopped) {
    // Paused (resume starts the fan-out again from its checkpoint) or cancelled.
    deps.logger.info({ runId: run.id, edition: run.editionKey, status: result.stopped, ...result }, 'fan-out stopped');
    return result;
  }

  await markFanoutComplete(sql, run.id);
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
  onProgress: (readersSeen: number) => Promise<void> | void,
): Promise<FanoutResult> {
  const { sql } = deps.database;
  const { chunkSize } = deliverPacing(deps.config.mail.rateLimitPerSecond);
  const result: FanoutResult = { written: 0, queued: 0, readersSeen: 0 };
  if (run.fanoutCursor > 0) await enqueueQueuedLeftovers(deps, run, chunkSize);

  let cursor = run.fanoutCursor;
  for (;;) {
    const readers = await audience.nextReaders(cursor);
    if (readers.length === 0) break;
    const planned = await audience.plan(readers);
    const { queuedIds, inserted } = await insertDeliveries(sql, { id: run.id, editionId: run.editionId, resend: audience.resend }, planned);
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

/** A fan-out that crashed between writing rows and enqueueing them: enqueue what is queued. */
async function enqueueQueuedLeftovers(deps: FanoutDeps, run: SendRun, chunkSize: number): Promise<void> {
  let after = 0;
  for (;;) {
    const ids = await findQueuedDeliveryIds(deps.database.sql, run.id, after, 10 * chunkSize);
    if (ids.length === 0) return;
    await enqueueDeliveries(deps.queues, run.id, ids, chunkSize);
    after = ids[ids.length - 1] as number;
  }
}
