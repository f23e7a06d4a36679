import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readerMailOutboxBacklog } from '../../reader-mail/reader-mail-outbox.js';
import type { DatabaseClient } from '../db/client.js';
import type { Queues } from '../queue/queues.js';
import type { DeliveryOutcome } from '../../sending/delivery-service.js';
import { findUnfinishedRunProgress } from './metrics-repo.js';

/**
 * The Prometheus metrics of one process: one registry, built by the composition root (never at
 * import time), so a test runtime or a second process in the same test never shares counters.
 * Counters move where the work happens (HTTP hook, delivery outcomes); queue depths and send-run
 * progress are read from Redis and Postgres when Prometheus scrapes.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Counts one answered HTTP request; `route` is the route pattern, never the raw URL. */
  recordHttpRequest(method: string, route: string, status: number, seconds: number): void;
  /** DeliveryDeps.onOutcome: emails sent, failed by reason, SMTP latency. */
  recordDelivery: (outcome: DeliveryOutcome) => void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

export function createMetrics(deps: { queues: Queues; database: DatabaseClient }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paperboy_' });

  const httpRequests = new Counter({
    name: 'paperboy_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'paperboy_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const emailsSent = new Counter({ name: 'paperboy_emails_sent_total', help: 'Digests accepted by the SMTP server', registers: [registry] });
  const emailsFailed = new Counter({
    name: 'paperboy_emails_failed_total',
    help: 'Digests given up on, by reason (permanent-recipient, permanent-message, invalid-address, retries-exhausted)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const emailsRetried = new Counter({
    name: 'paperboy_emails_retried_total',
    help: 'Deliveries put back for a retry after a transient SMTP failure',
    registers: [registry],
  });
  const emailsSkipped = new Counter({
    name: 'paperboy_emails_skipped_total',
    help: 'Deliveries skipped at send time (the reader unsubscribed or was suppressed after fan-out)',
    registers: [registry],
  });
  const smtpLatency = new Histogram({
    name: 'paperboy_smtp_send_duration_seconds',
    help: 'Time from handing a digest to the SMTP pool to the server accepting it',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // Pre-create the reasons so a dashboard sees zeros before the first failure.
  for (const reason of ['permanent-recipient', 'permanent-message', 'invalid-address', 'retries-exhausted']) emailsFailed.inc({ reason }, 0);

  new Gauge({
    name: 'paperboy_queue_jobs',
    help: 'BullMQ jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        Object.values(deps.queues).map(async (queue) => {
          const counts = await queue.getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  new Gauge({
    name: 'paperboy_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const now = Date.now();
      await Promise.all(
        Object.values(deps.queues).map(async (queue) => {
          // asc = true: the list's tail, the job that has waited longest.
          const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
          this.set({ queue: queue.name }, oldest ? Math.max(0, (now - oldest.timestamp) / 1000) : 0);
        }),
      );
    },
  });
  // Owed reader mail the worker has not yet moved to the queue: grows while Redis is down.
  new Gauge({
    name: 'paperboy_reader_mail_outbox',
    help: 'Transactional reader emails (confirmations, fresh links) waiting in the Postgres outbox for the relay',
    registers: [registry],
    async collect() {
      this.set((await readerMailOutboxBacklog(deps.database.sql)).count);
    },
  });
  new Gauge({
    name: 'paperboy_reader_mail_outbox_oldest_seconds',
    help: 'Age of the oldest email waiting in the reader mail outbox (0 when none waits)',
    registers: [registry],
    async collect() {
      this.set((await readerMailOutboxBacklog(deps.database.sql)).oldestSeconds);
    },
  });
  new Gauge({
    name: 'paperboy_send_run_progress_ratio',
    help: 'Share of deliveries settled (sent, failed or skipped) of each send run not yet completed',
    labelNames: ['run_id', 'edition', 'kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const run of await findUnfinishedRunProgress(deps.database.sql)) {
        this.set({ run_id: String(run.runId), edition: run.editionKey, kind: run.kind }, run.total === 0 ? 0 : run.settled / run.total);
      }
    },
  });
  new Gauge({
    name: 'paperboy_send_run_deliveries',
    help: 'Deliveries of each send run not yet completed, by status',
    labelNames: ['run_id', 'edition', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const run of await findUnfinishedRunProgress(deps.database.sql)) {
        for (const [status, count] of Object.entries(run.byStatus)) this.set({ run_id: String(run.runId), edition: run.editionKey, status }, count);
      }
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    recordHttpRequest(method, route, status, seconds) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    recordDelivery(outcome) {
      if (outcome.status === 'sent') {
        emailsSent.inc();
        smtpLatency.observe(outcome.latencyMs / 1000);
      } else if (outcome.status === 'failed') emailsFailed.inc({ reason: outcome.reason });
      else if (outcome.status === 'retry') emailsRetried.inc();
      else emailsSkipped.inc();
    },
    render: () => registry.metrics(),
  };
}
