import path from 'node:path';
import type { Runtime } from '../runtime.js';
import { settledDeliveries, totalDeliveries } from '../core/sending/delivery-counts.js';
import { reportSendRun, type RunReport } from '../core/sending/send-report.js';
import { findSendRun } from '../core/sending/send-run-repo.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../worker/processors/sending.js';
import { startWorkers } from '../worker/worker-host.js';
import { createProgress } from './progress.js';

/**
 * Works a send run to its end from the shell: the CLI runs the send workers itself (beside any
 * worker processes already running, which share the work), shows progress, and returns the
 * final counts. A run is finished when every delivery is sent, failed or skipped.
 */
export async function workSendRun(runtime: Runtime, runId: number): Promise<RunReport> {
  const host = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  const progress = createProgress('sending', 0);
  try {
    for (;;) {
      const run = await findSendRun(runtime.database.sql, runId);
      if (!run) throw new Error(`send run ${runId} disappeared`);
      const state = await reportSendRun(runtime, run);
      progress.update(settledDeliveries(state.deliveries), totalDeliveries(state.deliveries));
      if (run.status === 'completed') return state;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    progress.stop();
    await host.close(runtime.config.shutdownTimeoutMs);
  }
}

/** Where a CLI send's messages went, for its summary line. */
export function mailDestination(runtime: Runtime): string {
  return runtime.mail.kind === 'outbox' ? `messages are in ${path.resolve(runtime.config.mail.outboxDir)}` : 'handed to the SMTP server';
}

export function describeOutcome(state: RunReport, seconds: number, where: string): string {
  const { sent, failed, skipped } = state.deliveries;
  const rate = seconds > 0 ? ` (${Math.round(sent / seconds).toLocaleString('en-US')}/s)` : '';
  return `sent ${sent.toLocaleString('en-US')} digests of ${state.run.editionKey} in ${seconds.toFixed(1)} s${rate}: ${failed} failed, ${skipped} skipped; ${where}`;
}
