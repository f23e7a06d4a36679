import type { Cluster, Redis } from 'ioredis';
import type { Sql } from '../db/client.js';

export interface DependencyCheck {
  ok: boolean;
  /** Why it is not ready, without credentials. */
  error?: string;
}

export interface Readiness {
  ok: boolean;
  checks: { postgres: DependencyCheck; redis: DependencyCheck };
}

const PROBE_TIMEOUT_MS = 1500;

async function probe(run: () => Promise<unknown>): Promise<DependencyCheck> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, error: code ?? (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** A probe client has no offline queue; give a (re)connecting client the chance to get ready. */
async function pingRedis(redis: Redis | Cluster): Promise<unknown> {
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        reject(new Error(`not connected (${redis.status})`));
      }, PROBE_TIMEOUT_MS - 100);
      redis.once('ready', onReady);
    });
  }
  return redis.ping();
}

/** Asks Postgres and Redis to answer, both at once, each within a short deadline. */
export async function checkReadiness(deps: { sql: Sql; redis: Redis | Cluster }): Promise<Readiness> {
  const [postgres, redis] = await Promise.all([probe(() => deps.sql`select 1`), probe(() => pingRedis(deps.redis))]);
  return { ok: postgres.ok && redis.ok, checks: { postgres, redis } };
}
