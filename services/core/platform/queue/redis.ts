import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Which Redis: one server (`url`), or a Redis Cluster seeded with `clusterNodes` (REDIS_CLUSTER_NODES),
 * whose credentials and TLS still come from `url`.
 */
export interface RedisTarget {
  url: string;
  clusterNodes?: readonly { host: string; port: number }[] | undefined;
}

/** The Redis target of a configuration. */
export function redisTargetOf(config: { redisUrl: string; redisClusterNodes: RedisTarget['clusterNodes'] }): RedisTarget {
  return { url: config.redisUrl, clusterNodes: config.redisClusterNodes };
}

/**
 * The prefix of every Redis key Paperboy writes (queues, counters, the shared send rate). On a
 * Redis Cluster it is a hash tag, `{QUEUE_PREFIX}`: BullMQ's scripts touch several keys of a
 * queue at once, and a cluster runs a script only when all its keys share a slot. One server
 * keeps the bare prefix, so an existing installation's keys stay where they are.
 */
export function redisKeyPrefix(queuePrefix: string, target: RedisTarget): string {
  return target.clusterNodes ? `{${queuePrefix}}` : queuePrefix;
}

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
 * A client of `target` with `options`: a Redis, or a Cluster whose node connections take the
 * URL's credentials and `options` (cluster-wide settings such as the offline queue go on the
 * Cluster itself).
 */
function createClient(target: RedisTarget, options: RedisOptions & Pick<ClusterOptions, 'enableOfflineQueue' | 'lazyConnect'>): Redis | Cluster {
  if (!target.clusterNodes) return new Redis({ ...redisOptionsFromUrl(target.url), ...options });
  const { username, password, tls } = redisOptionsFromUrl(target.url);
  const { enableOfflineQueue, lazyConnect, retryStrategy, ...nodeOptions } = options;
  return new Cluster([...target.clusterNodes], {
    redisOptions: { username, password, tls, ...nodeOptions },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
  });
}

/**
 * A BullMQ connection and what ends it. On one server it is options (each queue or worker opens
 * and closes its own connections, as BullMQ does by itself); on a cluster it is one Cluster
 * client, shared by the queues or workers given it, which BullMQ leaves open: `release` closes it
 * once they are closed.
 */
export interface BullConnection {
  connection: ConnectionOptions;
  release(): void;
}

function bullConnection(target: RedisTarget, options: RedisOptions): BullConnection {
  if (!target.clusterNodes) return { connection: { ...redisOptionsFromUrl(target.url), ...options } as ConnectionOptions, release: () => {} };
  const cluster = createClient(target, options);
  cluster.on('error', () => {
    // BullMQ reports failed commands through its own error events; the cluster reconnects by itself.
  });
  return { connection: cluster as ConnectionOptions, release: () => cluster.disconnect() };
}

/**
 * Connection for producers (API routes, CLI): a command fails after one retry instead of
 * waiting forever, so an HTTP request answers quickly when Redis is down.
 */
export function producerConnection(target: RedisTarget): BullConnection {
  return bullConnection(target, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
}

/** Connection for BullMQ workers, which block on Redis and must retry forever. */
export function workerConnection(target: RedisTarget): BullConnection {
  return bullConnection(target, { maxRetriesPerRequest: null, connectTimeout: 2000 });
}

/**
 * A client for health probes: no offline queue, so a ping while Redis is down fails at once
 * rather than queueing, and ioredis keeps reconnecting in the background so readiness returns
 * by itself when Redis comes back.
 */
export function createProbeClient(target: RedisTarget): Redis | Cluster {
  const client = createClient(target, {
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
 * A client for counters shared between processes (the API's signup rate limit, the workers'
 * shared send rate): a command fails after one retry, so the caller can fall back on its own
 * counts while Redis is down. It connects on first use, so a process that counts nothing never
 * opens it.
 */
export function createCounterClient(target: RedisTarget): Redis | Cluster {
  const client = createClient(target, { connectTimeout: 2000, maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {
    // The caller reports failed commands; ioredis reconnects on its own.
  });
  return client;
}

/** Host and port of the Redis server (or the cluster's seed nodes), to name it in messages without credentials. */
export function describeRedis(target: RedisTarget): string {
  if (target.clusterNodes) return `Redis Cluster at ${target.clusterNodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
  const parsed = new URL(target.url);
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
    error.name === 'ClusterAllFailedError' ||
    error.message.startsWith("Cluster isn't ready") ||
    error.message === 'Connection is closed.' ||
    error.message.startsWith("Stream isn't writeable") ||
    (code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))
  );
}
