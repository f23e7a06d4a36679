import { and, asc, desc, eq, gte, inArray, lt, lte, ne, notExists, sql } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';
import { editionPapers, editionSections, editions, paperAppearances, paperListings, papers } from '../platform/db/schema.js';
import { findPapersByDailyDate, type Executor, type Transaction } from '../papers/paper-repo.js';
import type { PaperRow } from '../papers/paper-view.js';

export type EditionRow = typeof editions.$inferSelect;
export type EditionKind = EditionRow['kind'];

export interface FrozenPaper {
  rank: number;
  /** Counts as they were when the edition was frozen. */
  upvotes: number;
  numComments: number;
  /** The paper, with its title as frozen with the edition. */
  paper: PaperRow;
}

/** Arbitrary constant: the advisory lock that serialises edition assembly across processes. */
const EDITION_LOCK_ID = 727_274_003;

/**
 * Runs `work` in a transaction holding a transaction-scoped advisory lock, so only one process
 * assembles editions at a time: two concurrent assemblies of a date yield one edition, and two
 * dates assembled at once cannot both claim a paper listed on both days. Assembly is rare and
 * short, so one global lock costs nothing.
 */
export async function withEditionLock<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${EDITION_LOCK_ID})`);
    return work(tx);
  });
}

export async function findEditionByKey(db: Executor, key: string): Promise<EditionRow | undefined> {
  const [row] = await db.select().from(editions).where(eq(editions.key, key)).limit(1);
  return row;
}

/**
 * The newest edition of a kind (by the last day it covers) that ends on or before `notAfter`
 * (today, YYYY-MM-DD): an edition of a future day, as data from before dates were checked may
 * hold, is never "the latest".
 */
export async function findLatestEditionRow(db: Executor, kind: EditionKind, notAfter: string): Promise<EditionRow | undefined> {
  const [row] = await db
    .select()
    .from(editions)
    .where(and(eq(editions.kind, kind), lte(editions.periodEnd, notAfter)))
    .orderBy(desc(editions.periodEnd), desc(editions.id))
    .limit(1);
  return row;
}

/**
 * Editions, newest first, `limit` at a time, with their paper counts; `before` (a period end)
 * pages on, `notAfter` leaves out editions that end later (future days, for public lists), and
 * `kinds` keeps only editions of those kinds.
 */
export async function listEditionRows(
  db: Executor,
  options: { limit: number; before?: string; notAfter?: string; kinds?: readonly EditionKind[] },
): Promise<Array<EditionRow & { paperCount: number }>> {
  return db
    .select({
      id: editions.id,
      kind: editions.kind,
      key: editions.key,
      periodStart: editions.periodStart,
      periodEnd: editions.periodEnd,
      assembledAt: editions.assembledAt,
      paperCount: sql<number>`(select count(*) from ${editionPapers} where ${editionPapers.editionId} = ${editions.id})::int`,
    })
    .from(editions)
    .where(
      and(
        options.before ? lt(editions.periodEnd, options.before) : undefined,
        options.notAfter ? lte(editions.periodEnd, options.notAfter) : undefined,
        options.kinds ? inArray(editions.kind, [...options.kinds]) : undefined,
      ),
    )
    .orderBy(desc(editions.periodEnd), desc(editions.id))
    .limit(options.limit);
}

/**
 * Each edition's headline: the title of its top-ranked paper, by edition id (editions without
 * papers are absent). One query for a whole page of editions; DISTINCT ON keeps the first row
 * of each edition in rank order, which the (edition_id, rank) index serves.
 */
export async function findEditionHeadlines(db: Executor, editionIds: number[]): Promise<Map<number, string>> {
  if (editionIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([editionPapers.editionId], { editionId: editionPapers.editionId, title: editionPapers.title })
    .from(editionPapers)
    .where(inArray(editionPapers.editionId, editionIds))
    .orderBy(asc(editionPapers.editionId), asc(editionPapers.rank));
  return new Map(rows.map((row) => [row.editionId, row.title]));
}

/** The frozen papers of an edition in rank order, with their current paper rows. */
/** The columns of a frozen paper: the counts and title as frozen, the rest of the paper as it is. */
const FROZEN_COLUMNS = { rank: editionPapers.rank, upvotes: editionPapers.upvotes, numComments: editionPapers.numComments, title: editionPapers.title, paper: papers };

function asFrozen({ title, paper, ...counts }: FrozenPaper & { title: string }): FrozenPaper {
  return { ...counts, paper: { ...paper, title } };
}

export async function findFrozenPapers(db: Executor, editionId: number): Promise<FrozenPaper[]> {
  const rows = await db
    .select(FROZEN_COLUMNS)
    .from(editionPapers)
    .innerJoin(papers, eq(papers.id, editionPapers.paperId))
    .where(eq(editionPapers.editionId, editionId))
    .orderBy(asc(editionPapers.rank));
  return rows.map(asFrozen);
}

/**
 * The frozen papers of several editions, by edition id, each list in rank order (editions
 * without papers are absent). One query for a whole feed of editions, served by the
 * (edition_id, rank) index.
 */
export async function findFrozenPapersOfEditions(db: Executor, editionIds: number[]): Promise<Map<number, FrozenPaper[]>> {
  if (editionIds.length === 0) return new Map();
  const rows = await db
    .select({ editionId: editionPapers.editionId, ...FROZEN_COLUMNS })
    .from(editionPapers)
    .innerJoin(papers, eq(papers.id, editionPapers.paperId))
    .where(inArray(editionPapers.editionId, editionIds))
    .orderBy(asc(editionPapers.editionId), asc(editionPapers.rank));
  const byEdition = new Map<number, FrozenPaper[]>();
  for (const { editionId, ...row } of rows) {
    const frozen = asFrozen(row);
    const list = byEdition.get(editionId);
    if (list) list.push(frozen);
    else byEdition.set(editionId, [frozen]);
  }
  return byEdition;
}

/**
 * Papers featured on `dailyDate` that no other daily edition holds, with that day's counts: a
 * paper listed on two days goes out once, in whichever edition took it first.
 */
export async function findDailyCandidates(db: Executor, dailyDate: string): Promise<PaperRow[]> {
  return findPapersByDailyDate(
    db,
    dailyDate,
    notExists(
      db
        .select({ one: sql`1` })
        .from(editionPapers)
        .innerJoin(editions, eq(editions.id, editionPapers.editionId))
        .where(and(eq(editionPapers.paperId, papers.id), eq(editions.kind, 'daily'), ne(editions.key, dailyDate))),
    ),
  );
}

/**
 * The daily dates in [start, end] that have papers (on Hugging Face, or new in an arXiv listing,
 * which may be a section) but no daily edition, oldest first.
 */
export async function findUnassembledDailyDates(db: Executor, start: string, end: string): Promise<string[]> {
  const noDailyEdition = (date: typeof paperAppearances.dailyDate | typeof paperListings.listingDate) =>
    notExists(db.select({ one: sql`1` }).from(editions).where(and(eq(editions.kind, 'daily'), eq(editions.periodStart, date))));
  const [hf, arxiv] = await Promise.all([
    db
      .selectDistinct({ date: paperAppearances.dailyDate })
      .from(paperAppearances)
      .where(and(gte(paperAppearances.dailyDate, start), lte(paperAppearances.dailyDate, end), noDailyEdition(paperAppearances.dailyDate))),
    db
      .selectDistinct({ date: paperListings.listingDate })
      .from(paperListings)
      .where(
        and(
          gte(paperListings.listingDate, start),
          lte(paperListings.listingDate, end),
          inArray(paperListings.announceType, ['new', 'cross']),
          noDailyEdition(paperListings.listingDate),
        ),
      ),
  ]);
  return [...new Set([...hf, ...arxiv].map((row) => row.date))].sort();
}

/** Every paper of the daily editions whose date lies in [start, end] (each paper once). */
export async function findDailyEditionPapersBetween(db: Executor, start: string, end: string): Promise<PaperRow[]> {
  const rows = await db
    .selectDistinctOn([papers.id], { paper: papers })
    .from(editionPapers)
    .innerJoin(editions, eq(editions.id, editionPapers.editionId))
    .innerJoin(papers, eq(papers.id, editionPapers.paperId))
    .where(and(eq(editions.kind, 'daily'), gte(editions.periodStart, start), lte(editions.periodEnd, end)))
    .orderBy(papers.id);
  return rows.map((row) => row.paper);
}

/** Freezes an edition and its ranked papers; the unique key on `editions.key` refuses a second one. */
export async function insertEdition(
  tx: Transaction,
  edition: { kind: EditionKind; key: string; periodStart: string; periodEnd: string; assembledAt: Date },
  ranked: Array<{ paperId: string; upvotes: number; numComments: number; title: string }>,
): Promise<EditionRow> {
  const [row] = await tx.insert(editions).values(edition).returning();
  if (!row) throw new Error(`edition ${edition.key} was not inserted`);
  if (ranked.length > 0) {
    await tx
      .insert(editionPapers)
      .values(ranked.map((paper, index) => ({ editionId: row.id, paperId: paper.paperId, rank: index + 1, upvotes: paper.upvotes, numComments: paper.numComments, title: paper.title })));
  }
  return row;
}

/** Links a daily edition to the category editions that are its arXiv sections. */
export async function insertEditionSections(tx: Transaction, editionId: number, sectionEditionIds: number[]): Promise<void> {
  if (sectionEditionIds.length === 0) return;
  await tx.insert(editionSections).values(sectionEditionIds.map((sectionEditionId) => ({ editionId, sectionEditionId })));
}

/** The category editions that are sections of an edition, by key (so by category). */
export async function findSectionEditions(db: Executor, editionId: number): Promise<EditionRow[]> {
  const rows = await db
    .select({ edition: editions })
    .from(editionSections)
    .innerJoin(editions, eq(editions.id, editionSections.sectionEditionId))
    .where(eq(editionSections.editionId, editionId))
    .orderBy(asc(editions.key));
  return rows.map((row) => row.edition);
}
