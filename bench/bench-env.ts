import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { prepareDatabase } from '../services/core/platform/db/migrate.js';
import { dropDatabase } from '../test/helpers/database.js';

/**
 * The bench's own database on the local Postgres and its own queue prefix on the local Redis.
 * `remove()` drops exactly that database and deletes exactly the keys under that prefix.
 */

export const POSTGRES_SERVER = process.env.BENCH_POSTGRES_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchEnv {
  databaseUrl: string;
  databaseName: string;
  redisUrl: string;
  queuePrefix: string;
  remove(): Promise<void>;
}

export async function createBenchEnv(): Promise<BenchEnv> {
  const stamp = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`;
  const databaseName = `paperboy_bench_${stamp}`;
  const databaseUrl = `${POSTGRES_SERVER}/${databaseName}`;
  const queuePrefix = `pbbench-${stamp.replace('_', '-')}`;
  await prepareDatabase(databaseUrl);
  return {
    databaseUrl,
    databaseName,
    redisUrl: REDIS_URL,
    queuePrefix,
    async remove() {
      await dropDatabase(POSTGRES_SERVER, databaseName);
      await deleteKeys(REDIS_URL, queuePrefix);
    },
  };
}

/** Deletes the keys under `prefix:` only (SCAN + DEL; never FLUSH). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * The environment every Paperboy the bench runs shares (in-process runtime, worker, API): its
 * own database and queue prefix, production-grade secrets and an https public URL.
 */
export function paperboyEnv(env: BenchEnv): Record<string, string> {
  return {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    QUEUE_PREFIX: env.queuePrefix,
    // Production refuses reserved domains (example.org...); nothing ever contacts this one.
    PUBLIC_URL: 'https://news.acme-research.org',
    MAIL_FROM: 'Paperboy <papers@news.acme-research.org>',
    // Production requires an SMTP server; a process that delivers is given the sink's instead.
    SMTP_URL: 'smtp://127.0.0.1:9',
    MAIL_POSTAL_ADDRESS: 'Paperboy, 1 Example Street, Exampletown',
    SECRET_KEY: 'bench-secret-key-bench-secret-key-bench-0123',
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    // `BOUNCE_DOMAIN=bounces.acme-research.org npm run bench` measures sending with VERP.
    ...(process.env.BOUNCE_DOMAIN ? { BOUNCE_DOMAIN: process.env.BOUNCE_DOMAIN } : {}),
  };
}
