import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../services/core/sending/reconcile-service.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { countCopies, describeCopies, ledgerOfRun } from '../helpers/copies.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort, startProcess, waitUntil, type RunningProcess } from '../helpers/processes.js';
import { deleteQueueKeys, TEST_REDIS_URL } from '../helpers/redis.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

const DATE = '2026-08-13';

/** Every reader has exactly one sent delivery in the run; returns how many copies the server saw twice. */
async function expectExactlyOnce(test: TestRuntime, smtp: TestSmtpServer, runId: number, readers: number) {
  const sql = test.runtime.database.sql;
  const [counts] = await sql<{ sent: string; readers: string; other: string }[]>`
    select count(*) filter (where status = 'sent') as sent, count(distinct subscriber_id) as readers,
           count(*) filter (where status <> 'sent') as other
    from deliveries where send_run_id = ${runId}`;
  expect({ sent: Number(counts!.sent), readers: Number(counts!.readers), other: Number(counts!.other) }).toEqual({ sent: readers, readers, other: 0 });

  const byAddress = new Map<string, ReceivedMail[]>();
  for (const mail of smtp.messages) byAddress.set(mail.recipients[0]!, [...(byAddress.get(mail.recipients[0]!) ?? []), mail]);
  expect(byAddress.size).toBe(readers);
  const doubles = [...byAddress.values()].filter((copies) => copies.length > 1);
  // A copy sent twice is one whose worker died between the server's answer and the ledger
  // write: the second copy must carry the same Message-ID, so mail systems fold them.
  for (const copies of doubles) expect(new Set(copies.map((mail) => mail.parsed.messageId)).size).toBe(1);
  return doubles.length;
}

/** Deliveries of the run that some execution holds right now. */
async function claimedDeliveries(test: TestRuntime, runId: number): Promise<number> {
  const [row] = await test.runtime.database.sql<{ claimed: number }[]>`
    select count(*)::int as claimed from deliveries where send_run_id = ${runId} and status = 'claimed'`;
  return row!.claimed;
}

