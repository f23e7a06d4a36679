import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A BullMQ prefix of this test file's own, so its queues never meet another file's. */
export function uniqueQueuePrefix(label: string): string {
  return `pbtest-${label.replace(/[^a-z0-9]/gi, '-').toLowerCase()}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under a test prefix (never anything else on the shared Redis). */
export async function deleteQueueKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
