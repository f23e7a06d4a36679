import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor, sendingSchedulers } from '../../services/worker/processors/sending.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { countCopies, describeCopies, ledgerOfRun, queuedAddresses, receivedForAny } from '../helpers/copies.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/postgres.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DATE = '2026-08-13';

/**
 * Postgres crashing and coming back while a worker sends: the marks of messages the SMTP server
 * accepted wait in the worker until Postgres takes them, so nobody gets a second copy.
 */
describe('sending through a Postgres restart', () => {
  let postgres: PrivatePostgres;
  let smtp: TestSmtpServer;
  let test: TestRuntime;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('pg-restart', { SMTP_URL: smtp.url }, {}, postgres.server);
    await importFixtureDay(test.runtime, DATE);
  }, 60_000);
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
    await postgres?.destroy();
  });

  it('restarted (immediate) twice during a continuous send of 3,000: every reader gets exactly one copy, and sending resumes within 10 s each time', async () => {
    const readers = 3000;
    const domain = 'pg-restart.example.org';
    const { runtime } = test;
    await insertReaders(runtime.database.sql, readers, {}, 1, domain);
    const workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], sendingSchedulers());
    try {
      const run = await startManualSend(runtime, DATE, 'test');
      for (const arrivedBefore of [readers / 6, readers / 2]) {
        await waitUntil(`${arrivedBefore} messages to arrive`, () => smtp.messages.length >= arrivedBefore, 300_000);
        // Every connection drops at once, with marks being written and messages in flight.
        await postgres.restartImmediate();
        const queuedAtReturn = await queuedAddresses(runtime.database.sql, run.id);
        expect(queuedAtReturn.size).toBeGreaterThan(0);
        await waitUntil('a reader queued when Postgres returned to get their message within 10 s', () => receivedForAny(smtp, queuedAtReturn), 10_000);
      }
      await waitUntil('the run to complete', async () => (await findSendRun(runtime.database.sql, run.id))?.status === 'completed', 180_000);

      const copies = countCopies(smtp, readers, domain);
      console.info(describeCopies('postgres restart (immediate, twice)', copies));
      expect(copies).toMatchObject({ exactlyOnce: readers, missing: 0, duplicated: 0 });
      expect(await ledgerOfRun(runtime.database.sql, run.id)).toEqual({ sent: readers, other: 0 });
    } finally {
      await workers.close(5000);
    }
  }, 600_000);
});
