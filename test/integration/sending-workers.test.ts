import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort, startProcess, waitUntil, type RunningProcess } from '../helpers/processes.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { busiestWindow, startRecordingSmtpSink, type RecordingSmtpSink } from '../helpers/smtp-sink.js';

/**
 * Two worker processes (`PAPERBOY_ROLE=worker`, the real entry point) share one send: every
 * reader gets one copy, both workers send part of it, and SMTP_RATE_LIMIT holds for the two
 * together, measured where it matters: at the SMTP server, in every one-second window.
 */

const DATE = '2026-08-13';
const SOLO_READERS = 1000;
const READERS = 3000;
const RATE = 200;

interface Worker {
  process: RunningProcess;
  port: number;
}

describe('two worker processes on one send', () => {
  let sink: RecordingSmtpSink;
  let test: TestRuntime;
  const workers: Worker[] = [];

  beforeAll(async () => {
    sink = await startRecordingSmtpSink();
    test = await createTestRuntime('sending-workers', { SMTP_URL: sink.url, SMTP_RATE_LIMIT: String(RATE) });
    await importFixtureDay(test.runtime, DATE);
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) worker.process.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.process.exited));
    await test?.cleanup();
    await sink?.close();
  });

  async function startWorker(): Promise<Worker> {
    const port = await freePort();
    const process = startProcess('services/main.ts', [], {
      PAPERBOY_ROLE: 'worker',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: test.database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: test.queuePrefix,
      SMTP_URL: sink.url,
      SMTP_RATE_LIMIT: String(RATE),
      PUBLIC_URL: 'http://paperboy.test',
      LOG_LEVEL: 'warn',
      OUTBOX_DIR: `/tmp/${test.queuePrefix}-outbox`,
      HF_API_URL: 'http://127.0.0.1:9/api/daily_papers',
    });
    return { process, port };
  }

  /** What the worker's own /metrics counted as accepted by the SMTP server. */
  async function sentBy(worker: Worker): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    return Number(/^paperboy_emails_sent_total (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** Sends the edition to `readers` new readers of `domain`: each gets exactly one copy. Returns the busiest second at the sink. */
  async function sendAndCheck(domain: string, readers: number): Promise<{ busiest: number; seconds: number }> {
    sink.arrivals.length = 0;
    await insertReaders(test.runtime.database.sql, readers, {}, 1, domain);
    const run = await startManualSend(test.runtime, DATE, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(test.runtime.database.sql, run.id))?.status === 'completed', 60_000);

    const copies = new Map<string, number>();
    for (const arrival of sink.arrivals) for (const to of arrival.recipients) copies.set(to, (copies.get(to) ?? 0) + 1);
    const addresses = Array.from({ length: readers }, (_, n) => `reader-${n + 1}@${domain}`);
    expect(addresses.filter((address) => copies.get(address) !== 1), 'readers without exactly one copy').toEqual([]);
    expect(sink.arrivals).toHaveLength(readers);
    const busiest = busiestWindow(sink.arrivals).count;
    const seconds = (sink.arrivals.at(-1)!.at - sink.arrivals[0]!.at) / 1000;
    console.log(`${workers.length} worker(s): busiest one-second window ${busiest} messages (limit ${RATE}); ${readers} in ${seconds.toFixed(1)} s`);
    return { busiest, seconds };
  }

  async function startWorkers(count: number): Promise<void> {
    const started = await Promise.all(Array.from({ length: count }, startWorker));
    workers.push(...started);
    for (const worker of started) {
      await waitUntil(`worker on port ${worker.port} to be ready`, async () => {
        if (worker.process.child.exitCode !== null) throw new Error(`worker exited: ${worker.process.stderr()}`);
        return (await fetch(`http://127.0.0.1:${worker.port}/readyz`).catch(() => undefined))?.status === 200;
      });
    }
  }

  it(`one worker: ${SOLO_READERS} readers once each, never above SMTP_RATE_LIMIT=${RATE} in any second`, async () => {
    await startWorkers(1);
    const { busiest } = await sendAndCheck('solo.example.org', SOLO_READERS);
    expect(busiest, 'messages in the busiest one-second window').toBeLessThanOrEqual(RATE * 1.1);
  }, 60_000);

  it(`two workers: ${READERS} readers once each, both send part, never above SMTP_RATE_LIMIT=${RATE} in any second`, async () => {
    await startWorkers(1);
    const before = await Promise.all(workers.map(sentBy));
    const { busiest } = await sendAndCheck('pair.example.org', READERS);
    const shares = (await Promise.all(workers.map(sentBy))).map((sent, index) => sent - (before[index] ?? 0));
    console.log(`two workers: ${shares.join(' + ')} sent`);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(READERS);
    for (const share of shares) expect(share, `each worker's share of ${shares.join(' + ')}`).toBeGreaterThan(0);
    expect(busiest, 'messages in the busiest one-second window').toBeLessThanOrEqual(RATE * 1.1);
  }, 90_000);
});
