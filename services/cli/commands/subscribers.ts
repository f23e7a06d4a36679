import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { countSubscribers } from '../../core/subscribers/subscriber-admin-repo.js';
import { exportSubscribersCsv } from '../../core/subscribers/subscriber-export.js';
import { formatImportReport, importSubscribers, type ImportFormat } from '../../core/subscribers/subscriber-import.js';
import { flag, option, positionals, UsageError, type Command } from '../command.js';
import { createProgress } from '../progress.js';

function formatOf(file: string, given: string | undefined): ImportFormat {
  if (given === 'csv' || given === 'json') return given;
  if (given !== undefined) throw new UsageError(`--format must be csv or json (got "${given}")`);
  return /\.(json|ndjson|jsonl)$/i.test(file) ? 'json' : 'csv';
}

/**
 * `subscribers import FILE [--consent-confirmed] [--format csv|json]` and
 * `subscribers export [--output FILE]`, both streamed with a progress bar on stderr.
 */
export const subscribersCommand: Command = {
  name: 'subscribers',
  usage: 'subscribers import FILE [--consent-confirmed] | subscribers export [--output FILE]',
  summary: 'import a list of readers (CSV or JSON; confirmed only with --consent-confirmed), or export every reader as CSV',
  async run(context) {
    const [action, file, ...extra] = positionals(context.args, ['format', 'output']);
    if (action === 'import') {
      if (!file || extra.length > 0) throw new UsageError('subscribers import takes one FILE');
      const format = formatOf(file, option(context.args, 'format'));
      const consentConfirmed = flag(context.args, 'consent-confirmed');
      const size = (await stat(file)).size;
      const runtime = await context.runtime();
      const input = createReadStream(file, { highWaterMark: 256 * 1024 });
      const progress = createProgress('importing (bytes)', size);
      let report;
      try {
        report = await importSubscribers(runtime, input, { format, consentConfirmed, onProgress: () => progress.update(input.bytesRead) });
        progress.update(size);
      } finally {
        progress.stop();
      }
      context.print(formatImportReport(report));
      if (!consentConfirmed && report.created > 0) {
        context.print('new readers are pending (no confirmation email was sent); use --consent-confirmed if they already consented');
      }
      return 0;
    }
    if (action === 'export') {
      if (file || extra.length > 0) throw new UsageError('subscribers export takes no FILE; use --output FILE');
      const output = option(context.args, 'output');
      const runtime = await context.runtime();
      const progress = createProgress('exporting', await countSubscribers(runtime.database.sql));
      try {
        const source = Readable.from(exportSubscribersCsv(runtime, (rows) => progress.update(rows)));
        await pipeline(source, output ? createWriteStream(output) : process.stdout);
      } finally {
        progress.stop();
      }
      if (output) context.print(`wrote ${output}`);
      return 0;
    }
    throw new UsageError('say "import FILE" or "export"');
  },
};
