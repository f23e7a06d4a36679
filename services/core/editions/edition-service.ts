import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config/config.js';
import type { DatabaseClient } from '../platform/db/client.js';
import type { Logger } from '../platform/logging/logger.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../platform/errors.js';
import { addDays, DAILY_DATE_MESSAGE, dateInTimeZone, isDailyDate } from '../papers/daily-date.js';
import {
  findArxivCategoriesFetched,
  findListedPapers,
  findLatestDailyDate,
  findPapersByDailyDate,
  findSourceDay,
  saveMissedSourceDay,
  type Executor,
  type Transaction,
} from '../papers/paper-repo.js';
import { arxivCalendar, hfCalendar, type SourceCalendar } from '../papers/source-calendar.js';
import { toPaperView, type PaperRow, type PaperView } from '../papers/paper-view.js';
import { findDailyReaderCategories } from '../subscribers/subscriber-repo.js';
import {
  findDailyCandidates,
  findDailyEditionPapersBetween,
  findEditionByKey,
  findEditionHeadlines,
  findFrozenPapers,
  findFrozenPapersOfEditions,
  findLatestEditionRow,
  findSectionEditions,
  findUnassembledDailyDates,
  insertEdition,
  insertEditionSections,
  listEditionRows,
  withEditionLock,
  type EditionKind,
  type EditionRow,
  type FrozenPaper,
} from './edition-repo.js';
import { arxivEditionKey, parseEditionKey } from './edition-key.js';
import { arxivCategoryName } from '../papers/arxiv-taxonomy.js';
import { ISO_WEEK_MESSAGE, isoWeekdayOf, isoWeekOf, isoWeekRange, type IsoWeekRange } from './iso-week.js';
import { rankArxivListing, rankPapers } from './ranking.js';

/**
 * Editions: the frozen, ranked papers a digest sends. A daily edition holds the trending papers
 * of one Daily-Papers date; a weekly one the best of that ISO week's daily editions. Once frozen
 * an edition never changes, so a resend or a late reader gets exactly the same papers.
 */

export interface EditionReadDeps {
  database: DatabaseClient;
}

/** Assembling also needs the edition size, the digest's time zone and the time, and a log for a source missing from a day it froze. */
export interface EditionDeps extends EditionReadDeps {
  clock: Clock;
  logger: Logger;
  config: { digest: Pick<Config['digest'], 'editionSize' | 'timeZone'> };
}

export interface EditionPaper extends PaperView {
  /** 1 = most trending. `upvotes` and `numComments` are the counts frozen with the edition. */
  rank: number;
}

/** An arXiv section of a daily edition: one category's new papers of the day, frozen as `arxiv:CAT:D`. */
export interface EditionSection {
  /** "cs.CL". */
  category: string;
  /** "Computation and Language"; the code again for a category the taxonomy does not name. */
  name: string;
  edition: EditionRow;
  papers: EditionPaper[];
}

export interface EditionWithPapers {
  edition: EditionRow;
  /** The edition's own papers: for a daily edition, its Hugging Face trending section (maybe empty when it has arXiv sections). */
  papers: EditionPaper[];
  /** A daily edition's arXiv sections, by category; empty for other editions. */
  sections: EditionSection[];
}

export interface AssembledEdition extends EditionWithPapers {
  /** False when the edition existed already and was returned as it was frozen. */
  created: boolean;
}

function toEditionPaper(row: FrozenPaper): EditionPaper {
  return { rank: row.rank, ...toPaperView(row.paper, { upvotes: row.upvotes, numComments: row.numComments }) };
}

async function withPapers(deps: EditionReadDeps, edition: EditionRow): Promise<EditionWithPapers> {
  const { db } = deps.database;
  const [frozen, sectionEditions] = await Promise.all([findFrozenPapers(db, edition.id), edition.kind === 'daily' ? findSectionEditions(db, edition.id) : []]);
  const sections = await Promise.all(
    sectionEditions.map(async (section): Promise<EditionSection> => {
      const parsed = parseEditionKey(section.key);
      const category = parsed.ok && parsed.key.kind === 'daily' && parsed.key.day.source === 'arxiv' ? parsed.key.day.category : section.key;
      return { category, name: arxivCategoryName(category) ?? category, edition: section, papers: (await findFrozenPapers(db, section.id)).map(toEditionPaper) };
    }),
  );
  return { edition, papers: frozen.map(toEditionPaper), sections };
}

