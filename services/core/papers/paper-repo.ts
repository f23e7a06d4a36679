import { and, asc, desc, eq, gte, inArray, lt, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';
import { paperAppearances, paperListings, papers, paperStats, sourceDays } from '../platform/db/schema.js';
import { addDays } from './daily-date.js';
import type { ParsedPaper } from './hf-paper-schema.js';
import type { PaperRow } from './paper-view.js';

/** A drizzle transaction handle: repo functions take it or the pool alike. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

/** What one import saves: papers unique by id, and one observation per (paper, daily date). */
export interface PaperImport {
  papers: ParsedPaper[];
  observations: Array<{ paperId: string; dailyDate: string; upvotes: number; numComments: number | null; githubStars: number | null }>;
}

export interface PaperImportCounts {
  created: number;
  /** Papers that existed already, whether or not a value changed. */
  updated: number;
}

export interface SaveOptions {
  now: Date;
  /** Papers per statement: 14 parameters each stays far below Postgres's 65,534 limit. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The value each column takes when a paper already exists. An optional field the source left
 * out never erases a known one: HF dropped `ai_summary` from every item for a month in 2026,
 * and a plain paper object carries no comment count.
 */
const MERGED_COLUMNS: Array<[column: string, value: string]> = [
  ['title', 'excluded.title'],
  ['abstract', 'excluded.abstract'],
  ['authors', 'excluded.authors'],
  ['published_at', 'excluded.published_at'],
  ['ai_summary', 'coalesce(excluded.ai_summary, papers.ai_summary)'],
  ['ai_keywords', 'case when cardinality(excluded.ai_keywords) = 0 then papers.ai_keywords else excluded.ai_keywords end'],
  ['github_repo', 'coalesce(excluded.github_repo, papers.github_repo)'],
  ['github_stars', 'coalesce(excluded.github_stars, papers.github_stars)'],
  ['project_page', 'coalesce(excluded.project_page, papers.project_page)'],
  ['thumbnail_url', 'coalesce(excluded.thumbnail_url, papers.thumbnail_url)'],
  ['organization', 'coalesce(excluded.organization, papers.organization)'],
  ['submitted_by', 'coalesce(excluded.submitted_by, papers.submitted_by)'],
  ['upvotes', 'excluded.upvotes'],
  ['num_comments', 'excluded.num_comments'],
];

const MERGE_SET: Record<string, SQL> = Object.fromEntries(
  MERGED_COLUMNS.map(([column, value]) => [camel(column), sql.raw(value)]),
);

// Only rows whose values really change are rewritten, so re-importing the same data leaves
// papers (and their updated_at) exactly as they were.
const CHANGED = sql.raw(
  `(${MERGED_COLUMNS.map(([column]) => `papers.${column}`).join(', ')}) is distinct from (${MERGED_COLUMNS.map(([, value]) => value).join(', ')})`,
);

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Saves an import in one transaction: papers upserted by arXiv id in batches, an appearance per
 * (paper, daily date), and a paper_stats row per observation (the upvote history). Either all of
 * it is stored or none of it.
 */
export async function savePaperImport(db: Database, input: PaperImport, options: SaveOptions): Promise<PaperImportCounts> {
  const batchSize = options.batchSize ?? 500;
  const { now } = options;
  return db.transaction(async (tx) => {
    let created = 0;
    let done = 0;
    const comments = new Map<string, number>();
    for (const batch of chunk(input.papers, batchSize)) {
      const ids = batch.map((paper) => paper.id);
      const existing = new Map(
        (await tx.select({ id: papers.id, numComments: papers.numComments }).from(papers).where(inArray(papers.id, ids))).map(
          (row) => [row.id, row.numComments],
        ),
      );
      created += ids.filter((id) => !existing.has(id)).length;
      const rows = batch.map((paper) => {
        const numComments = paper.numComments ?? existing.get(paper.id) ?? 0;
        comments.set(paper.id, numComments);
        return {
          id: paper.id,
          title: paper.title,
          abstract: paper.abstract,
          authors: paper.authors,
          publishedAt: paper.publishedAt,
          aiSummary: paper.aiSummary,
          aiKeywords: paper.aiKeywords,
          githubRepo: paper.githubRepo,
          githubStars: paper.githubStars,
          projectPage: paper.projectPage,
          thumbnailUrl: paper.thumbnailUrl,
          organization: paper.organization,
          submittedBy: paper.submittedBy,
          upvotes: paper.upvotes,
          numComments,
          createdAt: now,
          updatedAt: now,
        };
      });
      await tx
        .insert(papers)
        .values(rows)
        .onConflictDoUpdate({ target: papers.id, set: { ...MERGE_SET, updatedAt: now }, setWhere: CHANGED });
      done += batch.length;
      options.onProgress?.(done, input.papers.length);
    }

    for (const batch of chunk(input.observations, batchSize)) {
      await tx
        .insert(paperAppearances)
        .values(batch.map((o) => ({ paperId: o.paperId, dailyDate: o.dailyDate, firstSeenAt: now, lastSeenAt: now })))
        .onConflictDoUpdate({ target: [paperAppearances.paperId, paperAppearances.dailyDate], set: { lastSeenAt: now } });
      await tx.insert(paperStats).values(
        batch.map((o) => ({
          paperId: o.paperId,
          dailyDate: o.dailyDate,
          observedAt: now,
          upvotes: o.upvotes,
          numComments: o.numComments ?? comments.get(o.paperId) ?? 0,
          githubStars: o.githubStars,
        })),
      );
    }
    return { created, updated: input.papers.length - created };
  });
}

/**
 * The counts a paper had on `dailyDate`: its latest paper_stats row of that date (the last
 * ingest of the day). Joined laterally on `papers`, it reads one row per paper through the
 * (paper_id, observed_at) index, so a day's papers with their counts stay one query.
 */
function countsOfDay(db: Executor, dailyDate: string) {
  return db
    .select({ upvotes: paperStats.upvotes, numComments: paperStats.numComments })
    .from(paperStats)
    .where(and(eq(paperStats.paperId, papers.id), eq(paperStats.dailyDate, dailyDate)))
    .orderBy(desc(paperStats.observedAt), desc(paperStats.id))
    .limit(1)
    .as('counts_of_day');
}

/**
 * A paper as it stood on a day: its row with that day's counts. The papers row holds only the
 * latest counts, which after a backfill may be a later day's. Every import writes an appearance
 * and its stats together; the fallback keeps a paper whose stats are missing on its day.
 */
function withCountsOfDay(row: { paper: PaperRow; upvotes: number | null; numComments: number | null }): PaperRow {
  return { ...row.paper, upvotes: row.upvotes ?? row.paper.upvotes, numComments: row.numComments ?? row.paper.numComments };
}

/**
 * Papers featured on a daily date with that day's counts (any order; ranking is the caller's),
 * narrowed by `also` when given (a condition on `papers`).
 */
export async function findPapersByDailyDate(db: Executor, dailyDate: string, also?: SQL): Promise<PaperRow[]> {
  const counts = countsOfDay(db, dailyDate);
  const rows = await db
    .select({ paper: papers, upvotes: counts.upvotes, numComments: counts.numComments })
    .from(paperAppearances)
    .innerJoin(papers, eq(papers.id, paperAppearances.paperId))
    .leftJoinLateral(counts, sql`true`)
    .where(and(eq(paperAppearances.dailyDate, dailyDate), also));
  return rows.map(withCountsOfDay);
}

/** Whether the papers table holds anything (a fresh install gets the sample). */
export async function hasAnyPaper(db: Executor): Promise<boolean> {
  const rows = await db.select({ id: papers.id }).from(papers).limit(1);
  return rows.length > 0;
}

/** The newest Daily-Papers date on or before `notAfter` any paper was featured on, or undefined with none. */
export async function findLatestDailyDate(db: Executor, notAfter: string): Promise<string | undefined> {
  const [row] = await db
    .select({ date: sql<string | null>`max(${paperAppearances.dailyDate})` })
    .from(paperAppearances)
    .where(lte(paperAppearances.dailyDate, notAfter));
  return row?.date ?? undefined;
}

/** A paper as arXiv describes it: the columns of `papers` arXiv can fill (see saveArxivPapers). */
export interface ArxivPaperRow {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  publishedAt: Date;
  /** False when `publishedAt` stands in for the unknown v1 date (an RSS item): it never overwrites. */
  publishedAtKnown: boolean;
  /** False for a replacement: it refreshes a stored paper but does not add one. */
  mayCreate: boolean;
  /** Null when the input does not say (RSS): a known one is kept. */
  primaryCategory: string | null;
  /** Empty keeps the stored ones. */
  categories: string[];
}

/** A listed paper: what paper_listings keeps of it (position = order in the listing, 0 first). */
export interface ListedPaper {
  paperId: string;
  announceType: 'new' | 'cross' | 'replace' | 'replace-cross';
  position: number;
  version: number | null;
}

/** A source's listing of a day, saved with its papers. */
export interface ListingToSave {
  source: 'arxiv';
  category: string;
  listingDate: string;
  papers: ListedPaper[];
  /** For an empty listing: whether the source's calendar expected it, and why not. */
  expected: boolean;
  reason: string | null;
}

export interface ArxivSaveCounts extends PaperImportCounts {
  /** Replacements of papers that are not stored, left out. */
  notStored: string[];
}

const ARXIV_PRIMARY = sql`coalesce(excluded.primary_category, papers.primary_category)`;
// The API names the primary category and lists it first; an RSS item (no primary) does not
// reorder what the API said, so alternating the two changes nothing.
const ARXIV_CATEGORIES = sql`case when cardinality(excluded.categories) = 0 or (excluded.primary_category is null and papers.primary_category is not null) then papers.categories else excluded.categories end`;

/**
 * Replaces a listing day's papers with `listing` (a re-import of the same listing rewrites the
 * same rows; a paper no longer listed leaves) and records the day in source_days. Papers left out
 * of `papers` (replacements of unknown papers) are not listed.
 */
async function saveListing(tx: Transaction, listing: ListingToSave, notStored: Set<string>, now: Date): Promise<void> {
  const listed = listing.papers.filter((paper) => !notStored.has(paper.paperId));
  const day = and(eq(paperListings.source, listing.source), eq(paperListings.category, listing.category), eq(paperListings.listingDate, listing.listingDate));
  const ids = listed.map((paper) => paper.paperId);
  await tx.delete(paperListings).where(ids.length === 0 ? day : and(day, notInArray(paperListings.paperId, ids)));
  for (const batch of chunk(listed, 1000)) {
    await tx
      .insert(paperListings)
      .values(
        batch.map((paper) => ({
          source: listing.source,
          category: listing.category,
          listingDate: listing.listingDate,
          paperId: paper.paperId,
          announceType: paper.announceType,
          position: paper.position,
          version: paper.version,
          firstSeenAt: now,
          lastSeenAt: now,
        })),
      )
      .onConflictDoUpdate({
        target: [paperListings.source, paperListings.category, paperListings.listingDate, paperListings.paperId],
        set: { announceType: sql`excluded.announce_type`, position: sql`excluded.position`, version: sql`excluded.version`, lastSeenAt: now },
      });
  }
  await saveSourceDay(
    tx,
    { source: listing.source, category: listing.category, listingDate: listing.listingDate, papers: listing.papers.length, expected: listing.expected, reason: listing.reason },
    now,
  );
}

/**
 * Saves papers from arXiv in one transaction, upserted by arXiv id: a new paper gets a row with
 * no Hugging Face signals (0 upvotes, no AI summary); a stored one gets arXiv's text (title,
 * abstract, authors of the newest version, categories) and keeps everything Hugging Face said, so
 * a paper on both is one row with both. No appearance or upvote history is written (those are HF
 * Daily Papers days): with `listing`, the listing day goes to paper_listings and source_days in
 * the same transaction.
 */
export async function saveArxivPapers(
  db: Database,
  rows: ArxivPaperRow[],
  options: SaveOptions & { listing?: ListingToSave | undefined },
): Promise<ArxivSaveCounts> {
  const batchSize = options.batchSize ?? 500;
  const { now } = options;
  return db.transaction(async (tx) => {
    let created = 0;
    let updated = 0;
    const notStored: string[] = [];
    let done = 0;
    for (const batch of chunk(rows, batchSize)) {
      const existing = new Set(
        (await tx.select({ id: papers.id }).from(papers).where(inArray(papers.id, batch.map((row) => row.id)))).map((row) => row.id),
      );
      const kept = batch.filter((row) => row.mayCreate || existing.has(row.id));
      notStored.push(...batch.filter((row) => !kept.includes(row)).map((row) => row.id));
      created += kept.filter((row) => !existing.has(row.id)).length;
      updated += kept.filter((row) => existing.has(row.id)).length;
      for (const known of [true, false]) {
        const group = kept.filter((row) => row.publishedAtKnown === known);
        if (group.length === 0) continue;
        const publishedAt = known ? sql`excluded.published_at` : sql`papers.published_at`;
        await tx
          .insert(papers)
          .values(
            group.map((row) => ({
              id: row.id,
              title: row.title,
              abstract: row.abstract,
              authors: row.authors,
              publishedAt: row.publishedAt,
              primaryCategory: row.primaryCategory,
              categories: row.categories,
              createdAt: now,
              updatedAt: now,
            })),
          )
          .onConflictDoUpdate({
            target: papers.id,
            set: {
              title: sql`excluded.title`,
              abstract: sql`excluded.abstract`,
              authors: sql`excluded.authors`,
              publishedAt,
              primaryCategory: ARXIV_PRIMARY,
              categories: ARXIV_CATEGORIES,
              updatedAt: now,
            },
            // Untouched unless arXiv's text differs, so re-importing a listing changes nothing.
            setWhere: sql`(papers.title, papers.abstract, papers.authors, papers.published_at, papers.primary_category, papers.categories) is distinct from (excluded.title, excluded.abstract, excluded.authors, ${publishedAt}, ${ARXIV_PRIMARY}, ${ARXIV_CATEGORIES})`,
          });
      }
      done += batch.length;
      options.onProgress?.(done, rows.length);
    }
    if (options.listing) await saveListing(tx, options.listing, new Set(notStored), now);
    return { created, updated, notStored };
  });
}

/** A paper of a listing day, with where and why the source listed it. */
export interface ListedPaperRow extends PaperRow {
  position: number;
  announceType: ListedPaper['announceType'];
}

/**
 * The papers a source listed on a day in a category, of the given announce types, in listing
 * order, each with its current row (so its latest Hugging Face upvotes when it is on HF too).
 */
export async function findListedPapers(
  db: Executor,
  listing: { source: 'arxiv'; category: string; listingDate: string },
  announceTypes: ReadonlyArray<ListedPaper['announceType']>,
): Promise<ListedPaperRow[]> {
  const rows = await db
    .select({ paper: papers, position: paperListings.position, announceType: paperListings.announceType })
    .from(paperListings)
    .innerJoin(papers, eq(papers.id, paperListings.paperId))
    .where(
      and(
        eq(paperListings.source, listing.source),
        eq(paperListings.category, listing.category),
        eq(paperListings.listingDate, listing.listingDate),
        inArray(paperListings.announceType, [...announceTypes]),
      ),
    )
    .orderBy(asc(paperListings.position));
  return rows.map((row) => ({ ...row.paper, position: row.position, announceType: row.announceType }));
}

export type SourceDayRow = typeof sourceDays.$inferSelect;

/** Records (or updates) how a source's listing day was last seen, for a source without listings of its own (Hugging Face). */
export async function saveSourceDay(db: Executor, day: Omit<SourceDayRow, 'recordedAt'>, now: Date): Promise<void> {
  const record = { papers: day.papers, expected: day.expected, reason: day.reason, recordedAt: now };
  await db
    .insert(sourceDays)
    .values({ source: day.source, category: day.category, listingDate: day.listingDate, ...record })
    .onConflictDoUpdate({ target: [sourceDays.source, sourceDays.category, sourceDays.listingDate], set: record });
}

/**
 * Records a listing day nobody fetched as empty (editions freezing without it, see
 * alarmIfNeverFetched), unless an ingest recorded it meanwhile: that count stays.
 */
export async function saveMissedSourceDay(db: Executor, day: Omit<SourceDayRow, 'recordedAt'>, now: Date): Promise<void> {
  await db.insert(sourceDays).values({ ...day, recordedAt: now }).onConflictDoNothing();
}

/** A week spans a weekend and arXiv's holidays: a category fetched nightly has a listing day in it. */
const RECENTLY_FETCHED_DAYS = 7;

/**
 * Which of these arXiv categories have a listing day recorded in the week up to `asOf`
 * (YYYY-MM-DD): the ones the scheduled ingest was fetching then. A category fetched long ago, and
 * no longer, is not one.
 */
export async function findArxivCategoriesFetched(db: Executor, categories: readonly string[], asOf: string): Promise<string[]> {
  if (categories.length === 0) return [];
  const since = addDays(asOf, -RECENTLY_FETCHED_DAYS);
  const rows = await db
    .selectDistinct({ category: sourceDays.category })
    .from(sourceDays)
    .where(and(eq(sourceDays.source, 'arxiv'), inArray(sourceDays.category, [...categories]), gte(sourceDays.listingDate, since)));
  return rows.map((row) => row.category);
}

/** The recorded listing day of a source and category, if it was ever fetched or imported. */
export async function findSourceDay(db: Executor, day: { source: string; category: string; listingDate: string }): Promise<SourceDayRow | undefined> {
  const [row] = await db
    .select()
    .from(sourceDays)
    .where(and(eq(sourceDays.source, day.source), eq(sourceDays.category, day.category), eq(sourceDays.listingDate, day.listingDate)))
    .limit(1);
  return row;
}

/** Empty listing days the calendar expected (holidays, weekends), newest first, within [from, to) and up to `notAfter`. */
export async function findExpectedEmptyDays(
  db: Executor,
  options: { notAfter: string; before?: string | undefined; from?: string | undefined; limit: number },
): Promise<SourceDayRow[]> {
  return db
    .select()
    .from(sourceDays)
    .where(
      and(
        eq(sourceDays.papers, 0),
        eq(sourceDays.expected, false),
        lte(sourceDays.listingDate, options.notAfter),
        options.before ? lt(sourceDays.listingDate, options.before) : undefined,
        options.from ? gte(sourceDays.listingDate, options.from) : undefined,
      ),
    )
    .orderBy(desc(sourceDays.listingDate), asc(sourceDays.source), asc(sourceDays.category))
    .limit(options.limit);
}

/** Listing days recorded empty, by source and whether that was expected (the calendar expected no listing). */
export async function countEmptySourceDays(db: Executor): Promise<Array<{ source: string; expected: boolean; count: number }>> {
  return db
    .select({ source: sourceDays.source, expected: sql<boolean>`not ${sourceDays.expected}`, count: sql<number>`count(*)::int` })
    .from(sourceDays)
    .where(eq(sourceDays.papers, 0))
    .groupBy(sourceDays.source, sourceDays.expected);
}
