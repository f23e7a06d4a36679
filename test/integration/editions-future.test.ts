import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';
import { eq } from 'drizzle-orm';
import { editionPapers, editions, paperAppearances, papers } from '../../services/core/platform/db/schema.js';
import { startScheduledRuns } from '../../services/core/sending/send-service.js';
import { importFixtureDay } from '../helpers/factories.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * "The latest edition" is never one of a future day. Dates outside the window are refused on the
 * way in now, but an installation may hold them from before (a paper dated 9999-12-31 was
 * accepted): they are inserted here directly, as such old data would be.
 */

const DAY = '2026-02-03';

describe('an edition of a future day in the database', () => {
  let test: TestRuntime;
  let app: App;
  // 03:00 UTC on the 5th is still the 4th in Los Angeles: the 5th is a future day there.
  const clock = { now: new Date('2026-02-05T03:00:00Z') };

  beforeAll(async () => {
    test = await createTestRuntime('editions-future', { DIGEST_TZ: 'America/Los_Angeles' }, { clock: () => clock.now });
    app = await buildApp(test.runtime);
    await importFixtureDay(test.runtime, DAY);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  /** Old data: an edition (and the papers' appearance) on a day after today, frozen with the day's top papers. */
  async function insertFutureEdition(key: string, kind: 'daily' | 'weekly', periodStart: string, periodEnd: string) {
    const { db } = test.runtime.database;
    const [top] = await db.select({ paperId: paperAppearances.paperId, title: papers.title }).from(paperAppearances).innerJoin(papers, eq(papers.id, paperAppearances.paperId)).limit(1);
    if (kind === 'daily') await db.insert(paperAppearances).values({ paperId: top!.paperId, dailyDate: periodStart });
    const [edition] = await db.insert(editions).values({ kind, key, periodStart, periodEnd }).returning();
    await db.insert(editionPapers).values({ editionId: edition!.id, paperId: top!.paperId, rank: 1, upvotes: 1, numComments: 0, title: top!.title });
    return edition!;
  }

  it('is not the sample of the signup page, even before any real edition exists', async () => {
    await insertFutureEdition('9999-12-31', 'daily', '9999-12-31', '9999-12-31');
    await insertFutureEdition('2026-02-05', 'daily', '2026-02-05', '2026-02-05');
    // No edition up to today: the page shows the newest day with papers up to today, as a draft.
    const page = (await app.inject({ method: 'GET', url: '/' })).body;
    expect(page).toContain('Tuesday, 3 February 2026');
    expect(page).not.toMatch(/December 9999|5 February 2026/);
  });

  it('is not the newest edition of the signup page, the archive, the feed or the schedule', async () => {
    const real = await assembleEdition(test.runtime, DAY);
    await insertFutureEdition('9999-W52', 'weekly', '9999-12-27', '9999-12-31');

    const page = (await app.inject({ method: 'GET', url: '/' })).body;
    expect(page).toContain('Tuesday, 3 February 2026');
    expect(page).not.toMatch(/December 9999|5 February 2026/);

    const archive = (await app.inject({ method: 'GET', url: '/editions' })).body;
    expect(archive).toContain(`href="/editions/${DAY}"`);
    expect(archive).not.toMatch(/\/editions\/(9999|2026-02-05)/);

    const feed = (await app.inject({ method: 'GET', url: '/feed.xml' })).body;
    expect(feed).toContain(`/editions/${DAY}`);
    expect(feed).not.toMatch(/\/editions\/(9999|2026-02-05)/);

    const runs = await startScheduledRuns(test.runtime);
    expect(runs.map((run) => run.editionId)).toEqual([real.edition.id]);

    // The operator's view still lists every edition, so the odd ones can be found.
    const admin = await app.inject({ method: 'GET', url: '/admin/editions', headers: { authorization: 'Bearer dev-admin-token' } });
    expect(admin.json().editions.map((edition: { key: string }) => edition.key)).toEqual(['9999-W52', '9999-12-31', '2026-02-05', DAY]);
  });
});
