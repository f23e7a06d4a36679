import type { Queue } from 'bullmq';
import { readerMailKind } from '../platform/db/schema.js';
import type { MailSlot } from './mail-slot.js';

/**
 * Transactional mail to one reader travels as a job on the transactional queue: the job's name
 * says which email, its data holds the reader's id and nothing else (never the address). The
 * processor reads the rest from Postgres when it runs, and skips a reader who confirmed, left or
 * was erased meanwhile. Requests reach the queue through the outbox (see reader-mail-outbox.ts).
 */
export const READER_MAIL_KINDS = readerMailKind.enumValues;
export type ReaderMailKind = (typeof READER_MAIL_KINDS)[number];

export interface ReaderMailJobData {
  subscriberId: number;
}

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
export async function enqueueReaderMails(queue: Queue, requests: ReaderMailRequest[]): Promise<void> {
  await queue.addBulk(
    requests.map(({ kind, slot }) => {
      const data: ReaderMailJobData = { subscriberId: slot.subscriberId };
      return { name: kind, data, opts: { jobId: readerMailJobId(kind, slot) } };
    }),
  );
}

/** The job's kind and reader, or undefined for a job this processor does not understand. */
export function readReaderMailJob(name: string, data: unknown): { kind: ReaderMailKind; subscriberId: number } | undefined {
  const subscriberId = (data as Partial<ReaderMailJobData> | null)?.subscriberId;
  if (!READER_MAIL_KINDS.includes(name as ReaderMailKind) || !Number.isSafeInteger(subscriberId)) return undefined;
  return { kind: name as ReaderMailKind, subscriberId: subscriberId as number };
}
