import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../services/api/app.js';
import { configFromEnv } from '../../services/core/platform/config/config.js';
import { prepareDatabase } from '../../services/core/platform/db/migrate.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { createRuntime, type Runtime } from '../../services/runtime.js';
import { startWorkerRole } from '../../services/worker/index.js';
import { TEST_POSTGRES_SERVER } from '../helpers/database.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startPgBouncer, startRedisCluster, type LocalPgBouncer, type LocalRedisCluster } from '../helpers/scale-out.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * What several hosts share, set up as they would be: a Redis Cluster (REDIS_CLUSTER_NODES) and
 * a PgBouncer in transaction mode (DATABASE_PREPARE=false, migrations on DATABASE_MIGRATION_URL).
 * Through each, a reader signs up and gets the confirmation, and a digest goes to a few hundred
 * readers, each once.
 */

const DATE = '2026-08-13';
const READERS = 300;

/** A signup through the API and a digest send, worked by the worker role of `runtime`. */
async function signupAndSend(runtime: Runtime, smtp: TestSmtpServer, domain: string): Promise<void> {
  const app = await buildApp(runtime);
  const worker = await startWorkerRole(runtime);
  try {
    const email = `new-reader@${domain}`;
    const response = await app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
    expect(response.statusCode).toBe(202);
    await waitUntil('the confirmation email', () => smtp.messages.some((mail) => mail.recipients.includes(email)), 30_000);
    expect(smtp.messages.find((mail) => mail.recipients.includes(email))?.parsed.subject).toBe('Confirm your Paperboy subscription');

    await insertReaders(runtime.database.sql, READERS, {}, 1, domain);
    const run = await startManualSend(runtime, DATE, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(runtime.database.sql, run.id))?.status === 'completed', 60_000);
    const copies = new Map<string, number>();
    for (const mail of smtp.messages) for (const to of mail.recipients) if (to.startsWith('reader-')) copies.set(to, (copies.get(to) ?? 0) + 1);
    const readers = Array.from({ length: READERS }, (_, n) => `reader-${n + 1}@${domain}`);
    expect(readers.filter((address) => copies.get(address) !== 1), 'readers without exactly one digest').toEqual([]);
  } finally {
    await worker.close(5000);
    await app.close();
  }
}

describe('on a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let smtp: TestSmtpServer;
  let test: TestRuntime;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('redis-cluster', { SMTP_URL: smtp.url, SMTP_RATE_LIMIT: '500', REDIS_CLUSTER_NODES: cluster.nodes });
    await importFixtureDay(test.runtime, DATE);
  }, 60_000);
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
    await cluster?.stop();
  });

  it('confirms a signup and sends a digest to each reader once; every key is under the hash-tagged prefix', async () => {
    await signupAndSend(test.runtime, smtp, 'cluster.example.org');
    const keys = await cluster.keys();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith(`{${test.queuePrefix}}:`))).toEqual([]);
  }, 120_000);
});

describe('through PgBouncer in transaction mode', () => {
  let bouncer: LocalPgBouncer;
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let pooled: Runtime | undefined;

  beforeAll(async () => {
    bouncer = await startPgBouncer(Number(new URL(TEST_POSTGRES_SERVER).port || 5432));
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('pgbouncer', { SMTP_URL: smtp.url });
    await importFixtureDay(test.runtime, DATE);
  }, 60_000);
  afterAll(async () => {
    await pooled?.close();
    await test?.cleanup();
    await smtp?.close();
    await bouncer?.stop();
  });

  it('with DATABASE_PREPARE=false confirms a signup and sends a digest to each reader once; migrations go to DATABASE_MIGRATION_URL', async () => {
    const config = configFromEnv({
      DATABASE_URL: bouncer.urlFor(test.database.url),
      DATABASE_PREPARE: 'false',
      DATABASE_MIGRATION_URL: test.database.url,
      REDIS_URL: test.config.redisUrl,
      QUEUE_PREFIX: test.queuePrefix,
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'http://paperboy.test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      HF_API_URL: 'http://127.0.0.1:9/api/daily_papers',
    });
    
    expect(config.databasePrepare).toBe(false);
    // What start-up does first: migrations on their direct connection (nothing left to apply here).
    await prepareDatabase(config.databaseMigrationUrl);
    pooled = createRuntime(config, createLogger({ level: config.logLevel }));
    // More clients than server connections: statements land on server connections that never
    // saw them prepared, which breaks prepared statements.
    const sql = pooled.database.sql;
    const burst = Promise.all(Array.from({ length: 200 }, (_, n) => sql<{ n: number }[]>`select ${n}::int as n from pg_sleep(0.002)`));
    const stuck = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('200 queries through the bouncer did not answer within 20 s')), 20_000).unref());
    const answers = await Promise.race([burst, stuck]);
    expect(answers.map(([row]) => row!.n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    await signupAndSend(pooled, smtp, 'pgbouncer.example.org');
    expect(bouncer.log(), 'the runtime logged in through the bouncer').toContain(`login attempt: db=${test.database.name}`);
  }, 120_000);
});
