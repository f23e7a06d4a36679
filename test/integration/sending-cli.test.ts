import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/postgres.js';
import { freePort, startProcess, waitUntil, type RunningProcess } from '../helpers/processes.js';
import { startPrivateRedis, stopPrivateRedis, TEST_REDIS_URL } from '../helpers/redis.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * `npm run cli -- send` as an operator runs it (the real entry point, a child process), against
 * a Postgres and a Redis of this file's own that it stops and kills: the send rides out the
 * outage and finishes, and a send killed mid-run is resumed, not replaced by an empty run.
 */

const DATE = '2026-08-13';
/**
 * Slow enough that a fault lands mid-run (1,000 readers take at least 2 s; each fault comes at a
 * quarter of the run or earlier and takes well under a second), fast enough for a test.
 */
const RATE = '500';
/** Generous: on a loaded machine a send of 2,000 through the test SMTP server takes minutes. */
const RUN_TIMEOUT_MS = 400_000;

/** Readers reader-1@domain ... reader-N@domain, inserted together. */
interface Group {
  readers: number;
  domain: string;
}

interface Tally {
  ledger: { sent: number; failed: number; skipped: number; other: number };
  exactlyOnce: number;
  missing: number;
  duplicated: number;
}

describe('cli send rides out faults and resumes an unfinished run', () => {
  let postgres: PrivatePostgres;
  let smtp: TestSmtpServer;
  let test: TestRuntime;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('sending-cli', { SMTP_URL: smtp.url }, {}, postgres.server);
    await importFixtureDay(test.runtime, DATE);
  }, 120_000);
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
    await postgres?.destroy();
  });

  const cliEnv = (redisUrl: string, extra: Record<string, string>) => ({
    DATABASE_URL: test.database.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: test.queuePrefix,
    SMTP_URL: smtp.url,
    SMTP_RATE_LIMIT: RATE,
    LOG_LEVEL: 'error',
    ...extra,
  });
  const send = (redisUrl = TEST_REDIS_URL, extra: Record<string, string> = {}) =>
    startProcess('services/cli/main.ts', ['send', '--date', DATE], cliEnv(redisUrl, extra));
  const runIdOf = (cli: RunningProcess) => Number(/send run (\d+)/.exec(cli.stdout())?.[1]);

  /** The run's ledger, and per reader of each group (reader-1@domain ...) how many copies the SMTP server got. */
  async function tally(runId: number, groups: Group[], refused: string[]): Promise<Tally> {
    const [row] = await test.runtime.database.sql<{ sent: string; failed: string; skipped: string; other: string }[]>`
      select count(*) filter (where status = 'sent') as sent, count(*) filter (where status = 'failed') as failed,
             count(*) filter (where status = 'skipped') as skipped, count(*) filter (where status in ('queued', 'claimed')) as other
      from deliveries where send_run_id = ${runId}`;
    const copies = new Map<string, number>();
    for (const mail of smtp.messages) for (const to of mail.recipients) copies.set(to, (copies.get(to) ?? 0) + 1);
    let exactlyOnce = 0;
    let missing = 0;
    let duplicated = 0;
    for (const { readers, domain } of groups) {
      for (let n = 1; n <= readers; n += 1) {
        const address = `reader-${n}@${domain}`;
        if (refused.includes(address)) continue;
        const count = copies.get(address) ?? 0;
        if (count === 0) missing += 1;
        else if (count === 1) exactlyOnce += 1;
        else duplicated += 1;
      }
    }
    return { ledger: { sent: Number(row!.sent), failed: Number(row!.failed), skipped: Number(row!.skipped), other: Number(row!.other) }, exactlyOnce, missing, duplicated };
  }

  /** The summary line's counts, which must be the run's ledger totals. */
  function summaryOf(cli: RunningProcess) {
    const match = /^sent ([\d,]+) digests of \S+.* s \(\d[\d,]*\/s\): ([\d,]+) failed, ([\d,]+) skipped; handed to the SMTP server$/m.exec(cli.stdout());
    expect(match, cli.stdout()).not.toBeNull();
    const number = (text: string) => Number(text.replace(/,/g, ''));
    return { sent: number(match![1]!), failed: number(match![2]!), skipped: number(match![3]!) };
  }

  it('Postgres stopped (immediate) mid-run and started again: send says it waits for Postgres, carries on, exits 0', async () => {
    const readers = 1000;
    const domain = 'pg-stop.example.org';
    smtp.messages.length = 0;
    await insertReaders(test.runtime.database.sql, readers, {}, 1, domain);
    const cli = send();
    await waitUntil('a quarter of the run to arrive', () => smtp.messages.length >= readers / 4, RUN_TIMEOUT_MS);
    await postgres.stop('immediate');
    const arrivedBefore = smtp.messages.length;
    expect(arrivedBefore, 'the fault must land mid-run').toBeLessThan(readers);
    try {
      await waitUntil('send to say it waits for Postgres', () => /waiting for Postgres at 127\.0\.0\.1:\d+\/pb_test_sending_cli_\w+ \(/.test(cli.stderr()), 60_000);
    } finally {
      await postgres.start();
    }
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stderr()).toMatch(/Postgres is back after [\d.]+ s; carrying on/);
    await expectWholeRun(cli, [{ readers, domain }], `Postgres stopped mid-send: ${arrivedBefore} of ${readers} had arrived`);
  }, RUN_TIMEOUT_MS);

  it('Postgres restarted (pg_ctl restart -m immediate) mid-run: send finishes, exits 0, nobody missing', async () => {
    const readers = 2000;
    const domain = 'pg-restart.example.org';
    smtp.messages.length = 0;
    await insertReaders(test.runtime.database.sql, readers, {}, 1, domain);
    const cli = send();
    await waitUntil('a quarter of the run to arrive', () => smtp.messages.length >= readers / 4, RUN_TIMEOUT_MS);
    await postgres.restartImmediate();
    const arrivedBefore = smtp.messages.length;
    expect(arrivedBefore, 'the fault must land mid-run').toBeLessThan(readers);
    expect(await cli.exited, cli.stderr()).toBe(0);
    await expectWholeRun(cli, [{ readers, domain }], `Postgres restarted mid-send: ${arrivedBefore} of ${readers} had arrived`);
  }, RUN_TIMEOUT_MS);

  it('Redis killed mid-run and started again empty: send says it waits for Redis, rebuilds the lost jobs, exits 0', async () => {
    const readers = 1000;
    const domain = 'redis-restart.example.org';
    smtp.messages.length = 0;
    await insertReaders(test.runtime.database.sql, readers, {}, 1, domain);
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    let redis: ChildProcess = startPrivateRedis(port);
    try {
      await waitUntil('the private Redis to listen', () => canConnect(port), 10_000);
      const cli = send(redisUrl);
      await waitUntil('a quarter of the run to arrive', () => smtp.messages.length >= readers / 4, RUN_TIMEOUT_MS);
      await stopPrivateRedis(redis);
      const arrivedBefore = smtp.messages.length;
      expect(arrivedBefore, 'the fault must land mid-run').toBeLessThan(readers);
      try {
        await waitUntil('send to say it waits for Redis', () => /waiting for Redis at 127\.0\.0\.1:\d+ \(/.test(cli.stderr()), 60_000);
      } finally {
        redis = startPrivateRedis(port);
      }
      expect(await cli.exited, cli.stderr()).toBe(0);
      expect(cli.stderr()).toMatch(/Redis is back after [\d.]+ s; carrying on/);
      await expectWholeRun(cli, [{ readers, domain }], `Redis killed mid-send, started empty: ${arrivedBefore} of ${readers} had arrived`);
    } finally {
      await stopPrivateRedis(redis);
    }
  }, RUN_TIMEOUT_MS);

  it('a send killed (SIGKILL) mid-run is resumed by the next send, which says so, takes in readers who signed up meanwhile, counts the whole run and exits 0 with one refused reader', async () => {
    const readers = 1000;
    const domain = 'killed.example.org';
    const refused = `reader-7@${domain}`;
    smtp.messages.length = 0;
    smtp.setRecipientPolicy((address) => (address === refused ? { code: 550, message: '5.1.1 No such mailbox' } : undefined));
    await insertReaders(test.runtime.database.sql, readers, {}, 1, domain);
    // The killed send's jobs and claims are taken over after 5 s instead of 30 (BullMQ needs two
    // stalled-job checks, so up to a minute): the same takeover, sooner. Only here: the outage
    // tests keep the default window, which a Postgres outage must not outlast.
    const killable = { WORKER_STALE_SECONDS: '5' };
    try {
      const first = send(undefined, killable);
      await waitUntil('a quarter of the run to arrive', () => smtp.messages.length >= readers / 4, RUN_TIMEOUT_MS);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      const arrivedBefore = smtp.messages.length;
      expect(arrivedBefore, 'the fault must land mid-run').toBeLessThan(readers);
      const runId = runIdOf(first);
      // Readers who sign up before the send is run again are not left for yet another send.
      const late = { readers: 50, domain: 'signed-up-late.example.org' };
      await insertReaders(test.runtime.database.sql, late.readers, {}, 1, late.domain);

      const again = send(undefined, killable);
      expect(await again.exited, again.stderr()).toBe(0);
      const resumed = /^resuming send run (\d+) of edition (\S+) started \d{4}-\d\d-\d\d \d\d:\d\d UTC: ([\d,]+) of ([\d,]+) settled$/m.exec(again.stdout());
      expect(resumed, again.stdout()).not.toBeNull();
      expect({ run: Number(resumed![1]), edition: resumed![2] }).toEqual({ run: runId, edition: DATE });
      expect(Number(resumed![3]!.replace(/,/g, ''))).toBeLessThan(readers);
      // The summary is the whole run's, the refused reader counted, not just what the second send did.
      expect(again.stdout()).toMatch(/ \([\d,]+ of them now\) /);
      await expectWholeRun(again, [{ readers, domain }, late], `send killed mid-run, then resumed: ${arrivedBefore} of ${readers} had arrived`, [refused], true);
      // No second, empty run was opened.
      expect(await test.runtime.database.sql`select id from send_runs where id > ${runId}`).toHaveLength(0);
    } finally {
      smtp.setRecipientPolicy(undefined);
    }
  }, RUN_TIMEOUT_MS);

  /**
   * The run `cli` worked: every reader of the groups sent once in the ledger (the `refused` ones
   * failed), none missing at the SMTP server, and the summary line is the ledger's. Prints the
   * copies per reader. While the CLI lives (a Postgres or Redis outage) no reader gets two
   * copies; only a CLI killed between a server's 250 and the mark may double (`killed`).
   */
  async function expectWholeRun(cli: RunningProcess, groups: Group[], what: string, refused: string[] = [], killed = false) {
    const readers = groups.reduce((sum, group) => sum + group.readers, 0);
    const result = await tally(runIdOf(cli), groups, refused);
    console.info(`${what}; afterwards ${result.exactlyOnce} readers with exactly one copy, ${result.missing} missing, ${result.duplicated} duplicated`);
    expect(result.ledger).toEqual({ sent: readers - refused.length, failed: refused.length, skipped: 0, other: 0 });
    expect(result.missing).toBe(0);
    if (!killed) expect(result.duplicated).toBe(0);
    expect(summaryOf(cli)).toEqual({ sent: readers - refused.length, failed: refused.length, skipped: 0 });
  }
});

/** Whether something accepts TCP connections on `port` (the private Redis is up). */
async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
