import { InvalidInputError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import {
  claimDeliveries,
  markDeliveriesSkipped,
  markDeliveryFailed,
  markDeliverySent,
  releaseDeliveryForRetry,
  suppressBouncedReader,
  type ClaimedDelivery,
} from './delivery-repo.js';
import type { EditionMessages } from './edition-messages.js';
import { completeSendRunIfSettled, findSendRun } from './send-run-repo.js';
import { classifySmtpFailure } from './smtp-failure.js';

export type DeliveryDeps = Pick<Runtime, 'database' | 'mail' | 'clock' | 'logger' | 'config'> & {
  messages: EditionMessages;
  /** Told about every settled delivery (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
};

export type DeliveryOutcome =
  | { status: 'sent'; latencyMs: number }
  | { status: 'failed'; reason: 'permanent-recipient' | 'permanent-message' | 'invalid-address' | 'retries-exhausted' }
  | { status: 'retry'; reason: 'transient' }
  | { status: 'skipped'; reason: 'no-longer-wanted' };

export interface DeliverBatchResult {
  sent: number;
  failed: number;
  skipped: number;
  /** Deliveries that hit a transient failure and are queued again for the job's retry. */
  retrying: number;
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
  const wanted = claimed.filter((delivery) => delivery.stillWanted);
  // The SMTP pool has poolSize connections; keep about twice that many messages in flight.
  const parallel = Math.max(1, deps.config.mail.poolSize * 2);
  let next = 0;
  const sendNext = async (): Promise<void> => {
    while (next < wanted.length) {
      const delivery = wanted[next++] as ClaimedDelivery;
      const outcome = await sendOne(deps, builder, delivery, job.lastAttempt);
      deps.onOutcome?.(outcome);
      if (outcome.status === 'sent') result.sent += 1;
      else if (outcome.status === 'failed') result.failed += 1;
      else if (outcome.status === 'retry') result.retrying += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, wanted.length) }, sendNext));

  await completeSendRunIfSettled(sql, run.id);
  return result;
}

async function sendOne(
  deps: DeliveryDeps,
  builder: Awaited<ReturnType<EditionMessages['forEdition']>>,
  delivery: ClaimedDelivery,
  lastAttempt: boolean,
): Promise<DeliveryOutcome> {
  const { sql } = deps.database;
  let message;
  try {
    message = await builder.build(delivery.paperIds, { subscriberId: delivery.subscriberId, email: delivery.email, deliveryId: delivery.id }, deps.clock());
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    await markDeliveryFailed(sql, delivery.id, `address refused: ${error.message}`);
    return { status: 'failed', reason: 'invalid-address' };
  }

  const started = performance.now();
  try {
    await deps.mail.sendRaw(message.envelope, message.raw, message.messageId);
  } catch (error) {
    const failure = classifySmtpFailure(error);
    const detail = failure.reason;
    if (failure.kind === 'permanent-recipient') {
      await markDeliveryFailed(sql, delivery.id, detail);
      await suppressBouncedReader(sql, delivery.subscriberId, detail);
      return { status: 'failed', reason: 'permanent-recipient' };
    }
    if (failure.kind === 'permanent-message') {
      await markDeliveryFailed(sql, delivery.id, detail);
      return { status: 'failed', reason: 'permanent-message' };
    }
    if (lastAttempt) {
      await markDeliveryFailed(sql, delivery.id, `gave up after ${delivery.attempts} attempts: ${detail}`);
      return { status: 'failed', reason: 'retries-exhausted' };
    }
    await releaseDeliveryForRetry(sql, delivery.id, detail);
    return { status: 'retry', reason: 'transient' };
  }
  const latencyMs = performance.now() - started;
  // Between the server's 250 and this write a crash would send this copy again on retry; the
  // deterministic Message-ID lets mail systems fold the two.
  await markDeliverySent(sql, delivery.id, message.messageId);
  return { status: 'sent', latencyMs };
}
