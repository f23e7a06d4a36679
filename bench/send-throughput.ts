import type { Sql } from '../services/core/platform/db/client.js';
import type { Runtime } from '../services/runtime.js';
import { startManualSend } from '../services/core/sending/send-service.js';
import { paperboyEnv, type BenchEnv } from './bench-env.js';
import { cpuSecondsByName, cpuSecondsOf, freePort, machineCpu, memoryOf, startProcess, waitForHttp, waitUntil } from './child-process.js';
import type { SmtpSink } from './smtp-sink-client.js';

/**
 * One send of one edition to N confirmed readers, worked by one or more real worker processes
 * (`PAPERBOY_ROLE=worker npm start`) whose SMTP_URL is the sink. Timed from the operator's
 * "send now" (startManualSend) to the last message the sink accepted; the worker's memory is
 * sampled from /proc while it runs and its CPU time is read before and after.
 */

export interface SendFigures {
  subscribers: number;
  accepted: number;
  distinctRecipients: number;
  seconds: number;
  messagesPerSecond: number;
  /** Worker processes that shared the send. */
  workers: number;
  /** Worker CPU (user + system, all workers) per message, microseconds. */
  workerCpuUsPerMessage: number;
  /** Worker CPU (all workers) share of one core over the send. */
  workerCpuPct: number;
  /** Other processes' CPU over the send, seconds: Postgres, Redis, the sink. */
  postgresCpuS: number;
  redisCpuS: number;
  sinkCpuS: number;
  /** Both cores busy, share of the send's wall time. */
  machineBusyPct: number;
  /** VmHWM of the largest worker at the end of the send, MB (the process's peak RSS). */
  peakRssMb: number;
  /** Wall seconds until every delivery of the run was settled in the ledger. */
  ledgerSettledSeconds: number;
  averageMessageBytes: number;
  /** VACUUMs of the ledger the bench ran in autovacuum's place (0 where autovacuum is on). */
  benchVacuums: number;
  /** Growth of the ledger tables (tables, indexes, TOAST) per accepted message, after a VACUUM, bytes; by table. */
  ledgerBytesPerMessage: Record<LedgerTable, number>;
  /** CPU of the Postgres backends serving the bench's database over the send, s (benchBackendsCpu). */
  postgresBenchDatabaseCpuS: number;
  /** Row updates of `deliveries` over the send, how many of them were HOT (no index entry written), and the database's commits. */
  deliveryUpdates: { all: number; hot: number; commits: number };
}

/** The tables that grow with every email; a partitioned one counts with all its partitions. */
const LEDGER_TABLES = ['deliveries', 'sent_papers', 'edition_variants'] as const;
type LedgerTable = (typeof LEDGER_TABLES)[number];

/**
 * CPU seconds so far of each backend serving the bench's database (pg_stat_activity), by pid: the
 * Postgres CPU of this send alone, where the machine-wide figure also holds whatever else the
 * shared server does meanwhile. A backend that ends between two samples is missed (a lower bound;
 * the worker's pooled connections live through the send).
 */
async function benchBackendsCpu(sql: Sql): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      cpu.set(pid, cpuSecondsOf(pid));
    } catch {
      // Ended between the query and the read.
    }
  }
  return cpu;
}

/** Row updates of every `deliveries` partition so far (pg_stat_user_tables), and the HOT ones among them. */
async function deliveryUpdateCounts(sql: Sql): Promise<{ all: number; hot: number; commits: number }> {
  const [row] = await sql<{ all: string; hot: string; commits: string }[]>`
    select coalesce(sum(n_tup_upd), 0) as all, coalesce(sum(n_tup_hot_upd), 0) as hot,
      (select xact_commit from pg_stat_database where datname = current_database()) as commits
    from pg_stat_user_tables where relname = 'deliveries' or relname ~ '^deliveries_e[0-9]+$'`;
  return { all: Number(row?.all ?? 0), hot: Number(row?.hot ?? 0), commits: Number(row?.commits ?? 0) };
}