/**
 * What the edition of a daily date holds: up to `digest.editionSize` of that day's papers in
 * trending order, leaving out papers another daily edition already holds. Throws NotFoundError
 * when the date has no paper to offer, rather than freezing an empty edition.
 */
async function chooseDailyPapers(deps: EditionDeps, db: Executor, date: string): Promise<PaperRow[]> {
  const candidates = rankPapers(await findDailyCandidates(db, date)).slice(0, deps.config.digest.editionSize);
  if (candidates.length > 0) return candidates;
  const featured = await findPapersByDailyDate(db, date);
  throw new NotFoundError(
    featured.length === 0
      ? `No papers for ${date}: nothing to assemble (ingest that day first: npm run cli -- ingest --date ${date})`
      : `All ${featured.length} papers of ${date} are in earlier editions already: nothing to assemble`,
  );
}

/**
 * What the weekly edition of an ISO week holds: the best papers of that week's daily editions,
 * ranked by their latest counts (upvotes keep growing for days), up to `digest.editionSize`.
 * Refused while the week is still running in `digest.timeZone`, so a weekly edition never
 * misses its last days.
 */
async function chooseWeeklyPapers(deps: EditionDeps, db: Executor, week: string, range: IsoWeekRange): Promise<PaperRow[]> {
  const today = dateInTimeZone(deps.clock(), deps.config.digest.timeZone);
  if (today <= range.end) {
    throw new ConflictError(`Week ${week} is not over yet (it ends on ${range.end}); its weekly edition can be assembled from ${addDays(range.end, 1)}`);
  }
  const candidates = rankPapers(await findDailyEditionPapersBetween(db, range.start, range.end)).slice(0, deps.config.digest.editionSize);
  if (candidates.length === 0) throw new NotFoundError(`No daily editions between ${range.start} and ${range.end}: nothing to assemble for ${week}`);
  return candidates;
}

/**
 * What an arXiv category edition holds: "new in this category today", the papers the category's
 * listing of that day announced as `new` or `cross` (replacements are old papers), all of them,
 * ranked by rankArxivListing (HF upvotes where the paper is also on HF, then listing order). Not
 * cut to `digest.editionSize`: a reader's topics choose among the whole listing later. Throws
 * NotFoundError when the listing has nothing new, saying why when the calendar knows.
 */
async function chooseArxivPapers(db: Executor, category: string, date: string): Promise<PaperRow[]> {
  const listing = { source: 'arxiv' as const, category, listingDate: date };
  const listed = await findListedPapers(db, listing, ['new', 'cross']);
  if (listed.length > 0) return rankArxivListing(listed);
  const day = await findSourceDay(db, listing);
  const calendar = arxivCalendar.dayOf(date);
  const ingest = arxivIngestCommand(category, date);
  throw new NotFoundError(
    !calendar.expected
      ? `No arXiv ${category} listing for ${date} (${calendar.reason}): nothing to assemble`
      : !day
        ? `No arXiv ${category} listing for ${date} yet: nothing to assemble (ingest it first: ${ingest})`
        : day.papers === 0
          ? `The arXiv ${category} listing of ${date} was empty when ingested, though arXiv announces that day: ingest it again (${ingest})`
          : `The arXiv ${category} listing of ${date} holds only replacements: nothing new to assemble`,
  );
}

function arxivIngestCommand(category: string, date: string): string {
  return `npm run cli -- ingest-arxiv --category ${category} --date ${date}`;
}

/**
 * Freezing daily edition D without a source's listing of D that the source's calendar expected
 * and that was never fetched (no source day recorded: the ingest failed or never ran) is
 * permanent, since resends reuse the frozen edition: logged at error with the command that
 * fetches it, and recorded as an unexpected empty day, which
 * paperboy_source_empty_days{expected="false"} counts until an ingest of that day records its
 * papers. A day an ingest found empty was recorded and logged by the ingest already. A category
 * the installation never fetched any day of was chosen after that day's fetch (the scheduled
 * ingest fetches it from its next run, preferences.ts says so): a warning, not an alarm that
 * would stay raised for a day nobody will fetch.
 */
