import { Writable } from 'node:stream';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseClient, type Sql } from '../../services/core/platform/db/client.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { createClaimKeeper, createSentMarker } from '../../services/core/sending/delivery-claims.js';
import { hasUnsettledDeliveryAhead, markDeliveriesSent, type HeldClaim } from '../../services/core/sending/delivery-repo.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { startPgBouncer } from '../helpers/scale-out.js';

/**
 * The send's "sent" marks against a real Postgres: how the sent marker groups them into writes,
 * the pool that keeps their generic plan, a partition retention dropped, and the cheap check a
 * job makes before the run's completion check. Writes are counted from the statements the
 * driver sends (postgres.js's debug hook), not from a stand-in for Postgres.
 */

const TOKEN = 'job-1/abc';

describe('sent marks', () => {
  let database: TestDatabase;
  let sql: Sql;
  let readers: number[];
  let nextEdition = 900;

  beforeAll(async () => {
    database = await createTestDatabase('sending_marks');
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    readers = await insertReaders(sql, 80);
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  /** An edition's ledger partition with a delivery per reader (run 1), each claimed by TOKEN; their claims, in id order. */
  async function claimedDeliveries(count: number, status: 'claimed' | 'queued' | 'sent' = 'claimed'): Promise<HeldClaim[]> {
    const editionId = nextEdition++;
    await sql`select paperboy_ledger_partitions(${editionId})`;
    const rows = await sql<{ id: string }[]>`
      insert into deliveries (send_run_id, edition_id, subscriber_id, status, claimed_by, claimed_at)
      select 1, ${editionId}, subscriber_id, ${status}::delivery_status, ${TOKEN}, now()
      from unnest(${readers.slice(0, count)}::bigint[]) with ordinality as r(subscriber_id, n) order by n
      returning id`;
    return rows.map((row) => ({ id: Number(row.id), editionId, token: TOKEN }));
  }

  const statuses = async (claims: HeldClaim[]) =>
    (await sql<{ status: string }[]>`select status from deliveries where edition_id = ${claims[0]!.editionId} and id = any(${claims.map((c) => c.id)}::bigint[]) order by id`).map((row) => row.status);

  /** A pool whose "sent" writes are recorded: the number of marks each carried. */
  function countingPool(options: postgres.Options<Record<string, never>> = {}) {
    const writes: number[] = [];
    const pool = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      ...options,
      debug: (_connection, query, parameters) => {
        if (/^\s*update "deliveries_e\d+"/.test(query)) writes.push((parameters[0] as unknown[]).length);
      },
    });
    return { pool, writes };
  }

  function capturedLogger() {
    const lines: Array<{ level: number; msg: string; fix?: string; editionId?: number; marks?: number }> = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as (typeof lines)[number]);
        callback();
      },
    });
    return { logger: createLogger({ level: 'info', destination }), lines };
  }

  it('writes 64 marks at once without waiting, and the rest together once they have lingered', async () => {
    const claims = await claimedDeliveries(72);
    const { pool, writes } = countingPool();
    try {
      const marker = createSentMarker(pool);
      await Promise.all(claims.map((claim) => marker.mark(claim)));
      expect(writes).toEqual([64, 8]);
      expect(new Set(await statuses(claims))).toEqual(new Set(['sent']));
    } finally {
      await pool.end({ timeout: 5 });
    }
  });

  it('writes a few marks made together in one statement once they have lingered', async () => {
    const claims = await claimedDeliveries(3);
    const { pool, writes } = countingPool();
    try {
      const marker = createSentMarker(pool);
      await Promise.all(claims.map((claim) => marker.mark(claim)));
      expect(writes).toEqual([3]);
      expect(await statuses(claims)).toEqual(['sent', 'sent', 'sent']);
    } finally {
      await pool.end({ timeout: 5 });
    }
  });

  it('retries a failed write, with the marks made meanwhile, until Postgres takes it', async () => {
    const claims = await claimedDeliveries(2);
    // The partition is locked: each write gives up after 20 ms (lock_timeout) and fails.
    const { pool, writes } = countingPool({ connection: { lock_timeout: 20 } });
    const { logger, lines } = capturedLogger();
    let unlock!: () => void;
    const unlocked = new Promise<void>((resolve) => (unlock = resolve));
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const holder = sql.begin(async (tx) => {
      await tx`lock table ${tx(`deliveries_e${claims[0]!.editionId}`)} in exclusive mode`;
      locked();
      await unlocked;
    });
    try {
      await lockHeld;
      const marker = createSentMarker(pool, logger);
      const first = marker.mark(claims[0]!);
      await waitUntil('a write to fail', () => lines.some((line) => line.msg.startsWith('could not write sent marks')), 10_000);
      const second = marker.mark(claims[1]!);
      await waitUntil('a write of both marks to fail', () => writes.includes(2), 10_000);
      expect(await statuses(claims)).toEqual(['claimed', 'claimed']);
      unlock();
      await holder;
      await Promise.all([first, second]);
      expect(await statuses(claims)).toEqual(['sent', 'sent']);
      expect(writes[0]).toBe(1);
      expect(writes.at(-1)).toBe(2);
      // One warning for the whole outage, and a line when it is over.
      expect(lines.filter((line) => line.msg.startsWith('could not write sent marks'))).toHaveLength(1);
      expect(lines.map((line) => line.msg)).toContain('sent marks written again');
    } finally {
      unlock();
      await holder;
      await pool.end({ timeout: 5 });
    }
  });

  it('resolves the marks of an edition whose partition retention dropped, writes the others, and warns', async () => {
    const gone = await claimedDeliveries(2);
    const kept = await claimedDeliveries(1);
    await sql`drop table ${sql(`deliveries_e${gone[0]!.editionId}`)}`;
    expect(await markDeliveriesSent(sql, [...gone, ...kept])).toEqual([{ editionId: gone[0]!.editionId, marks: 2 }]);
    expect(await statuses(kept)).toEqual(['sent']);

    const again = await claimedDeliveries(1);
    await sql`drop table ${sql(`deliveries_e${again[0]!.editionId}`)}`;
    const { logger, lines } = capturedLogger();
    await createSentMarker(sql, logger).mark(again[0]!);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, editionId: again[0]!.editionId, marks: 1 }));
  });

  it('keeps one generic plan in the pool meant for it, and only there', async () => {
    const client = createDatabaseClient({ url: database.url, prepare: true });
    const unprepared = createDatabaseClient({ url: database.url, prepare: false });
    try {
      expect((await client.genericPlanSql`show plan_cache_mode`)[0]).toEqual({ plan_cache_mode: 'force_generic_plan' });
      expect((await client.sql`show plan_cache_mode`)[0]).toEqual({ plan_cache_mode: 'auto' });
      expect((await unprepared.genericPlanSql`show plan_cache_mode`)[0]).toEqual({ plan_cache_mode: 'auto' });
    } finally {
      await client.close();
      await unprepared.close();
    }
  });

  it('tells a job whether a batch of its run further on is still held in this process, so it leaves the check to that batch', async () => {
    const keeper = createClaimKeeper(sql, 30);
    const run = { id: 7, editionId: 1 };
    keeper.hold('job-a/1', run, [101, 102, 103]);
    keeper.hold('job-b/1', run, [151, 152]);
    keeper.hold('job-c/1', { id: 8, editionId: 1 }, [201]);
    expect(keeper.holdsLaterClaim(run.id, 103)).toBe(true); // job b, further on
    expect(keeper.holdsLaterClaim(run.id, 152)).toBe(false); // job c is another run's
    keeper.release('job-b/1');
    expect(keeper.holdsLaterClaim(run.id, 103)).toBe(false); // job b ended: job a must check
    expect(keeper.holdsLaterClaim(run.id, 100)).toBe(true); // job a itself, seen from before it
    keeper.release('job-a/1');
    keeper.release('job-c/1');
    expect(keeper.holdsLaterClaim(8, 0)).toBe(false);
  });

  it('tells a job a delivery ahead is unsettled while it is queued or claimed, and not once it is sent', async () => {
    const claims = await claimedDeliveries(3, 'sent');
    const [first, second] = claims as [HeldClaim, HeldClaim, HeldClaim];
    const run = { id: 1, editionId: first.editionId };
    await sql`update deliveries set status = 'claimed' where edition_id = ${run.editionId} and id = ${second.id}`;
    expect(await hasUnsettledDeliveryAhead(sql, run, first.id)).toBe(true);
    // Another run's delivery ahead says nothing about this run.
    expect(await hasUnsettledDeliveryAhead(sql, { ...run, id: 2 }, first.id)).toBe(false);
    // Only what lies ahead counts.
    expect(await hasUnsettledDeliveryAhead(sql, run, second.id)).toBe(false);
    await sql`update deliveries set status = 'queued' where edition_id = ${run.editionId} and id = ${second.id}`;
    expect(await hasUnsettledDeliveryAhead(sql, run, first.id)).toBe(true);
    await sql`update deliveries set status = 'sent' where edition_id = ${run.editionId} and id = ${second.id}`;
    expect(await hasUnsettledDeliveryAhead(sql, run, first.id)).toBe(false);
  });
});

