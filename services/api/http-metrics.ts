import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Metrics } from '../core/platform/metrics/metrics.js';

/**
 * Counts every answered request by route pattern (`/admin/subscribers/:id`, never the raw URL,
 * so ids and tokens do not explode the label set). Install on the root instance so the hook sees
 * every route, including plugins registered later.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.recordHttpRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * onRequest hook: a bearer `token` or a bare 401. Both sides are hashed to equal length before
 * a constant-time comparison, so timing reveals nothing of the token.
 */
function requireMetricsToken(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return;
    return reply.status(401).header('www-authenticate', 'Bearer realm="paperboy-metrics"').type('text/plain; charset=utf-8').send('Unauthorized\n');
  };
}

/**
 * `GET /metrics`: the process's registry in Prometheus text format; with `token` (METRICS_TOKEN)
 * only for a scraper that presents it as a bearer token.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/metrics',
      {
        ...(token ? { onRequest: requireMetricsToken(token) } : {}),
        schema: {
          tags: ['health'],
          summary: 'Prometheus metrics (text exposition format)',
          description:
            'HTTP requests by route and status, digests sent/failed by reason, SMTP latency, BullMQ queue depths and the age of the ' +
            'oldest waiting job, and the progress of send runs still going. Each process (api, worker) exposes its own.',
        },
      },
      async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
    );
  };
}
