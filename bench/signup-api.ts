import { createRequire } from 'node:module';
import type { Runtime } from '../services/runtime.js';
import { DEFAULT_BATCH_SIZE, relayReaderMail } from '../services/worker/reader-mail-relay.js';
import { paperboyEnv, type BenchEnv } from './bench-env.js';
import { cpuSecondsByName, cpuSecondsOf, freePort, startProcess, waitForHttp } from './child-process.js';

/**
 * `POST /subscribe` (JSON, a new address every request) against a Paperboy API process, and the
 * same load against a bare Fastify + postgres.js insert in its own process. autocannon runs in
 * the bench process; both servers get the same load from the same client. The load alternates
 * between the two in rounds, each after a Postgres checkpoint, so that neither pays for the
 * other's dirty pages or catches the machine at a better moment.
 */

const ROUNDS = 2;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
  duration: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  statusCodes: Record<string, number>;
  errors: number;
  /** CPU of the server process per request (µs) and its share of one core; Postgres CPU per request (µs). */
  serverCpuUsPerRequest: number;
  serverCpuPct: number;
  postgresCpuUsPerRequest: number;
}

/** The worker's share of a signup: moving its confirmation from the outbox onto the queue. */
export interface RelayFigures {
  batchSize: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
}

export interface SignupFigures {
  paperboy: LoadFigures;
  bare: LoadFigures;
  relay: RelayFigures;
  connections: number;
  /** Seconds of load on each server, in `rounds` alternating rounds. */
  seconds: number;
  rounds: number;
}

let sequence = 0;

/** One round of load: raw counts, so rounds add up. */
interface Round {
  total: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  errors: number;
  serverCpuSeconds: number;
  postgresCpuSeconds: number;
}

async function load(url: string, label: string, connections: number, seconds: number, log: (line: string) => void, serverPid: number): Promise<Round> {
  const cpuBefore = { server: cpuSecondsOf(serverPid), postgres: cpuSecondsByName('postgres') };
  const run = `${label.replace(/\W+/g, '-')}-${Date.now().toString(36)}`;
  const ticker = setInterval(() => log(`  ${label}: ${sequence.toLocaleString('en-US')} requests so far`), 2000);
  try {
    const result = await autocannon({
      url,
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      requests: [
        {
          method: 'POST',
          path: '/subscribe',
          setupRequest: (request: Record<string, unknown>) => ({ ...request, body: JSON.stringify({ email: `signup-${run}-${++sequence}@example.org` }) }),
        },
      ],
    });
    return {
      total: result.requests.total,
      seconds: result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, Number(stat.count)])),
      errors: result.errors + result.timeouts,
      serverCpuSeconds: cpuSecondsOf(serverPid) - cpuBefore.server,
      postgresCpuSeconds: cpuSecondsByName('postgres') - cpuBefore.postgres,
    };
  } finally {
    clearInterval(ticker);
  }
}

/** The rounds of one server as one figure: p50 weighted by requests, p99 the worst round's. */
function combine(rounds: Round[]): LoadFigures {
  const sum = (pick: (round: Round) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  const total = sum((r) => r.total);
  const seconds = sum((r) => r.seconds);
  const statusCodes: Record<string, number> = {};
  for (const round of rounds) for (const [code, count] of Object.entries(round.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  return {
    requestsPerSecond: total / seconds,
    p50Ms: sum((r) => r.p50Ms * r.total) / Math.max(1, total),
    p99Ms: Math.max(...rounds.map((r) => r.p99Ms)),
    total,
    statusCodes,
    errors: sum((r) => r.errors),
    serverCpuUsPerRequest: (sum((r) => r.serverCpuSeconds) * 1e6) / Math.max(1, total),
    serverCpuPct: (sum((r) => r.serverCpuSeconds) / seconds) * 100,
    postgresCpuUsPerRequest: (sum((r) => r.postgresCpuSeconds) * 1e6) / Math.max(1, total),
  };
}

/** Writes dirty pages out now, so the next round starts from the same state as every other. */
async function checkpoint(sql: Runtime['database']['sql']): Promise<void> {
  await sql`checkpoint`.catch(() => {
    // Needs superuser or pg_checkpoint; without it the rounds still alternate.
  });
}

/** Relays the whole outbox the signups left, in the worker's batches, as fast as it goes. */
async function measureRelay(runtime: Runtime): Promise<RelayFigures> {
  const started = performance.now();
  let requests = 0;
  for (;;) {
    const moved = await relayReaderMail(runtime);
    if (moved === 0) break;
    requests += moved;
  }
  const seconds = (performance.now() - started) / 1000;
  return { batchSize: DEFAULT_BATCH_SIZE, requests, seconds, requestsPerSecond: requests / seconds };
}

export async function measureSignup(options: {
  env: BenchEnv;
  runtime: Runtime;
  connections: number;
  seconds: number;
  log: (line: string) => void;
  /** services/main.ts (tsx) or dist/services/main.js (built). */
  entry: string;
  /** Extra node flags for the API process (e.g. --cpu-prof). */
  apiNodeArgs?: string[];
}): Promise<SignupFigures> {
  const { env, connections, log } = options;
  const { sql } = options.runtime.database;
  const roundSeconds = Math.max(1, Math.round(options.seconds / ROUNDS));
  await sql`create table if not exists bench_bare_subscribers (like subscribers including defaults including constraints including indexes)`;

  const [apiPort, barePort] = [await freePort(), await freePort()];
  const servers = [
    {
      label: 'paperboy',
      url: `http://127.0.0.1:${apiPort}`,
      process: startProcess(
        options.entry,
        { NODE_ENV: 'production', PAPERBOY_ROLE: 'api', PORT: String(apiPort), HOST: '127.0.0.1', ...paperboyEnv(env), SIGNUP_RATE_LIMIT: '100000', LOG_LEVEL: 'warn' },
        { nodeArgs: options.apiNodeArgs ?? [] },
      ),
      rounds: [] as Round[],
    },
    {
      label: 'bare',
      url: `http://127.0.0.1:${barePort}`,
      process: startProcess('bench/bare-signup-server.ts', { DATABASE_URL: env.databaseUrl, PORT: String(barePort) }),
      rounds: [] as Round[],
    },
  ];
  try {
    for (const server of servers) {
      await waitForHttp(`${server.url}/healthz`, server.process);
      await load(server.url, 'warm-up', 10, 1, () => {}, server.process.pid);
    }
    log(`  Paperboy API (PAPERBOY_ROLE=api) and a bare Fastify + postgres.js insert, ${connections} connections, ${ROUNDS} rounds of ${roundSeconds} s each`);
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const server of servers) {
        await checkpoint(sql);
        server.rounds.push(await load(server.url, `${server.label} round ${round}`, connections, roundSeconds, log, server.process.pid));
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.process.stop()));
  }

  log("  relaying the confirmations the signups left in the outbox (the worker's part)");
  const relay = await measureRelay(options.runtime);
  const [paperboy, bare] = servers.map((server) => combine(server.rounds)) as [LoadFigures, LoadFigures];
  return { paperboy, bare, relay, connections, seconds: ROUNDS * roundSeconds, rounds: ROUNDS };
}
