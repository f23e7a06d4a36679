import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor, sendingSchedulers } from '../../services/worker/processors/sending.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { countCopies, describeCopies, ledgerOfRun, queuedAddresses, receivedForAny } from '../helpers/copies.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { startPrivateRedis, stopPrivateRedis } from '../helpers/redis.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DATE = '2026-08-13';

/**
 * Redis dying mid-send and coming back empty (no persistence): the jobs in flight finish and mark
 * what they sent, and the worker rebuilds the lost jobs from Postgres as soon as Redis answers,
 * not at reconcile's next minute.
 */
describe('sending through a Redis outage', () => {
  let port: number;
  let redis: ChildProcess;
  let smtp: TestSmtpServer;
  let test: TestRuntime;

  beforeAll(async () => {
    port = await freePort();
    redis = startPrivateRedis(port);
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('redis-outage-send', { SMTP_URL: smtp.url, REDIS_URL: `redis://127.0.0.1:${port}` });
    await importFixtureDay(test.runtime, DATE);
  });
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
    if (redis) await stopPrivateRedis(redis);
  });

  it('stopped and restarted empty during a continuous send of 3,000: every reader gets exactly one copy, and sending resumes within 10 s', async () => {
    const readers = 3000;
    const domain = 'redis-outage.example.org';
    const { runtime } = test;
    await insertReaders(runtime.database.sql, readers, {}, 1, domain);
    const workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], sendingSchedulers());
    try {
      const run = await startManualSend(runtime, DATE, 'test');
      await waitUntil('a third of the run to arrive', () => smtp.messages.length >= readers / 3, 300_000);
      // Killed without persistence: it comes back with no jobs, no locks and no schedulers.
      await stopPrivateRedis(redis);
      expect(smtp.messages.length).toBeLessThan(readers);
      // Long enough for BullMQ's locks to lapse and the jobs in flight to finish without Redis.
      await sleep(3000);
      redis = startPrivateRedis(port);
      await waitUntil('Redis to answer again', () => runtime.redisProbe.ping().then(() => true, () => false), 10_000);

      const queuedAtReturn = await queuedAddresses(runtime.database.sql, run.id);
      expect(queuedAtReturn.size).toBeGreaterThan(0);
      await waitUntil('a reader queued when Redis returned to get their message within 10 s', () => receivedForAny(smtp, queuedAtReturn), 10_000);
      await waitUntil('the run to complete', async () => (await findSendRun(runtime.database.sql, run.id))?.status === 'completed', 180_000);

      const copies = countCopies(smtp, readers, domain);
      console.info(describeCopies('redis outage (killed, restarted empty)', copies));
      expect(copies).toMatchObject({ exactlyOnce: readers, missing: 0, duplicated: 0 });
      expect(await ledgerOfRun(runtime.database.sql, run.id)).toEqual({ sent: readers, other: 0 });
    } finally {
      await workers.close(5000);
    }
  }, 600_000);
});
