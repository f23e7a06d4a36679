import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { importPapers, importPapersFile } from '../../services/core/papers/paper-import-service.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { variantIdsOf } from '../../services/core/sending/edition-variants-repo.js';
import { runFanout } from '../../services/core/sending/fanout-service.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { arxivFixturePath } from '../helpers/arxiv-replay-server.js';
import { insertReaders } from '../helpers/factories.js';
import { hfFixturePath } from '../helpers/hf-replay-server.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** A Thursday: arXiv announced cs.CL (test/fixtures/arxiv); nobody fetched Hugging Face that day. */
const DAY = '2026-04-30';
/** The Friday after: on Hugging Face; arXiv announced it too, but nobody fetched cs.CL's listing. */
const NEXT_DAY = '2026-05-01';
/** New in cs.CL on DAY, and trending on Hugging Face on NEXT_DAY. */
const IN_BOTH = '2604.26866';

/**
 * The ledger and the freeze of daily editions with sections (issue 17 review): a copy of many
 * sections is a variant like any other; a paper on its way in one day's section is not sent again
 * in the next day's trending; a day frozen without a listing the source publishes raises the alarm.
 */
describe('daily editions with sections: variants, papers on their way, listings never fetched', () => {
  let test: TestRuntime;
  let app: App;
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  });
  const logged = () => logLines.map((line) => JSON.parse(line) as { level: number; msg: string; source?: string; category?: string });
  let reader: number;
  /** Trending on NEXT_DAY beside IN_BOTH. */
  let otherTrending: string;

  beforeAll(async () => {
    test = await createTestRuntime('sending-sections-ledger', {}, { clock: () => new Date('2026-05-02T12:00:00Z') });
    app = await buildApp(test.runtime);
    await importPapersFile(test.runtime, arxivFixturePath('rss'));
    const items = (JSON.parse(readFileSync(hfFixturePath('2026-02-03'), 'utf8')) as Array<{ paper: { id: string; upvotes: number } }>).slice(0, 2);
    await importPapers(test.runtime, [{ ...items[0]!, paper: { ...items[0]!.paper, id: IN_BOTH, upvotes: 50 } }, items[1]!], { date: NEXT_DAY });
    otherTrending = items[1]!.paper.id;
    reader = (await insertReaders(test.runtime.database.sql, 1, { arxivCategories: ['cs.CL'] }, 1))[0]!; // trending and cs.CL
    await insertReaders(test.runtime.database.sql, 1, { trending: false, arxivCategories: ['cs.LG'] }, 2); // a category nobody fetched yet
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  /** Freezes and fans out an edition (no deliver worker: its copies stay queued). */
  async function fanOut(key: string) {
    const deps = { ...test.runtime, logger };
    const run = await startManualSend(deps, key, 'test');
    await runFanout(deps, run.id);
    const [copy] = await test.runtime.database.sql<{ status: string; paper_ids: string[] }[]>`
      select d.status, v.paper_ids from deliveries d join edition_variants v on v.id = d.variant_id
      where d.send_run_id = ${run.id} and d.subscriber_id = ${reader}`;
    return copy!;
  }

  it('does not send in the next day trending a paper the reader has on its way in a section', async () => {
    const first = await fanOut(DAY);
    expect(first).toMatchObject({ status: 'queued' });
    expect(first.paper_ids).toContain(IN_BOTH);
    // DAY's copy is still queued (or retrying) when NEXT_DAY fans out: the paper is not sent twice.
    const next = await fanOut(NEXT_DAY);
    expect(next.paper_ids).toEqual([otherTrending]);
  });

  it('logs at error and counts a day frozen without a listing the source publishes that nobody fetched', async () => {
    const errors = logged().filter((line) => line.level === 50);
    expect(errors.map((line) => line.msg)).toEqual([
      'Hugging Face Daily Papers of 2026-04-30 was never fetched, though the source publishes that day: daily edition 2026-04-30 is frozen with its trending section empty, for good (fetch it: npm run cli -- ingest --date 2026-04-30)',
      'The arXiv cs.CL listing of 2026-05-01 was never fetched, though the source publishes that day: daily edition 2026-05-01 is frozen with no cs.CL section, for good (fetch it: npm run cli -- ingest-arxiv --category cs.CL --date 2026-05-01)',
    ]);
    // cs.LG was never fetched at all: chosen after the day's fetch, a warning and no alarm.
    expect(logged().filter((line) => line.level === 40 && line.category === 'cs.LG').map((line) => line.msg)).toEqual([
      'daily edition 2026-04-30 has no cs.LG section: a reader chose the category after its listing of that day was fetched',
      'daily edition 2026-05-01 has no cs.LG section: a reader chose the category after its listing of that day was fetched',
    ]);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('paperboy_source_empty_days{source="hf",expected="false"} 1');
    expect(metrics.body).toContain('paperboy_source_empty_days{source="arxiv",expected="false"} 1');
  });

  it('keeps a copy of 21 sections of 50 papers as one variant, found again by a later fan-out', async () => {
    const sql = test.runtime.database.sql;
    const [edition] = await sql<{ id: number }[]>`select id from editions where key = ${DAY}`;
    const sections = ['hf', ...Array.from({ length: 20 }, (_, i) => `cs.${String.fromCharCode(65 + i)}X`)];
    // Distinct ids that do not compress into an index row: ~11 KB of ids and ~6 KB of sections.
    const paperIds = Array.from({ length: sections.length * 50 }, (_, i) => `${2601 + (i % 12)}.${String((i * 7919 + 12345) % 100000).padStart(5, '0')}`);
    const paperSections = paperIds.map((_, i) => sections[Math.floor(i / 50)]!);
    const long = { paperIds, paperSections };
    const made = await variantIdsOf(sql, edition!.id, [long], new Map());
    const id = [...made.values()][0]!;
    // Another fan-out (nothing resolved yet) finds the same row; a copy in other sections is another.
    const found = await variantIdsOf(sql, edition!.id, [long], new Map());
    expect([...found.values()]).toEqual([id]);
    const other = await variantIdsOf(sql, edition!.id, [{ paperIds, paperSections: [...paperSections.slice(0, -1), 'hf'] }], new Map());
    expect([...other.values()][0]).not.toBe(id);
    const [stored] = await sql<{ paper_ids: string[]; paper_sections: string[] }[]>`select paper_ids, paper_sections from edition_variants where id = ${id}`;
    expect(stored).toEqual({ paper_ids: paperIds, paper_sections: paperSections });
  });

  it('finds the daily editions of a section by an index on edition_sections.section_edition_id', async () => {
    const indexes = await test.runtime.database.sql<{ indexdef: string }[]>`select indexdef from pg_indexes where tablename = 'edition_sections'`;
    expect(indexes.map((row) => row.indexdef)).toContainEqual(expect.stringMatching(/USING btree \(section_edition_id\)$/));
  });
});
