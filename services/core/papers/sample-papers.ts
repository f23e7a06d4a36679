import path from 'node:path';
import type { Config } from '../platform/config/config.js';
import { DATA_DIR } from '../platform/paths.js';
import { hasAnyPaper } from './paper-repo.js';
import { importPapersFile, type ImportSummary, type PaperImportDeps } from './paper-import-service.js';

/** A real Daily Papers day (20 papers) shipped with Paperboy; see data/README.md. */
export const SAMPLE_PAPERS_FILE = path.join(DATA_DIR, 'hf-daily-papers-2026-08-13.json');

/** The daily date of the sample, for whoever wants to assemble its edition (`cli demo`). */
export const SAMPLE_DAILY_DATE = '2026-08-13';

/** Imports the sample day; like any import, repeating it changes nothing but the history. */
export async function importSamplePapers(deps: PaperImportDeps): Promise<ImportSummary> {
  return importPapersFile(deps, SAMPLE_PAPERS_FILE);
}

/**
 * Imports the sample only outside production and only when the papers table is empty (a fresh
 * install), and answers what it imported, or undefined when it imported nothing. Production never
 * gets it: the sample day is long past, and real readers must not see it as the latest edition
 * nor be mailed it. The rule for the sample, wherever it is imported: only `cli demo` freezes it
 * into an edition, and `demo` refuses production and any install with readers of its own (see
 * the demo command); nothing else assembles its day, since the scheduler assembles days by the
 * calendar (yesterday, and missed days after the last edition), never one picked from the papers
 * table, and the sample's day is long past; and the schedule mails no edition a week past its
 * day, so the demo's edition reaches nobody but the demo reader. Two processes starting together may both import it:
 * the import is idempotent, so that only adds a history row per paper.
 */
export async function importSamplePapersIfEmpty(deps: PaperImportDeps & { config: Pick<Config, 'env'> }): Promise<ImportSummary | undefined> {
  if (deps.config.env === 'production') return undefined;
  if (await hasAnyPaper(deps.database.db)) return undefined;
  return importSamplePapers(deps);
}