async function alarmIfNeverFetched(
  deps: EditionDeps,
  tx: Transaction,
  listing: { source: 'hf' | 'arxiv'; category: string; listingDate: string },
  calendar: SourceCalendar,
  fetch: string,
): Promise<void> {
  if (!calendar.dayOf(listing.listingDate).expected || (await findSourceDay(tx, listing))) return;
  if (listing.source === 'arxiv' && (await findArxivCategoriesFetched(tx, [listing.category], listing.listingDate)).length === 0) {
    deps.logger.warn(
      { source: listing.source, category: listing.category, listingDate: listing.listingDate },
      `daily edition ${listing.listingDate} has no ${listing.category} section: a reader chose the category after its listing of that day was fetched`,
    );
    return;
  }
  const name = listing.source === 'hf' ? `Hugging Face Daily Papers of ${listing.listingDate}` : `The arXiv ${listing.category} listing of ${listing.listingDate}`;
  const section = listing.source === 'hf' ? 'its trending section empty' : `no ${listing.category} section`;
  deps.logger.error(
    { source: listing.source, category: listing.category, listingDate: listing.listingDate, fetch },
    `${name} was never fetched, though the source publishes that day: daily edition ${listing.listingDate} is frozen with ${section}, for good (fetch it: ${fetch})`,
  );
  await saveMissedSourceDay(tx, { ...listing, papers: 0, expected: true, reason: null }, deps.clock());
}

/** The edition an edition key names, before it is frozen: its kind and the days it covers. */
function periodOf(key: string): { kind: EditionKind; periodStart: string; periodEnd: string; range?: IsoWeekRange; category?: string } {
  const parsed = parseEditionKey(key);
  if (!parsed.ok) throw new InvalidInputError(`Invalid edition "${key}"`, [{ field: 'date', message: parsed.message }]);
  const { key: edition } = parsed;
  if (edition.kind === 'weekly') return { kind: 'weekly', periodStart: edition.range.start, periodEnd: edition.range.end, range: edition.range };
  const { day } = edition;
  if (day.source === 'arxiv') return { kind: 'arxiv', periodStart: day.date, periodEnd: day.date, category: day.category };
  return { kind: 'daily', periodStart: day.date, periodEnd: day.date };
}

type EditionPeriod = ReturnType<typeof periodOf>;

function choosePapers(deps: EditionDeps, db: Executor, key: string, period: EditionPeriod): Promise<PaperRow[]> {
  if (period.range) return chooseWeeklyPapers(deps, db, key, period.range);
  if (period.category) return chooseArxivPapers(db, period.category, period.periodStart);
  return chooseDailyPapers(deps, db, key);
}

function insertChosen(deps: EditionDeps, tx: Transaction, key: string, period: EditionPeriod, chosen: PaperRow[]): Promise<EditionRow> {
  return insertEdition(
    tx,
    { kind: period.kind, key, periodStart: period.periodStart, periodEnd: period.periodEnd, assembledAt: deps.clock() },
    chosen.map((paper) => ({ paperId: paper.id, upvotes: paper.upvotes, numComments: paper.numComments, title: paper.title })),
  );
}

/**
 * Freezes daily edition D: its Hugging Face trending papers, and as its sections the arXiv
 * listing of D of every category a daily reader chose (the category edition `arxiv:CAT:D`,
 * frozen now or taken as an operator froze it before). A category with nothing new that day
 * (a weekend, a holiday, only replacements) has no section. D is frozen when either source has
 * papers, so readers of categories only are not dropped on a day HF is empty; with neither,
 * NotFoundError says why, as before. A listing the calendar expected but nobody fetched is
 * frozen as missing all the same, loudly (alarmIfNeverFetched): holding D back would not save it,
 * since scheduled sends take the newest edition, so a D frozen after D+1 reaches nobody, and
 * D's papers go in no later day's edition; it would only cost every other source's readers D.
 */
