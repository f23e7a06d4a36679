import type { DatabaseClient } from '../platform/db/client.js';
import { addDeliveryCounts, emptyDeliveryCounts, runProgress, type DeliveryCounts } from './delivery-counts.js';
import { countDeliveriesOfRuns, findRunIdsOfEditions } from './send-report-repo.js';
import { findSendRun, findUnfinishedSendRuns, type SendRun } from './send-run-repo.js';

/** How sending goes, for operators: a run with its counts, an edition's runs and totals. */

interface SendReportDeps {
  database: DatabaseClient;
}

export interface RunReport {
  run: SendRun;
  deliveries: DeliveryCounts;
  /** Settled (sent, failed, skipped) share of the run's deliveries, 0..1 (see runProgress). */
  progress: number;
}

export interface EditionSendReport {
  runs: RunReport[];
  /** Sums over every run of the edition (a resend's copies included). */
  deliveries: DeliveryCounts;
}

const toRunReport = (run: SendRun, deliveries: DeliveryCounts): RunReport => ({ run, deliveries, progress: runProgress(run.status, deliveries) });

/** One run as it stands now. */
export async function reportSendRun(deps: SendReportDeps, run: SendRun): Promise<RunReport> {
  const counts = await countDeliveriesOfRuns(deps.database.sql, [run.id]);
  return toRunReport(run, counts.get(run.id) ?? emptyDeliveryCounts());
}

/**
 * Every run not yet completed (a handful at most), for the metrics scrape: two queries whatever
 * the number of runs, and completed runs are left out, so the cost stays flat however many
 * editions were ever sent.
 */
export async function reportUnfinishedRuns(deps: SendReportDeps): Promise<RunReport[]> {
  const runs = await findUnfinishedSendRuns(deps.database.sql);
  const counts = await countDeliveriesOfRuns(deps.database.sql, runs.map((run) => run.id));
  return runs.map((run) => toRunReport(run, counts.get(run.id) ?? emptyDeliveryCounts()));
}


/** Reports for several editions at once (two queries plus one per run), keyed by edition id. */
export async function reportEditionSends(deps: SendReportDeps, editionIds: number[]): Promise<Map<number, EditionSendReport>> {
  const { sql } = deps.database;
  const runIdsByEdition = await findRunIdsOfEditions(sql, editionIds);
  const allRunIds = [...runIdsByEdition.values()].flat();
  const counts = await countDeliveriesOfRuns(sql, allRunIds);
  const reports = new Map<number, EditionSendReport>();
  for (const [editionId, runIds] of runIdsByEdition) {
    const total = emptyDeliveryCounts();
    const runs: RunReport[] = [];
    for (const runId of runIds) {
      const run = await findSendRun(sql, runId);
      if (!run) continue;
      const deliveries = counts.get(runId) ?? emptyDeliveryCounts();
      addDeliveryCounts(total, deliveries);
      runs.push(toRunReport(run, deliveries));
    }
    reports.set(editionId, { runs, deliveries: total });
  }
  return reports;
}
