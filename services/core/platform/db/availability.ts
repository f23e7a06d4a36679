import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Errors that mean "Postgres is not answering right now" rather than "this statement is wrong":
 * the server is restarting, shutting down or not reachable, or the connection dropped. The
 * statement may or may not have run; callers retry only statements that are safe to run again.
 * CONNECTION_ENDED is not among them: it is this process closing its own pool.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return false;
  // SQLSTATE class 08 (connection exception); 57P01-57P03 (admin or crash shutdown, starting up).
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/** Longest pause between tries: work resumes within this long of Postgres answering again. */
const MAX_PAUSE_MS = 1000;

/**
 * Runs `work`, and runs it again while Postgres is unavailable (100 ms, doubling up to 1 s), for as
 * long as that lasts; any other error is thrown. `work` must be safe to repeat: a dropped
 * connection leaves unknown whether the statement committed. `onUnavailable` hears each miss.
 */
export async function whileDatabaseAway<T>(work: () => Promise<T>, onUnavailable?: (error: unknown) => void): Promise<T> {
  for (let pause = 100; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      onUnavailable?.(error);
      await sleep(pause);
    }
  }
}
