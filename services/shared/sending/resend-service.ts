import { createReaderSelector } from '../digest/reader-selection.js';
import { findEditionByKey, type EditionRow } from '../editions/edition-repo.js';
import { getEditionWithPapers } from '../editions/edition-service.js';
import { ConflictError, InvalidInputError, NotFoundError, type ErrorDetail } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { checkEmailAddress } from '../subscribers/email-address.js';
import { findQueuedDeliveryIds } from './delivery-repo.js';
import { insertDeliveries, nextFanoutReaders, type PlannedDelivery } from './fanout-repo.js';
import {
  countConfirmedReaders,
  countFailedReaders,
  findListedRecipients,
  nextFailedReaders,
  nextListedReaders,
  type ResendReader,
} from './resend-repo.js';
import { deliverPacing, enqueueDeliveries, enqueueFanout } from './send-jobs.js';
import { completeSendRunIfSettled, createOrFindSendRun, markFanoutComplete, saveFanoutCursor, type SendRun } from './send-run-repo.js';

/**
 * Resends: a new send run over an edition as it was frozen, to
 * - "failed": every reader whose latest delivery of this edition failed (a transient outage that
 *   outlasted the retries, a message refused as spam). They get the papers of the copy that failed.
 * - "all": every confirmed reader of the edition's frequency (daily readers for a daily edition,
 *   weekly readers for a weekly one), whether or not they had it. Each gets the edition's papers
 *   that match their topics, capped at their maximum, as a first copy would (papers they were
 *   already sent are not taken out: a resend exists to send them again).
 * - a list of addresses: those of them who are confirmed readers, whatever their frequency,
 *   with the papers selected for them as for "all".
 * Unsubscribed, pending and suppressed readers are never included. Resend deliveries carry
 * `resend = true`, so they sit beside the reader's first copy in the ledger.
 */

export type ResendTarget = 'failed' | 'all' | string[];

export const MAX_RESEND_ADDRESSES = 1000;

export interface ResendPlan {
  edition: EditionRow;
  /** The target with list addresses normalised. */
  to: ResendTarget;
  /** Readers the run would reach now; readers whose topics match none of the papers are recorded as skipped. */
  recipients: number;
  /** List resends: the given addresses that are not confirmed, unsuppressed readers. */
  unmatched: string[];
}

type ResendDeps = Pick<Runtime, 'database' | 'queues' | 'config' | 'logger'>;

function normaliseTarget(to: ResendTarget): ResendTarget {
  if (!Array.isArray(to)) return to;
  const details: ErrorDetail[] = [];
  const normalized = new Set<string>();
  to.forEach((address, index) => {
    const check = checkEmailAddress(address);
    if (check.ok) normalized.add(check.normalized);
    else details.push({ field: `to[${index}]`, message: check.message });
  });
  if (details.length > 0) throw new InvalidInputError('Some addresses in "to" are not valid email addresses', details);
  if (normalized.size === 0) throw new InvalidInputError('"to" lists no address', [{ field: 'to', message: 'Give "failed", "all" or at least one address' }]);
  if (normalized.size > MAX_RESEND_ADDRESSES) {
    throw new InvalidInputError('Too many addresses', [{ field: 'to', message: `At most ${MAX_RESEND_ADDRESSES} addresses per resend` }]);
  }
  return [...normalized].sort();
}

async function findEdition(deps: Pick<Runtime, 'database'>, key: string): Promise<EditionRow> {
  const edition = await findEditionByKey(deps.database.db, key);
  if (!edition) throw new NotFoundError(`No edition ${key}: only an edition that was assembled (and so frozen) can be resent`);
  return edition;
}

/** What a resend would do now, without creating anything (the dry run). */
export async function planResend(deps: Pick<Runtime, 'database'>, key: string, to: ResendTarget): Promise<ResendPlan> {
  const target = normaliseTarget(to);
  const edition = await findEdition(deps, key);
  const { sql } = deps.database;
  if (target === 'all') return { edition, to: target, recipients: await countConfirmedReaders(sql, edition.kind), unmatched: [] };
  if (target === 'failed') return { edition, to: target, recipients: await countFailedReaders(sql, edition.id), unmatched: [] };
  const reached = await findListedRecipients(sql, target);
  return { edition, to: target, recipients: reached.size, unmatched: target.filter((email) => !reached.has(email)) };
}

/**
 * Creates the resend run and queues its fan-out. With an idempotency key, a repeated request
 * returns the run the first one created (the unique index on send_runs.idempotency_key holds
 * under races); the same key for a different edition or audience is a conflict.
 */
