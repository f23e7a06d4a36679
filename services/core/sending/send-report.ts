import type { Runtime } from '../../runtime.js';
import { countDeliveriesOfRuns, emptyCounts, findRunIdsOfEditions } from './send-report-repo.js';
import { countDeliveriesByStatus, findSendRun, type DeliveryCounts, type SendRun } from './send-run-repo.js';

/** How an edition's sending went, for operators: each run with its counts, and the totals. */

export interface RunReport {
  run: SendRun;
  deliveries: DeliveryCounts;
  /** Settled (sent, failed, skipped) share of the run's deliveries, 0..1. */
  progress: number;
}

export interface EditionSendReport {
  runs: RunReport[];
  /** Sums over every run of the edition (a resend's copies included). */
  deliveries: DeliveryCounts;
}

export function progressOf(run: Pick<SendRun, 'status'>, counts: DeliveryCounts): number {
  const total = counts.queued + counts.claimed + counts.sent + counts.failed + counts.skipped;
  if (total === 0) return run.status === 'completed' ? 1 : 0;
  return (counts.sent + counts.failed + counts.skipped) / total;
}

/** One run's report, with its delivery counts as they are now. */
export async function reportRun(deps: Pick<Runtime, 'database'>, run: SendRun): Promise<RunReport> {
  const deliveries = await countDeliveriesByStatus(deps.database.sql, run.id);
  return { run, deliveries, progress: progressOf(run, deliveries) };
}

/** Reports for several editions at once (two queries plus one per run), keyed by edition id. */
export async function reportEditionSends(deps: Pick<Runtime, 'database'>, editionIds: number[]): Promise<Map<number, EditionSendReport>> {
  const { sql } = deps.database;
  const runIdsByEdition = await findRunIdsOfEditions(sql, editionIds);
  const allRunIds = [...runIdsByEdition.values()].flat();
  const counts = await countDeliveriesOfRuns(sql, allRunIds);
  const reports = new Map<number, EditionSendReport>();
  for (const [editionId, runIds] of runIdsByEdition) {
    const total = emptyCounts();
    const runs: RunReport[] = [];
    for (const runId of runIds) {
      const run = await findSendRun(sql, runId);
      if (!run) continue;
      const deliveries = counts.get(runId) ?? emptyCounts();
      for (const status of Object.keys(total) as Array<keyof DeliveryCounts>) total[status] += deliveries[status];
      runs.push({ run, deliveries, progress: progressOf(run, deliveries) });
    }
    reports.set(editionId, { runs, deliveries: total });
  }
  return reports;
}
