import type { Runtime } from '../runtime.js';
import { findSendRun } from '../core/sending/send-run-repo.js';
import { settledDeliveries, totalDeliveries } from '../core/sending/delivery-counts.js';
import { ConflictError } from '../core/platform/errors.js';
import { reportSendRun, type RunReport } from '../core/sending/send-report.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from './processors/sending.js';
import { startWorkers } from './worker-host.js';

/** How far a send run is: deliveries settled (sent, failed or skipped) of those known so far. */
export type SendRunProgressListener = (settled: number, total: number) => void;

/**
 * Works a send run to its end in this process (for the CLI): runs the send processors here,
 * beside any worker processes already running, which share the work, and polls the run until
 * it completes, when every delivery is sent, failed or skipped. Resolves with the final counts.
 */
export async function workSendRun(runtime: Runtime, runId: number, onProgress: SendRunProgressListener): Promise<RunReport> {
  const host = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  try {
    for (;;) {
      const run = await findSendRun(runtime.database.sql, runId);
      if (!run) throw new Error(`send run ${runId} disappeared`);
      const state = await reportSendRun(runtime, run);
      onProgress(settledDeliveries(state.deliveries), totalDeliveries(state.deliveries));
      if (run.status === 'completed') return state;
      // A paused or cancelled run will not end by itself: say so instead of waiting forever.
      if (run.status === 'paused' || run.status === 'cancelled') throw new ConflictError(describeStoppedRun(state));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await host.close(runtime.config.shutdownTimeoutMs);
  }
}

/** Why `cli send` stops waiting (it exits 1): the run's state, its reason and what to do. */
function describeStoppedRun({ run, deliveries }: RunReport): string {
  const counts = `${settledDeliveries(deliveries)} of ${totalDeliveries(deliveries)} deliveries settled (${deliveries.sent} sent, ${deliveries.failed} failed, ${deliveries.skipped} skipped)`;
  if (run.status === 'cancelled') return `send run ${run.id} was cancelled; ${counts}`;
  return (
    `send run ${run.id} paused (${run.pausedReason ?? 'no reason given'}); ${counts}, ${deliveries.queued} waiting. ` +
    `Resume it with POST /admin/runs/${run.id}/resume, or stop it with POST /admin/runs/${run.id}/cancel`
  );
}
