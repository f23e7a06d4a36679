import type { ReaderMailKind } from '../platform/db/schema.js';
import { addJobs, type Queues } from '../platform/queue/queues.js';
import type { MailSlot } from '../subscribers/mail-slot.js';

/**
 * Transactional mail to one reader travels as a job on the transactional queue: the job's name
 * says which email, its data holds the reader's id and nothing else (never the address). The
 * processor reads the rest from Postgres when it runs, and skips a reader who confirmed, left or
 * was erased meanwhile. Requests reach the queue through the outbox (see reader-mail-outbox.ts).
 */

/** One email a reader is owed: which one, and the mail slot taken for it. */
export interface ReaderMailRequest {
  kind: ReaderMailKind;
  slot: MailSlot;
}

/**
 * One id per claimed mail slot: enqueuing the same slot twice is a no-op, while the next slot of
 * the window (a second confirmation an hour's first minutes later) is a new job.
 */
export function readerMailJobId(kind: ReaderMailKind, slot: MailSlot): string {
  const window = Math.floor(slot.windowStartedAt.getTime() / 1000).toString(36);
  return `${kind}-${slot.subscriberId}-${window}-${slot.sentInWindow}`;
}

/** Adds the requests as jobs in one round trip. */
export async function enqueueReaderMails(queues: Queues, requests: ReaderMailRequest[]): Promise<void> {
  await addJobs(
    queues,
    'transactional',
    requests.map(({ kind, slot }) => ({ name: kind, data: { subscriberId: slot.subscriberId }, opts: { jobId: readerMailJobId(kind, slot) } })),
  );
}
