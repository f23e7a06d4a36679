import { createSectionedSelector } from '../digest/section-selection.js';
import { audienceFrequencyOf } from '../editions/edition-key.js';
import { findEditionByKey, type EditionRow } from '../editions/edition-repo.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { ConflictError, InvalidInputError, NotFoundError, type ErrorDetail } from '../platform/errors.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { checkEmailAddress } from '../platform/mail/email-address.js';
import { nextFanoutReaders } from './fanout-repo.js';
import { FANOUT_PAGE_SIZE, type FanoutAudience, type SectionedPapers } from './fanout-audience.js';
import {
  countConfirmedReaders,
  countFailedReaders,
  findListedRecipients,
  nextFailedReaders,
  nextListedReaders,
  type ResendReader,
} from './resend-repo.js';
import { enqueueFanout } from './send-jobs.js';
import { createOrFindSendRun, type SendRun } from './send-run-repo.js';

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

/** Planning a resend and walking its readers read the database; starting one also queues its fan-out. */
interface ResendReadDeps {
  database: DatabaseClient;
}

interface ResendDeps extends ResendReadDeps {
  queues: Queues;
  logger: Logger;
}

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

async function findEdition(deps: ResendReadDeps, key: string): Promise<EditionRow> {
  const edition = await findEditionByKey(deps.database.db, key);
  if (!edition) throw new NotFoundError(`No edition ${key}: only an edition that was assembled (and so frozen) can be resent`);
  return edition;
}

/** What a resend would do now, without creating anything (the dry run). */
export async function planResend(deps: ResendReadDeps, key: string, to: ResendTarget): Promise<ResendPlan> {
  const target = normaliseTarget(to);
  const frequency = audienceFrequencyOf(key);
  const edition = await findEdition(deps, key);
  const { sql } = deps.database;
  if (target === 'all') return { edition, to: target, recipients: await countConfirmedReaders(sql, frequency), unmatched: [] };
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

/**
 * The readers a resend run walks, by keyset like any fan-out (see runFanout), and their copies:
 * "failed" readers get the papers of the copy that failed, others the edition's papers matched
 * to their topics and capped (papers they were sent before stay in: a resend sends them again).
 */
export function createResendAudience(deps: ResendReadDeps, run: SendRun, edition: SectionedPapers): FanoutAudience {
  if (run.audience.kind !== 'resend') throw new Error(`run ${run.id} is not a resend`);
  const target = run.audience.to;
  const { sql } = deps.database;
  const selector = createSectionedSelector(edition.papers, edition.sections);
  const inEdition = new Set([...edition.papers, ...edition.sections.flatMap((section) => section.papers)].map((paper) => paper.id));
  const nothingSent = new Set<string>();
  return {
    resend: true,
    nextReaders(afterId): Promise<ResendReader[]> {
      const page = { afterId, upToId: run.fanoutUpperBound, limit: FANOUT_PAGE_SIZE };
      if (target === 'all') return nextFanoutReaders(sql, { ...page, frequency: run.editionKind });
      if (target === 'failed') return nextFailedReaders(sql, { ...page, editionId: run.editionId });
      return nextListedReaders(sql, target, page);
    },
    async plan(readers: ResendReader[]) {
      return readers.map((reader) => {
        const failed = reader.failedCopy;
        // The failed copy as it was (a paper no longer in the edition cannot be: they are frozen).
        if (failed && failed.paperIds.length > 0 && failed.paperIds.every((id) => inEdition.has(id))) {
          return { subscriberId: reader.id, paperIds: failed.paperIds, paperSections: failed.paperSections };
        }
        const selection = selector.select({
          topics: reader.topics,
          alreadySent: nothingSent,
          maxPapers: reader.maxPapers,
          trending: reader.trending,
          arxivCategories: reader.arxivCategories,
        });
        return { subscriberId: reader.id, ...selection };
      });
    },
  };
}
