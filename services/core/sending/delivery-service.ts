import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import { whileDatabaseAway } from '../platform/db/availability.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError } from '../platform/errors.js';
import type { MessageBufferPool } from '../platform/mail/message-template.js';
import type { MailTransport } from '../platform/mail/transport.js';
import type { SharedRateLimit } from '../platform/queue/shared-rate-limit.js';
import { suppressAfterSmtpRefusal, suppressUndeliverableAddress } from '../suppression/suppression-service.js';
import { createClaimKeeper, createSentMarker, type ClaimKeeper, type SentMarker } from './delivery-claims.js';
import {
  claimDeliveries,
  hasUnsettledDeliveryAhead,
  markDeliveriesSkipped,
  markDeliveryFailed,
  releaseDeliveryForRetry,
  releaseUnattemptedClaims,
  settleUnclaimableDeliveries,
  type ClaimedDelivery,
  type HeldClaim,
} from './delivery-repo.js';
import type { EditionMessages } from './edition-messages.js';
import { completeSendRunIfSettled, findSendRun, type SendRun } from './send-run-repo.js';
import { classifySmtpFailure, throttleBackoffMs } from '../platform/mail/smtp-failure.js';
import { incrementRunCounter } from './run-control-repo.js';
import { admitBatch, type RunGateDeps } from './run-control-service.js';

