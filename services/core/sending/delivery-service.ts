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
  type ClaimedDelivery,
} from './delivery-repo.js';
import type { EditionMessages } from './edition-messages.js';
import { completeSendRunIfSettled, findSendRun } from './send-run-repo.js';
import { classifySmtpFailure } from '../platform/mail/smtp-failure.js';

export interface DeliveryDeps {
  database: DatabaseClient;
  mail: MailTransport;
  clock: Clock;
  /** Messages in flight per batch follow the SMTP pool's size. */
  config: { mail: Pick<Config['mail'], 'poolSize'> };
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
  | { status: 'retry'; reason: 'transient' }
  | { status: 'skipped'; reason: 'no-longer-wanted' };

/** What one SMTP attempt came to; a sent message still needs its mark. */
type SendAttempt = Exclude<DeliveryOutcome, { status: 'sent' }> | { status: 'sent'; latencyMs: number; messageId: string };

export interface DeliverBatchResult {
  sent: number;
  failed: number;
  skipped: number;
  /** Deliveries that hit a transient failure and are queued again for the job's retry. */
  retrying: number;
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
  const result: DeliverBatchResult = { sent: 0, failed: 0, skipped: 0, retrying: 0 };
  const run = await findSendRun(sql, job.runId);
  if (!run) return result;

  const claimed = await claimDeliveries(sql, job.deliveryIds, job.id, new Date(deps.clock().getTime() - STALE_CLAIM_MS));
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
    else if (outcome.status === 'retry') result.retrying += 1;
  };
  let markError: unknown;
  let next = 0;
  const sendNext = async (): Promise<void> => {
    while (next < wanted.length) {
      const delivery = wanted[next++] as ClaimedDelivery;
      const outcome = await sendOne(deps, builder, delivery, job.lastAttempt);
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
    if (failure.kind !== 'transient') {
      await markDeliveryFailed(sql, delivery.id, detail);
      await suppressAfterSmtpRefusal(sql, delivery.subscriberId, failure);
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
