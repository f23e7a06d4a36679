import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../services/core/platform/db/client.js';
import { isRedisUnavailable } from '../../services/core/platform/queue/redis.js';
import { createOutageWatch } from '../../services/worker/send-run-worker.js';

describe("a CLI send's outage watch", () => {
  it('times one outage from the first failure until everything answers, even when another service fails meanwhile', () => {
    let now = 1000;
    const watch = createOutageWatch(() => now);
    expect(watch.up()).toBeUndefined();
    expect(watch.down('Postgres')).toEqual({ started: true, downMs: 0 });
    now += 500;
    expect(watch.down('Postgres')).toEqual({ started: false, downMs: 500 });
    now += 500;
    // Another service: said anew, but the clock towards giving up keeps running.
    expect(watch.down('Redis')).toEqual({ started: true, downMs: 1000 });
    expect(watch.current()).toBe('Redis');
    now += 250;
    expect(watch.up()).toEqual({ service: 'Redis', downMs: 1250 });
    expect(watch.current()).toBeUndefined();
    expect(watch.down('Postgres')).toEqual({ started: true, downMs: 0 });
  });
});

describe('errors that mean a service is away, not a bug', () => {
  it('Postgres: broken connections, shutdown and start-up, not query errors', () => {
    for (const code of ['ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', '57P01', '57P03', '08006']) {
      expect(isDatabaseUnavailable(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    for (const code of ['42P01', '23505', '57014', undefined]) {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), String(code)).toBe(false);
    }
  });

  it('Redis: a command given up while reconnecting, a closed connection, not a wrong command', () => {
    expect(isRedisUnavailable(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRedisUnavailable(new Error('ERR wrong number of arguments'))).toBe(false);
  });
});
