import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL (BullMQ wants options, not a URL). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * Connection options for producers (API routes, CLI): a command fails after one retry instead of
 * waiting forever, so an HTTP request answers quickly when Redis is down.
 */
export function producerConnection(url: string): ConnectionOptions {
  return { ...redisOptionsFromUrl(url), maxRetriesPerRequest: 1, connectTimeout: 2000 } as ConnectionOptions;
}

/** Connection options for BullMQ workers, which block on Redis and must retry forever. */
export function workerConnection(url: string): ConnectionOptions {
  return { ...redisOptionsFromUrl(url), maxRetriesPerRequest: null, connectTimeout: 2000 } as ConnectionOptions;
}

/**
 * A client for health probes: no offline queue, so a ping while Redis is down fails at once
 * rather than queueing, and ioredis keeps reconnecting in the background so readiness returns
 * by itself when Redis comes back.
 */
export function createProbeClient(url: string): Redis {
  const client = new Redis({
    ...redisOptionsFromUrl(url),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  client.on('error', () => {
    // Reported through /readyz; ioredis logs nothing and reconnects on its own.
  });
  return client;
}

/**
 * A client for counters shared between processes (the API's signup rate limit): a command fails
 * after one retry, so the caller can fall back on its own counts while Redis is down. It connects
 * on first use, so a process that counts nothing (a worker, the CLI) never opens it.
 */
export function createCounterClient(url: string): Redis {
  const client = new Redis({ ...redisOptionsFromUrl(url), connectTimeout: 2000, maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {
    // The caller reports failed commands; ioredis reconnects on its own.
  });
  return client;
}

/** Host and port of a Redis URL, to name the server in messages without its credentials. */
export function describeRedis(url: string): string {
  const parsed = new URL(url);
  return `Redis at ${parsed.hostname}:${parsed.port || '6379'}`;
}

/**
 * Whether `error` says Redis is not answering right now (ioredis gave up on a command while it
 * reconnects, or the socket failed) rather than that a command is wrong.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Connection is closed.' ||
    error.message.startsWith("Stream isn't writeable") ||
    (code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))
  );
}
