import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { subscribers } from '../../services/core/platform/db/schema.js';
import { createToken, type TokenPurpose } from '../../services/core/platform/tokens/tokens.js';
import { readerMailProcessor } from '../../services/worker/processors/reader-mail.js';
import { relayReaderMail, startReaderMailRelay } from '../../services/worker/reader-mail-relay.js';
import { startWorkers } from '../../services/worker/worker-host.js';
import { createTestRuntime, type TestRuntime } from './runtime.js';

/**
 * The reader tests' shared set-up: a runtime with a clock the test moves, the app, and small
 * helpers to make addresses, tokens and form posts and to read what was stored and queued.
 */
export interface ReaderHarness {
  test: TestRuntime;
  app: App;
  /** The runtime's clock reads this; tests move it forward. */
  clock: { now: Date };
  uniqueEmail(tag: string): string;
  token(subscriberId: number, purpose: TokenPurpose, expiresAt?: Date): string;
  subscriberByEmail(email: string): Promise<typeof subscribers.$inferSelect | undefined>;
  /** Every transactional job of one reader, in any state, after relaying what the outbox holds. */
  jobsFor(subscriberId: number): Promise<Array<{ id?: string; name: string; data: { subscriberId: number } }>>;
  /** POSTs a JSON signup, expects 202, returns the stored row. */
  subscribe(email: string, extra?: Record<string, unknown>): Promise<typeof subscribers.$inferSelect>;
  close(): Promise<void>;
}

export const form = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

export const acceptJson = { accept: 'application/json' };

/**
 * What the worker role runs for reader mail: the outbox relay and the transactional-queue
 * processor (templates compiled under MJML's strict validation). Close it before the runtime.
 */
export async function startReaderMailWorker(runtime: TestRuntime['runtime']): Promise<{ close(): Promise<void> }> {
  const host = await startWorkers(runtime, [readerMailProcessor(runtime, { validationLevel: 'strict' })], []);
  const relay = startReaderMailRelay(runtime, { idleMs: 20 });
  return {
    async close() {
      await relay.close();
      await host.close(5000);
    },
  };
}

export async function createReaderHarness(label: string, env: Record<string, string> = {}): Promise<ReaderHarness> {
  const clock = { now: new Date('2026-03-02T09:00:00Z') };
  const test = await createTestRuntime(label, { SIGNUP_RATE_LIMIT: '10000', ...env }, { clock: () => clock.now });
  const app = await buildApp(test.runtime);
  let sequence = 0;

  const subscriberByEmail = async (email: string) => {
    const [row] = await test.runtime.database.db.select().from(subscribers).where(eq(subscribers.emailNormalized, email.toLowerCase()));
    return row;
  };

  return {
    test,
    app,
    clock,
    uniqueEmail: (tag) => `${tag}-${++sequence}@example.org`,
    token: (subscriberId, purpose, expiresAt) =>
      createToken(test.config.secretKey, { subscriberId, purpose, ...(expiresAt ? { expiresAt } : {}) }),
    subscriberByEmail,
    async jobsFor(subscriberId) {
      await relayReaderMail(test.runtime);
      const jobs = await test.runtime.queues.transactional.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
      return jobs.filter((job) => job.data.subscriberId === subscriberId);
    },
    async subscribe(email, extra = {}) {
      const response = await app.inject({ method: 'POST', url: '/subscribe', payload: { email, ...extra } });
      expect(response.statusCode).toBe(202);
      const row = await subscriberByEmail(email);
      if (!row) throw new Error(`no row for ${email}`);
      return row;
    },
    async close() {
      await app.close();
      await test.cleanup();
    },
  };
}
