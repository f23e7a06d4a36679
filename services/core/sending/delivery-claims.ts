import { setTimeout as sleep } from 'node:timers/promises';
import { pooledStartupRefusal, type Sql } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import { markDeliveriesSent, refreshClaims, type HeldClaim } from './delivery-repo.js';

/**
 * What a sending process keeps for the deliveries it holds: their claims' refresh, which tells
 * every other execution they are alive, and the "sent" marks the database has not taken yet.
 *
 * A claim left unrefreshed for `staleSeconds` (WORKER_STALE_SECONDS, 30 s by default) belongs to
 * an execution that died (SIGKILL, OOM, a lost machine), and another execution may take it over
 * and send again. A live execution refreshes REFRESHES_PER_WINDOW times within the window, so a
 * slow statement or two never lets a live claim go stale; the same window is BullMQ's lock
 * duration (worker-host), so a dead worker's deliveries wait about as long as BullMQ takes to
 * notice its stalled jobs. (The refresh goes to Postgres, not Redis, so a Redis outage does not
 * stop it; see claimDeliveries for a Postgres outage.)
 */
const REFRESHES_PER_WINDOW = 6;

export interface ClaimKeeper {
  /** Keeps the claims of execution `token` (on deliveries of `run`) fresh until `release(token)`. */
  hold(token: string, run: { id: number; editionId: number }, ids: number[]): void;
  release(token: string): void;
  /**
   * Whether an execution of this process still holds a delivery of run `runId` with an id above
   * `afterId`: that execution ends later and checks whether the run is settled itself.
   */
  holdsLaterClaim(runId: number, afterId: number): boolean;
}

/** One per process: a single statement refreshes every claim its executions hold. */
export function createClaimKeeper(sql: Sql, staleSeconds: number, logger?: Logger): ClaimKeeper {
  const held = new Map<string, { runId: number; editionId: number; ids: number[]; lastId: number }>();
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      await refreshClaims(sql, [...held].flatMap(([token, { editionId, ids }]) => ids.map((id) => ({ id, editionId, token }))));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'CONNECTION_ENDED') {
        // This process closed its pool (a forced shutdown): its claims will go stale, as a crash's.
        stop();
        return;
      }
      // The next refresh tries again, well within the stale window; a claim only goes stale when
      // Postgres is away for the whole window, and then its start counts as a refresh.
      logger?.warn({ err: error }, 'could not refresh delivery claims');
    } finally {
      refreshing = false;
    }
  };
  return {
    hold(token, run, ids) {
      if (ids.length === 0) return;
      held.set(token, { runId: run.id, editionId: run.editionId, ids, lastId: Math.max(...ids) });
      if (!timer) {
        timer = setInterval(() => void refresh(), (staleSeconds * 1000) / REFRESHES_PER_WINDOW);
        timer.unref();
      }
    },
    release(token) {
      held.delete(token);
      if (held.size === 0) stop();
    },
    holdsLaterClaim(runId, afterId) {
      for (const claims of held.values()) if (claims.runId === runId && claims.lastId > afterId) return true;
      return false;
    },
  };
}

export interface SentMarker {
  /**
   * Records a delivery the SMTP server accepted as sent. Resolves once Postgres has it, however
   * long that takes: a mark is never dropped, since a delivery left claimed would be sent again.
   */
  mark(claim: HeldClaim): Promise<void>;
  /**
   * Resolves when another message may go out: at once, unless the marks Postgres has not taken
   * have reached the bound (it is away), until they drain.
   */
  room(): Promise<void>;
}

/**
 * Unwritten marks a process holds before its senders stop: far above what one write carries at
 * full speed (up to MARKS_PER_WRITE, plus those made during it), so it never slows a healthy
 * send, and small enough that a worker stops sending within about a batch per job once Postgres
 * stops answering (each message sent then is one a crash before the marks are written would
 * send twice).
 */
const MAX_UNWRITTEN_MARKS = 200;
const MAX_RETRY_PAUSE_MS = 1000;

/**
 * How long a mark may wait for others to share its write, and how many make a write go out at
 * once. Each write costs Postgres a statement and a commit (about 150 µs of CPU for a handful of
 * marks, each further mark adding a few µs; the commit's WAL flush is most of it), so a write
 * carrying a few dozen marks costs a fraction per message of one carrying a handful. The linger
 * is also how much longer a crash right after the server's 250 can leave a message unmarked, to
 * be sent again (see createSentMarker). The count sends a write at once without waiting out the
 * linger; it is set above what a fast send (about 1,200 messages a second here) makes within the
 * linger, so the linger, not the count, paces the writes, at about 20 a second.
 */
