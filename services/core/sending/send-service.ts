import { assembleEditionByKey, type EditionDeps } from '../editions/edition-service.js';
import { findLatestEditionRow } from '../editions/edition-repo.js';
import { dateInTimeZone } from '../papers/daily-date.js';
import type { Logger } from '../platform/logging/logger.js';
import type { Queues } from '../platform/queue/queues.js';
import { enqueueFanout } from './send-jobs.js';
import { createOrFindSendRun, type SendRun } from './send-run-repo.js';

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

/**
 * Assembles the edition `key` names (a daily date or an ISO week) if needed and sends it now to
 * every confirmed reader of its frequency who has not had it, whatever their send hour.
 * Repeating it sends nobody a second copy: the ledger holds one first copy per reader and
 * edition. `onlySubscriberId` limits the run to that one reader, whoever else exists (`cli demo`
 * sends to its own reader and nobody else).
 */
export async function startManualSend(deps: SendDeps, key: string, actor: string, options: { onlySubscriberId?: number } = {}): Promise<SendRun> {
  const { edition } = await assembleEditionByKey(deps, key);
  const { run } = await createOrFindSendRun(deps.database.sql, {
    editionId: edition.id,
    kind: 'manual',
    audience: { kind: 'everyone', frequency: edition.kind },
    createdBy: actor,
    ...(options.onlySubscriberId === undefined ? {} : { onlySubscriberId: options.onlySubscriberId }),
  });
  await enqueueFanout(deps.queues, run.id);
  deps.logger.info({ runId: run.id, edition: edition.key, actor }, 'manual send started');
  return run;
}
