import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { DependencyUnavailableError } from '../errors.js';
import { isRedisUnavailable } from './redis.js';

/**
 * One request at a time to an upstream, spaced, across every process that shares the Redis key:
 * what arXiv asks of a client ("no more than one request every three seconds", "a single
 * connection at a time"), whichever worker, job or CLI makes the request.
 *
 * The key is held while a request is in flight and, once it was answered, for `spacingMs` more:
 * the next request starts `spacingMs` after the previous one's answer at the earliest, so also
 * after its start. Holding through the answer rather than stamping the start keeps the spacing
 * when a process stalls between taking its turn and sending (a GC pause, a busy core). Times are
 * Redis's key expiries, one clock for every host. A process that dies mid-request holds the key
 * until the request's own time limit runs out.
 *
 * BullMQ's queue limiter was not enough: it paces job starts, while one API job makes several
 * requests (pages, retries) and `cli ingest-arxiv` makes them outside any queue.
 */
export interface RequestGate {
  /**
   * Resolves when the caller may send one request; `maxRequestMs` bounds how long the request
   * may take (past it the next one may start). Call the returned function once the request was
   * answered or failed, with how long the upstream asked to be left alone (a 429 or 503's
   * Retry-After), if it did: the gate then stays closed that long, when longer than the spacing.
   */
  acquire(maxRequestMs: number): Promise<ReleaseRequestGate>;
}

/** Ends a turn at the gate; `upstreamAskedWaitMs` (Retry-After) holds it closed that long for every process. */
export type ReleaseRequestGate = (upstreamAskedWaitMs?: number) => Promise<void>;

/** What the key holds between an answer and the end of the spacing after it. */
const ANSWERED = 'answered';

/**
 * KEYS[1] is the gate; ARGV[1] the caller's token, ARGV[2] how long the request may take (ms),
 * ARGV[3] how often a request in flight is asked about again (ms). Returns 0 when the caller holds
 * the gate, else how many ms to wait before asking again: the rest of the spacing once the
 * previous request was answered, or at most ARGV[3] while it is in flight (it may end any moment).
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return 1 end
if redis.call('GET', KEYS[1]) == '${ANSWERED}' then return ttl end
return math.min(ttl, tonumber(ARGV[3]))
`;

/**
 * KEYS[1], ARGV[1] as above; ARGV[2] the spacing, or the upstream's Retry-After when longer (ms).
 * The caller's request was answered: the gate stays closed that long. Also when the caller's hold
 * ran out meanwhile (the key is gone); not when another request already holds it.
 */
const RELEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] or not holder then redis.call('SET', KEYS[1], '${ANSWERED}', 'PX', ARGV[2]) end
return 0
`;

type GateCommands = {
  acquireRequestGate(key: string, token: string, maxRequestMs: number, pollMs: number): Promise<number>;
  releaseRequestGate(key: string, token: string, spacingMs: number): Promise<number>;
};

export interface SharedRequestGateOptions {
  key: string;
  /** Between an answer and the next request. */
  spacingMs: number;
  /** Names the upstream in the error raised while Redis is away ("arXiv"). */
  upstream: string;
  /** How often a request in flight elsewhere is asked about again. */
  pollMs?: number;
}

export function createSharedRequestGate(redis: Redis | Cluster, options: SharedRequestGateOptions): RequestGate {
  const { key, spacingMs, upstream } = options;
  const pollMs = options.pollMs ?? Math.min(250, Math.max(1, spacingMs));
  if (!('acquireRequestGate' in redis)) {
    redis.defineCommand('acquireRequestGate', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('releaseRequestGate', { numberOfKeys: 1, lua: RELEASE });
  }
  const client = redis as unknown as GateCommands;
  const owner = randomBytes(6).toString('hex');
  let sequence = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Without Redis no process can know when the others asked: the request waits (fails, to be retried), it is not sent unspaced. */
  async function onRedis<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (isRedisUnavailable(error)) throw new DependencyUnavailableError(`Redis is not answering: requests to ${upstream} wait for their turn there`);
      throw error;
    }
  }
  return {
    async acquire(maxRequestMs) {
      const token = `${owner}-${(sequence += 1)}`;
      // The hold covers the request and the spacing after it, should the release never come.
      const holdMs = Math.ceil(maxRequestMs + spacingMs);
      for (;;) {
        const waitMs = await onRedis(() => client.acquireRequestGate(key, token, holdMs, pollMs));
        if (waitMs === 0) break;
        await sleep(waitMs);
      }
      return async (upstreamAskedWaitMs) => {
        // A Retry-After is the upstream's wait for everyone, not only for the process that was told.
        const closedMs = Math.max(spacingMs, Math.ceil(upstreamAskedWaitMs ?? 0));
        // A release that does not reach Redis leaves the gate closed until the hold runs out:
        // later requests wait longer, none comes sooner.
        await client.releaseRequestGate(key, token, closedMs).catch(() => undefined);
      };
    },
  };
}