const MARK_LINGER_MS = 50;
const MARKS_PER_WRITE = 64;

/**
 * Group commit for "sent" marks: a mark waits up to MARK_LINGER_MS for others, or until
 * MARKS_PER_WRITE are pending, and one statement and one commit then carry them all; one write is
 * in flight at a time, and the marks that arrive during it go out in the next one. So a message
 * the server accepted is in the ledger within MARK_LINGER_MS plus a write or two of its 250 while
 * Postgres answers: that, and only that, is how long a crash of the process (SIGKILL, OOM, a
 * lost machine) can leave it unmarked, so that its claim goes stale and another execution sends
 * it again (with the same Message-ID). A write that fails (Postgres restarting, a dropped
 * connection, a deadlock) is tried again with the marks that arrived meanwhile, with a pause
 * doubling from 50 ms to 1 s, until it succeeds.
 */
export function createSentMarker(sql: Sql, logger?: Logger, maxUnwritten = MAX_UNWRITTEN_MARKS): SentMarker {
  let pending: Array<HeldClaim & { resolve: () => void; at: number }> = [];
  const waitingForRoom: Array<() => void> = [];
  let writing = false;
  let lingering: NodeJS.Timeout | undefined;
  /** Starts a write now if the pending marks are due, else once the oldest of them is. */
  const writeWhenDue = () => {
    if (writing || pending.length === 0) return;
    const waitMs = pending.length >= MARKS_PER_WRITE ? 0 : pending[0]!.at + MARK_LINGER_MS - performance.now();
    if (waitMs <= 0) {
      clearTimeout(lingering);
      lingering = undefined;
      void write();
    } else {
      lingering ??= setTimeout(() => {
        lingering = undefined;
        writeWhenDue();
      }, waitMs);
    }
  };
  const write = async () => {
    writing = true;
    let pause = 50;
    let failures = 0;
    while (pending.length > 0) {
      // A copy: marks that arrive during the write wait for the next one.
      const batch = [...pending];
      try {
        for (const gone of await markDeliveriesSent(sql, batch)) {
          logger?.warn(gone, 'sent marks for an edition whose deliveries retention dropped meanwhile: nothing left to mark');
        }
      } catch (error) {
        if ((error as { code?: unknown }).code === 'CONNECTION_ENDED') {
          // This process closed its pool (a forced shutdown): like a crash, these readers may get the message again.
          logger?.error({ unwritten: batch.length }, 'sent marks lost at shutdown; these messages will be sent again');
          pending = pending.slice(batch.length);
          for (const mark of batch) mark.resolve();
          continue;
        }
        // Marking again is harmless (only a claimed row becomes sent), so the whole batch is
        // retried, with the marks that arrived meanwhile, whether or not the failed write committed.
        if (failures++ === 0) {
          // A refusal by PgBouncer is not going to pass: the operator must change a setting.
          const fix = pooledStartupRefusal(error);
          if (fix) logger?.error({ err: error, unwritten: batch.length, fix }, `could not write sent marks, and sending stops at ${maxUnwritten} unwritten: ${fix}`);
          else logger?.warn({ err: error, unwritten: batch.length }, 'could not write sent marks; retrying until Postgres takes them');
        }
        await sleep(pause);
        pause = Math.min(pause * 2, MAX_RETRY_PAUSE_MS);
        continue;
      }
      if (failures > 0) logger?.info({ failures }, 'sent marks written again');
      failures = 0;
      pause = 50;
      pending = pending.slice(batch.length);
      for (const mark of batch) mark.resolve();
      if (pending.length < maxUnwritten) for (const wake of waitingForRoom.splice(0)) wake();
      // The marks that came meanwhile get their own linger, unless enough of them wait already.
      if (pending.length < MARKS_PER_WRITE && pending.length > 0 && pending[0]!.at + MARK_LINGER_MS > performance.now()) break;
    }
    writing = false;
    writeWhenDue();
  };
  return {
    mark: (claim) =>
      new Promise<void>((resolve) => {
        pending.push({ ...claim, resolve, at: performance.now() });
        writeWhenDue();
      }),
    room: () => (pending.length < maxUnwritten ? Promise.resolve() : new Promise<void>((resolve) => waitingForRoom.push(resolve))),
  };
}
