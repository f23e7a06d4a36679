import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import { ingestDailyPapers, scheduledIngestDates } from '../../core/papers/paper-ingest-service.js';
import { dailyDateOption, positionals, UsageError, type Command } from '../command.js';

/** `ingest [--date D]`: what the hourly scheduler does, now, in this process. */
export const ingestCommand: Command = {
  name: 'ingest',
  usage: 'ingest [--date YYYY-MM-DD]',
  summary: 'fetch papers from the Hugging Face API now (default: today and the previous INGEST_DAYS days)',
  async run(context) {
    const extra = positionals(context.args, ['date']);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const date = dailyDateOption(context.args);

    const runtime = await context.runtime();
    const dates = date ? [date] : scheduledIngestDates(runtime);
    const results = await ingestDailyPapers(runtime, dates, {
      onDate: (day, index, total) => process.stderr.write(`fetching ${day} from ${runtime.config.ingest.hfApiUrl} (${index + 1}/${total})\n`),
    });
    let failed = 0;
    for (const result of results) {
      if (result.ok) {
        context.print(formatImportSummary(result.summary));
      } else {
        failed += 1;
        console.error(`ingest ${result.date} failed: ${result.error}`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
