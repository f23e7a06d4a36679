import type { FastifyInstance } from 'fastify';
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

/** `GET /metrics`: the process's registry in Prometheus text format. */
export function metricsRoutes(metrics: Metrics): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/metrics',
      {
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