export interface DeliveryDeps extends RunGateDeps {
  database: DatabaseClient;
  mail: MailTransport;
  clock: Clock;
  /** Messages in flight per batch follow the SMTP pool's size; a throttling reply sets the backoff. */
  config: Pick<Config, 'workerStaleSeconds'> & { mail: Pick<Config['mail'], 'poolSize' | 'throttleBackoffMs'>; autoPause: Config['autoPause'] };
  messages: EditionMessages;
  /** Shared by a process's concurrent jobs so their marks go out together; one per batch otherwise. */
  sentMarker?: SentMarker;
  /** Shared by a process's concurrent jobs so one statement refreshes their claims; one per batch otherwise. */
  claimKeeper?: ClaimKeeper;
  /** Reused buffers for the filled messages (a process's jobs share one); fresh buffers otherwise. */
  messageBuffers?: MessageBufferPool;
  /** SMTP_RATE_LIMIT, shared by every worker process: each message waits for its slot. None: no limit. */
  sendRate?: SharedRateLimit;
  /** Told about every settled delivery (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

export type DeliveryOutcome =
  | { status: 'sent'; latencyMs: number }
  | { status: 'failed'; reason: 'permanent-recipient' | 'permanent-message' | 'invalid-address' | 'retries-exhausted' }
  | { status: 'retry'; reason: 'transient' | 'throttled' }
  | { status: 'skipped'; reason: 'no-longer-wanted' };

/** What one SMTP attempt came to; a sent message still needs its mark. */
type SendAttempt =
  | Exclude<DeliveryOutcome, { status: 'sent' } | { status: 'retry' }>
  | { status: 'retry'; reason: 'transient' }
  | { status: 'sent'; latencyMs: number }
  | { status: 'retry'; reason: 'throttled'; backoffMs: number };

export interface DeliverBatchResult {
  sent: number;
  failed: number;
  skipped: number;
  /** Deliveries that hit a transient failure and are queued again for the job's retry. */
  retrying: number;
  /**
   * Set when the server throttled: how long every worker should stop sending. The batch stopped
   * at that answer and its unsent deliveries are queued again, for the job to run again then.
   */
  backoffMs: number;
}

/**
 * Sends a batch of deliveries of one run. Each delivery is claimed first (so a retried or
 * duplicated job skips what another execution sent or is sending), rechecked (a reader who
 * unsubscribed or bounced since the fan-out is skipped), sent as the reader's filled copy of their
 * variant, and marked sent with its Message-ID right after the server's answer. One bad address
 * never fails the batch; a transient failure puts that delivery back in the queue, unless this is
 * the last attempt, when it is marked failed.
 *
 * While Postgres is away the batch waits for it instead of failing: a failed job's retry would
 * find its deliveries held by this execution, and the worker would burn through the queue's jobs
 * meanwhile. The batch ends only once every message the server accepted is marked sent.
 */
export async function deliverBatch(
  deps: DeliveryDeps,
  job: { id: string; runId: number; deliveryIds: number[]; lastAttempt: boolean },
): Promise<DeliverBatchResult> {
  const { sql } = deps.database;
  const result: DeliverBatchResult = { sent: 0, failed: 0, skipped: 0, retrying: 0, backoffMs: 0 };
  const run = await whileDatabaseAway(() => findSendRun(sql, job.runId));
  if (!run) return result;
  // A paused run keeps its deliveries queued; resuming it enqueues them again.
  if (!(await admitBatch(deps, run))) return result;

  // This execution's own: BullMQ may run the same job (same id) again while this one still sends.
  const token = `${job.id}/${randomBytes(6).toString('hex')}`;
  const claimKeeper = deps.claimKeeper ?? createClaimKeeper(sql, deps.config.workerStaleSeconds);
  const claimed = await whileDatabaseAway(() => claimDeliveries(sql, run, job.deliveryIds, token, deps.config.workerStaleSeconds));
  if (claimed.length < job.deliveryIds.length) {
    // Another live execution holds the rest, or the run was paused or cancelled; rarely their
    // reader was erased mid-send.
    const taken = new Set(claimed.map((delivery) => delivery.id));
    const unclaimed = job.deliveryIds.filter((id) => !taken.has(id));
    const settled = await whileDatabaseAway(() => settleUnclaimableDeliveries(sql, run, unclaimed, deps.config.workerStaleSeconds));
    const notSent = settled.erased + settled.cancelled;
    result.skipped += notSent;
    for (let i = 0; i < notSent; i++) deps.onOutcome?.({ status: 'skipped', reason: 'no-longer-wanted' });
  }
  claimKeeper.hold(token, run, claimed.map((delivery) => delivery.id));
  try {
    await sendClaimed(deps, run, claimed, token, job.lastAttempt, result);
  } finally {
    claimKeeper.release(token);
  }
  // A throttled batch is not over: its job runs again after the backoff.
  if (result.backoffMs > 0) return result;

  // Cheapest first: while a batch of this run further on is still being sent, by this process
  // or (read from the ledger) any other, the run cannot be settled, and that batch checks when it
  // ends. Whichever batch ends last finds nothing ahead and checks.
  const lastId = job.deliveryIds.reduce((max, id) => Math.max(max, id), 0);
  if (claimKeeper.holdsLaterClaim(run.id, lastId)) return result;
  if (!(await whileDatabaseAway(() => hasUnsettledDeliveryAhead(sql, run, lastId)))) {
    await whileDatabaseAway(() => completeSendRunIfSettled(sql, run.id));
  }
  return result;
}

async function sendClaimed(
  deps: DeliveryDeps,
  run: Pick<SendRun, 'editionId' | 'editionKey'>,
  claimed: ClaimedDelivery[],
  token: string,
  lastAttempt: boolean,
  result: DeliverBatchResult,
): Promise<void> {
  const { sql } = deps.database;
  const unwanted = claimed.filter((delivery) => !delivery.stillWanted);
  const wanted = claimed.filter((delivery) => delivery.stillWanted);
  // A failure gives back the claims not yet attempted: the job's retry (another execution) takes them.
  const giveBack = async (ids: number[], error: unknown): Promise<never> => {
    // Best effort: what is not given back here goes stale and is taken over (WORKER_STALE_SECONDS).
    await releaseUnattemptedClaims(sql, run.editionId, ids, token).catch(() => undefined);
    throw error;
  };
  let builder: Awaited<ReturnType<EditionMessages['forEdition']>>;
  try {
    await whileDatabaseAway(() => markDeliveriesSkipped(sql, run.editionId, unwanted.map((delivery) => delivery.id), token, 'unsubscribed or suppressed after the fan-out'));
    builder = await whileDatabaseAway(() => deps.messages.forEdition(run.editionKey));
  } catch (error) {
    return giveBack(claimed.map((delivery) => delivery.id), error);
  }
  result.skipped += unwanted.length;
  for (const _ of unwanted) deps.onOutcome?.({ status: 'skipped', reason: 'no-longer-wanted' });

  const marker = deps.sentMarker ?? createSentMarker(deps.database.genericPlanSql);
  // The SMTP pool has poolSize connections; keep about twice that many messages in flight. A
  // lane goes on to its next message while the last one's "sent" mark is being written.
  const parallel = Math.max(1, deps.config.mail.poolSize * 2);
  const marks: Promise<void>[] = [];
  // Deliveries whose outcome is written or handed to the marker; the rest go back to the queue if a lane fails.
  const settled = new Set<number>();
  const settle = (outcome: DeliveryOutcome) => {
    deps.onOutcome?.(outcome);
    if (outcome.status === 'sent') result.sent += 1;
    else if (outcome.status === 'failed') result.failed += 1;
    else if (outcome.status === 'retry' && outcome.reason === 'transient') result.retrying += 1;
  };
  let laneError: { error: unknown } | undefined;
  let next = 0;
  const sendNext = async (): Promise<void> => {
    // After a throttling answer the batch starts nothing more: the server asked us to wait.
    while (next < wanted.length && !laneError && result.backoffMs === 0) {
      // While Postgres is not taking the marks, stop sending more (see MAX_UNWRITTEN_MARKS).
      await marker.room();
      if (next >= wanted.length || laneError || result.backoffMs > 0) return;
      const delivery = wanted[next++] as ClaimedDelivery;
      let outcome: SendAttempt;
      try {
        outcome = await sendOne(deps, builder, delivery, token, lastAttempt);
      } catch (error) {
        // No other message starts; the ones in flight finish and are marked before the job fails.
        laneError ??= { error };
        return;
      }
      settled.add(delivery.id);
      if (outcome.status === 'retry' && outcome.reason === 'throttled') {
        result.backoffMs = Math.max(result.backoffMs, outcome.backoffMs);
        settle({ status: 'retry', reason: 'throttled' });
        continue;
      }
      if (outcome.status !== 'sent') {
        settle(outcome);
        continue;
      }
      const { latencyMs } = outcome;
      marks.push(marker.mark({ id: delivery.id, editionId: delivery.editionId, token }).then(() => settle({ status: 'sent', latencyMs })));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, wanted.length) }, sendNext));
  // Every accepted message is marked before the job ends, however long Postgres takes: a job
  // that ended (or failed) first would leave it claimed for a retry to send again.
  await Promise.all(marks);
  if (laneError) {
    return giveBack(wanted.filter((delivery) => !settled.has(delivery.id)).map((delivery) => delivery.id), laneError.error);
  }
  if (result.backoffMs > 0) {
    // Never attempted: queued again as they were, for the job's run after the backoff.
    const unsent = wanted.filter((delivery) => !settled.has(delivery.id)).map((delivery) => delivery.id);
    await whileDatabaseAway(() => releaseUnattemptedClaims(sql, run.editionId, unsent, token, 'not sent: the server throttled this batch'));
  }
}

