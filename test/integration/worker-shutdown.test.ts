import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../services/core/platform/queue/queue-contract.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** A processor whose jobs run until the test lets them finish. */
function controllableProcessor() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  return {
    started,
    finish: (id: string) => release.get(id)?.(),
    process: (job: Job) =>
      new Promise<string>((resolve) => {
        started.push(job.id as string);
        release.set(job.id as string, () => resolve('done'));
      }),
  };
}

describe('worker shutdown', () => {
  let test: TestRuntime;
  beforeAll(async () => {
    test = await createTestRuntime('worker-shutdown');
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('waits for a job in flight before closing, and the job completes', async () => {
    const processor = controllableProcessor();
    const host = await startWorkers(test.runtime, [{ queue: QUEUES.maintenance.name, concurrency: 1, process: processor.process }], []);
    const job = await test.runtime.queues.maintenance.add('slow', {}, { jobId: 'slow-one' });
    await waitUntil('the job to start', () => processor.started.includes('slow-one'));

    let closed = false;
    const closing = host.close(60_000).then(() => (closed = true));
    // The worker must still be waiting on the job: give the event loop a few turns to prove it.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);

    processor.finish('slow-one');
    await closing;
    expect(await job.getState()).toBe('completed');
  });

  it('forces the close at the deadline and leaves the job for a retry', async () => {
    const processor = controllableProcessor();
    const host = await startWorkers(test.runtime, [{ queue: QUEUES.maintenance.name, concurrency: 1, process: processor.process }], []);
    const job = await test.runtime.queues.maintenance.add('stuck', {}, { jobId: 'stuck-one' });
    await waitUntil('the job to start', () => processor.started.includes('stuck-one'));

    await host.close(200);
    // Not completed: after its lock expires another worker picks it up as stalled.
    expect(await job.getState()).toBe('active');
  });
});
