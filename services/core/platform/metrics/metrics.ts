import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from '../queue/queues.js';

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
  /** DeliveryDeps.onOutcome: emails sent, failed by reason, deferred, SMTP latency. */
  recordDelivery: (outcome: DeliveryOutcomeSample) => void;
  /** Reports the bounce receiver or a provider webhook got, by source (dsn, arf, ses...) and what came of them. */
  recordBounceReport(source: string, result: string): void;
  /**
   * A bounce or complaint applied to the ledger (paperboy_bounces_total{kind}): reported after
   * the server's 250 (a DSN, a provider's webhook, a feedback loop). A recipient refused during
   * the SMTP conversation is counted as kind="hard" by recordDelivery.
   */
  recordBounce(kind: BounceKind): void;
  /** A send run paused, by itself (on which spike) or by an operator. */
  recordRunPaused(cause: RunPauseCause): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** A delivery outcome as the counters see it (the sending core's outcomes have this shape). */
export type DeliveryOutcomeSample =
  | { status: 'sent'; latencyMs: number }
  | { status: 'failed'; reason: string }
  | { status: 'retry'; reason: string }
  | { status: 'skipped' };

export type BounceKind = 'hard' | 'soft' | 'complaint';
export type RunPauseCause = 'hard-bounces' | 'complaints' | 'operator';

/** A send run not yet completed: its deliveries by status and its settled share (0..1). */
export interface SendRunSample {
  run: { id: number; editionKey: string; kind: string; status: string; hardBounces: number; complaints: number };
  deliveries: Readonly<Record<string, number>>;
  progress: number;
}

/**
 * What a scrape reads besides the queues, supplied by the composition root: the metrics are
 * plumbing and know nothing of the domain that computes these.
 */
export interface MetricsSources {
  queues: Queues;
  /** Reader mail waiting in the Postgres outbox for the relay, and the age of the oldest (seconds). */
  readerMailOutbox(): Promise<{ count: number; oldestSeconds: number }>;
  unfinishedSendRuns(): Promise<SendRunSample[]>;
  /** Listing days recorded empty (source_days), by source and whether the source's calendar expected that. */
  emptySourceDays(): Promise<Array<{ source: string; expected: boolean; count: number }>>;
}

/** Gauges collected in the same scrape share one read of `read` (prom-client collects them concurrently). */
function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

export function createMetrics(sources: MetricsSources): Metrics {
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
  const bounceReports = new Counter({
    name: 'paperboy_bounce_reports_total',
    help: 'Reports received by the bounce receiver or a provider webhook, by source (dsn, arf, none; ses, postmark, sendgrid, mailgun) and result (hard_bounce, soft_bounce, complaint, duplicate, forged-token, unknown-message, ignored; a webhook\'s refusals counted once by why: unauthorized, forged, bad-signature, wrong-topic, stale, replayed, malformed, unconfigured...)',
    labelNames: ['source', 'result'] as const,
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
  const emailsDeferred = new Counter({
    name: 'paperboy_emails_deferred_total',
    help: 'Deliveries put back because the server throttled or a sending quota was spent (421, 451 4.7.x, 454, 5.2.x quota); every worker backs off',
    registers: [registry],
  });
  const bounces = new Counter({
    name: 'paperboy_bounces_total',
    help: 'Bounces by kind (hard, soft) and spam complaints (kind="complaint"), as applied to the ledger; hard includes recipients refused in the SMTP conversation',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const runsPaused = new Counter({
    name: 'paperboy_send_runs_paused_total',
    help: 'Send runs paused, by cause: hard-bounces or complaints (the run paused itself on a spike) or operator',
    labelNames: ['cause'] as const,
    registers: [registry],
  });
  for (const kind of ['hard', 'soft', 'complaint']) bounces.inc({ kind }, 0);
  for (const cause of ['hard-bounces', 'complaints', 'operator']) runsPaused.inc({ cause }, 0);
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
        Object.values(sources.queues).map(async (queue) => {
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
        Object.values(sources.queues).map(async (queue) => {
          // asc = true: the list's tail, the job that has waited longest.
          const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
          this.set({ queue: queue.name }, oldest ? Math.max(0, (now - oldest.timestamp) / 1000) : 0);
        }),
      );
    },
  });
  // Read from Postgres at each scrape: the ingest that finds a day empty may run in any process
  // (the CLI, the API's import, the worker), and every one of them records the day there.
  // A gauge, not a counter: a day found empty and ingested again with papers stops counting.
  new Gauge({
    name: 'paperboy_source_empty_days',
    help: 'Listing days now recorded empty, by source; expected="false": the calendar expected a listing (an ingest or feed that failed, logged at error), expected="true": a weekend or holiday',
    labelNames: ['source', 'expected'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const source of ['hf', 'arxiv']) for (const expected of ['true', 'false']) this.set({ source, expected }, 0);
      for (const row of await sources.emptySourceDays()) this.set({ source: row.source, expected: String(row.expected) }, row.count);
    },
  });
  // Owed reader mail the worker has not yet moved to the queue: grows while Redis is down.
  const readerMailOutbox = sharedPerScrape(sources.readerMailOutbox);
  new Gauge({
    name: 'paperboy_reader_mail_outbox',
    help: 'Transactional reader emails (confirmations, fresh links) waiting in the Postgres outbox for the relay',
    registers: [registry],
    async collect() {
      this.set((await readerMailOutbox()).count);
    },
  });
  new Gauge({
    name: 'paperboy_reader_mail_outbox_oldest_seconds',
    help: 'Age of the oldest email waiting in the reader mail outbox (0 when none waits)',
    registers: [registry],
    async collect() {
      this.set((await readerMailOutbox()).oldestSeconds);
    },
  });

  // A series per unfinished run, rebuilt at each scrape: a completed run's series disappear.
  const unfinishedSendRuns = sharedPerScrape(sources.unfinishedSendRuns);
  const sendRunGauge = <L extends string>(name: string, help: string, labelNames: readonly L[], setRun: (gauge: Gauge<L>, sample: SendRunSample) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const sample of await unfinishedSendRuns()) setRun(this, sample);
      },
    });
  sendRunGauge(
    'paperboy_send_run_progress_ratio',
    'Share of deliveries settled (sent, failed or skipped) of each send run not yet completed',
    ['run_id', 'edition', 'kind'],
    (gauge, { run, progress }) => gauge.set({ run_id: String(run.id), edition: run.editionKey, kind: run.kind }, progress),
  );
  sendRunGauge(
    'paperboy_send_run_deliveries',
    'Deliveries of each send run not yet completed, by status',
    ['run_id', 'edition', 'status'],
    (gauge, { run, deliveries }) => {
      for (const [status, count] of Object.entries(deliveries)) gauge.set({ run_id: String(run.id), edition: run.editionKey, status }, count);
    },
  );

  sendRunGauge(
    'paperboy_send_run_paused',
    'Whether each send run not yet completed is paused (1) and waits for an operator to resume or cancel it',
    ['run_id', 'edition'],
    (gauge, { run }) => gauge.set({ run_id: String(run.id), edition: run.editionKey }, run.status === 'paused' ? 1 : 0),
  );
  sendRunGauge(
    'paperboy_send_run_bounce_ratio',
    'Hard bounces and spam complaints of each send run not yet completed, as a share of its attempts (sent, failed, bounced)',
    ['run_id', 'edition', 'kind'],
    (gauge, { run, deliveries }) => {
      const attempts = (deliveries.sent ?? 0) + (deliveries.failed ?? 0) + (deliveries.bounced ?? 0);
      gauge.set({ run_id: String(run.id), edition: run.editionKey, kind: 'hard' }, attempts > 0 ? run.hardBounces / attempts : 0);
      gauge.set({ run_id: String(run.id), edition: run.editionKey, kind: 'complaint' }, attempts > 0 ? run.complaints / attempts : 0);
    },
  );

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
      } else if (outcome.status === 'failed') {
        emailsFailed.inc({ reason: outcome.reason });
        if (outcome.reason === 'permanent-recipient') bounces.inc({ kind: 'hard' });
      } else if (outcome.status === 'retry') {
        if (outcome.reason === 'throttled') emailsDeferred.inc();
        else emailsRetried.inc();
      } else emailsSkipped.inc();
    },
    recordBounce(kind) {
      bounces.inc({ kind });
    },
    recordRunPaused(cause) {
      runsPaused.inc({ cause });
    },
    recordBounceReport(source, result) {
      bounceReports.inc({ source, result });
    },
    render: () => registry.metrics(),
  };
}