async function freezeDailyEdition(deps: EditionDeps, tx: Transaction, date: string): Promise<EditionRow> {
  const sections: Array<{ row: EditionRow } | { key: string; chosen: PaperRow[] }> = [];
  for (const category of await findDailyReaderCategories(tx)) {
    const key = arxivEditionKey(category, date);
    const existing = await findEditionByKey(tx, key);
    if (existing) {
      sections.push({ row: existing });
      continue;
    }
    try {
      sections.push({ key, chosen: await chooseArxivPapers(tx, category, date) });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await alarmIfNeverFetched(deps, tx, { source: 'arxiv', category, listingDate: date }, arxivCalendar, arxivIngestCommand(category, date));
    }
  }
  let trending: PaperRow[] = [];
  try {
    trending = await chooseDailyPapers(deps, tx, date);
  } catch (error) {
    if (!(error instanceof NotFoundError) || sections.length === 0) throw error;
    // No papers at all that day (not: all of them in earlier editions).
    if ((await findPapersByDailyDate(tx, date)).length === 0) {
      await alarmIfNeverFetched(deps, tx, { source: 'hf', category: '', listingDate: date }, hfCalendar, `npm run cli -- ingest --date ${date}`);
    }
  }
  const daily = await insertChosen(deps, tx, date, periodOf(date), trending);
  const sectionIds: number[] = [];
  for (const section of sections) {
    sectionIds.push('row' in section ? section.row.id : (await insertChosen(deps, tx, section.key, periodOf(section.key), section.chosen)).id);
  }
  await insertEditionSections(tx, daily.id, sectionIds);
  return daily;
}

/**
 * Freezes the edition a key names, a daily date (with its arXiv sections, see
 * freezeDailyEdition), an ISO week or an arXiv category's listing (see `choose*Papers` for what
 * each holds). Assembling a key that has an edition returns that edition unchanged; concurrent
 * calls (several workers, an operator and the scheduler) serialise on a lock and yield one edition.
 */
export async function assembleEditionByKey(deps: EditionDeps, key: string): Promise<AssembledEdition> {
  const period = periodOf(key);
  const { db } = deps.database;
  const { row, created } = await withEditionLock(db, async (tx) => {
    const existing = await findEditionByKey(tx, key);
    if (existing) return { row: existing, created: false };
    if (period.kind === 'daily') return { row: await freezeDailyEdition(deps, tx, key), created: true };
    return { row: await insertChosen(deps, tx, key, period, await choosePapers(deps, tx, key, period)), created: true };
  });
  return { ...(await withPapers(deps, row)), created };
}

/** Freezes the edition of a daily date ("2026-02-03"); idempotent and race-safe. */
export async function assembleEdition(deps: EditionDeps, date: string): Promise<AssembledEdition> {
  if (!isDailyDate(date)) throw new InvalidInputError(`Invalid date "${date}"`, [{ field: 'date', message: DAILY_DATE_MESSAGE }]);
  return assembleEditionByKey(deps, date);
}

/** Freezes the weekly edition of an ISO week ("2026-W06") once the week is over; idempotent and race-safe. */
export async function assembleWeeklyEdition(deps: EditionDeps, week: string): Promise<AssembledEdition> {
  if (!isoWeekRange(week)) throw new InvalidInputError(`Invalid week "${week}"`, [{ field: 'week', message: ISO_WEEK_MESSAGE }]);
  return assembleEditionByKey(deps, week);
}

/** An edition as a preview shows it: frozen, or the draft of what assembling would freeze now. */
export interface EditionPreview {
  edition: Pick<EditionRow, 'kind' | 'key' | 'periodStart' | 'periodEnd'>;
  papers: EditionPaper[];
  /** A frozen daily edition's arXiv sections; a draft shows its trending papers only. */
  sections: EditionSection[];
  /** False for a draft: nothing was frozen, and the papers may still change. */
  frozen: boolean;
}

