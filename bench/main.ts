import os from 'node:os';
import path from 'node:path';
import { configFromEnv } from '../services/core/platform/config/config.js';
import { createReaderSelector } from '../services/core/digest/reader-selection.js';
import { assembleEdition, getEditionWithPapers } from '../services/core/editions/edition-service.js';
import { createLogger } from '../services/core/platform/logging/logger.js';
import { importPapersFile } from '../services/core/papers/paper-import-service.js';
import { createRuntime, type Runtime } from '../services/runtime.js';
import { createEditionMessages } from '../services/core/sending/edition-messages.js';
import { createBenchEnv, paperboyEnv, type BenchEnv } from './bench-env.js';
import { buildDist, PROJECT_ROOT, stopAllProcesses } from './child-process.js';
import { generateKeyPairSync } from 'node:crypto';
import { createBareSignSampler, measureBareRsaSignUs, measureRenderCost } from './render-cost.js';
import { DEPLOYED_WORKER_FLAGS } from './worker-flags.js';
import { DATABASE_BYTES_PER_EMAIL_TARGET, describeMachine, describeVersions, evaluateTargets, renderSection, writeBenchmarksFile, type BenchResults } from './report.js';
import { measureSend, type SendFigures } from './send-throughput.js';
import { measureSignup } from './signup-api.js';
import { measureSmtpCeiling } from './smtp-ceiling.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink-client.js';
import { judgeYear, simulateYear } from './year-simulated.js';

/**
 * `npm run bench [-- --quick] [--subscribers N] [--scale] [--only send,render,signup,scale]
 *  [--pool N] [--cpu-prof] [--tsx] [--worker-flags "..."] [--role worker|all] [--no-dkim-send] [--workers N]`: every benchmark with its baseline in one run, then
 * docs/BENCHMARKS.md. See docs/BENCHMARKS.md for what each figure means.
 * `npm run bench -- --year [--days 30] [--subscribers 20000]`: only "a year, simulated" (year-simulated.ts).
 */

const EDITION_DATE = '2026-02-03';
const FIXTURE = path.join(PROJECT_ROOT, 'test/fixtures/hf-daily-papers', `${EDITION_DATE}.json`);
const ALL = ['render', 'send', 'signup', 'scale'] as const;
/** "A year, simulated": both ledger retention windows shortened to this, so a month shows the level. */
const YEAR_WINDOW_DAYS = 7;
type Part = (typeof ALL)[number];

function parseArgs(argv: string[]) {
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const scale = argv.includes('--scale');
  const year = argv.includes('--year');
  const subscribers = Number(value('subscribers') ?? (year ? 20_000 : quick ? 10_000 : 100_000));
  const days = Number(value('days') ?? 30);
  const only = (value('only')?.split(',') ?? (year ? [] : [...ALL])) as Part[];
  const unknown = only.filter((part) => !ALL.includes(part));
  const role = value('role') ?? 'worker';
  const workers = Number(value('workers') ?? 1);
  if (
    unknown.length > 0 || !Number.isInteger(subscribers) || subscribers < 100 || (role !== 'worker' && role !== 'all') ||
    !Number.isInteger(workers) || workers < 1 || workers > 8 || !Number.isInteger(days) || days < 2
  ) {
    throw new Error(
      `usage: npm run bench -- [--quick] [--subscribers N>=100] [--scale] [--only ${ALL.join(',')}] [--pool N] [--cpu-prof] [--tsx] [--worker-flags "..."] [--role worker|all] [--no-dkim-send] [--workers 1-8]
` +
        '       npm run bench -- --year [--days N>=2] [--subscribers N>=100] [--pool N] [--tsx]',
    );
  }
  const scalePoints = [...new Set([quick ? 2_000 : 10_000, subscribers, ...(scale ? [1_000_000] : [])])].sort((a, b) => a - b);
  return {
    quick,
    subscribers,
    only: new Set(only),
    scalePoints,
    section: (year ? 'year' : scale ? 'million' : quick ? 'quick' : 'full') as BenchResults['section'],
    year,
    days,
    poolSize: Number(value('pool') ?? 5),
    cpuProf: argv.includes('--cpu-prof'),
    /** Run Paperboy from its TypeScript sources via tsx instead of the built dist/ (what Docker runs). */
    tsx: argv.includes('--tsx'),
    /** Node flags for the sending process; by default the ones every deployed role starts with. */
    workerFlags: value('worker-flags')?.split(/\s+/).filter(Boolean) ?? DEPLOYED_WORKER_FLAGS,
    /** After the send, the same send again with DKIM on, then once more without (`--no-dkim-send` skips both). */
    dkimSend: !argv.includes('--no-dkim-send'),
    /** The sending process's PAPERBOY_ROLE: the worker alone, or API and worker in one (`npm start`). */
    role: role as 'worker' | 'all',
    /** Above 1: the send is measured again with this many worker processes sharing it, beside the one-worker figure. */
    workers,
  };
}

