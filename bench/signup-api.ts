import { createRequire } from 'node:module';
import type { Runtime } from '../services/shared/runtime.js';
import { enqueueReaderMails } from '../services/shared/subscribers/reader-mail-jobs.js';
import { relayReaderMailOutbox } from '../services/shared/subscribers/reader-mail-outbox.js';
import { paperboyEnv, type BenchEnv } from './bench-env.js';
import { cpuSecondsByName, cpuSecondsOf, freePort, startProcess, waitForHttp, type BenchProcess } from './child-process.js';

/**
 * `POST /subscribe` (JSON, a new address every request) against a Paperboy API process, and the
 * same load against a bare Fastify + postgres.js insert in its own process. autocannon runs in
 * the bench process; both servers get the same load from the same client.
 */

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
  requests: number;
  seconds: number;
  requestsPerSecond: number;
}

export interface SignupFigures {
  paperboy: LoadFigures;
  bare: LoadFigures;
  relay: RelayFigures;
  connections: number;
  seconds: number;
}

let sequence = 0;

async function load(url: string, label: string, connections: number, seconds: number, log: (line: string) => void, serverPid: number): Promise<LoadFigures> {
  const cpuBefore = { server: cpuSecondsOf(serverPid), postgres: cpuSecondsByName('postgres') };
  const run = `${label}-${Date.now().toString(36)}`;
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
    const serverCpu = cpuSecondsOf(serverPid) - cpuBefore.server;
    const postgresCpu = cpuSecondsByName('postgres') - cpuBefore.postgres;
    const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, Number(stat.count)]));
    return {
      requestsPerSecond: result.requests.total / result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      total: result.requests.total,
      statusCodes,
      errors: result.errors + result.timeouts,
      serverCpuUsPerRequest: (serverCpu * 1e6) / Math.max(1, result.requests.total),
      serverCpuPct: (serverCpu / result.duration) * 100,
      postgresCpuUsPerRequest: (postgresCpu * 1e6) / Math.max(1, result.requests.total),
    };
  } finally {
    clearInterval(ticker);
  }
}

async function withProcess<T>(proc: BenchProcess, healthUrl: string, work: () => Promise<T>): Promise<T> {
  try {
    await waitForHttp(healthUrl, proc);
    return await work();
  } finally {
    await proc.stop();
  }
}

/** Relays the whole outbox the signups left, in the worker's batches of 500, as fast as it goes. */
async function measureRelay(runtime: Runtime): Promise<RelayFigures> {
  const started = performance.now();
  let requests = 0;
  for (;;) {
    const moved = await relayReaderMailOutbox(runtime.database.sql, 500, (batch) => enqueueReaderMails(runtime.queues.transactional, batch));
    if (moved === 0) break;
    requests += moved;
  }
  const seconds = (performance.now() - started) / 1000;
  return { requests, seconds, requestsPerSecond: requests / seconds };
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
  const { env, connections, seconds, log } = options;
  await options.runtime.database.sql`create table if not exists bench_bare_subscribers (like subscribers including defaults including constraints including indexes)`;

  const apiPort = await freePort();
  const api = startProcess(options.entry, {
    NODE_ENV: 'production',
    PAPERBOY_ROLE: 'api',
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    ...paperboyEnv(env),
    SIGNUP_RATE_LIMIT: '100000',
    LOG_LEVEL: 'warn',
  }, { nodeArgs: options.apiNodeArgs ?? [] });
  log(`  Paperboy API (PAPERBOY_ROLE=api), ${connections} connections, ${seconds} s`);
  const paperboy = await withProcess(api, `http://127.0.0.1:${apiPort}/healthz`, async () => {
    await load(`http://127.0.0.1:${apiPort}`, 'warm-up', 10, 1, () => {}, api.pid);
    return load(`http://127.0.0.1:${apiPort}`, 'paperboy', connections, seconds, log, api.pid);
  });

  log('  relaying the confirmations the signups left in the outbox (the worker\'s part)');
  const relay = await measureRelay(options.runtime);

  const barePort = await freePort();
  const bare = startProcess('bench/bare-signup-server.ts', { DATABASE_URL: env.databaseUrl, PORT: String(barePort) });
  log(`  bare Fastify + postgres.js insert, ${connections} connections, ${seconds} s`);
  const baseline = await withProcess(bare, `http://127.0.0.1:${barePort}/healthz`, async () => {
    await load(`http://127.0.0.1:${barePort}`, 'warm-up', 10, 1, () => {}, bare.pid);
    return load(`http://127.0.0.1:${barePort}`, 'bare', connections, seconds, log, bare.pid);
  });
  return { paperboy, bare: baseline, relay, connections, seconds };
}