/**
 * The frozen edition of a key, or, when there is none yet, a draft of what assembling it would
 * freeze now, chosen by the same rules and refused for the same reasons, written nowhere.
 */
export async function previewEdition(deps: EditionDeps, key: string): Promise<EditionPreview> {
  const period = periodOf(key);
  const found = await getEditionWithPapers(deps, key);
  if (found) return { ...found, frozen: true };
  const chosen = await choosePapers(deps, deps.database.db, key, period);
  return {
    edition: { kind: period.kind, key, periodStart: period.periodStart, periodEnd: period.periodEnd },
    papers: chosen.map((row, index) => ({ rank: index + 1, ...toPaperView(row) })),
    sections: [],
    frozen: false,
  };
}

/**
 * The papers of a daily date in trending order with that day's counts: what the day's edition
 * would hold if it were assembled now (before the cap and the earlier-edition filter).
 */
export async function rankedPapersOfDay(deps: EditionReadDeps, date: string): Promise<EditionPaper[]> {
  const ranked = rankPapers(await findPapersByDailyDate(deps.database.db, date));
  return ranked.map((row, index) => ({ rank: index + 1, ...toPaperView(row) }));
}

/**
 * A taste of what readers get, for the signup page: the newest daily edition's top papers, or,
 * on a fresh install that has papers (the sample) but no edition yet, the newest day's papers
 * ranked as an edition would rank them — shown without freezing anything that could be mailed.
 * Nothing dated after `today` (YYYY-MM-DD in the digest's time zone) counts as the newest.
 */
export async function latestPapersSample(
  deps: EditionReadDeps,
  limit: number,
  today: string,
): Promise<{ date: string; papers: EditionPaper[] } | undefined> {
  const edition = await findLatestEditionRow(deps.database.db, 'daily', today);
  if (edition) {
    const { papers } = await withPapers(deps, edition);
    return { date: edition.periodStart, papers: papers.slice(0, limit) };
  }
  const date = await findLatestDailyDate(deps.database.db, today);
  return date ? { date, papers: (await rankedPapersOfDay(deps, date)).slice(0, limit) } : undefined;
}

/** An edition by key ("2026-02-03" or "2026-W06") with its papers in rank order; undefined if none. */
export async function getEditionWithPapers(deps: EditionReadDeps, key: string): Promise<EditionWithPapers | undefined> {
  const edition = await findEditionByKey(deps.database.db, key);
  return edition ? withPapers(deps, edition) : undefined;
}

/** The newest edition of a kind that ends by `today` (YYYY-MM-DD), with its papers. */
export async function findLatestEdition(deps: EditionReadDeps, today: string, kind: EditionKind = 'daily'): Promise<EditionWithPapers | undefined> {
  const edition = await findLatestEditionRow(deps.database.db, kind, today);
  return edition ? withPapers(deps, edition) : undefined;
}

export type ScheduledOutcome =
  | { key: string; status: 'created' | 'existing'; papers: number }
  | { key: string; status: 'skipped'; reason: string };

async function outcomeOf(key: string, assemble: () => Promise<AssembledEdition>): Promise<ScheduledOutcome> {
  try {
    const result = await assemble();
    return { key, status: result.created ? 'created' : 'existing', papers: result.papers.length };
  } catch (error) {
    // A weekend or holiday has no papers; that is a normal day, not a failure to retry.
    if (error instanceof NotFoundError) return { key, status: 'skipped', reason: error.message };
    throw error;
  }
}

/**
 * How many days back (yesterday included) the scheduler looks for daily editions it missed, while
 * no worker ran or a job was lost. Older days stay unassembled unless an operator assembles them.
 */
const CATCH_UP_DAYS = 7;

/** Assembles quietly: a missed day or week with nothing to offer is no news (yesterday's is reported). */
async function catchUp(key: string, freeze: () => Promise<AssembledEdition>): Promise<ScheduledOutcome[]> {
  const outcome = await outcomeOf(key, freeze);
  return outcome.status === 'skipped' ? [] : [outcome];
}

