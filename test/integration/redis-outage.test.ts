import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { readerMailJobId } from '../../services/core/reader-mail/reader-mail-jobs.js';
import { readerMailOutboxBacklog } from '../../services/core/reader-mail/reader-mail-outbox.js';
import { relayReaderMail } from '../../services/worker/reader-mail-relay.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { startPrivateRedis, stopPrivateRedis } from '../helpers/redis.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** Paperboy against a private Redis that these tests stop and start again. */
describe('a Redis outage', () => {
  let port: number;
  let redis: ChildProcess;
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    port = await freePort();
    redis = startPrivateRedis(port);
    test = await createTestRuntime('readiness', { REDIS_URL: `redis://127.0.0.1:${port}` });
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    if (redis) await stopPrivateRedis(redis);
    // The queues point at the private Redis, which is gone; close without waiting on it.
    await test?.database.drop();
    test?.runtime.redisProbe.disconnect();
    test?.runtime.rateLimitRedis.disconnect();
    await test?.runtime.database.close();
  });

  const readiness = async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    return { status: response.statusCode, body: response.json() as { unavailable: string[] } };
  };

  it('/readyz answers 503 naming Redis while it is down, and 200 again once it is back', async () => {
    await waitUntil('ready with Redis up', async () => (await readiness()).status === 200);

    await stopPrivateRedis(redis);
    await waitUntil('503 with Redis down', async () => (await readiness()).status === 503);
    expect((await readiness()).body.unavailable).toEqual(['redis']);

    redis = startPrivateRedis(port);
    await waitUntil('ready again after Redis restarts', async () => (await readiness()).status === 200);
  });

  it('takes signups while Redis is down and sends their confirmations once it is back', async () => {
    await waitUntil('ready with Redis up', async () => (await readiness()).status === 200);
    await stopPrivateRedis(redis);
    await waitUntil('503 with Redis down', async () => (await readiness()).status === 503);

    const signup = await app.inject({ method: 'POST', url: '/subscribe', payload: { email: 'during-outage@example.org' } });
    expect(signup.statusCode).toBe(202);
    const [reader] = await test.runtime.database.sql<{ id: string; window: Date; sent: number }[]>`
      select id, confirmation_window_started_at as window, confirmations_sent_in_window as sent
      from subscribers where email_normalized = 'during-outage@example.org'`;
    expect(reader).toBeDefined();
    expect((await readerMailOutboxBacklog(test.runtime.database.sql)).count).toBe(1);
    // The relay cannot reach the queue: the request stays in the outbox.
    await expect(relayReaderMail(test.runtime)).rejects.toThrow();
    expect((await readerMailOutboxBacklog(test.runtime.database.sql)).count).toBe(1);

    redis = startPrivateRedis(port);
    await waitUntil('ready again after Redis restarts', async () => (await readiness()).status === 200);
    expect(await relayReaderMail(test.runtime)).toBe(1);
    expect((await readerMailOutboxBacklog(test.runtime.database.sql)).count).toBe(0);
    const jobId = readerMailJobId('confirmation', { subscriberId: Number(reader!.id), windowStartedAt: reader!.window, sentInWindow: reader!.sent });
    const job = await test.runtime.queues.transactional.getJob(jobId);
    expect(job?.name).toBe('confirmation');
    expect(job?.data).toEqual({ subscriberId: Number(reader!.id) });
  });
});
