import { createReaderSelector } from '../digest/reader-selection.js';
import { getEditionWithPapers } from '../editions/edition-service.js';
import type { Runtime } from '../runtime.js';
import { findQueuedDeliveryIds } from './delivery-repo.js';
import { planFanoutPage } from './fanout-plan.js';
import { runResendFanout } from './resend-service.js';
import { findAlreadySentPapers, findReadersWithCopy, insertDeliveries, nextFanoutReaders } from './fanout-repo.js';
import { deliverPacing, enqueueDeliveries } from './send-jobs.js';
import {
  completeSendRunIfSettled,
  deleteRunWithoutDeliveries,
  findSendRun,
  markFanoutComplete,
  saveFanoutCursor,
  type SendRun,
} from './send-run-repo.js';

export type FanoutDeps = Pick<Runtime, 'database' | 'queues' | 'config' | 'logger'>;

/** Readers per page: one keyset query, one ledger insert and one bulk enqueue each. */
export const FANOUT_PAGE_SIZE = 1000;

export interface FanoutResult {
  /** Delivery rows this pass wrote (queued + skipped). */
  written: number;
  queued: number;
  readersSeen: number;
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
  const result: FanoutResult = { written: 0, queued: 0, readersSeen: 0 };
  if (!run || run.status !== 'fanning_out') return result;
  // Resends walk a different audience (failed, all, a list); see resend-service.ts.
  if (run.audience.kind === 'resend') return runResendFanout(deps, run, onProgress);

  const { chunkSize } = deliverPacing(deps.config.mail.rateLimitPerSecond);
  if (run.fanoutCursor > 0) await enqueueQueuedLeftovers(deps, run, chunkSize);

  const edition = await getEditionWithPapers(deps, run.editionKey);
  if (!edition) throw new Error(`edition ${run.editionKey} of run ${run.id} no longer exists`);
  const selector = createReaderSelector(edition.papers);
  const paperIds = edition.papers.map((paper) => paper.id);
  const due = run.audience.kind === 'due' ? { editionReadyAt: run.editionReadyAt, now: new Date(run.audience.dueBy) } : undefined;

  let cursor = run.fanoutCursor;
  for (;;) {
    const readers = await nextFanoutReaders(sql, {
      frequency: run.audience.frequency,
      afterId: cursor,
      upToId: run.fanoutUpperBound,
      limit: FANOUT_PAGE_SIZE,
    });
    if (readers.length === 0) break;
    const ids = readers.map((reader) => reader.id);
    const [haveCopy, alreadySent] = await Promise.all([findReadersWithCopy(sql, run.editionId, ids), findAlreadySentPapers(sql, ids, paperIds)]);
    const planned = planFanoutPage({ readers, due, haveCopy, alreadySent, selector });
    const { queuedIds, inserted } = await insertDeliveries(sql, { id: run.id, editionId: run.editionId, resend: false }, planned);
    await enqueueDeliveries(deps.queues, run.id, queuedIds, chunkSize);
    cursor = ids[ids.length - 1] as number;
    await saveFanoutCursor(sql, run.id, cursor);
    result.written += inserted;
    result.queued += queuedIds.length;
    result.readersSeen += readers.length;
    await onProgress(result.readersSeen);
  }

  await markFanoutComplete(sql, run.id);
  if (run.kind === 'scheduled' && (await deleteRunWithoutDeliveries(sql, run.id))) {
    deps.logger.debug({ runId: run.id, edition: run.editionKey }, 'nobody due this hour');
    return result;
  }
  // A run whose every delivery was skipped is complete already.
  await completeSendRunIfSettled(sql, run.id);
  deps.logger.info({ runId: run.id, edition: run.editionKey, ...result }, 'fan-out complete');
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
