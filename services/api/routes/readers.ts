import rateLimit from '@fastify/rate-limit';
import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Runtime } from '../../runtime.js';
import { wantsJson } from '../content-negotiation.js';
import type { PageRenderer } from '../pages/page-renderer.js';
import { createBatchedRedisStore } from '../rate-limit-store.js';
import { assetRoutes } from './assets.js';
import { confirmRoutes } from './confirm.js';
import { freshLinkRoutes } from './fresh-links.js';
import { preferencesRoutes } from './preferences.js';
import { sendMessage, type ReaderContext } from './reader-context.js';
import { signupRoutes } from './signup.js';
import { topicRoutes } from './topics.js';
import { unsubscribeRoutes } from './unsubscribe.js';

/** Thrown by the rate limiter; carries the wait so the page can say it. */
class TooManyRequestsError extends Error {
  readonly statusCode = 429;
  constructor(readonly retryAfter: string) {
    super(`Too many requests from your network; please try again in ${retryAfter}`);
  }
}

/**
 * Everything a reader touches: signup, confirmation, unsubscribe, preferences, fresh links.
 * Adds a rate limiter whose counts are shared through Redis, so the per-network signup limit
 * holds across every API process.
 */
export function readerRoutes(runtime: Runtime, pages: PageRenderer): FastifyPluginAsyncZod {
  return async (app) => {
    const ctx: ReaderContext = { runtime, service: runtime.subscriptions, pages };

    const counts = createBatchedRedisStore(runtime.rateLimitRedis, {
      nameSpace: `${runtime.redisKeyPrefix}:rate-limit:`,
      onSyncFailed: (error) => app.log.warn({ err: error }, 'rate limit counts cannot reach Redis; each API process limits on its own counts until it returns'),
      onSyncRecovered: () => app.log.info('rate limit counts reach Redis again'),
    });
    // Settles the pending counts while the runtime's Redis client is still open.
    app.addHook('onClose', async () => counts.close());
    await app.register(rateLimit, {
      global: false,
      store: counts.Store,
      errorResponseBuilder: (_request, context) => new TooManyRequestsError(context.after),
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (!(error instanceof TooManyRequestsError)) throw error; // the app's handler takes the rest
      if (wantsJson(request)) return reply.status(429).send({ error: error.message, details: [] });
      return sendMessage(ctx, reply, 429, {
        title: 'Too many attempts',
        heading: 'Too many attempts',
        icon: 'alert',
        tone: 'error',
        paragraphs: [
          `We have had a lot of signups from your network in the last hour, so we are pausing new ones for a while. Please try again in ${error.retryAfter}.`,
          'If you already signed up, check your inbox (and spam folder) for the confirmation link.',
        ],
        actions: [{ label: 'Home page', href: '/', style: 'secondary' }],
      });
    });

    await app.register(assetRoutes());
    await app.register(signupRoutes(ctx));
    await app.register(confirmRoutes(ctx));
    await app.register(unsubscribeRoutes(ctx));
    await app.register(preferencesRoutes(ctx));
    await app.register(topicRoutes(ctx));
    await app.register(freshLinkRoutes(ctx));
  };
}
