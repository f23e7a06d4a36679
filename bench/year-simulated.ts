import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configFromEnv } from '../services/core/platform/config/config.js';
import { createLogger } from '../services/core/platform/logging/logger.js';
import { addDays } from '../services/core/papers/daily-date.js';
import { importPapers } from '../services/core/papers/paper-import-service.js';
import { applyRetention } from '../services/core/retention/retention-service.js';
import { startManualSend } from '../services/core/sending/send-service.js';
import { createRuntime } from '../services/runtime.js';
import { paperboyEnv, type BenchEnv } from './bench-env.js';
import { PROJECT_ROOT, waitForHttp, waitUntil } from './child-process.js';
import { ledgerBytes, resetReaders, startSendingWorker } from './send-throughput.js';
import type { SmtpSink } from './smtp-sink-client.js';

/**
 * "A year, simulated" (issue 15), time compressed: `days` daily editions sent one after the other
 * to the same readers by one long-running worker process. Each simulated day imports that day's
 * papers (the fixture's 44 with new ids and dates), freezes the edition and sends it, then runs the
 * nightly retention with the clock at that night and retention windows of `windowDays`, and
 * measures the database after a VACUUM ANALYZE (autovacuum's part; it is off on this machine).
 *
 * The simulated clock is the in-process runtime's (RuntimeOverrides.clock): import, assembly,
 * the send's start and retention see it. The worker keeps the real clock; only the SMTP
 * conversation and the ledger's timestamps are its, and no decision of the send depends on the
 * edition's date. The simulated days start today, so the worker's own nightly retention (real
 * clock, default windows) finds nothing to drop should 03:30 UTC pass during the run.
 */

const FIXTURE = path.join(PROJECT_ROOT, 'test/fixtures/hf-daily-papers/2026-02-03.json');

export interface YearDay {
  day: number;
  date: string;
  messages: number;
  /** startManualSend → the last message the sink accepted. */
  seconds: number;
  messagesPerSecond: number;
  /** Partitions the night's retention dropped (deliveries + sent_papers). */
  partitionsDropped: number;
  /** Editions whose deliveries are still kept after the night. */
  editionsKept: number;
  /** After the night's retention and a VACUUM: pg_database_size, and `deliveries` + `sent_papers` with partitions, indexes, TOAST. */
  databaseBytes: number;
  ledgerBytes: number;
}

export interface YearFigures {
  subscribers: number;
  windowDays: number;
  /** pg_database_size before the first day (readers inserted, nothing sent). */
  startDatabaseBytes: number;
  days: YearDay[];
}

export interface YearOptions {
  env: BenchEnv;
  sink: SmtpSink;
  entry: string;
  days: number;
  subscribers: number;
  windowDays: number;
  poolSize: number;
  workerNodeArgs: string[];
  log: (line: string) => void;
}

interface FixtureItem {
  paper: { id: string; publishedAt: string; submittedOnDailyAt?: string; [key: string]: unknown };
  publishedAt?: string;
  [key: string]: unknown;
}

/** Moves an instant of the fixture's day (2026-02-03) to the same time on `date` (or the day before, for `dayBefore`). */
const onDay = (instant: string, date: string, daysBefore = 0) => `${addDays(date, -daysBefore)}${instant.slice(10)}`;

/**
 * The fixture's papers as listed on `date`: ids of that date's month numbered by the day of the
 * month (unique within a simulated month and beyond, as the month changes), published the day before.
 */
export function papersOfDay(fixture: readonly FixtureItem[], date: string): FixtureItem[] {
  const prefix = `${date.slice(2, 4)}${date.slice(5, 7)}`;
  const dayOfMonth = Number(date.slice(8, 10));
  return fixture.map((item, index) => ({
    ...item,
    ...(item.publishedAt ? { publishedAt: onDay(item.publishedAt, date, 1) } : {}),
    paper: {
      ...item.paper,
      id: `${prefix}.${String(dayOfMonth * 1000 + index).padStart(5, '0')}`,
      publishedAt: onDay(item.paper.publishedAt, date, 1),
      ...(item.paper.submittedOnDailyAt ? { submittedOnDailyAt: onDay(item.paper.submittedOnDailyAt, date) } : {}),
    },
  }));
}

const at = (date: string, time: string) => new Date(`${date}T${time}Z`);

