import type { DatabaseClient } from '../platform/db/client.js';
import { addDeliveryCounts, emptyDeliveryCounts, runProgress, type DeliveryCounts } from './delivery-counts.js';
import { countDeliveriesOfRuns } from './send-report-repo.js';
import { findSendRunsOfEditions, findUnfinishedSendRuns, type SendRun } from './send-run-repo.js';

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

/** A service a run cannot move without, not answering: which one, where, and what it said. */
export interface Outage {
  service: 'Postgres' | 'Redis';
  /** e.g. "Postgres at 127.0.0.1:5432/paperboy", without credentials. */
  server: string;
  reason: string;
}

/** What working a send run to its end (the CLI's send) tells its caller as it goes. */
export interface SendRunListener {
  /** Deliveries settled (sent, failed or skipped) of those known so far. */
  progress(settled: number, total: number): void;
  /** A service stopped answering; the run waits for it. */
  waiting(outage: Outage): void;
  /** It answers again after `seconds`; the run carries on. */
  recovered(service: Outage['service'], seconds: number): void;
}

const toRunReport = (run: SendRun, deliveries: DeliveryCounts): RunReport => ({ run, deliveries, progress: runProgress(run.status, deliveries) });

const isFinished = (run: SendRun) => run.status === 'completed' || run.status === 'cancelled';

/**
 * Deliveries by status of each run: what a finished run stored when it ended, else counted in
 * the ledger (runs still going, a cancelled run whose last claims have not settled). A finished
 * run's counts stay after retention dropped its edition's deliveries.
 */
async function deliveryCountsOfRuns(deps: SendReportDeps, runs: SendRun[]): Promise<Map<number, DeliveryCounts>> {
  const { sql } = deps.database;
  const stored = new Map(runs.flatMap((run) => (isFinished(run) && run.storedDeliveryCounts ? [[run.id, run.storedDeliveryCounts] as const] : [])));
  const live = await countDeliveriesOfRuns(sql, runs.filter((run) => !stored.has(run.id)));
  return new Map([...live, ...stored]);
}

/** One run as it stands now. */
export async function reportSendRun(deps: SendReportDeps, run: SendRun): Promise<RunReport> {
  const counts = await deliveryCountsOfRuns(deps, [run]);
  return toRunReport(run, counts.get(run.id) ?? emptyDeliveryCounts());
}

/**
 * Every run not yet completed (a handful at most), for the metrics scrape: two queries whatever
 * the number of runs, and completed runs are left out, so the cost stays flat however many
 * editions were ever sent.
 */
export async function reportUnfinishedRuns(deps: SendReportDeps): Promise<RunReport[]> {
  const runs = await findUnfinishedSendRuns(deps.database.sql);
  const counts = await countDeliveriesOfRuns(deps.database.sql, runs);
  return runs.map((run) => toRunReport(run, counts.get(run.id) ?? emptyDeliveryCounts()));
}


/** Reports for several editions at once (two queries however many runs), keyed by edition id. */
export async function reportEditionSends(deps: SendReportDeps, editionIds: number[]): Promise<Map<number, EditionSendReport>> {
  const runs = await findSendRunsOfEditions(deps.database.sql, editionIds);
  const counts = await deliveryCountsOfRuns(deps, runs);
  const reports = new Map<number, EditionSendReport>(editionIds.map((id) => [id, { runs: [], deliveries: emptyDeliveryCounts() }]));
  for (const run of runs) {
    const report = reports.get(run.editionId)!;
    const deliveries = counts.get(run.id) ?? emptyDeliveryCounts();
    addDeliveryCounts(report.deliveries, deliveries);
    report.runs.push(toRunReport(run, deliveries));
  }
  return reports;
}
