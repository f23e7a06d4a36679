import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { InvalidInputError } from '../platform/errors.js';
import type { MessageBufferPool } from '../platform/mail/message-template.js';
import type { MailTransport } from '../platform/mail/transport.js';
import type { Sql } from '../platform/db/client.js';
import { suppressAfterSmtpRefusal, suppressUndeliverableAddress } from '../suppression/suppression-service.js';
import {
  claimDeliveries,
  hasQueuedDeliveryAhead,
  markDeliveriesSkipped,
  markDeliveriesSent,
  markDeliveryFailed,
  releaseDeliveryForRetry,
  releaseDeliveriesForRetry,
  type ClaimedDelivery,
} from './delivery-repo.js';
import type { EditionMessages } from './edition-messages.js';
import { completeSendRunIfSettled, findSendRun } from './send-run-repo.js';
import { classifySmtpFailure, throttleBackoffMs } from '../platform/mail/smtp-failure.js';
import { countHardBounce } from './run-control-repo.js';
import { admitBatch, keepClaimsOfLiveRun, type RunGateDeps } from './run-control-service.js';

export interface DeliveryDeps extends RunGateDeps {
  database: DatabaseClient;
  mail: MailTransport;
  clock: Clock;
  /** Messages in flight per batch follow the SMTP pool's size; a throttling reply sets the backoff. */
  config: { mail: Pick<Config['mail'], 'poolSize' | 'throttleBackoffMs'>; autoPause: Config['autoPause'] };
  messages: EditionMessages;
  /** Shared by a process's concurrent jobs so their marks go out together; one per batch otherwise. */
  sentMarker?: SentMarker;
  /** Reused buffers for the filled messages (a process's jobs share one); fresh buffers otherwise. */
  messageBuffers?: MessageBufferPool;
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
  | { status: 'sent'; latencyMs: number; messageId: string }
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

/** Records a delivery as sent; resolves once it is written. */
export type SentMarker = (id: number, messageId: string) => Promise<void>;

/**
 * Group commit for "sent" marks: a mark is written at once when no write is in flight, and
 * the marks that arrive during a write go out together in the next one. Each mark is written
 * as soon as the database is free (the window in which a crash would resend a message does
 * not grow), but under load one statement and one commit carry dozens of messages instead of one.
 */
export function createSentMarker(sql: Sql): SentMarker {
  let pending: Array<{ id: number; messageId: string; resolve: () => void; reject: (error: unknown) => void }> = [];
  let writing = false;
  const write = async () => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await markDeliveriesSent(sql, batch);
        for (const mark of batch) mark.resolve();
      } catch (error) {
        for (const mark of batch) mark.reject(error);
      }
    }
    writing = false;
  };
  return (id, messageId) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ id, messageId, resolve, reject });
      if (!writing) void write();
    });
}

/** A claim older than this belongs to a worker that died mid-send; SMTP answers far sooner. */
const STALE_CLAIM_MS = 5 * 60 * 1000;

/**
 * Sends a batch of deliveries of one run. Each delivery is claimed first (so a retried or
 * duplicated job skips what another attempt sent), rechecked (a reader who unsubscribed or
 * bounced since the fan-out is skipped), sent as the reader's filled copy of their variant, and
 * marked sent with its Message-ID right after the server's answer. One bad address never fails
 * the batch; a transient failure puts that delivery back in the queue, unless this is the last
 * attempt, when it is marked failed.
 */