const profileFlags = ['--cpu-prof', `--cpu-prof-dir=${path.join(PROJECT_ROOT, 'test-artifacts', 'cpu-prof')}`];
const log = (line: string) => console.log(line);
const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function benchRuntime(env: BenchEnv): Runtime {
  const config = configFromEnv({
    ...paperboyEnv(env),
    LOG_LEVEL: 'silent',
  });
  return createRuntime(config, createLogger({ level: 'silent' }));
}

/** The finished message a default reader of the edition receives (the baseline sends it). */
async function sampleMessage(runtime: Runtime) {
  const edition = await getEditionWithPapers(runtime, EDITION_DATE);
  if (!edition) throw new Error(`edition ${EDITION_DATE} was not assembled`);
  const selection = createReaderSelector(edition.papers).select({ topics: [], alreadySent: new Set(), maxPapers: 10 });
  const builder = await createEditionMessages(runtime).forEdition(EDITION_DATE);
  return builder.build(selection.paperIds, { subscriberId: 1, email: 'reader-1@example.org', deliveryId: 1 }, new Date());
}

function printSend(label: string, figures: SendFigures) {
  log(
    `  ${label}: ${fmt(figures.accepted)} messages in ${fmt(figures.seconds, 1)} s = ${fmt(figures.messagesPerSecond)} msg/s; ` +
      `worker ${fmt(figures.workerCpuUsPerMessage)} µs CPU/msg (${fmt(figures.workerCpuPct)} % of a core), peak RSS ${fmt(figures.peakRssMb)} MB; ` +
      `Postgres ${fmt((figures.postgresCpuS * 1e6) / figures.accepted)} µs CPU/msg; machine ${fmt(figures.machineBusyPct)} % busy; ` +
      `${fmt(figures.distinctRecipients)} distinct recipients; ledger settled at ${fmt(figures.ledgerSettledSeconds, 1)} s`,
  );
  const bytes = figures.ledgerBytesPerMessage;
  const total = bytes.deliveries + bytes.sent_papers + bytes.edition_variants;
  log(
    `  database bytes per email (after VACUUM): ${fmt(total)} B = deliveries ${fmt(bytes.deliveries)} B + sent_papers ${fmt(bytes.sent_papers)} B + edition_variants ${fmt(bytes.edition_variants)} B; ` +
      `${(total / DATABASE_BYTES_PER_EMAIL_TARGET).toFixed(2)}× the issue-15 target of ${DATABASE_BYTES_PER_EMAIL_TARGET} B`,
  );
  log(
    `  Postgres CPU of this database's backends only: ${fmt((figures.postgresBenchDatabaseCpuS * 1e6) / figures.accepted)} µs/msg ` +
      `(the figure above counts every postgres process of the shared server)`,
  );
  const updates = figures.deliveryUpdates;
  log(
    `  deliveries row updates: ${fmt(updates.all)} (${fmt(updates.all / Math.max(1, figures.accepted), 1)} per email), ` +
      `HOT ${fmt(updates.hot)} = ${((100 * updates.hot) / Math.max(1, updates.all)).toFixed(1)} %; ` +
      `${fmt(updates.commits / Math.max(1, figures.accepted), 2)} transactions per email`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const env = await createBenchEnv();
  log(`bench: database ${env.databaseName}, queue prefix ${env.queuePrefix}`);
  const runtime = benchRuntime(env);
  let sink: SmtpSink | undefined;
  const cleanup = async () => {
    // A worker or API still running holds connections that would block dropping the database.
    await stopAllProcesses();
    await sink?.stop().catch(() => {});
    await runtime.close().catch(() => {});
    await env.remove();
    log(`bench: removed database ${env.databaseName} and queue prefix ${env.queuePrefix}`);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  try {
    const results: BenchResults = {
      startedAt,
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      section: args.section,
      poolSize: args.poolSize,
      machine: describeMachine(),
      versions: await describeVersions(runtime.database.sql, env.redisUrl),
      scale: [],
    };
    log(`machine: ${results.machine}\nversions: ${results.versions}`);
    let entry = 'services/main.ts';
    if (!args.tsx && (args.only.has('send') || args.only.has('scale') || args.only.has('signup') || args.year)) {
      log('building dist/ (npm run build): Paperboy runs as the Docker image runs it, node dist/services/main.js');
      entry = path.relative(PROJECT_ROOT, buildDist());
    }
    results.entry = entry;

    if (args.year) {
      sink = await startSmtpSink();
      log(`\n5. A year, simulated: ${args.days} daily editions to ${fmt(args.subscribers)} readers, nightly retention with ${YEAR_WINDOW_DAYS}-day windows`);
      results.year = await simulateYear({
        env,
        sink,
        entry,
        days: args.days,
        subscribers: args.subscribers,
        windowDays: YEAR_WINDOW_DAYS,
        poolSize: args.poolSize,
        workerNodeArgs: args.workerFlags,
        log,
      });
      const verdict = judgeYear(results.year);
      if (verdict.levelFrom !== undefined) {
        log(
          `  level from day ${verdict.levelFrom}: ledger spread ${fmt(verdict.ledgerSpread! * 100, 1)} %; database growth ${fmt(verdict.growthPerDayAfter! / 1024)} KiB/day ` +
            `after vs ${fmt(verdict.growthPerDayBefore! / 1024)} KiB/day before = ${(verdict.growthPerDayAfter! / verdict.growthPerDayBefore!).toFixed(3)}×`,
        );
      }
      if (verdict.rateRatio !== undefined) log(`  send rate, last day / first day: ${verdict.rateRatio.toFixed(2)}×`);
    }

    if (args.only.has('render')) {
      log('\n2. Render cost per email (fill the prepared message vs MJML + compose per reader)');
      const render = await measureRenderCost(args.quick ? { compiles: 10, fills: 5_000, signedFills: 1_000 } : { compiles: 30, fills: 20_000, signedFills: 5_000 });
      results.render = render;
      log(
        `  fill ${fmt(render.fillUs, 1)} µs/email; MJML ${fmt(render.mjmlCompileMs, 2)} ms + compose ${fmt(render.composeMs, 2)} ms per reader` +
          ` = ${fmt((render.mjmlCompileMs + render.composeMs) * 1000)} µs; ratio ${fmt(render.naiveOverFill)}×`,
      );
      const { dkim } = render;
      log(
        `  DKIM (CPU per email): bare RSA-2048 signature ${fmt(dkim.bareSignUs)} µs; fill ${fmt(dkim.fillUs, 1)} µs, signed fill ${fmt(dkim.signedFillUs)} µs` +
          ` = ${fmt(dkim.extraUs)} µs extra = ${dkim.extraOverBare.toFixed(2)}× the bare signature; with Ed25519 too ${fmt(dkim.dualSignedExtraUs)} µs extra;` +
          ` nodemailer's DKIM ${fmt(dkim.nodemailerUs)} µs = ${(dkim.nodemailerUs / dkim.bareSignUs).toFixed(2)}×`,
      );
    }

    const sending = args.only.has('send') || args.only.has('scale');
    if (sending) {
      await importPapersFile(runtime, FIXTURE, { date: EDITION_DATE });
      await assembleEdition(runtime, EDITION_DATE);
      sink = await startSmtpSink();
      log(`\nSMTP sink pid ${sink.process.pid} on ${sink.url}`);
      const activeSink = sink;
      // One send to `subscribers` readers through a Paperboy worker, as every send of this run is measured.
      const send = (subscribers: number, options: Pick<Parameters<typeof measureSend>[0], 'workerEnv' | 'whileSending' | 'workers'> = {}) =>
        measureSend({
          env,
          runtime,
          sink: activeSink,
          editionDate: EDITION_DATE,
          entry,
          subscribers,
          poolSize: args.poolSize,
          log,
          workerNodeArgs: [...args.workerFlags, ...(args.cpuProf ? profileFlags : [])],
          role: args.role,
          ...options,
        });
      const message = await sampleMessage(runtime);

      log(`\n1. Send throughput baseline: plain pooled nodemailer (${args.poolSize} connections), one prebuilt ${fmt(message.raw.length / 1024, 1)} KB message`);
      results.ceiling = await measureSmtpCeiling({ sink, raw: message.raw, envelopeFrom: message.envelope.from, messages: args.quick ? 5_000 : 30_000, poolSize: args.poolSize, log });
      log(
        `  ceiling: ${fmt(results.ceiling.messagesPerSecond)} msg/s (${fmt(results.ceiling.messages)} in ${fmt(results.ceiling.seconds, 1)} s); ` +
          `client ${fmt(results.ceiling.clientCpuUsPerMessage)} µs CPU/msg`,
      );

      const points = args.only.has('scale') ? args.scalePoints : [args.subscribers];
      for (const subscribers of points) {
        log(`\n${subscribers === args.subscribers ? '1./4.' : '4.'} Send to ${fmt(subscribers)} readers (worker process, pool ${args.poolSize})`);
        const figures = await send(subscribers);
        printSend(`${fmt(subscribers)} readers`, figures);
        results.scale.push(figures);
        if (subscribers === args.subscribers) {
          results.send = figures;
          log(`  ratio to the plain pooled-SMTP ceiling: ${(figures.messagesPerSecond / results.ceiling.messagesPerSecond).toFixed(2)}×`);
        }
      }
      if (args.dkimSend && results.send) {
        const off = results.send;
        log(`\n1. The same send with DKIM on (RSA-2048 key, worker pool ${args.poolSize})`);
        const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
        // The baseline signature is timed while this send runs, as the worker's are (see createBareSignSampler).
        const bareSigns = createBareSignSampler();
        const on = await send(off.subscribers, { workerEnv: { DKIM_DOMAIN: 'news.acme-research.org', DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY: key }, whileSending: () => bareSigns.sample() });
        printSend(`${fmt(off.subscribers)} readers, DKIM on`, on);
        const bareSignUs = bareSigns.meanUs();
        const idleBareSignUs = measureBareRsaSignUs();
        // The DKIM-off send once more: the comparison takes the mean of before and after (see dkimOffBaseline).
        log(`\n1. The DKIM-off send again, after the DKIM-on one`);
        const offAgain = await send(off.subscribers);
        printSend(`${fmt(off.subscribers)} readers, DKIM off again`, offAgain);
        results.dkimSend = { figures: on, offAgain, bareSignUs, idleBareSignUs };
        const offRate = (off.messagesPerSecond + offAgain.messagesPerSecond) / 2;
        const extra = on.workerCpuUsPerMessage - (off.workerCpuUsPerMessage + offAgain.workerCpuUsPerMessage) / 2;
        log(
          `  DKIM on / off (mean of before and after): ${fmt(on.messagesPerSecond)} / ${fmt(offRate)} msg/s = ${(on.messagesPerSecond / offRate).toFixed(2)}×; ` +
            `worker CPU +${fmt(extra)} µs/msg against a bare RSA-2048 signature of ${fmt(bareSignUs)} µs (${fmt(bareSigns.signatures)} timed during the send) = ${(extra / bareSignUs).toFixed(2)}×; ` +
            `the bare signature on the machine after the send: ${fmt(idleBareSignUs)} µs (${(extra / idleBareSignUs).toFixed(2)}×)`,
        );
      }
      if (args.workers > 1) {
        // The same send shared by N worker processes, against the one-worker figure of this run.
        // They share the machine's cores with Postgres, Redis and the sink: on a small machine
        // N workers cannot go faster than the cores allow.
        const single = results.scale.find((figures) => figures.subscribers === args.subscribers)!;
        log(`\n5. Send to ${fmt(args.subscribers)} readers shared by ${args.workers} worker processes (pool ${args.poolSize} each)`);
        const shared = await send(args.subscribers, { workers: args.workers });
        printSend(`${args.workers} workers, ${fmt(args.subscribers)} readers`, shared);
        results.sharedSend = shared;
        log(
          `  ${args.workers} workers vs 1: ${(shared.messagesPerSecond / single.messagesPerSecond).toFixed(2)}× the send rate ` +
            `(${fmt(shared.messagesPerSecond)} vs ${fmt(single.messagesPerSecond)} msg/s), ${(shared.workerCpuUsPerMessage / single.workerCpuUsPerMessage).toFixed(2)}× the worker CPU per message; ` +
            `${fmt(shared.distinctRecipients)} distinct recipients of ${fmt(shared.accepted)} messages; machine ${fmt(shared.machineBusyPct)} % busy (${os.cpus().length} cores)`,
        );
      }
      // Free the ledger's disk before the signup bench.
      await runtime.database.sql`truncate sent_papers, deliveries, edition_variants, send_runs, subscribers cascade`;
    }

    if (args.only.has('signup')) {
      const seconds = args.quick ? 4 : 10;
      log(`\n3. Signup API: POST /subscribe, 50 connections, ${seconds} s each`);
      const signup = await measureSignup({ env, entry, runtime, connections: 50, seconds, log, apiNodeArgs: args.cpuProf ? profileFlags : [] });
      results.signup = signup;
      for (const [label, f] of [['Paperboy', signup.paperboy], ['bare insert', signup.bare]] as const) {
        log(`  ${label}: ${fmt(f.requestsPerSecond)} req/s, p50 ${fmt(f.p50Ms, 1)} ms, p99 ${fmt(f.p99Ms)} ms, codes ${JSON.stringify(f.statusCodes)}, errors ${f.errors}; ` +
            `server ${fmt(f.serverCpuUsPerRequest)} µs CPU/req (${fmt(f.serverCpuPct)} % of a core), Postgres ${fmt(f.postgresCpuUsPerRequest)} µs CPU/req`);
      }
      log(`  ratio: ${(signup.paperboy.requestsPerSecond / signup.bare.requestsPerSecond).toFixed(2)}×`);
      log(`  outbox relay: ${fmt(signup.relay.requests)} confirmations onto the queue in ${fmt(signup.relay.seconds, 1)} s = ${fmt(signup.relay.requestsPerSecond)}/s`);
    }

    log('\nTargets:');
    for (const row of evaluateTargets(results)) log(`  ${row.pass === undefined ? '-' : row.pass ? 'PASS' : 'FAIL'}  ${row.target}: ${row.measured}`);
    const file = writeBenchmarksFile(results);
    log(`\n${renderSection(results)}\nwritten to ${path.relative(PROJECT_ROOT, file)}`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