export async function simulateYear(options: YearOptions): Promise<YearFigures> {
  const { env, sink, log } = options;
  let now = new Date();
  const config = configFromEnv({
    ...paperboyEnv(env),
    LOG_LEVEL: 'silent',
    DELIVERY_RETENTION_DAYS: String(options.windowDays),
    SENT_PAPERS_RETENTION_DAYS: String(options.windowDays),
  });
  const runtime = createRuntime(config, createLogger({ level: 'silent' }), { clock: () => now });
  const { sql } = runtime.database;
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as FixtureItem[];

  const { proc: worker, port } = await startSendingWorker({ entry: options.entry, env, sinkUrl: sink.url, poolSize: options.poolSize, nodeArgs: options.workerNodeArgs });
  try {
    await resetReaders(sql, options.subscribers, log);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, worker);
    const databaseSize = async () => Number((await sql<{ bytes: string }[]>`select pg_database_size(current_database()) as bytes`)[0]!.bytes);
    await sql`vacuum analyze`;
    const figures: YearFigures = { subscribers: options.subscribers, windowDays: options.windowDays, startDatabaseBytes: await databaseSize(), days: [] };
    log(`  worker pid ${worker.pid}; database ${mb(figures.startDatabaseBytes)} before the first day; retention windows ${options.windowDays} days`);
    log('   day  date        messages  seconds   msg/s  dropped  kept  database   ledger');

    const firstDate = new Date().toISOString().slice(0, 10);
    let dead = false;
    void worker.exited.then(() => (dead = true));
    for (let day = 1; day <= options.days; day++) {
      const date = addDays(firstDate, day - 1);
      // The morning after: the day's list is complete and its edition is "yesterday's".
      now = at(addDays(date, 1), '06:00:00');
      await importPapers(runtime, papersOfDay(fixture, date), { date });
      await sink.reset();
      const startedAt = Date.now();
      const run = await startManualSend(runtime, date, 'bench');
      await waitUntil(
        `day ${day}: ${options.subscribers} messages at the sink`,
        async () => {
          if (dead) throw new Error(`worker exited during day ${day}:\n${worker.tail()}`);
          return (await sink.stats()).accepted >= options.subscribers;
        },
        Math.max(120_000, options.subscribers * 10),
        250,
      );
      const stats = await sink.stats();
      const seconds = ((stats.lastAt ?? Date.now()) - startedAt) / 1000;
      await waitUntil(
        `day ${day}: the run to complete in the ledger`,
        async () => (await sql<{ status: string }[]>`select status from send_runs where id = ${run.id}`)[0]?.status === 'completed',
        120_000,
        100,
      );

      // The night after the send.
      now = at(addDays(date, 2), '03:30:00');
      const night = await applyRetention(runtime);
      await sql`vacuum analyze`;
      const [kept] = await sql<{ count: string }[]>`select count(*) as count from pg_inherits where inhparent = 'deliveries'::regclass`;
      const ledger = await ledgerBytes(sql);
      const point: YearDay = {
        day,
        date,
        messages: stats.accepted,
        seconds,
        messagesPerSecond: stats.accepted / seconds,
        partitionsDropped: night.deliveryPartitionsDropped + night.sentPaperPartitionsDropped,
        editionsKept: Number(kept!.count),
        databaseBytes: await databaseSize(),
        ledgerBytes: ledger.deliveries + ledger.sent_papers,
      };
      figures.days.push(point);
      log(
        `  ${String(day).padStart(4)}  ${date}  ${point.messages.toLocaleString('en-US').padStart(8)}  ${seconds.toFixed(1).padStart(7)}  ` +
          `${Math.round(point.messagesPerSecond).toLocaleString('en-US').padStart(6)}  ${String(point.partitionsDropped).padStart(7)}  ` +
          `${String(point.editionsKept).padStart(4)}  ${mb(point.databaseBytes).padStart(8)}  ${mb(point.ledgerBytes).padStart(7)}`,
      );
    }
    return figures;
  } finally {
    await worker.stop();
    await runtime.close();
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export interface YearVerdict {
  /** The first day whose night dropped an edition: from then on the window is full. */
  levelFrom: number | undefined;
  /** Ledger size over the days from levelFrom: (max − min) / min. */
  ledgerSpread: number | undefined;
  /** Database growth per day once the window is full, and before it, bytes. */
  growthPerDayAfter: number | undefined;
  growthPerDayBefore: number | undefined;
  /** Last day's send rate over the first day's. */
  rateRatio: number | undefined;
}

export function judgeYear(figures: YearFigures): YearVerdict {
  const { days } = figures;
  const levelIndex = days.findIndex((point) => point.partitionsDropped > 0);
  const first = days[0];
  const last = days.at(-1);
  const rateRatio = first && last && days.length > 1 ? last.messagesPerSecond / first.messagesPerSecond : undefined;
  if (levelIndex < 0 || levelIndex === days.length - 1) {
    return { levelFrom: undefined, ledgerSpread: undefined, growthPerDayAfter: undefined, growthPerDayBefore: undefined, rateRatio };
  }
  const level = days.slice(levelIndex);
  const ledger = level.map((point) => point.ledgerBytes);
  const levelStart = days[levelIndex]!;
  const beforeLevel = levelIndex === 0 ? figures.startDatabaseBytes : days[levelIndex - 1]!.databaseBytes;
  return {
    levelFrom: levelStart.day,
    ledgerSpread: (Math.max(...ledger) - Math.min(...ledger)) / Math.min(...ledger),
    growthPerDayAfter: (last!.databaseBytes - levelStart.databaseBytes) / (last!.day - levelStart.day),
    // The ramp: from before the first day to the last day before the window was full.
    growthPerDayBefore: (beforeLevel - figures.startDatabaseBytes) / Math.max(1, levelIndex),
    rateRatio,
  };
}