/** Bytes on disk of each ledger table with its partitions, indexes and TOAST, after a VACUUM (what stays once dead rows are reusable). */
export async function ledgerBytes(sql: Sql): Promise<Record<LedgerTable, number>> {
  await sql`vacuum deliveries, sent_papers, edition_variants`;
  const rows = await sql<{ name: LedgerTable; bytes: string }[]>`
    select t.name, coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes
    from unnest(${[...LEDGER_TABLES]}::text[]) as t(name)
    join pg_class c on c.oid = to_regclass(t.name) or c.oid in (select inhrelid from pg_inherits where inhparent = to_regclass(t.name))
    group by t.name`;
  return Object.fromEntries(LEDGER_TABLES.map((name) => [name, Number(rows.find((row) => row.name === name)?.bytes ?? 0)])) as Record<LedgerTable, number>;
}

export interface SendPointOptions {
  env: BenchEnv;
  runtime: Runtime;
  sink: SmtpSink;
  editionDate: string;
  subscribers: number;
  poolSize: number;
  log: (line: string) => void;
  /** services/main.ts (tsx) or dist/services/main.js (built). */
  entry: string;
  /** Extra node flags for the worker (e.g. --cpu-prof). */
  workerNodeArgs?: string[];
  /** PAPERBOY_ROLE of the sending process; `all` is what `npm start` runs. */
  role?: 'worker' | 'all';
  /** More environment for the worker (the DKIM keys of the DKIM-on send). */
  workerEnv?: Record<string, string>;
  /** How many sending processes share the send (1 by default). */
  workers?: number;
  /** Called on each progress check while messages flow (every 250 ms): work to time under the send's load. */
  whileSending?: () => void;
}

const INSERT_CHUNK = 200_000;

