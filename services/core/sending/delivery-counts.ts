import type { sendRunStatus } from '../platform/db/schema.js';

type SendRunStatus = (typeof sendRunStatus.enumValues)[number];

/**
 * A send run's deliveries by ledger status, and what follows from them: how many are settled
 * (sent, failed, skipped or bounced: nothing more will happen to them) and the run's progress. The admin
 * API, the CLI and the metrics scrape all read a run through these.
 */

/** `bounced`: sent, then reported undeliverable after the server's 250. */
export type DeliveryCounts = Record<'queued' | 'claimed' | 'sent' | 'failed' | 'skipped' | 'bounced', number>;

/** Every status at zero: a run without deliveries of some status still reports it. */
export const emptyDeliveryCounts = (): DeliveryCounts => ({ queued: 0, claimed: 0, sent: 0, failed: 0, skipped: 0, bounced: 0 });

export const settledDeliveries = (counts: DeliveryCounts): number => counts.sent + counts.failed + counts.skipped + counts.bounced;

export const totalDeliveries = (counts: DeliveryCounts): number => counts.queued + counts.claimed + settledDeliveries(counts);

/**
 * The settled share of a run's deliveries, 0..1. A run without deliveries is at 0 until it
 * completes (fan-out has not written any yet), at 1 once completed (everyone was skipped or
 * nobody was due).
 */
export function runProgress(status: SendRunStatus, counts: DeliveryCounts): number {
  const total = totalDeliveries(counts);
  if (total === 0) return status === 'completed' || status === 'cancelled' ? 1 : 0;
  return settledDeliveries(counts) / total;
}

/** Adds `counts` into `sum`, status by status. */
export function addDeliveryCounts(sum: DeliveryCounts, counts: DeliveryCounts): void {
  for (const status of Object.keys(sum) as Array<keyof DeliveryCounts>) sum[status] += counts[status];
}

/**
 * The counts stored on a finished run (send_runs.delivery_counts), when they can stand for it:
 * none queued or claimed. A run cancelled while a worker held some deliveries stored them as
 * claimed; it is counted from the ledger until they settle (retention recounts it before dropping
 * its deliveries). Undefined for anything else, a run still going included (null).
 */
export function settledStoredCounts(stored: unknown): DeliveryCounts | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const counts = emptyDeliveryCounts();
  for (const status of Object.keys(counts) as Array<keyof DeliveryCounts>) {
    const value = (stored as Record<string, unknown>)[status];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return undefined;
    counts[status] = value;
  }
  return counts.queued + counts.claimed === 0 ? counts : undefined;
}