describe('sending survives faults', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    // A 451 4.7.1 is a throttling answer: every worker stops sending for SMTP_THROTTLE_BACKOFF_MS
    // (5 s by default) after each. The bursts are counted in refusals, not in time, so a short
    // pause meets the same refusals, just sooner.
    test = await createTestRuntime('sending-faults', { SMTP_URL: smtp.url, SMTP_THROTTLE_BACKOFF_MS: '250' });
    await importFixtureDay(test.runtime, DATE);
  });
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
  });

  it('a worker killed (SIGKILL) mid-run and started again sends every reader exactly one digest', async () => {
    smtp.messages.length = 0;
    const readers = 2000;
    await insertReaders(test.runtime.database.sql, readers, {}, 1, 'kill.example.org');
    const workerEnv = async () => ({
      PAPERBOY_ROLE: 'worker',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_URL: test.database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: test.queuePrefix,
      SMTP_URL: smtp.url,
      LOG_LEVEL: 'error',
      HF_API_URL: 'http://127.0.0.1:9/none',
      // The killed worker's jobs and claims are taken over after 5 s instead of 30 (BullMQ needs
      // two stalled-job checks, so up to a minute): the same recovery, sooner.
      WORKER_STALE_SECONDS: '5',
    });
    let worker: RunningProcess = startProcess('services/main.ts', [], await workerEnv());
    const run = await startManualSend(test.runtime, DATE, 'test');
    try {
      await waitUntil('a third of the run to arrive', () => smtp.messages.length >= readers / 3, 180_000);
    } finally {
      // Killed whether or not the wait succeeded: a worker left running would send the next tests' runs.
      worker.child.kill('SIGKILL');
    }
    expect(await worker.exited).toBe('SIGKILL');
    const arrivedBeforeKill = smtp.messages.length;
    expect(arrivedBeforeKill).toBeLessThan(readers);
    // The dead worker held deliveries: the restarted one has to take them over, not just send the rest.
    expect(await claimedDeliveries(test, run.id)).toBeGreaterThan(0);

    worker = startProcess('services/main.ts', [], await workerEnv());
    try {
      await waitUntil('the run to complete after the restart', async () => (await findSendRun(test.runtime.database.sql, run.id))?.status === 'completed', 150_000);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const doubles = await expectExactlyOnce(test, smtp, run.id, readers);
    const copies = countCopies(smtp, readers, 'kill.example.org');
    console.info(`${describeCopies('SIGKILL', copies)} (${arrivedBeforeKill} arrived before the kill)`);
    // Only a worker killed between the server's 250 and the ledger's mark sends a copy twice.
    expect(copies).toMatchObject({ missing: 0, duplicated: doubles, duplicatedWithDifferentIds: 0 });
  }, 400_000);

  it('Redis losing its data mid-run: reconcile rebuilds the jobs from Postgres and finishes the run', async () => {
    smtp.messages.length = 0;
    const readers = 1000;
    await insertReaders(test.runtime.database.sql, readers, {}, 1, 'flush.example.org');
    const runtime = test.runtime;
    const workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime)], []);
    try {
      const run = await startManualSend(runtime, DATE, 'test');
      await waitUntil('some of the run to arrive', () => smtp.messages.length >= 200, 180_000);
      // What a Redis restart without persistence does to this installation: every key is gone.
      await deleteQueueKeys(test.queuePrefix);
      expect(smtp.messages.length).toBeLessThan(readers);

      await waitUntil(
        'reconcile to finish the run',
        async () => {
          await reconcile(runtime, { settleMs: 0 });
          return (await findSendRun(runtime.database.sql, run.id))?.status === 'completed';
        },
        120_000,
      );
      const doubles = await expectExactlyOnce(test, smtp, run.id, readers);
      console.info(describeCopies('redis flushed', countCopies(smtp, readers, 'flush.example.org')));
      expect(doubles).toBe(0);
    } finally {
      await workers.close(5000);
    }
  }, 400_000);

  it('451 bursts: each refused delivery is retried after the burst, and every reader gets exactly one copy', async () => {
    smtp.messages.length = 0;
    const readers = 1000;
    const domain = 'burst.example.org';
    await insertReaders(test.runtime.database.sql, readers, {}, 1, domain);
    // A burst refuses the next RCPT TOs with 451, as a receiving server under load does.
    let refuseNext = 0;
    let refused = 0;
    smtp.setRecipientPolicy((address) => {
      if (refuseNext === 0 || !address.endsWith(`@${domain}`)) return undefined;
      refuseNext -= 1;
      refused += 1;
      return { code: 451, message: '4.7.1 Try again later' };
    });
    const runtime = test.runtime;
    const workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime)], []);
    try {
      const run = await startManualSend(runtime, DATE, 'test');
      const arrived = () => smtp.messages.filter((mail) => mail.recipients[0]!.endsWith(`@${domain}`)).length;
      for (const arrivedBefore of [150, 450, 750]) {
        await waitUntil(`${arrivedBefore} messages to arrive`, () => arrived() >= arrivedBefore, 180_000);
        refuseNext = 100;
        await waitUntil('the burst to pass', () => refuseNext === 0, 60_000);
      }
      await waitUntil('the run to complete', async () => (await findSendRun(runtime.database.sql, run.id))?.status === 'completed', 180_000);

      const copies = countCopies(smtp, readers, domain);
      console.info(`${describeCopies('451 bursts', copies)} (${refused} RCPT TOs refused)`);
      expect(copies).toMatchObject({ exactlyOnce: readers, missing: 0, duplicated: 0 });
      expect(await ledgerOfRun(runtime.database.sql, run.id)).toEqual({ sent: readers, other: 0 });
    } finally {
      smtp.setRecipientPolicy(undefined);
      await workers.close(5000);
    }
  }, 600_000);
});