/** Replaces the readers and the ledger with `count` fresh confirmed daily readers. */
export async function resetReaders(sql: Runtime['database']['sql'], count: number, log: (line: string) => void): Promise<void> {
  await sql`truncate sent_papers, deliveries, edition_variants, send_runs, suppressions, subscribers cascade`;
  for (let start = 1; start <= count; start += INSERT_CHUNK) {
    const end = Math.min(count, start + INSERT_CHUNK - 1);
    await sql`
      insert into subscribers (email, email_normalized, status, frequency, weekday, send_hour, time_zone, topics, max_papers,
                               consent_at, consent_source, confirmed_at)
      select 'reader-' || n || '@example.org', 'reader-' || n || '@example.org', 'confirmed', 'daily', 1, 7, 'UTC',
             '{}'::text[], 10, now(), 'import', now()
      from generate_series(${start}::int, ${end}::int) as n`;
    log(`  readers inserted: ${end.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
  }
  await sql`vacuum analyze subscribers`;
}

const AUTOVACUUM_NAPTIME_MS = 60_000;

/**
 * Where Postgres runs with autovacuum off (this machine's does), a million-reader send leaves
 * the ledger with a million dead row versions and slows down by a third as it goes. Production
 * Postgres vacuums by default, so the bench does what autovacuum would with its default
 * settings: every naptime, VACUUM `deliveries` once its dead rows pass 50 + 20 % of its live ones.
 */
async function standInForAutovacuum(sql: Sql, log: (line: string) => void): Promise<{ stop(): Promise<number> }> {
  const [setting] = await sql<{ on: boolean }[]>`select current_setting('autovacuum')::boolean as on`;
  if (setting?.on) return { stop: async () => 0 };
  log('  Postgres runs with autovacuum off here: the bench vacuums the ledger as autovacuum would (every 60 s, past 50 + 20 % dead rows)');
  let vacuums = 0;
  let running: Promise<void> = Promise.resolve();
  const check = async () => {
    // The ledger is one table, or one partition per edition (deliveries_e<id>): each is vacuumed on its own.
    const tables = await sql<{ name: string; live: number; dead: number }[]>`
      select relname as name, n_live_tup::float8 as live, n_dead_tup::float8 as dead from pg_stat_user_tables
      where relname = 'deliveries' or relname ~ '^deliveries_e[0-9]+$'`;
    for (const table of tables) {
      if (table.dead <= 50 + 0.2 * table.live) continue;
      await sql`vacuum ${sql(table.name)}`;
      vacuums += 1;
      log(`  (vacuumed ${table.name}: ${Math.round(table.dead).toLocaleString('en-US')} dead rows)`);
    }
  };
  const timer = setInterval(() => {
    running = running.then(check).catch((error: unknown) => log(`  (vacuum skipped: ${(error as Error).message})`));
  }, AUTOVACUUM_NAPTIME_MS);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      return vacuums;
    },
  };
}

/** A Paperboy worker process as deployed (NODE_ENV=production) whose SMTP_URL is the sink, on a free port. */
export async function startSendingWorker(options: {
  entry: string;
  env: BenchEnv;
  sinkUrl: string;
  poolSize: number;
  role?: 'worker' | 'all';
  workerEnv?: Record<string, string>;
  nodeArgs?: string[];
}): Promise<{ proc: ReturnType<typeof startProcess>; port: number }> {
  const port = await freePort();
  const proc = startProcess(
    options.entry,
    {
      NODE_ENV: 'production',
      PAPERBOY_ROLE: options.role ?? 'worker',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...paperboyEnv(options.env),
      SMTP_URL: options.sinkUrl,
      SMTP_POOL_SIZE: String(options.poolSize),
      LOG_LEVEL: 'warn',
      ...options.workerEnv,
    },
    { nodeArgs: options.nodeArgs ?? [] },
  );
  return { proc, port };
}

export async function measureSend(options: SendPointOptions): Promise<SendFigures> {
  const { env, runtime, sink, subscribers, log } = options;
  const { sql } = runtime.database;
  await resetReaders(sql, subscribers, log);
  await sink.reset();

  const workers = await Promise.all(
    Array.from({ length: options.workers ?? 1 }, () =>
      startSendingWorker({ entry: options.entry, env, sinkUrl: sink.url, poolSize: options.poolSize, role: options.role, workerEnv: options.workerEnv, nodeArgs: options.workerNodeArgs }),
    ),
  );
  const workersCpu = () => workers.reduce((sum, { proc }) => sum + cpuSecondsOf(proc.pid), 0);
  const largestMemory = () => {
    const all = workers.map(({ proc }) => memoryOf(proc.pid));
    return { rssMb: Math.max(...all.map((m) => m.rssMb)), hwmMb: Math.max(...all.map((m) => m.hwmMb)) };
  };
  let autovacuum: { stop(): Promise<number> } | undefined;
  try {
    for (const { proc, port } of workers) {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, proc);
      log(`  worker pid ${proc.pid} ready (RSS ${memoryOf(proc.pid).rssMb.toFixed(0)} MB)`);
    }
    const bytesBefore = await ledgerBytes(sql);
    const updatesBefore = await deliveryUpdateCounts(sql);

    const backendsBefore = await benchBackendsCpu(sql);
    const cpuBefore = { worker: workersCpu(), postgres: cpuSecondsByName('postgres'), redis: cpuSecondsByName('redis-server'), sink: cpuSecondsOf(sink.process.pid), machine: machineCpu() };
    autovacuum = await standInForAutovacuum(sql, log);
    const startedAt = Date.now();
    const run = await startManualSend(runtime, options.editionDate, 'bench');

    let peakRss = 0;
    let lastLog = 0;
    let lastAccepted = 0;
    let lastLogAt = startedAt;
    const timeoutMs = Math.max(120_000, subscribers * 10);
    let dead: (typeof workers)[number]['proc'] | undefined;
    for (const { proc } of workers) void proc.exited.then(() => (dead = proc));
    let accepted = 0;
    await waitUntil(
      `${subscribers} messages at the sink`,
      async () => {
        if (dead) throw new Error(`worker exited during the send:\n${dead.tail()}`);
        const memory = largestMemory();
        peakRss = Math.max(peakRss, memory.hwmMb);
        const stats = await sink.stats();
        accepted = stats.accepted;
        if (accepted > 0 && accepted < subscribers) options.whileSending?.();
        const now = Date.now();
        if (now - lastLog >= 2000 || accepted >= subscribers) {
          const rate = ((accepted - lastAccepted) * 1000) / Math.max(1, now - lastLogAt);
          log(
            `  ${((now - startedAt) / 1000).toFixed(1).padStart(6)} s  sent ${accepted.toLocaleString('en-US').padStart(9)} / ${subscribers.toLocaleString('en-US')}` +
              `  ${Math.round(rate).toLocaleString('en-US').padStart(6)} msg/s now  RSS ${memory.rssMb.toFixed(0)} MB (peak ${memory.hwmMb.toFixed(0)})`,
          );
          lastLog = now;
          lastAccepted = accepted;
          lastLogAt = now;
        }
        return accepted >= subscribers;
      },
      timeoutMs,
      250,
    );
    const stats = await sink.stats();
    const endedAt = stats.lastAt ?? Date.now();
    const memory = largestMemory();
    peakRss = Math.max(peakRss, memory.hwmMb);
    const cpuAfter = { worker: workersCpu(), postgres: cpuSecondsByName('postgres'), redis: cpuSecondsByName('redis-server'), sink: cpuSecondsOf(sink.process.pid), machine: machineCpu() };
    const backendsAfter = await benchBackendsCpu(sql);

    await waitUntil(
      'the run to complete in the ledger',
      async () => (await sql<{ status: string }[]>`select status from send_runs where id = ${run.id}`)[0]?.status === 'completed',
      120_000,
      100,
    );
    const settledAt = Date.now();
    const benchVacuums = await autovacuum.stop();
    const bytesAfter = await ledgerBytes(sql);
    // The statistics reach the shared counters within a second of each statement.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const updatesAfter = await deliveryUpdateCounts(sql);

    const seconds = (endedAt - startedAt) / 1000;
    const workerCpu = cpuAfter.worker - cpuBefore.worker;
    const machine = (cpuAfter.machine.busy - cpuBefore.machine.busy) / Math.max(1, cpuAfter.machine.total - cpuBefore.machine.total);
    return {
      subscribers,
      workers: workers.length,
      accepted: stats.accepted,
      distinctRecipients: stats.distinctRecipients,
      seconds,
      messagesPerSecond: stats.accepted / seconds,
      workerCpuUsPerMessage: (workerCpu * 1e6) / stats.accepted,
      workerCpuPct: (workerCpu / seconds) * 100,
      postgresCpuS: cpuAfter.postgres - cpuBefore.postgres,
      postgresBenchDatabaseCpuS: [...backendsAfter].reduce((sum, [pid, cpu]) => sum + cpu - (backendsBefore.get(pid) ?? 0), 0),
      redisCpuS: cpuAfter.redis - cpuBefore.redis,
      sinkCpuS: cpuAfter.sink - cpuBefore.sink,
      machineBusyPct: machine * 100,
      peakRssMb: peakRss,
      ledgerSettledSeconds: (settledAt - startedAt) / 1000,
      averageMessageBytes: stats.bytes / Math.max(1, stats.accepted),
      benchVacuums,
      ledgerBytesPerMessage: Object.fromEntries(
        LEDGER_TABLES.map((name) => [name, (bytesAfter[name] - bytesBefore[name]) / Math.max(1, stats.accepted)]),
      ) as Record<LedgerTable, number>,
      deliveryUpdates: { all: updatesAfter.all - updatesBefore.all, hot: updatesAfter.hot - updatesBefore.hot, commits: updatesAfter.commits - updatesBefore.commits },
    };
  } finally {
    await autovacuum?.stop();
    await Promise.all(workers.map(({ proc }) => proc.stop()));
  }
}
