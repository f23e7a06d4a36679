import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * A rate shared by every process that uses the same Redis keys: the SMTP_RATE_LIMIT of all
 * worker processes together, held so that no one-second window, wherever it starts, sees more
 * than `perSecond` messages arrive at the server. Two parts, each one atomic script on Redis's
 * own clock:
 *
 * - Pacing (GCRA, a token bucket without burst held as one timestamp): each message reserves the
 *   next free slot, `1 / perSecond` after the previous one, and waits for it, so sends are evenly
 *   spaced whichever process makes them.
 * - The guarantee (a sliding log): a message may start only while fewer than `perSecond` others
 *   are in flight or were answered less than a second ago. Evenly spaced slots alone do not
 *   bound a second at the server: a process that stalls (a GC pause, a busy core) sends its
 *   messages late, into the next second's. Counted this way, every message arriving within a
 *   second of another was in flight or recently answered when the later one started.
 *
 * BullMQ's worker limiter paces job starts, not messages: the 50 messages of a job went out in
 * a burst, and one second held up to 1.5x the limit with two workers (1.3x with one).
 */
export interface SharedRateLimit {
  /** Resolves when the caller may send one message; call the returned function once the server answered. */
  acquire(): Promise<() => void>;
}

/**
 * KEYS[1] holds the theoretical arrival time (TAT) of the next free slot in microseconds of
 * Redis's clock; ARGV[1] is the interval between slots in microseconds. Returns how many
 * microseconds the caller waits for the slot it got. The key expires once it lies in the past.
 */
const RESERVE_SLOT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local nextSlot = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nextSlot), 'PX', math.ceil((nextSlot - now) / 1000) + 1000)
return math.floor(slot - now)
`;

/**
 * KEYS[1] is a sorted set of messages, each scored with the time (ms) it stops counting: while
 * in flight, ARGV[3] ms after it started (a process that died mid-send does not hold its place
 * for ever); once answered, a second after the answer. ARGV[1] is the limit, ARGV[2] the
 * message's id. Returns 0 when the message may start (it is now in flight), else how many ms to
 * wait before asking again.
 */
const START_MESSAGE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + 1000)
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`;

/** KEYS[1], ARGV[1] as above: the message was answered; it counts for one more second. */
const END_MESSAGE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + 1000, ARGV[1])
return 0
`;

/** How long a message counts as in flight at most (an SMTP answer takes far less). */
const IN_FLIGHT_LIMIT_MS = 60_000;
/** A full window is asked again at least this often (an in-flight message may be answered any moment). */
const MAX_RETRY_MS = 20;

type SharedRateCommands = {
  reserveSendSlot(key: string, intervalMicros: string): Promise<number>;
  startRateLimitedMessage(key: string, limit: number, id: string, inFlightMs: number): Promise<number>;
  endRateLimitedMessage(key: string, id: string): Promise<number>;
};

export interface SharedRateLimitOptions {
  /** Names two keys: `<keyPrefix>:slot` and `<keyPrefix>:window`. */
  keyPrefix: string;
  perSecond: number;
  /**
   * Messages this process has between start and answer at most: the SMTP pool's connections. A
   * message waiting for a free connection would count as in flight and hold a place of the
   * window without being sent.
   */
  inFlightPerProcess: number;
}

export function createSharedRateLimit(redis: Redis | Cluster, options: SharedRateLimitOptions): SharedRateLimit {
  const { keyPrefix, perSecond } = options;
  if (!(perSecond > 0)) throw new RangeError(`a shared rate needs a positive rate, got ${perSecond}`);
  if (!('reserveSendSlot' in redis)) {
    redis.defineCommand('reserveSendSlot', { numberOfKeys: 1, lua: RESERVE_SLOT });
    redis.defineCommand('startRateLimitedMessage', { numberOfKeys: 1, lua: START_MESSAGE });
    redis.defineCommand('endRateLimitedMessage', { numberOfKeys: 1, lua: END_MESSAGE });
  }
  const client = redis as unknown as SharedRateCommands;
  const intervalMicros = String(1_000_000 / perSecond);
  const slotKey = `${keyPrefix}:slot`;
  const windowKey = `${keyPrefix}:window`;
  const owner = randomBytes(6).toString('hex');
  let sequence = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const leave = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight -= 1;
  };
  return {
    async acquire() {
      // A place among this process's messages in flight (handed straight on by the one leaving).
      if (inFlight < options.inFlightPerProcess) inFlight += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await startMessage();
      } catch (error) {
        leave();
        throw error;
      }
    },
  };

  /** Waits for the next slot, then until the window has room; the message is then in flight. */
  async function startMessage(): Promise<() => void> {
    const waitMicros = await client.reserveSendSlot(slotKey, intervalMicros);
    if (waitMicros > 0) await sleep(Math.ceil(waitMicros / 1000));
    const id = `${owner}-${(sequence += 1)}`;
    for (;;) {
      const waitMs = await client.startRateLimitedMessage(windowKey, perSecond, id, IN_FLIGHT_LIMIT_MS);
      if (waitMs === 0) break;
      await sleep(Math.min(waitMs, MAX_RETRY_MS));
    }
    // Not awaited: a lost answer only keeps the message counted until IN_FLIGHT_LIMIT_MS.
    return () => {
      leave();
      void client.endRateLimitedMessage(windowKey, id).catch(() => undefined);
    };
  }
}
