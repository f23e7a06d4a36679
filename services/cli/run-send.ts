import path from 'node:path';
import type { RunReport } from '../core/sending/send-report.js';
import type { Runtime } from '../runtime.js';
import type { CommandContext } from './command.js';
import { createProgress } from './progress.js';

/** Works a send run to its end in this process with a progress bar on stderr; returns the final counts. */
export async function workSendRunWithProgress(context: CommandContext, runtime: Runtime, runId: number): Promise<RunReport> {
  const progress = createProgress('sending', 0);
  try {
    return await context.workSendRun(runtime, runId, (settled, total) => progress.update(settled, total));
  } finally {
    progress.stop();
  }
}

/**
 * The end of `send` and `resend`: works the run to its end, prints the summary line (timed from
 * `started`), and returns the exit code, 1 when a delivery failed.
 */
export async function finishSendRun(context: CommandContext, runtime: Runtime, runId: number, started: number): Promise<number> {
  const outcome = await workSendRunWithProgress(context, runtime, runId);
  context.print(describeOutcome(outcome, (performance.now() - started) / 1000, mailDestination(runtime)));
  return outcome.deliveries.failed > 0 ? 1 : 0;
}

/** Where a CLI send's messages went, for its summary line. */
function mailDestination(runtime: Runtime): string {
  return runtime.mail.kind === 'outbox' ? `messages are in ${path.resolve(runtime.config.mail.outboxDir)}` : 'handed to the SMTP server';
}

export function describeOutcome(state: RunReport, seconds: number, where: string): string {
  const { sent, failed, skipped } = state.deliveries;
  const rate = seconds > 0 ? ` (${Math.round(sent / seconds).toLocaleString('en-US')}/s)` : '';
  return `sent ${sent.toLocaleString('en-US')} digests of ${state.run.editionKey} in ${seconds.toFixed(1)} s${rate}: ${failed} failed, ${skipped} skipped; ${where}`;
}
