import closeWithGrace from 'close-with-grace';
import { startOpsServer } from './api/ops-server.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { startBounceServer, type BounceServer } from './bounces/bounce-server.js';
import { ConfigError, parseConfig } from './core/platform/config/config.js';
import { prepareDatabase } from './core/platform/db/migrate.js';
import { createLogger } from './core/platform/logging/logger.js';
import { describeMailDestination } from './core/platform/mail/transport.js';
import { formatImportSummary } from './core/papers/paper-import-service.js';
import { importSamplePapersIfEmpty } from './core/papers/sample-papers.js';
import { createRuntime } from './runtime.js';
import { startWorkerRole } from './worker/index.js';
import type { WorkerHost } from './worker/worker-host.js';

/**
 * Entry point of `npm start`: one process runs the API, the worker, or both (PAPERBOY_ROLE), and
 * the bounce receiver in role `bounces`, or in role `all` when BOUNCE_SMTP_PORT is set.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`paperboy: configuration error: ${problem}`);
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger({ level: config.logLevel });
  try {
    await prepareDatabase(config.databaseMigrationUrl);
  } catch (error) {
    console.error(`paperboy: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }

  const runtime = createRuntime(config, logger);
  // A fresh, empty install outside production shows real papers at once; production and an
  // install with papers are left alone.
  try {
    const sample = await importSamplePapersIfEmpty(runtime);
    if (sample) logger.info(sample, `empty database: ${formatImportSummary(sample)} (sample data)`);
  } catch (error) {
    logger.warn({ err: error }, 'could not import the sample papers; continuing without them');
  }
  let api: ApiServer | undefined;
  let worker: WorkerHost | undefined;
  let bounces: BounceServer | undefined;

  // SIGTERM/SIGINT: HTTP server, then BullMQ workers (in-flight jobs finish, up to a deadline),
  // then queues, SMTP pool and database pool (runtime.close). close-with-grace forces exit if
  // all that takes longer than the shutdown timeout plus a margin.
  closeWithGrace({ delay: config.shutdownTimeoutMs + 5000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error; shutting down');
    else logger.info({ signal }, 'shutting down');
    await bounces?.close();
    await api?.close();
    await worker?.close(config.shutdownTimeoutMs);
    await runtime.close();
    logger.info('stopped');
  });

  if (config.role === 'all' || config.role === 'worker') {
    worker = await startWorkerRole(runtime);
    logger.info({ role: 'worker', queues: worker.workers.map((w) => w.name) }, 'worker started');
  }
  if (config.role === 'bounces' || (config.role === 'all' && config.bounces.smtpPort !== undefined)) {
    bounces = await startBounceServer(runtime);
    logger.info({ role: 'bounces', address: bounces.address, domain: config.mail.bounceDomain }, 'bounce receiver listening');
  }
  if (config.role === 'all' || config.role === 'api') {
    api = await startApiServer(runtime);
    logger.info({ role: 'api', address: api.address }, 'api listening');
  } else {
    // A worker-only or bounces-only process still answers /healthz and /readyz for its orchestrator.
    api = await startOpsServer(runtime);
    logger.info({ role: config.role, address: api.address }, 'health endpoints listening');
  }
  // The one line an operator looks for: where readers' links point and where mail really goes.
  logger.info(
    { role: config.role, url: config.publicUrl, mail: describeMailDestination(config.mail) },
    `Paperboy is up at ${config.publicUrl}; mail goes to ${describeMailDestination(config.mail)}`,
  );
}

main().catch((error: unknown) => {
  console.error(`paperboy: cannot start: ${(error as Error).message}`);
  process.exit(1);
});
