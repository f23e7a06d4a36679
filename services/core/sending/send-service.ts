import { audienceFrequencyOf } from '../editions/edition-key.js';
import { assembleEditionByKey, type EditionDeps } from '../editions/edition-service.js';
import { findLatestEditionRow } from '../editions/edition-repo.js';
import { dateInTimeZone } from '../papers/daily-date.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { enqueueFanout } from './send-jobs.js';
import { ConflictError } from '../platform/errors.js';
import { findPausedRunOfEdition } from './run-control-repo.js';
import { createOrFindSendRun, extendRunToNewReaders, findSendRun, findUnfinishedManualRun, type SendRun } from './send-run-repo.js';
import { reviveSendRun, type RevivalDeps } from './send-run-revival.js';

/** Starting send runs: the scheduled ones, each 15-minute slot, and an operator's "send this edition now". */

/** A manual send assembles its edition first, so starting runs needs what assembling needs. */
export interface SendDeps extends EditionDeps {
  queues: Queues;
  logger: Logger;
}

/** How often the schedule looks for due readers; zones with :30 and :45 offsets need quarters. */
export const SCHEDULE_SLOT_MINUTES = 15;

/** The start of the quarter hour `instant` falls in: the slot a scheduled run serves. */
function scheduleSlot(instant: Date): Date {
  const slotMs = SCHEDULE_SLOT_MINUTES * 60 * 1000;
  return new Date(Math.floor(instant.getTime() / slotMs) * slotMs);
}

/**
 * How long after its period ends the schedule still mails an edition to readers who have not had
 * it (a reader who signs up late in the week still gets Friday's papers). Past that it is stale:
 * an install that stopped fetching papers, or the demo's sample day, mails nobody by itself; an
 * operator can still send it by hand.
 */
const SCHEDULED_EDITION_MAX_AGE_DAYS = { daily: 7, weekly: 14 } as const;

function isStale(periodEnd: string, kind: keyof typeof SCHEDULED_EDITION_MAX_AGE_DAYS, now: Date): boolean {
  const periodOver = Date.parse(`${periodEnd}T00:00:00Z`) + 24 * 3600 * 1000;
  return now.getTime() - periodOver > SCHEDULED_EDITION_MAX_AGE_DAYS[kind] * 24 * 3600 * 1000;
}

/**
 * What the schedule does every quarter hour: for the newest daily and the newest weekly
 * edition (none of a day after today in the digest's time zone), unless it is stale, start the slot's run for the readers whose send time has come and
 * who have not had it. One run per edition and slot (a unique key), so several workers or a
 * re-fired job start it once; a run that finds nobody due removes itself.
 */
export async function startScheduledRuns(deps: SendDeps): Promise<SendRun[]> {
  const now = deps.clock();
  const slot = scheduleSlot(now);
  const today = dateInTimeZone(now, deps.config.digest.timeZone);
  const started: SendRun[] = [];
  for (const kind of ['daily', 'weekly'] as const) {
    const edition = await findLatestEditionRow(deps.database.db, kind, today);
    if (!edition || isStale(edition.periodEnd, kind, now)) continue;
    // A paused run holds its edition: more readers must not get it before an operator decides.
    const paused = await findPausedRunOfEdition(deps.database.sql, edition.id);
    if (paused) {
      deps.logger.warn({ runId: paused.id, edition: edition.key, reason: paused.pausedReason }, 'edition has a paused send run: the schedule starts none for it until it is resumed or cancelled');
      continue;
    }
    const { run } = await createOrFindSendRun(deps.database.sql, {
      editionId: edition.id,
      kind: 'scheduled',
      audience: { kind: 'due', frequency: kind, dueBy: now.toISOString() },
      slot,
      createdBy: 'scheduler',
    });
    if (run.status === 'fanning_out') {
      await enqueueFanout(deps.queues, run.id);
      started.push(run);
    }
  }
  return started;
}

/** A manual send's run, and whether it is an unfinished run taken up again rather than a new one. */
export interface ManualSendRun extends SendRun {
  resumed: boolean;
}

/**
 * Assembles the edition `key` names (a daily date or an ISO week) if needed and sends it now to
 * every confirmed reader of its frequency who has not had it, whatever their send hour.
 * Repeating it sends nobody a second copy: the ledger holds one first copy per reader and
 * edition. `onlySubscriberId` limits the run to that one reader, whoever else exists (`cli demo`
 * sends to its own reader and nobody else).
 *
 * While a manual run of the edition is unfinished (its sender died, or Postgres or Redis went
 * away under it), sending again resumes that run instead of opening a new one: the new run would
 * find every reader of the old one holding a copy and end empty, while the old run's readers
 * waited for reconcile. The resumed run takes in the readers who signed up since it started and
 * is given back any work it lost (reviveSendRun). Should its fan-out job be just finishing as the
 * run reopens, the job is gone before it sees the new bound: the next revival (the CLI's within
 * seconds, reconcile's within a minute) starts the fan-out again.
 */
export async function startManualSend(deps: SendDeps & RevivalDeps, key: string, actor: string, options: { onlySubscriberId?: number } = {}): Promise<ManualSendRun> {
  const frequency = audienceFrequencyOf(key);
  const { edition } = await assembleEditionByKey(deps, key);
  // A paused run is held for the operator's decision: sending the edition around it would mail
  // the readers a spike was found among.
  const paused = await findPausedRunOfEdition(deps.database.sql, edition.id);
  if (paused) {
    throw new ConflictError(
      `Edition ${edition.key} has send run ${paused.id} paused (${paused.pausedReason ?? 'no reason given'}): resume it with POST /admin/runs/${paused.id}/resume or cancel it with POST /admin/runs/${paused.id}/cancel`,
    );
  }
  const unfinished = options.onlySubscriberId === undefined ? await findUnfinishedManualRun(deps.database.sql, edition.id) : undefined;
  if (unfinished) {
    const newReaders = await extendRunToNewReaders(deps.database.sql, unfinished.id);
    const reopened = (await findSendRun(deps.database.sql, unfinished.id)) ?? unfinished;
    const revival = await reviveSendRun(deps, reopened);
    deps.logger.info({ runId: unfinished.id, edition: edition.key, actor, newReaders, revival }, 'manual send resumed an unfinished run');
    return { ...((await findSendRun(deps.database.sql, unfinished.id)) ?? reopened), resumed: true };
  }
  const { run } = await createOrFindSendRun(deps.database.sql, {
    editionId: edition.id,
    kind: 'manual',
    audience: { kind: 'everyone', frequency },
    createdBy: actor,
    ...(options.onlySubscriberId === undefined ? {} : { onlySubscriberId: options.onlySubscriberId }),
  });
  await enqueueFanout(deps.queues, run.id);
  deps.logger.info({ runId: run.id, edition: edition.key, actor }, 'manual send started');
  return { ...run, resumed: false };
}
