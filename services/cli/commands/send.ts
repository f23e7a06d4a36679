import { dateInTimeZone } from '../../core/papers/daily-date.js';
import { findLatestDailyDate } from '../../core/papers/paper-repo.js';
import { settledDeliveries, totalDeliveries } from '../../core/sending/delivery-counts.js';
import { reportSendRun } from '../../core/sending/send-report.js';
import { startManualSend } from '../../core/sending/send-service.js';
import { editionKeyOption, type Command } from '../command.js';
import { finishSendRun } from '../run-send.js';

/**
 * `send [--date KEY]`: assemble the edition if needed and send it to every reader of its
 * frequency who has not had it. An unfinished send of the edition (its CLI died, or gave up on
 * Postgres) is resumed rather than joined by a new, empty run.
 */
export const sendCommand: Command = {
  name: 'send',
  usage: 'send [--date YYYY-MM-DD|YYYY-Www]',
  summary: "send an edition now to every confirmed reader of its frequency who has not had it (default: the newest day with papers)",
  async run(context) {
    const given = editionKeyOption(context.args);
    const runtime = await context.runtime();
    // Never a future day (old data may hold one): the newest up to today in DIGEST_TZ.
    const date = given ?? (await findLatestDailyDate(runtime.database.db, dateInTimeZone(runtime.clock(), runtime.config.digest.timeZone)));
    if (!date) {
      context.print('no papers yet: import some first (npm run cli -- import FILE, or ingest)');
      return 1;
    }
    const started = performance.now();
    const run = await startManualSend(runtime, date, 'cli');
    if (!run.resumed) {
      context.print(`send run ${run.id} for ${date} started`);
      return finishSendRun(context, runtime, run.id, started);
    }
    const { deliveries } = await reportSendRun(runtime, run);
    const settled = settledDeliveries(deliveries).toLocaleString('en-US');
    const total = totalDeliveries(deliveries).toLocaleString('en-US');
    context.print(`resuming send run ${run.id} of edition ${run.editionKey} started ${utcMinute(run.createdAt)}: ${settled} of ${total} settled`);
    return finishSendRun(context, runtime, run.id, started, deliveries.sent);
  },
};

/** "2026-12-01 21:03 UTC" */
const utcMinute = (instant: Date) => `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