export async function startResend(
  deps: ResendDeps,
  key: string,
  to: ResendTarget,
  options: { actor: string; idempotencyKey?: string },
): Promise<{ run: SendRun; created: boolean; plan: ResendPlan }> {
  const plan = await planResend(deps, key, to);
  const audience = { kind: 'resend' as const, to: plan.to };
  const { run, created } = await createOrFindSendRun(deps.database.sql, {
    editionId: plan.edition.id,
    kind: 'resend',
    audience,
    createdBy: options.actor,
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
  // jsonb reorders keys, so compare the target itself.
  const sameTarget = run.audience.kind === 'resend' && JSON.stringify(run.audience.to) === JSON.stringify(audience.to);
  if (!created && (run.editionId !== plan.edition.id || !sameTarget)) {
    throw new ConflictError(`Idempotency-Key "${options.idempotencyKey}" was already used for another request (run ${run.id})`, [
      { field: 'Idempotency-Key', message: 'Use a new key for a different resend' },
    ]);
  }
  if (run.status === 'fanning_out') await enqueueFanout(deps.queues, run.id);
  if (created) deps.logger.info({ runId: run.id, edition: key, to: Array.isArray(plan.to) ? `${plan.to.length} addresses` : plan.to, actor: options.actor }, 'resend started');
  return { run, created, plan };
}

const PAGE_SIZE = 1000;

/**
 * The fan-out of a resend run: walks its audience by keyset from the run's checkpoint, writes
 * one ledger row per reader (resend = true; the unique (run, reader) key makes a repeated page a
 * no-op) and enqueues deliver jobs, saving the checkpoint per page. Called by runFanout.
 */
export async function runResendFanout(
  deps: ResendDeps,
  run: SendRun,
  onProgress: (readersSeen: number) => Promise<void> | void,
): Promise<{ written: number; queued: number; readersSeen: number }> {
  if (run.audience.kind !== 'resend') throw new Error(`run ${run.id} is not a resend`);
  const target = run.audience.to;
  const { sql } = deps.database;
  const { chunkSize } = deliverPacing(deps.config.mail.rateLimitPerSecond);
  const result = { written: 0, queued: 0, readersSeen: 0 };

  // A crash between writing a page and enqueueing it: enqueue what is queued first.
  if (run.fanoutCursor > 0) {
    for (let after = 0; ; ) {
      const ids = await findQueuedDeliveryIds(sql, run.id, after, 10 * chunkSize);
      if (ids.length === 0) break;
      await enqueueDeliveries(deps.queues, run.id, ids, chunkSize);
      after = ids[ids.length - 1] as number;
    }
  }

  const edition = await getEditionWithPapers(deps, run.editionKey);
  if (!edition) throw new Error(`edition ${run.editionKey} of run ${run.id} no longer exists`);
  const selector = createReaderSelector(edition.papers);
  const inEdition = new Set(edition.papers.map((paper) => paper.id));
  const nothingSent = new Set<string>();
  const nextPage = (afterId: number): Promise<ResendReader[]> => {
    const page = { afterId, upToId: run.fanoutUpperBound, limit: PAGE_SIZE };
    if (target === 'all') return nextFanoutReaders(sql, { ...page, frequency: run.editionKind });
    if (target === 'failed') return nextFailedReaders(sql, { ...page, editionId: run.editionId });
    return nextListedReaders(sql, target, page);
  };

  let cursor = run.fanoutCursor;
  for (;;) {
    const readers = await nextPage(cursor);
    if (readers.length === 0) break;
    const planned: PlannedDelivery[] = readers.map((reader) => {
      const failedCopy = reader.failedPaperIds?.filter((id) => inEdition.has(id));
      const paperIds =
        failedCopy && failedCopy.length > 0
          ? failedCopy
          : selector.select({ topics: reader.topics, alreadySent: nothingSent, maxPapers: reader.maxPapers }).paperIds;
      return { subscriberId: reader.id, paperIds };
    });
    const { queuedIds, inserted } = await insertDeliveries(sql, { id: run.id, editionId: run.editionId, resend: true }, planned);
    await enqueueDeliveries(deps.queues, run.id, queuedIds, chunkSize);
    cursor = readers[readers.length - 1]!.id;
    await saveFanoutCursor(sql, run.id, cursor);
    result.written += inserted;
    result.queued += queuedIds.length;
    result.readersSeen += readers.length;
    await onProgress(result.readersSeen);
  }

  await markFanoutComplete(sql, run.id);
  await completeSendRunIfSettled(sql, run.id);
  deps.logger.info({ runId: run.id, edition: run.editionKey, ...result }, 'resend fan-out complete');
  return result;
}
