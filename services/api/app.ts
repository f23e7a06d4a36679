import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from 'helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Runtime } from '../runtime.js';
import { installAdminAudit } from './admin-audit.js';
import { requireAdminToken } from './admin-auth.js';
import { answerFrameworkError, installErrorHandlers, MAX_PATH_PARAMETER_LENGTH } from './error-handler.js';
import { installHttpMetrics, metricsRoutes } from './http-metrics.js';
import { createPageRenderer } from './pages/page-renderer.js';
import { RequestLogs } from './request-logging.js';
import { trackRoutes } from './route-table.js';
import { adminEditionRoutes } from './routes/admin-editions.js';
import { adminPaperRoutes } from './routes/admin-papers.js';
import { adminQueueRoutes, QUEUE_DASHBOARD_PATH } from './routes/admin-queues.js';
import { adminRunRoutes } from './routes/admin-runs.js';
import { adminSuppressionRoutes } from './routes/admin-suppressions.js';
import { adminSendRoutes } from './routes/admin-sends.js';
import { adminSubscriberRoutes } from './routes/admin-subscribers.js';
import { archiveRoutes } from './routes/archive.js';
import { devOutboxRoutes } from './routes/dev-outbox.js';
import { healthRoutes } from './routes/health.js';
import { readerRoutes } from './routes/readers.js';
import { mailgunWebhookRoutes } from './routes/webhooks/mailgun.js';
import { postmarkWebhookRoutes } from './routes/webhooks/postmark.js';
import { sendgridWebhookRoutes } from './routes/webhooks/sendgrid.js';
import { sesWebhookRoutes } from './routes/webhooks/ses.js';

/** Public bodies are small (a signup form); admin imports stream and set their own limit. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/** The application type every route module receives: Zod schemas type the handlers. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/**
 * Builds the HTTP application without listening, so tests drive it with `inject` and the
 * server module owns ports and timeouts.
 */
export async function buildApp(runtime: Runtime): Promise<App> {
  const app = Fastify({
    loggerInstance: runtime.logger.child({ role: 'api' }) as FastifyBaseLogger,
    trustProxy: runtime.config.http.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    // Valid JSON with a "__proto__" (or "constructor.prototype") key is accepted with that key
    // dropped, as any unknown key is ignored: refusing it as "not valid JSON" would be untrue.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // One line per request, at debug unless it failed or was slow.
    logController: new RequestLogs(),
    requestTimeout: 30_000,
    // Tokens travel in query strings; the log serializer masks them, and ids stay short.
    genReqId: () => Math.random().toString(36).slice(2, 10),
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();

  trackRoutes(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  installHttpMetrics(app, runtime.metrics);

  // helmet's middleware built once: @fastify/helmet builds it again on every request, which cost
  // a signup flood ~6 % of its CPU. Only the headers are wanted here, never a nonce or per-route set.
  // The https-only headers are sent only when the site is served over https: on a plain-http
  // host (a LAN address, a server before its TLS proxy) upgrade-insecure-requests makes the
  // browser rewrite the signup POST and every asset to an https that does not exist, and the
  // browser ignores Cross-Origin-Opener-Policy with a console error on every page.
  const servedOverHttps = runtime.config.publicUrl.startsWith('https:');
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Pages inline a small stylesheet; no page loads third-party resources.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: servedOverHttps ? [] : null,
      },
    },
    strictTransportSecurity: servedOverHttps,
    crossOriginOpenerPolicy: servedOverHttps,
  });
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Paperboy', description: 'Daily digest of trending research papers', version: '0.1.0' },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // The API's own pages, compiled once for the reader pages and the archive. Built here, not in
  // the composition root: HTML pages belong to the API, and the root sits below it.
  const pages = await createPageRenderer();
  await app.register(healthRoutes(runtime));
  await app.register(readerRoutes(runtime, pages));
  await app.register(archiveRoutes(runtime, pages));
  await app.register(metricsRoutes(runtime.metrics, runtime.config.metricsToken));
  await app.register(sesWebhookRoutes(runtime));
  await app.register(postmarkWebhookRoutes(runtime));
  await app.register(sendgridWebhookRoutes(runtime));
  await app.register(mailgunWebhookRoutes(runtime));
  // A developer's view of the outbox folder; production sends over SMTP and has no outbox.
  if (runtime.config.env !== 'production') await app.register(devOutboxRoutes(runtime));

  // Everything under /admin needs a bearer token; the hook guards routes added here later too.
  await app.register(
    async (admin) => {
      // The queue dashboard is opened in a browser, which cannot send a bearer header: there a
      // token given once as ?token= becomes an HttpOnly cookie scoped to that path (admin-auth.ts).
      admin.addHook(
        'onRequest',
        requireAdminToken(runtime.config.adminTokens, {
          path: QUEUE_DASHBOARD_PATH,
          secretKey: runtime.config.secretKey,
          secure: runtime.config.publicUrl.startsWith('https:'),
        }),
      );
      // The API docs name the token once, for every route added here.
      admin.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: [{ adminToken: [] }] };
      });
      installAdminAudit(admin, runtime.database);
      await admin.register(adminPaperRoutes(runtime));
      await admin.register(adminEditionRoutes(runtime));
      await admin.register(adminSendRoutes(runtime));
      await admin.register(adminRunRoutes(runtime));
      await admin.register(adminSuppressionRoutes(runtime));
      await admin.register(adminSubscriberRoutes(runtime));
      await admin.register(adminQueueRoutes(runtime));
    },
    { prefix: '/admin' },
  );

  return app;
}
