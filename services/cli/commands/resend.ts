import { plural } from '../../core/platform/plural.js';
import { planResend, startResend, type ResendTarget } from '../../core/sending/resend-service.js';
import { flag, option, positionals, requiredEditionKeyOption, UsageError, type Command } from '../command.js';
import { finishSendRun } from '../run-send.js';

/** `resend --date D --to failed|all|EMAIL...`: a new send run over a frozen edition, worked to its end. */
export const resendCommand: Command = {
  name: 'resend',
  usage: 'resend --date YYYY-MM-DD|YYYY-Www --to failed|all|EMAIL... [--dry-run]',
  summary: 'resend a frozen edition to the readers it failed for, to every confirmed reader, or to the given addresses',
  async run(context) {
    const date = requiredEditionKeyOption(context.args);
    const first = option(context.args, 'to');
    if (!first) throw new UsageError('--to needs failed, all, or one or more addresses');
    // Addresses may follow --to as further words: --to a@x.org b@y.org
    const more = positionals(context.args, ['date', 'to']);
    const to: ResendTarget = first === 'failed' || first === 'all' ? first : [first, ...more];
    if (!Array.isArray(to) && more.length > 0) throw new UsageError(`unexpected arguments: ${more.join(' ')}`);
    const runtime = await context.runtime();

    if (flag(context.args, 'dry-run')) {
      const plan = await planResend(runtime, date, to);
      context.print(`a resend of ${date} to ${Array.isArray(to) ? plural(to.length, 'address', 'addresses') : to} would reach ${plural(plan.recipients, 'reader', 'readers')}`);
      for (const address of plan.unmatched) context.print(`  not a confirmed reader: ${address}`);
      return 0;
    }
    const started = performance.now();
    const { run, plan } = await startResend(runtime, date, to, { actor: 'cli' });
    context.print(`resend run ${run.id} for ${date} started (${plural(plan.recipients, 'reader', 'readers')})`);
    for (const address of plan.unmatched) context.print(`  not a confirmed reader, left out: ${address}`);
    return finishSendRun(context, runtime, run.id, started);
  },
};
