import { formatImportSummary, importPapersFile } from '../../core/papers/paper-import-service.js';
import { dailyDateOption, positionals, UsageError, type Command } from '../command.js';
import { createProgress, type Progress } from '../progress.js';

/**
 * `import FILE [--date D]`: a Hugging Face daily_papers response or a plain array of papers
 * (JSON), or a recorded arXiv API answer or RSS listing feed (XML), told apart by content.
 */
export const importCommand: Command = {
  name: 'import',
  usage: 'import FILE [--date YYYY-MM-DD]',
  summary: 'import papers from a file: HF daily_papers JSON, or an arXiv API answer or RSS feed (XML)',
  async run(context) {
    const [file, ...extra] = positionals(context.args, ['date']);
    if (!file) throw new UsageError('import needs the path of a file (HF JSON, or arXiv API or RSS XML)');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const date = dailyDateOption(context.args);

    const runtime = await context.runtime();
    // The bar appears once the file has parsed and saving starts; a refused file shows none.
    let progress: Progress | undefined;
    try {
      const summary = await importPapersFile(runtime, file, {
        date,
        onProgress: (done, total) => {
          progress ??= createProgress('saving papers', total);
          progress.update(done, total);
        },
      });
      progress?.stop();
      context.print(formatImportSummary(summary));
      return 0;
    } catch (error) {
      progress?.stop();
      throw error;
    }
  },
};
