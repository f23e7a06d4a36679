import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Cluster, Redis } from 'ioredis';

/**
 * A store for @fastify/rate-limit that counts in memory and settles the counts with Redis in the
 * background. The library's Redis store spends a Redis round trip (and a socket write, the
 * dearest part of it) on every request; a signup flood is exactly when that matters. Here a
 * request costs a map lookup, and every `syncIntervalMs` one pipeline adds each key's new hits to
 * its shared counter in Redis and reads back the total, which includes the other API processes'.
 *
 * What that trades: one process limits exactly; N processes can let through, beyond the limit,
 * what the other N-1 accept in one interval before they hear of each other. While Redis is down
 * each process goes on limiting on its own counts, and catches up when Redis returns.
 */

interface Counter {
  /** The shared total at the last sync (this process's hits included). */
  settled: number;
  /** This process's hits since then. */
  pending: number;
  windowMs: number;
  windowEndsAt: number;
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** INCRBY with the window set on the key's creation; returns the total and the time left. */
const SETTLE_SCRIPT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {total, ttl}`;

export interface BatchedRedisStoreOptions {
  /** Prefix of every Redis key. */
  nameSpace: string;
  syncIntervalMs?: number;
  /** Counters kept in memory at most; beyond it the one created first is forgotten, unsettled hits and all. */
  maxKeys?: number;
  /** The first failed sync of a streak, and the first success after it. */
  onSyncFailed?: (error: unknown) => void;
  onSyncRecovered?: () => void;
}

export interface BatchedRedisStore {
  /** The constructor to hand to @fastify/rate-limit as `store`. */
  Store: FastifyRateLimitStoreCtor;
  /** Settles every pending hit now. */
  sync(): Promise<void>;
  /** Stops the background sync after settling what is pending. */
  close(): Promise<void>;
}

const DEFAULT_SYNC_INTERVAL_MS = 100;
const DEFAULT_MAX_KEYS = 100_000;
const PRUNE_INTERVAL_MS = 60_000;

export function createBatchedRedisStore(redis: Redis | Cluster, options: BatchedRedisStoreOptions): BatchedRedisStore {
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const counters = new Map<string, Counter>();
  const dirty = new Set<string>();
  if (!('rateLimitSettle' in redis)) redis.defineCommand('rateLimitSettle', { numberOfKeys: 1, lua: SETTLE_SCRIPT });
  let syncing: Promise<void> | undefined;
  let lastPrune = Date.now();
  let failing = false;

  function prune(now: number) {
    lastPrune = now;
    for (const [key, counter] of counters) {
      if (counter.windowEndsAt <= now && !dirty.has(key)) counters.delete(key);
    }
  }

  async function settle(): Promise<void> {
    // Capture each counter with the hits being sent: a window that restarts meanwhile is a new
    // counter, and must not lose its own hits to this reply.
    const batch = [...dirty].flatMap((key) => {
      const counter = counters.get(key);
      return counter && counter.pending > 0 ? [{ key, counter, sent: counter.pending }] : [];
    });
    dirty.clear();
    if (batch.length > 0) {
      const pipeline = redis.pipeline() as unknown as { rateLimitSettle(key: string, hits: number, windowMs: number): void; exec: Redis['exec'] };
      for (const { key, counter, sent } of batch) pipeline.rateLimitSettle(options.nameSpace + key, sent, counter.windowMs);
      let failure: unknown;
      try {
        const results = (await pipeline.exec()) ?? [];
        const now = Date.now();
        batch.forEach(({ key, counter, sent }, i) => {
          const [error, reply] = results[i] ?? [new Error('no reply from Redis')];
          if (error) {
            failure ??= error;
            dirty.add(key);
            return;
          }
          const [total, ttl] = reply as [number, number];
          counter.pending -= sent;
          counter.settled = Number(total);
          counter.windowEndsAt = now + Number(ttl);
        });
      } catch (error) {
        failure = error;
        for (const { key } of batch) dirty.add(key);
      }
      if (failure !== undefined && !failing) options.onSyncFailed?.(failure);
      if (failure === undefined && failing) options.onSyncRecovered?.();
      failing = failure !== undefined;
    }
    const now = Date.now();
    if (now - lastPrune >= PRUNE_INTERVAL_MS) prune(now);
  }

  function sync(): Promise<void> {
    // One settle at a time: a second caller waits for the one in flight, then settles again.
    const next = (syncing ?? Promise.resolve()).then(settle);
    syncing = next;
    return next.finally(() => {
      if (syncing === next) syncing = undefined;
    });
  }

  const timer = setInterval(() => {
    if (dirty.size > 0 && !syncing) sync().catch((error: unknown) => options.onSyncFailed?.(error));
  }, options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
  timer.unref();

  function hit(key: string, windowMs: number): Counter {
    const now = Date.now();
    let counter = counters.get(key);
    if (!counter || counter.windowEndsAt <= now) {
      if (!counter && counters.size >= maxKeys) {
        // No scan here (a flood from many networks would pay it per request): expired counters
        // go at the minute's prune, and at the cap the counter seen first goes now.
        const oldest = counters.keys().next().value as string;
        counters.delete(oldest);
        dirty.delete(oldest);
      }
      // A window that ended locally may live on in Redis (another process began it later); the
      // next sync brings the shared total and its end.
      counter = { settled: 0, pending: 0, windowMs, windowEndsAt: now + windowMs };
      counters.set(key, counter);
    }
    return counter;
  }

  class Store implements FastifyRateLimitStore {
    private readonly route: string;

    /** The library constructs the root store with its options; `child` passes the route's key prefix. */
    constructor(route?: unknown) {
      this.route = typeof route === 'string' ? route : '';
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      const counter = hit(this.route + key, timeWindow);
      counter.pending += 1;
      dirty.add(this.route + key);
      callback(null, { current: counter.settled + counter.pending, ttl: Math.max(0, counter.windowEndsAt - Date.now()) });
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The library passes the route as `routeInfo` (its typings say otherwise); same keys as its Redis store.
      const { routeInfo } = routeOptions as unknown as { routeInfo?: { method?: string; url?: string } };
      return new Store(`${routeInfo?.method ?? ''}${routeInfo?.url ?? ''}-`);
    }
  }

  return {
    Store: Store as unknown as FastifyRateLimitStoreCtor,
    sync,
    async close() {
      clearInterval(timer);
      // Hand the last hits to the other processes, unless Redis is known to be away.
      if (!failing) await sync();
    },
  };
}