describe('sent marks behind PgBouncer in session mode with prepared statements on', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('sending_marks_bouncer');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('names the fix when PgBouncer refuses the plan_cache_mode startup parameter, and writes once it is ignored', async () => {
    const direct = postgres(database.url, { max: 1, onnotice: () => {} });
    const [reader] = await insertReaders(direct, 1);
    await direct`select paperboy_ledger_partitions(1)`;
    const [row] = await direct<{ id: string }[]>`
      insert into deliveries (send_run_id, edition_id, subscriber_id, status, claimed_by, claimed_at)
      values (1, 1, ${reader!}, 'claimed', ${TOKEN}, now()) returning id`;
    const claim = { id: Number(row!.id), editionId: 1, token: TOKEN };
    const status = async () => (await direct<{ status: string }[]>`select status from deliveries where edition_id = 1 and id = ${claim.id}`)[0]!.status;

    const refusing = await startPgBouncer(Number(new URL(database.url).port || 5432), { poolMode: 'session' });
    const lines: Array<{ level: number; msg: string; fix?: string }> = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as (typeof lines)[number]);
        callback();
      },
    });
    const client = createDatabaseClient({ url: refusing.urlFor(database.url), prepare: true });
    let marked: Promise<void> | undefined;
    try {
      marked = createSentMarker(client.genericPlanSql, createLogger({ level: 'info', destination })).mark(claim);
      await waitUntil('the refused write to be logged', () => lines.length > 0, 10_000);
      expect(lines[0]).toMatchObject({ level: 50 });
      expect(lines[0]!.msg).toContain('DATABASE_PREPARE=false');
      expect(lines[0]!.msg).toContain('ignore_startup_parameters');
      expect(await status()).toBe('claimed');
    } finally {
      // Closing the pool ends the retries (the marks are given up, as at a forced shutdown).
      await client.close();
      await refusing.stop();
    }
    await marked;

    const ignoring = await startPgBouncer(Number(new URL(database.url).port || 5432), { poolMode: 'session', ignoreStartupParameters: ['plan_cache_mode'] });
    const through = createDatabaseClient({ url: ignoring.urlFor(database.url), prepare: true });
    try {
      await createSentMarker(through.genericPlanSql).mark(claim);
      expect(await status()).toBe('sent');
    } finally {
      await through.close();
      await ignoring.stop();
      await direct.end({ timeout: 5 });
    }
  });
});
