import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import { ingestArxivListing } from '../../core/papers/paper-ingest-service.js';
import { dailyDateOption, option, positionals, UsageError, type Command } from '../command.js';

/** `ingest-arxiv --category C [--date D] [--via api|rss]`: fetch one arXiv category's listing of a day now. */
export const ingestArxivCommand: Command = {
  name: 'ingest-arxiv',
  usage: 'ingest-arxiv --category CATEGORY [--date YYYY-MM-DD] [--via api|rss]',
  summary: "fetch an arXiv category's listing of a day (default: today's, US Eastern) from ARXIV_API_URL, or today's from ARXIV_RSS_URL",
  async run(context) {
    const extra = positionals(context.args, ['category', 'date', 'via']);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const category = option(context.args, 'category');
    if (!category) throw new UsageError('--category needs an arXiv category, e.g. --category cs.CL');
    const date = dailyDateOption(context.args);
    const via = option(context.args, 'via') ?? 'api';
    if (via !== 'api' && via !== 'rss') throw new UsageError(`--via must be api or rss (got "${via}")`);

    const runtime = await context.runtime();
    process.stderr.write(`fetching the arXiv ${category} listing${date ? ` of ${date}` : ''} from ${via === 'api' ? runtime.config.ingest.arxivApiUrl : runtime.config.ingest.arxivRssUrl}\n`);
    const summary = await ingestArxivListing(runtime, { category, date, via });
    context.print(formatImportSummary(summary));
    return 0;
  },
};
