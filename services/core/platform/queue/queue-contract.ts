import { z } from 'zod';
import { readerMailKind } from '../db/schema.js';

/**
 * The queue contract: for every BullMQ queue, its name, the jobs it takes (job name → the data
 * that job carries) and its job schedulers (scheduler id → the job it adds). Redis holds live
 * jobs and schedulers under these strings, so they never change.
 *
 * Jobs carry ids of Postgres rows, never content: Postgres is the truth, and a lost Redis loses
 * nothing that reconcile cannot rebuild. Producers are typed by the contract at compile time;
 * workers check the data again when they take a job, since Redis may hold anything.
 */

/** A Postgres row id (a safe integer, so no precision was lost on the way through JSON). */
const rowId = z.int();

/** Scheduled jobs carry no data: what to do follows from the clock and Postgres. */
const noData = z.object({});

const readerMailData = z.object({ subscriberId: rowId });

export const QUEUES = {
  /**
   * Fetch papers from the Hugging Face API: scheduled at `INGEST_CRON` (hourly), or on demand;
   * and, after arXiv's announcement, the RSS listing of each category in `ARXIV_CATEGORIES` or
   * chosen by a confirmed daily reader.
   */
  ingest: {
    name: 'papers-ingest',
    jobs: {
      /** A date to fetch, or none for today and the previous `INGEST_DAYS` days. */
      ingest: z.object({ date: z.string().optional() }),
      /** Adds one `arxiv-listing` job per configured or chosen category for today's listing (US Eastern). */
      'arxiv-listings': noData,
      /** One category's listing of a day (as arXiv dates it), from its RSS feed. */
      'arxiv-listing': z.object({ category: z.string(), date: z.string() }),
    },
    schedulers: { 'papers-ingest-recent': 'ingest', 'papers-ingest-arxiv': 'arxiv-listings' },
  },
  /** Assemble (freeze) editions: daily at `DIGEST_CRON`, yesterday's and on Mondays the weekly. */
  editions: {
    name: 'editions-assemble',
    jobs: { 'assemble-yesterday': noData },
    schedulers: { 'editions-assemble-yesterday': 'assemble-yesterday' },
  },
  /** Start the send runs due in each schedule slot (15 minutes); fan a run out into deliveries. */
  fanout: {
    name: 'sending-fanout',
    jobs: {
      'schedule-due': noData,
      fanout: z.object({ runId: rowId }),
    },
    schedulers: { 'sending-schedule-due': 'schedule-due' },
  },
  /** Send a batch of a run's deliveries over SMTP. */
  deliver: {
    name: 'sending-deliver',
    jobs: { deliver: z.object({ runId: rowId, deliveryIds: z.array(rowId) }) },
    schedulers: {},
  },
  /** Transactional mail to one reader; the job's name is the kind of email. */
  transactional: {
    name: 'mail-transactional',
    jobs: { confirmation: readerMailData, 'manage-links': readerMailData } satisfies Record<(typeof readerMailKind.enumValues)[number], z.ZodType>,
    schedulers: {},
  },
  /** Housekeeping: reconcile stuck send runs and deliveries; nightly, drop what retention no longer keeps. */
  maintenance: {
    name: 'maintenance',
    jobs: { reconcile: noData, retention: noData },
    schedulers: { 'sending-reconcile': 'reconcile', 'nightly-retention': 'retention' },
  },
} as const;

type Contract = typeof QUEUES;
export type QueueKey = keyof Contract;
export type QueueName = Contract[QueueKey]['name'];
export type JobName<Q extends QueueKey> = keyof Contract[Q]['jobs'] & string;
export type JobData<Q extends QueueKey, N extends JobName<Q>> = z.infer<Contract[Q]['jobs'][N]>;
/** The scheduler ids of queue `Q` (of any queue when `Q` is a union). */
export type SchedulerId<Q extends QueueKey> = Q extends QueueKey ? keyof Contract[Q]['schedulers'] & string : never;

/** The name of the job a scheduler adds (with no data) on each tick. */
export function scheduledJobName<Q extends QueueKey>(queue: Q, id: SchedulerId<Q>): JobName<Q> {
  const schedulers: Readonly<Record<string, string>> = QUEUES[queue].schedulers;
  return schedulers[id] as JobName<Q>;
}
