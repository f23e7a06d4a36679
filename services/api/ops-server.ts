import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Runtime } from '../runtime.js';
import { installErrorHandlers } from './error-handler.js';
import { installHttpMetrics, metricsRoutes } from './http-metrics.js';
import { RequestLogs } from './request-logging.js';
import { healthRoutes } from './routes/health.js';
import type { ApiServer } from './server.js';

/**
 * The small HTTP server a worker-only process runs on PORT: health and readiness for the
 * orchestrator (and metrics), none of the public or admin routes.
 */
export async function startOpsServer(runtime: Runtime): Promise<ApiServer> {
  const app = Fastify({ loggerInstance: runtime.logger.child({ role: 'worker-ops' }) as FastifyBaseLogger, logController: new RequestLogs() });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  installHttpMetrics(app, runtime.metrics);
  await app.register(healthRoutes(runtime));
  // The worker's own registry: emails sent and failed, SMTP latency, queue depths, run progress.
  await app.register(metricsRoutes(runtime.metrics, runtime.config.metricsToken));
  const address = await app.listen({ port: runtime.config.http.port, host: runtime.config.http.host });
  return { app: app as unknown as ApiServer['app'], address, close: () => app.close() };
}
