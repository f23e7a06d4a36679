import type { Cluster, Redis } from 'ioredis';
import { systemClock, type Clock } from './core/platform/clock.js';
import type { Config } from './core/platform/config/config.js';
import { createDatabaseClient, type DatabaseClient } from './core/platform/db/client.js';
import { createHttpGet, type HttpGet } from './core/platform/http/http-get.js';
import type { Logger } from './core/platform/logging/logger.js';
import { createMetrics, type Metrics } from './core/platform/metrics/metrics.js';
import { createMailTransport, type MailTransport } from './core/platform/mail/transport.js';
import { closeQueues, createQueues, type Queues } from './core/platform/queue/queues.js';
import { createCounterClient, createProbeClient, redisKeyPrefix, redisTargetOf } from './core/platform/queue/redis.js';
import { createSharedRequestGate, type RequestGate } from './core/platform/queue/shared-request-gate.js';
import { readerMailOutboxBacklog } from './core/reader-mail/reader-mail-outbox.js';
import { reportUnfinishedRuns } from './core/sending/send-report.js';
import { countEmptySourceDays } from './core/papers/paper-repo.js';
import { createSubscriptionService, type SubscriptionService } from './core/subscribers/subscription-service.js';

/**
 * The composition root's product: every long-lived resource of a process, built in one place
 * and torn down by one `close()`. API, worker and CLI receive it; nothing opens connections at
 * import time.
 */
export interface Runtime {
  config: Readonly<Config>;
  logger: Logger;
  database: DatabaseClient;
  queues: Queues;
  /** The prefix of every Redis key (QUEUE_PREFIX, hash-tagged on a Redis Cluster). */
  redisKeyPrefix: string;
  mail: MailTransport;
  /** Fails fast while Redis is down; used by /readyz. */
  redisProbe: Redis | Cluster;
  /** Where counters are shared between processes: the API's rate limiter, the workers' send rate, the arXiv request gate. */
  rateLimitRedis: Redis | Cluster;
  /** Where every arXiv request of the installation waits for its turn: one at a time, 3 s after the previous answer. */
  arxivRequests: RequestGate;
  /** What readers do to their own subscriptions. */
  subscriptions: SubscriptionService;
  /** This process's Prometheus registry and recorders (one per runtime). */
  metrics: Metrics;
  clock: Clock;
  /** Outbound GETs of small resources (SNS signing certificates and subscription confirmations). */
  httpGet: HttpGet;
  close(): Promise<void>;
}

/** What tests (and tools) may swap: a capturing mail transport, a fixed clock, the outbound GET. */
export interface RuntimeOverrides {
  mail?: MailTransport;
  clock?: Clock;
  httpGet?: HttpGet;
  /** The pause between two arXiv requests (3 s, as arXiv asks), shorter in tests. */
  arxivRequestSpacingMs?: number;
}

/** arXiv asks for no more than one request every three seconds (API Terms of Use). */
const ARXIV_REQUEST_SPACING_MS = 3000;

export function createRuntime(config: Readonly<Config>, logger: Logger, overrides: RuntimeOverrides = {}): Runtime {
  const database = createDatabaseClient({ url: config.databaseUrl, prepare: config.databasePrepare });
  const redis = redisTargetOf(config);
  const keyPrefix = redisKeyPrefix(config.queuePrefix, redis);
  const queues = createQueues({ redis, prefix: keyPrefix });
  const mail = overrides.mail ?? createMailTransport(config.mail);
  const redisProbe = createProbeClient(redis);
  const rateLimitRedis = createCounterClient(redis);
  const clock = overrides.clock ?? systemClock;
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    database,
    queues,
    redisKeyPrefix: keyPrefix,
    mail,
    redisProbe,
    rateLimitRedis,
    arxivRequests: createSharedRequestGate(rateLimitRedis, {
      key: `${keyPrefix}:arxiv:requests`,
      spacingMs: overrides.arxivRequestSpacingMs ?? ARXIV_REQUEST_SPACING_MS,
      upstream: 'arXiv',
    }),
    subscriptions: createSubscriptionService({ database, clock, mail, config }),
    metrics: createMetrics({
      queues,
      readerMailOutbox: () => readerMailOutboxBacklog(database.sql),
      unfinishedSendRuns: () => reportUnfinishedRuns({ database }),
      emptySourceDays: () => countEmptySourceDays(database.db),
    }),
    clock,
    httpGet: overrides.httpGet ?? createHttpGet({ timeoutMs: 10_000, maxBytes: 64 * 1024 }),
    close() {
      // Order matters: producers first, then the SMTP pool and the Redis clients, then the
      // database pool last, since anything still finishing may need to write to Postgres. The
      // API's rate limiter settles its counts when the app closes, before this runs.
      closing ??= (async () => {
        await closeQueues(queues);
        await mail.close();
        redisProbe.disconnect();
        rateLimitRedis.disconnect();
        await database.close();
      })();
      return closing;
    },
  };
}
