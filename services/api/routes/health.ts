import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkReadiness } from '../../core/platform/health/readiness.js';
import type { Runtime } from '../../runtime.js';

const dependencyCheck = z.object({ ok: z.boolean(), error: z.string().optional() });

/** Liveness and readiness for orchestrators and load balancers. */
export function healthRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['health'], summary: 'Liveness: 200 while the process runs', response: { 200: z.object({ status: z.literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    const readiness = z.object({
      status: z.enum(['ready', 'unavailable']),
      unavailable: z.array(z.string()),
      checks: z.object({ postgres: dependencyCheck, redis: dependencyCheck }),
    });
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: 200 when Postgres and Redis answer, 503 naming the one that does not',
          response: { 200: readiness, 503: readiness },
        },
      },
      async (_request, reply) => {
        const result = await checkReadiness({ sql: runtime.database.sql, redis: runtime.redisProbe });
        const unavailable = Object.entries(result.checks)
          .filter(([, check]) => !check.ok)
          .map(([name]) => name);
        return reply
          .status(result.ok ? 200 : 503)
          .send({ status: result.ok ? 'ready' : 'unavailable', unavailable, checks: result.checks });
      },
    );
  };
}
