import path from 'node:path';
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
 * Imports the sample only when the papers table is empty (a fresh install), and answers what it
 * imported, or undefined when there were papers already. It assembles no edition, so no reader
 * is ever mailed sample papers by the scheduler. Two processes starting together may both
 * import it: the import is idempotent, so that only adds a history row per paper.
 */
export async function importSamplePapersIfEmpty(deps: PaperImportDeps): Promise<ImportSummary | undefined> {
  if (await hasAnyPaper(deps.database.db)) return undefined;
  return importSamplePapers(deps);
}
