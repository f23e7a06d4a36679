import type { Cluster, Redis } from 'ioredis';

/**
 * A rate shared by every process that uses the same Redis key: the SMTP_RATE_LIMIT of all worker
 * processes together. It is a GCRA (a token bucket without burst, held as one timestamp): each
 * caller reserves the next free slot, `1 / perSecond` after the previous one, in one atomic
 * script on Redis's own clock, and waits until its slot comes. Slots are evenly spaced, so no
 * one-second window, wherever it starts, holds more than `perSecond` (+1) slots, whichever
 * process took them.
 *
 * BullMQ's worker limiter paces job starts, not messages: the 50 messages of a job went out in a
 * burst, and one second could hold a burst more than the limit (measured 1.3x with one worker,
 * up to 1.5x with two).
 */
export interface SharedRateLimit {
  /** Resolves when the caller may do one more thing (send one message). */
  take(): Promise<void>;
}

/**
 * KEYS[1] holds the theoretical arrival time (TAT) of the next free slot in microseconds of
 * Redis's clock. ARGV[1] is the interval between slots in microseconds. Returns how many
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

type WithReserveSlot = { reserveSendSlot(key: string, intervalMicros: string): Promise<number> };

/**
 * A caller that wakes this late for its slot (a busy event loop, a GC pause) takes a fresh slot
 * instead: sent now, its message would land among the next second's and crowd it.
 */
const LATE_MS = 20;
/** ... but only this often, so a process that is always late still sends. */
const MAX_RESERVATIONS = 3;

export function createSharedRateLimit(redis: Redis | Cluster, key: string, perSecond: number): SharedRateLimit {
  if (!(perSecond > 0)) throw new RangeError(`a shared rate needs a positive rate, got ${perSecond}`);
  if (!('reserveSendSlot' in redis)) redis.defineCommand('reserveSendSlot', { numberOfKeys: 1, lua: RESERVE_SLOT });
  const client = redis as unknown as WithReserveSlot;
  const intervalMicros = String(1_000_000 / perSecond);
  return {
    async take() {
      for (let reservation = 1; ; reservation += 1) {
        const waitMs = (await client.reserveSendSlot(key, intervalMicros)) / 1000;
        if (waitMs <= 0) return;
        const due = performance.now() + waitMs;
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
        if (performance.now() - due <= LATE_MS || reservation === MAX_RESERVATIONS) return;
      }
    },
  };
}