export async function deliverBatch(
  deps: DeliveryDeps,
  job: { id: string; runId: number; deliveryIds: number[]; lastAttempt: boolean },
): Promise<DeliverBatchResult> {
  const { sql } = deps.database;
  const result: DeliverBatchResult = { sent: 0, failed: 0, skipped: 0, retrying: 0, backoffMs: 0 };
  const run = await findSendRun(sql, job.runId);
  if (!run) return result;
  // A paused run keeps its deliveries queued; resuming it enqueues them again.
  if (!(await admitBatch(deps, run))) return result;

  const claimed = await keepClaimsOfLiveRun(
    deps,
    run.id,
    job.id,
    await claimDeliveries(sql, job.deliveryIds, job.id, new Date(deps.clock().getTime() - STALE_CLAIM_MS)),
  );
  const unwanted = claimed.filter((delivery) => !delivery.stillWanted);
  await markDeliveriesSkipped(sql, unwanted.map((delivery) => delivery.id), 'unsubscribed or suppressed after the fan-out');
  result.skipped = unwanted.length;
  for (const _ of unwanted) deps.onOutcome?.({ status: 'skipped', reason: 'no-longer-wanted' });

  const builder = await deps.messages.forEdition(run.editionKey);
  const markSent = deps.sentMarker ?? createSentMarker(sql);
  const wanted = claimed.filter((delivery) => delivery.stillWanted);
  // The SMTP pool has poolSize connections; keep about twice that many messages in flight. A
  // lane goes on to its next message while the last one's "sent" mark is being written.
  const parallel = Math.max(1, deps.config.mail.poolSize * 2);
  const marks: Promise<void>[] = [];
  const settle = (outcome: DeliveryOutcome) => {
    deps.onOutcome?.(outcome);
    if (outcome.status === 'sent') result.sent += 1;
    else if (outcome.status === 'failed') result.failed += 1;
    else if (outcome.status === 'retry' && outcome.reason === 'transient') result.retrying += 1;
  };
  let markError: unknown;
  let next = 0;
  const sendNext = async (): Promise<void> => {
    // After a throttling answer the batch sends nothing more: the server asked us to wait.
    while (next < wanted.length && result.backoffMs === 0) {
      const delivery = wanted[next++] as ClaimedDelivery;
      const outcome = await sendOne(deps, builder, delivery, job.lastAttempt);
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
      marks.push(
        markSent(delivery.id, outcome.messageId).then(
          () => settle({ status: 'sent', latencyMs }),
          (error: unknown) => {
            markError ??= error;
          },
        ),
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, wanted.length) }, sendNext));
  } finally {
    // Every mark is written before the job ends. A failed write fails the job; its retry
    // re-claims (and resends, with the same Message-ID) only what was not marked.
    await Promise.all(marks);
  }
  if (markError) throw markError;
  if (result.backoffMs > 0) {
    await releaseDeliveriesForRetry(sql, wanted.slice(next).map((delivery) => delivery.id), 'not sent: the server throttled this batch');
    return result;
  }

  // Cheap first: with queued deliveries just ahead, this run cannot be settled yet.
  const lastId = job.deliveryIds.reduce((max, id) => Math.max(max, id), 0);
  if (!(await hasQueuedDeliveryAhead(sql, run.id, lastId))) await completeSendRunIfSettled(sql, run.id);
  return result;
}

async function sendOne(
  deps: DeliveryDeps,
  builder: Awaited<ReturnType<EditionMessages['forEdition']>>,
  delivery: ClaimedDelivery,
  lastAttempt: boolean,
): Promise<SendAttempt> {
  const { sql } = deps.database;
  let message;
  try {
    const recipient = { subscriberId: delivery.subscriberId, email: delivery.email, deliveryId: delivery.id };
    message = await builder.build(delivery.paperIds, recipient, deps.clock(), deps.messageBuffers?.allocate);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const detail = `address refused: ${error.message}`;
    await markDeliveryFailed(sql, delivery.id, detail);
    await suppressUndeliverableAddress(sql, delivery.subscriberId, detail);
    return { status: 'failed', reason: 'invalid-address' };
  }

  const started = performance.now();
  try {
    await deps.mail.sendRaw(message.envelope, message.raw, message.messageId);
  } catch (error) {
    const failure = classifySmtpFailure(error);
    const detail = failure.reason;
    if (failure.kind === 'throttled') {
      // Not this reader's fault and not a spent attempt: it waits for the backoff, however often.
      await releaseDeliveryForRetry(sql, delivery.id, detail);
      return { status: 'retry', reason: 'throttled', backoffMs: throttleBackoffMs(failure, deps.config.mail.throttleBackoffMs) };
    }
    if (failure.kind !== 'transient') {
      await markDeliveryFailed(sql, delivery.id, detail);
      await suppressAfterSmtpRefusal(sql, delivery.subscriberId, failure);
      // A refused recipient is a hard bounce of the run: it counts toward the auto-pause.
      if (failure.kind === 'permanent-recipient') await countHardBounce(sql, delivery.sendRunId);
      return { status: 'failed', reason: failure.kind };
    }
    if (lastAttempt) {
      await markDeliveryFailed(sql, delivery.id, `gave up after ${delivery.attempts} attempts: ${detail}`);
      return { status: 'failed', reason: 'retries-exhausted' };
    }
    await releaseDeliveryForRetry(sql, delivery.id, detail);
    return { status: 'retry', reason: 'transient' };
  }
  // The server has the whole message: its buffer can be reused. (After a failure the socket may
  // still hold it, so a failed message's buffer is left to the GC.)
  deps.messageBuffers?.release(message.raw);
  // The caller marks it sent. Between the server's 250 and that write a crash would send this
  // copy again on retry; the deterministic Message-ID lets mail systems fold the two.
  return { status: 'sent', latencyMs: performance.now() - started, messageId: message.messageId };
}
