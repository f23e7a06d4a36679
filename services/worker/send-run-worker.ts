import type { Runtime } from '../runtime.js';
import { describeDatabase, isDatabaseUnavailable } from '../core/platform/db/client.js';
import { ConflictError, DependencyUnavailableError } from '../core/platform/errors.js';
import { checkReadiness } from '../core/platform/health/readiness.js';
import { describeRedis, isRedisUnavailable, redisTargetOf } from '../core/platform/queue/redis.js';
import { findSendRun } from '../core/sending/send-run-repo.js';
import { reviveSendRun } from '../core/sending/send-run-revival.js';
import { settledDeliveries, totalDeliveries } from '../core/sending/delivery-counts.js';
import { reportSendRun, type Outage, type RunReport, type SendRunListener } from '../core/sending/send-report.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from './processors/sending.js';
import { startWorkers } from './worker-host.js';

const POLL_MS = 250;
const OUTAGE_POLL_MS = 500;
/**
 * A run whose counts have not moved for this long may have lost its jobs (a Redis that came back
 * empty, retries that ran out while Postgres was away): it is revived, which changes nothing
 * when its work is still queued.
 */
const STALL_MS = 10_000;
/**
 * How long a send waits for Postgres or Redis before it gives up: far beyond a restart or a
 * failover, short enough that a cron job does not hang for good on a server that is gone.
 */
export const OUTAGE_LIMIT_MS = 10 * 60_000;

/**
 * Works a send run to its end in this process (for the CLI): runs the send processors here,
 * beside any worker processes already running, which share the work, and polls the run until
 * it completes, when every delivery is sent, failed or skipped. Rides out Postgres and Redis
 * going away (both clients reconnect by themselves; the jobs retry): it says it is waiting,
 * gives the run back what it lost when the service returns, and gives up only after
 * OUTAGE_LIMIT_MS, with a DependencyUnavailableError naming the service. Resolves with the
 * final counts from the ledger.
 */
export async function workSendRun(runtime: Runtime, runId: number, listener: SendRunListener): Promise<RunReport> {
  const host = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  const outages = createOutageWatch();
  let lastCounts = '';
  let lastMoveAt = Date.now();
  try {
    for (;;) {
      let state: RunReport;
      try {
        await requireServices(runtime);
        const run = await findSendRun(runtime.database.sql, runId);
        if (!run) throw new Error(`send run ${runId} disappeared`);
        state = await reportSendRun(runtime, run);
        const counts = `${run.status} ${settledDeliveries(state.deliveries)} ${totalDeliveries(state.deliveries)}`;
        if (counts !== lastCounts) {
          lastCounts = counts;
          lastMoveAt = Date.now();
        }
        // Right after an outage, and whenever the run stands still, it gets back what it lost.
        if (outages.current() || Date.now() - lastMoveAt > STALL_MS) {
          await reviveSendRun(runtime, run);
          lastMoveAt = Date.now();
        }
      } catch (error) {
        const outage = await outageBehind(runtime, error);
        if (!outage) throw error;
        const { started, downMs } = outages.down(outage.service);
        if (started) listener.waiting(outage);
        if (downMs > OUTAGE_LIMIT_MS) {
          throw new DependencyUnavailableError(
            `gave up waiting for ${outage.server} after ${Math.round(downMs / 60_000)} min (${outage.reason}); ` +
              `send run ${runId} is unfinished: sending this edition again, or a running worker, finishes it`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_POLL_MS));
        continue;
      }
      const recovered = outages.up();
      if (recovered) listener.recovered(recovered.service, recovered.downMs / 1000);
      listener.progress(settledDeliveries(state.deliveries), totalDeliveries(state.deliveries));
      if (state.run.status === 'completed') return state;
      // A paused or cancelled run will not end by itself: say so instead of waiting forever.
      if (state.run.status === 'paused' || state.run.status === 'cancelled') throw new ConflictError(describeStoppedRun(state));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await host.close(runtime.config.shutdownTimeoutMs);
  }
}

class ServiceDown extends Error {
  constructor(readonly outage: Outage) {
    super(`${outage.server} is not answering (${outage.reason})`);
  }
}

/** Throws ServiceDown when Postgres or Redis does not answer a probe (Postgres named first). */
async function requireServices(runtime: Runtime): Promise<void> {
  const outage = await probeOutage(runtime);
  if (outage) throw new ServiceDown(outage);
}

async function probeOutage(runtime: Runtime): Promise<Outage | undefined> {
  const { checks } = await checkReadiness({ sql: runtime.database.sql, redis: runtime.redisProbe });
  if (!checks.postgres.ok) return { service: 'Postgres', server: describeDatabase(runtime.config.databaseUrl), reason: checks.postgres.error ?? 'no answer' };
  if (!checks.redis.ok) return { service: 'Redis', server: describeRedis(redisTargetOf(runtime.config)), reason: checks.redis.error ?? 'no answer' };
  return undefined;
}

/**
 * The outage `error` comes from, if it comes from one: a failed probe, a service that fails its
 * probe now, or an error that says the connection broke (a blip that may be over already).
 * Anything else is a real error and ends the send.
 */
async function outageBehind(runtime: Runtime, error: unknown): Promise<Outage | undefined> {
  if (error instanceof ServiceDown) return error.outage;
  const reason = ((error as { code?: string }).code ?? (error as Error).message) || 'connection lost';
  if (isDatabaseUnavailable(error)) return (await probeOutage(runtime)) ?? { service: 'Postgres', server: describeDatabase(runtime.config.databaseUrl), reason };
  if (isRedisUnavailable(error)) return (await probeOutage(runtime)) ?? { service: 'Redis', server: describeRedis(redisTargetOf(runtime.config)), reason };
  return undefined;
}

export interface OutageWatch {
  /** Notes that `service` is down; `started` when this begins an outage (or another service went down), `downMs` since it began. */
  down(service: Outage['service']): { started: boolean; downMs: number };
  /** Everything answers: ends the outage, if there was one, and says which service it was and for how long. */
  up(): { service: Outage['service']; downMs: number } | undefined;
  current(): Outage['service'] | undefined;
}

/**
 * Keeps the time since a service stopped answering. Flapping between two services is one
 * outage: the clock runs from the first failure until everything answers.
 */
export function createOutageWatch(now: () => number = Date.now): OutageWatch {
  let outage: { service: Outage['service']; since: number } | undefined;
  return {
    down(service) {
      const started = outage?.service !== service;
      outage = { service, since: outage?.since ?? now() };
      return { started, downMs: now() - outage.since };
    },
    up() {
      if (!outage) return undefined;
      const ended = { service: outage.service, downMs: now() - outage.since };
      outage = undefined;
      return ended;
    },
    current: () => outage?.service,
  };
}

/** Why `cli send` stops waiting (it exits 1): the run's state, its reason and what to do. */
function describeStoppedRun({ run, deliveries }: RunReport): string {
  const counts = `${settledDeliveries(deliveries)} of ${totalDeliveries(deliveries)} deliveries settled (${deliveries.sent} sent, ${deliveries.failed} failed, ${deliveries.skipped} skipped)`;
  if (run.status === 'cancelled') return `send run ${run.id} was cancelled; ${counts}`;
  return (
    `send run ${run.id} paused (${run.pausedReason ?? 'no reason given'}); ${counts}, ${deliveries.queued} waiting. ` +
    `Resume it with POST /admin/runs/${run.id}/resume, or stop it with POST /admin/runs/${run.id}/cancel`
  );
}
