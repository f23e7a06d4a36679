import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchedRedisStore, type BatchedRedisStore } from '../../services/api/rate-limit-store.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { deleteQueueKeys, startPrivateRedis, stopPrivateRedis, TEST_REDIS_URL, uniqueQueuePrefix } from '../helpers/redis.js';

/**
 * The signup rate limiter's counts: kept in memory per API process and settled through Redis, so
 * the limit holds across processes. Two stores here stand for two API processes.
 */

const HOUR = 3_600_000;
type Hit = { current: number; ttl: number };

function incr(store: BatchedRedisStore, key: string, windowMs = HOUR): Promise<Hit> {
  const root = new store.Store({});
  return new Promise((resolve, reject) => root.incr(key, (error, result) => (error ? reject(error) : resolve(result!)), windowMs, 10));
}

describe('rate limit counts shared through Redis', () => {
  const prefix = uniqueQueuePrefix('rate-limit-store');
  const clients: Redis[] = [];
  const stores: BatchedRedisStore[] = [];
  const open = (url = TEST_REDIS_URL, onSyncFailed?: (error: unknown) => void, maxKeys?: number) => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1000 });
    redis.on('error', () => {});
    clients.push(redis);
    const store = createBatchedRedisStore(redis, {
      nameSpace: `${prefix}:rate-limit:`,
      syncIntervalMs: 3_600_000,
      ...(onSyncFailed ? { onSyncFailed } : {}),
      ...(maxKeys ? { maxKeys } : {}),
    });
    stores.push(store);
    return { redis, store };
  };

  afterAll(async () => {
    for (const store of stores) await store.close().catch(() => {});
    for (const redis of clients) redis.disconnect();
    await deleteQueueKeys(prefix);
  });

  it('counts in memory at once and tells each process the others\' hits at its next sync', async () => {
    const a = open();
    const b = open();
    expect((await incr(a.store, '198.51.100.1')).current).toBe(1);
    expect((await incr(a.store, '198.51.100.1')).current).toBe(2);
    expect((await incr(a.store, '198.51.100.1')).current).toBe(3);
    await a.store.sync();
    expect(Number(await a.redis.get(`${prefix}:rate-limit:198.51.100.1`))).toBe(3);
    const ttl = await a.redis.pttl(`${prefix}:rate-limit:198.51.100.1`);
    expect(ttl).toBeGreaterThan(HOUR - 60_000);
    expect(ttl).toBeLessThanOrEqual(HOUR);

    // B has not heard of A's hits yet; after its sync it counts them.
    expect((await incr(b.store, '198.51.100.1')).current).toBe(1);
    await b.store.sync();
    const fifth = await incr(b.store, '198.51.100.1');
    expect(fifth.current).toBe(5);
    expect(fifth.ttl).toBeGreaterThan(0);
    expect(fifth.ttl).toBeLessThanOrEqual(HOUR);
    // A settles only keys it has new hits for: its next hit still counts on what it knew.
    expect((await incr(a.store, '198.51.100.1')).current).toBe(4);
    await a.store.sync();
    expect((await incr(a.store, '198.51.100.1')).current).toBe(6); // A 4 + B 1 settled, and this one
    expect((await incr(a.store, '198.51.100.2')).current).toBe(1); // another network is counted apart
  });

  it('starts a new window when the old one has ended', async () => {
    const { store } = open();
    expect((await incr(store, '198.51.100.9', 50)).current).toBe(1);
    expect((await incr(store, '198.51.100.9', 50)).current).toBe(2);
    await store.sync();
    await waitUntil('the 50 ms window to end', async () => (await incr(store, '198.51.100.9', 50)).current === 1, 5000);
  });

  it('keeps at most maxKeys counters, forgetting the one created first', async () => {
    const { store } = open(TEST_REDIS_URL, undefined, 2);
    expect((await incr(store, '192.0.2.1')).current).toBe(1);
    expect((await incr(store, '192.0.2.1')).current).toBe(2);
    expect((await incr(store, '192.0.2.2')).current).toBe(1);
    expect((await incr(store, '192.0.2.3')).current).toBe(1); // the cap: 192.0.2.1 goes
    expect((await incr(store, '192.0.2.2')).current).toBe(2); // kept
    expect((await incr(store, '192.0.2.1')).current).toBe(1); // counted afresh (nothing was settled)
  });

  describe('while Redis is down', () => {
    let port: number;
    let redis: ChildProcess;
    beforeAll(async () => {
      port = await freePort();
      redis = startPrivateRedis(port);
    });
    afterAll(async () => {
      if (redis) await stopPrivateRedis(redis);
    });

    it('goes on limiting on its own counts, says so once, and hands them over when Redis returns', async () => {
      const failures: unknown[] = [];
      const { redis: client, store } = open(`redis://127.0.0.1:${port}`, (error) => failures.push(error));
      await waitUntil('the private Redis to answer', async () => (await client.ping().catch(() => '')) === 'PONG');
      await stopPrivateRedis(redis);

      for (let i = 1; i <= 4; i += 1) expect((await incr(store, '203.0.113.5')).current).toBe(i);
      await store.sync();
      await store.sync();
      expect(failures).toHaveLength(1);
      expect((await incr(store, '203.0.113.5')).current).toBe(5);

      redis = startPrivateRedis(port);
      await waitUntil('the private Redis to answer again', async () => (await client.ping().catch(() => '')) === 'PONG');
      await store.sync();
      expect(Number(await client.get(`${prefix}:rate-limit:203.0.113.5`))).toBe(5);
    });
  });
});
