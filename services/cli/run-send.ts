import path from 'node:path';
import { plural } from '../core/platform/plural.js';
import type { RunReport } from '../core/sending/send-report.js';
import type { Runtime } from '../runtime.js';
import type { CommandContext } from './command.js';
import { createProgress } from './progress.js';

/**
 * Works a send run to its end in this process with a progress bar on stderr, where it also says
 * when it waits for Postgres or Redis and when they are back; returns the final counts.
 */
export async function workSendRunWithProgress(context: CommandContext, runtime: Runtime, runId: number): Promise<RunReport> {
  const progress = createProgress('sending', 0);
  try {
    return await context.workSendRun(runtime, runId, {
      progress: (settled, total) => progress.update(settled, total),
      waiting: (outage) => progress.note(`waiting for ${outage.server} (${outage.reason}); send run ${runId} carries on when it is back`),
      recovered: (service, seconds) => progress.note(`${service} is back after ${seconds.toFixed(1)} s; carrying on`),
    });
  } finally {
    progress.stop();
  }
}

/**
 * The end of `send` and `resend`: works the run to its end, prints the summary line (timed from
 * `started`; `sentBefore` is what a resumed run had sent already), and returns the exit code.
 * A completed run exits 0 even when deliveries to some readers failed: those are counted in the
 * summary and kept in the ledger for `resend --to failed`, and one bad address must not make a
 * scheduled send look broken. Only the run not finishing (Postgres gone for good) exits 1.
 */
export async function finishSendRun(context: CommandContext, runtime: Runtime, runId: number, started: number, sentBefore = 0): Promise<number> {
  const outcome = await workSendRunWithProgress(context, runtime, runId);
  context.print(describeOutcome(outcome, (performance.now() - started) / 1000, mailDestination(runtime), sentBefore));
  return 0;
}

/** Where a CLI send's messages went, for its summary line. */
function mailDestination(runtime: Runtime): string {
  return runtime.mail.kind === 'outbox' ? `messages are in ${path.resolve(runtime.config.mail.outboxDir)}` : 'handed to the SMTP server';
}

/**
 * The summary: the run's totals from the ledger. For a resumed run (`sentBefore` > 0) it says how
 * many of them went out now, and the rate counts only those.
 */
export function describeOutcome(state: RunReport, seconds: number, where: string, sentBefore = 0): string {
  const { sent, failed, skipped } = state.deliveries;
  const sentNow = Math.max(0, sent - sentBefore);
  const rate = seconds > 0 ? ` (${Math.round(sentNow / seconds).toLocaleString('en-US')}/s)` : '';
  const now = sentBefore > 0 ? ` (${sentNow.toLocaleString('en-US')} of them now)` : '';
  return `sent ${plural(sent, 'digest', 'digests')} of ${state.run.editionKey}${now} in ${seconds.toFixed(1)} s${rate}: ${failed.toLocaleString('en-US')} failed, ${skipped.toLocaleString('en-US')} skipped; ${where}`;
}
