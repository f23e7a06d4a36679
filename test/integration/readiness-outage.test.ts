import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** A private Redis on its own port: this test stops it, never the shared one. */
function startPrivateRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

describe('/readyz during a Redis outage', () => {
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
    redis?.kill('SIGKILL');
    await app?.close();
    // The queues point at the private Redis, which is gone; close without waiting on it.
    await test?.database.drop();
    test?.runtime.redisProbe.disconnect();
    await test?.runtime.database.close();
  });

  const readiness = async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    return { status: response.statusCode, body: response.json() as { unavailable: string[] } };
  };

  it('answers 503 naming Redis while it is down, and 200 again once it is back', async () => {
    await waitUntil('ready with Redis up', async () => (await readiness()).status === 200);

    const stopped = new Promise((resolve) => redis.once('exit', resolve));
    redis.kill('SIGKILL');
    await stopped;
    await waitUntil('503 with Redis down', async () => (await readiness()).status === 503);
    expect((await readiness()).body.unavailable).toEqual(['redis']);

    redis = startPrivateRedis(port);
    await waitUntil('ready again after Redis restarts', async () => (await readiness()).status === 200);
  });
});