/**
 * What the daily scheduler does (days in `digest.timeZone`): freeze yesterday's edition, and
 * first, oldest first, every earlier day of the last `CATCH_UP_DAYS` that has papers but no
 * edition; then the last complete ISO week's weekly edition, reported when yesterday closed it
 * and assembled later if that run was missed. Each is frozen once: a day with an edition is
 * not looked at again. (Scheduled sends take only the newest edition, and no first copy goes to
 * a reader who has a later one, so a day frozen late never reaches readers out of order.)
 */
export async function assembleScheduledEditions(deps: EditionDeps): Promise<ScheduledOutcome[]> {
  const today = dateInTimeZone(deps.clock(), deps.config.digest.timeZone);
  const yesterday = addDays(today, -1);
  const outcomes: ScheduledOutcome[] = [];
  for (const date of await findUnassembledDailyDates(deps.database.db, addDays(yesterday, 1 - CATCH_UP_DAYS), addDays(yesterday, -1))) {
    outcomes.push(...(await catchUp(date, () => assembleEdition(deps, date))));
  }
  outcomes.push(await outcomeOf(yesterday, () => assembleEdition(deps, yesterday)));

  const lastSunday = addDays(today, -isoWeekdayOf(today));
  const lastWeek = isoWeekOf(lastSunday);
  if (lastSunday === yesterday) {
    outcomes.push(await outcomeOf(lastWeek, () => assembleWeeklyEdition(deps, lastWeek)));
  } else if (!(await findEditionByKey(deps.database.db, lastWeek))) {
    outcomes.push(...(await catchUp(lastWeek, () => assembleWeeklyEdition(deps, lastWeek))));
  }
  return outcomes;
}

/** Editions newest first, with paper counts, for the admin listing. */
export async function listEditions(
  deps: EditionReadDeps,
  options: { limit: number; before?: string },
): Promise<Array<EditionRow & { paperCount: number }>> {
  return listEditionRows(deps.database.db, options);
}

/**
 * What the public archive and feed list: daily and weekly editions. A category edition
 * (`arxiv:CAT:D`, one per chosen category a day) is a section of its day's daily edition and
 * keeps its own page; listed too, a day of many categories would fill whole pages and the
 * `before` paging by period end would skip the rest of that day, its daily edition included.
 */
const PUBLIC_EDITION_KINDS: readonly EditionKind[] = ['daily', 'weekly'];

/**
 * Daily and weekly editions newest first, each with its headline (its top paper's title; ''
 * when it has none), for the public archive: none that ends after `notAfter` (today).
 */
export async function listEditionsWithHeadlines(
  deps: EditionReadDeps,
  options: { limit: number; before?: string; notAfter: string },
): Promise<Array<EditionRow & { paperCount: number; headline: string }>> {
  const { db } = deps.database;
  const rows = await listEditionRows(db, { ...options, kinds: PUBLIC_EDITION_KINDS });
  const headlines = await findEditionHeadlines(db, rows.map((row) => row.id));
  return Promise.all(
    rows.map(async (row) => {
      if (row.kind !== 'daily' || row.paperCount > 0) return { ...row, headline: headlines.get(row.id) ?? '' };
      // A day only arXiv had papers for (rare): its sections make its headline and its count.
      const { sections } = await withPapers(deps, row);
      return { ...row, paperCount: sections.reduce((sum, section) => sum + section.papers.length, 0), headline: sections[0]?.papers[0]?.title ?? '' };
    }),
  );
}

/**
 * The newest daily and weekly editions that end by `notAfter` (today), each with its papers in
 * rank order, for the Atom feed: two queries however many editions.
 */
export async function listEditionsWithPapers(deps: EditionReadDeps, options: { limit: number; notAfter: string }): Promise<EditionWithPapers[]> {
  const rows = await listEditionRows(deps.database.db, { ...options, kinds: PUBLIC_EDITION_KINDS });
  const frozen = await findFrozenPapersOfEditions(deps.database.db, rows.map((row) => row.id));
  // The feed lists each edition's own papers (a daily edition's trending ones), as its title says.
  return rows.map(({ paperCount: _paperCount, ...edition }) => ({ edition, papers: (frozen.get(edition.id) ?? []).map(toEditionPaper), sections: [] }));
}
