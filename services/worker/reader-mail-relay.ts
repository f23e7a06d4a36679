import type { Runtime } from '../runtime.js';
import { enqueueReaderMails } from '../core/reader-mail/reader-mail-jobs.js';
import { relayReaderMailOutbox } from '../core/reader-mail/reader-mail-outbox.js';

/**
 * Moves transactional reader mail from the Postgres outbox onto the transactional queue. Signups
 * only write Postgres (one statement, and they keep working while Redis is down); this loop
 * carries their confirmations on. It polls: an empty pass is one indexed query, and a full batch
 * is followed at once by the next.
 */

export interface ReaderMailRelayOptions {
  /** Wait after a pass that found less than a full batch. */
  idleMs?: number;
  batchSize?: number;
}

export interface ReaderMailRelay {
  /** Stops the loop after the pass in flight. */
  close(): Promise<void>;
}

const DEFAULT_IDLE_MS = 250;
export const DEFAULT_BATCH_SIZE = 500;
/** After a failed pass (Redis or Postgres down), wait longer before the next. */
const FAILURE_BACKOFF_MS = 2000;

/** One pass: moves up to `batchSize` of the oldest owed emails onto the queue; resolves with how many. */
export function relayReaderMail(runtime: Pick<Runtime, 'database' | 'queues'>, batchSize = DEFAULT_BATCH_SIZE): Promise<number> {
  return relayReaderMailOutbox(runtime.database.sql, batchSize, (requests) => enqueueReaderMails(runtime.queues, requests));
}

export function startReaderMailRelay(runtime: Runtime, options: ReaderMailRelayOptions = {}): ReaderMailRelay {
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const log = runtime.logger.child({ role: 'worker', component: 'reader-mail-relay' });
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();

  const pass = async () => {
    let wait = idleMs;
    try {
      const moved = await relayReaderMail(runtime, batchSize);
      if (failing) log.info('reader mail relay is moving requests again');
      failing = false;
      if (moved === batchSize) wait = 0;
    } catch (error) {
      // Log the first failure of a streak only: the requests wait in Postgres meanwhile.
      if (!failing) log.warn({ err: error }, 'could not relay reader mail; requests wait in the outbox and are retried');
      failing = true;
      wait = FAILURE_BACKOFF_MS;
    }
    if (!stopped) timer = setTimeout(schedule, wait);
  };
  const schedule = () => {
    inFlight = pass();
  };
  schedule();

  return {
    async close() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
