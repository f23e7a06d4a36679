import { plural } from '../../core/platform/plural.js';
import { assembleEditionByKey } from '../../core/editions/edition-service.js';
import { requiredEditionKeyOption, type Command } from '../command.js';

/** `assemble --date KEY`: freeze an edition now without sending it, and print what it holds. */
export const assembleCommand: Command = {
  name: 'assemble',
  usage: 'assemble --date YYYY-MM-DD|YYYY-Www|arxiv:CATEGORY:YYYY-MM-DD',
  summary: "freeze an edition now without sending it (a day, a finished ISO week, or an arXiv category's listing of a day), and list its papers",
  async run(context) {
    const key = requiredEditionKeyOption(context.args);
    const runtime = await context.runtime();
    const { edition, papers, created } = await assembleEditionByKey(runtime, key);
    const count = plural(papers.length, 'paper', 'papers');
    context.print(
      created
        ? `froze ${edition.kind} edition ${edition.key}: ${count}`
        : `${edition.kind} edition ${edition.key} was frozen already at ${edition.assembledAt.toISOString()}: ${count}`,
    );
    for (const paper of papers) context.print(`  ${paper.rank}. ${paper.title} (${plural(paper.upvotes, 'upvote', 'upvotes')})`);
    return 0;
  },
};