async function sendOne(
  deps: DeliveryDeps,
  builder: Awaited<ReturnType<EditionMessages['forEdition']>>,
  delivery: ClaimedDelivery,
  token: string,
  lastAttempt: boolean,
): Promise<SendAttempt> {
  const { sql } = deps.database;
  const claim: HeldClaim = { id: delivery.id, editionId: delivery.editionId, token };
  let message;
  try {
    const recipient = { subscriberId: delivery.subscriberId, email: delivery.email, deliveryId: delivery.id, reader: delivery.reader, sections: delivery.paperSections };
    message = await builder.build(delivery.paperIds, recipient, deps.clock(), deps.messageBuffers?.allocate);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const detail = `address refused: ${error.message}`;
    await whileDatabaseAway(() => markDeliveryFailed(sql, claim, detail));
    await whileDatabaseAway(() => suppressUndeliverableAddress(sql, delivery.subscriberId, detail));
    return { status: 'failed', reason: 'invalid-address' };
  }

  // The message is built before its slot, so it reaches the server right at the slot's time.
  const answered = await deps.sendRate?.acquire();
  const started = performance.now();
  try {
    await deps.mail.sendRaw(message.envelope, message.raw, message.messageId);
  } catch (error) {
    answered?.();
    const failure = classifySmtpFailure(error);
    const detail = failure.reason;
    if (failure.kind === 'throttled') {
      // Not this reader's fault and not a spent attempt: it waits for the backoff, however often.
      await whileDatabaseAway(() => releaseDeliveryForRetry(sql, claim, detail));
      return { status: 'retry', reason: 'throttled', backoffMs: throttleBackoffMs(failure, deps.config.mail.throttleBackoffMs) };
    }
    if (failure.kind !== 'transient') {
      await whileDatabaseAway(() => markDeliveryFailed(sql, claim, detail));
      await whileDatabaseAway(() => suppressAfterSmtpRefusal(sql, delivery.subscriberId, failure));
      // A refused recipient is a hard bounce of the run: it counts toward the auto-pause.
      if (failure.kind === 'permanent-recipient') await whileDatabaseAway(() => incrementRunCounter(sql, delivery.sendRunId, 'hard_bounces'));
      return { status: 'failed', reason: failure.kind };
    }
    if (lastAttempt) {
      await whileDatabaseAway(() => markDeliveryFailed(sql, claim, `gave up after ${delivery.attempts} attempts: ${detail}`));
      return { status: 'failed', reason: 'retries-exhausted' };
    }
    await whileDatabaseAway(() => releaseDeliveryForRetry(sql, claim, detail));
    return { status: 'retry', reason: 'transient' };
  }
  answered?.();
  // The server has the whole message: its buffer can be reused. (After a failure the socket may
  // still hold it, so a failed message's buffer is left to the GC.)
  deps.messageBuffers?.release(message.raw);
  // The caller marks it sent. Between the server's 250 and that write only a crash can lose the
  // mark (a failed write is retried until it lands); its claim then goes stale and the copy is
  // sent again, with the same deterministic Message-ID, which lets mail systems fold the two.
  return { status: 'sent', latencyMs: performance.now() - started };
}
