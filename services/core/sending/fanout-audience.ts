import type { SelectablePaper } from '../digest/reader-selection.js';
import { createSectionedSelector } from '../digest/section-selection.js';
import type { DatabaseClient } from '../platform/db/client.js';
import { planFanoutPage } from './fanout-plan.js';
import { findAlreadySentPapers, findReadersWithCopy, nextFanoutReaders, type FanoutReader, type PlannedDelivery } from './fanout-repo.js';
import type { SendRun } from './send-run-repo.js';

/**
 * Readers per page: one keyset query, one ledger insert and one bulk enqueue each. (250 was
 * tried to keep the worker's heap smaller: the fan-out of 1,000,000 readers then took 4x as
 * long and slowed the send it runs beside; 1000 stays.)
 */
export const FANOUT_PAGE_SIZE = 1000;

/** An edition's papers as a fan-out selects from them: its trending papers and its arXiv sections, each ranked. */
export interface SectionedPapers {
  papers: readonly SelectablePaper[];
  sections: ReadonlyArray<{ category: string; papers: readonly SelectablePaper[] }>;
}

/** Who a run walks and what each of them gets: first copies here, resends in resend-service.ts. */
export interface FanoutAudience {
  /** The next page of readers with ids after `afterId` (up to the run's frozen upper bound). */
  nextReaders(afterId: number): Promise<FanoutReader[]>;
  /** The ledger rows of a page; an empty paper list is recorded as skipped. */
  plan(readers: FanoutReader[]): Promise<PlannedDelivery[]>;
  /** Resend copies sit beside a reader's first copy; first copies are one per reader and edition. */
  resend: boolean;
}

/**
 * Scheduled and manual runs: confirmed readers of the edition's frequency who have no copy yet
 * (and, for scheduled runs, whose send time has come), each with their sources and topics, minus
 * papers they were sent before, capped per section.
 */
export function createFirstCopyAudience(deps: { database: DatabaseClient }, run: SendRun, edition: SectionedPapers): FanoutAudience {
  const { sql } = deps.database;
  if (run.audience.kind === 'resend') throw new Error(`run ${run.id} is a resend`);
  const { frequency } = run.audience;
  const selector = createSectionedSelector(edition.papers, edition.sections);
  const paperIds = [...new Set([...edition.papers, ...edition.sections.flatMap((section) => section.papers)].map((paper) => paper.id))];
  const due = run.audience.kind === 'due' ? { editionReadyAt: run.editionReadyAt, now: new Date(run.audience.dueBy) } : undefined;
  return {
    resend: false,
    nextReaders: (afterId) => nextFanoutReaders(sql, { frequency, afterId, upToId: run.fanoutUpperBound, limit: FANOUT_PAGE_SIZE }),
    async plan(readers) {
      const ids = readers.map((reader) => reader.id);
      const [haveCopy, alreadySent] = await Promise.all([findReadersWithCopy(sql, run.editionId, ids), findAlreadySentPapers(sql, ids, paperIds)]);
      return planFanoutPage({ readers, due, haveCopy, alreadySent, selector });
    },
  };
}
