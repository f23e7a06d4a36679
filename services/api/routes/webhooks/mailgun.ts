import type { Cluster, Redis } from 'ioredis';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseMailgunWebhook, readMailgunEvent, verifyMailgunSignature } from '../../../core/bounces/providers/mailgun.js';
import { SIGNATURE_WINDOW_SECONDS } from '../../../core/bounces/providers/provider-reading.js';
import { DependencyUnavailableError } from '../../../core/platform/errors.js';
import { isRedisUnavailable } from '../../../core/platform/queue/redis.js';
import type { Runtime } from '../../../runtime.js';
import { applyWebhookEvents, refuseWebhook } from './provider-events.js';

const PROVIDER = 'mailgun';

/**
 * Mailgun tokens already accepted, shared by every API process through Redis. A token is kept
 * as long as its timestamp can pass the window (from a window before our clock to a window
 * after it), so a replay is refused for as long as the signature would otherwise hold.
 */
function acceptedTokens(redis: Redis | Cluster, keyPrefix: string) {
  const keyOf = (token: string) => `${keyPrefix}:webhooks:mailgun-token:${token}`;
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      throw new DependencyUnavailableError('Redis is not answering, so a replayed Mailgun token cannot be told apart; send the event again later');
    }
  };
  return {
    /** True for the first request with this token; false for a replay. */
    claim: (token: string) => guard(async () => (await redis.set(keyOf(token), '1', 'EX', 2 * SIGNATURE_WINDOW_SECONDS, 'NX')) === 'OK'),
    /** Forgets a token whose event could not be stored, so Mailgun's retry of it is taken. */
    release: (token: string) => guard(async () => void (await redis.del(keyOf(token)))),
  };
}

/**
 * `POST /webhooks/mailgun`: Mailgun's webhooks (failed, complained), authenticated by the HMAC
 * of MAILGUN_WEBHOOK_SIGNING_KEY over the timestamp and token, the timestamp within 10 minutes of
 * our clock, and each token taken once. A request refused for any of these changes nothing.
 */
export function mailgunWebhookRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  const signingKey = runtime.config.webhooks.mailgunSigningKey;
  const tokens = acceptedTokens(runtime.rateLimitRedis, runtime.redisKeyPrefix);
  return async (app) => {
    app.post(
      '/webhooks/mailgun',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Mailgun webhooks (signed: HMAC-SHA256 of timestamp and token with MAILGUN_WEBHOOK_SIGNING_KEY; each token once)',
        },
      },
      async (request, reply) => {
        if (!signingKey) {
          return refuseWebhook(runtime, request, reply, PROVIDER, 'unconfigured', 'The Mailgun webhook is not configured: set MAILGUN_WEBHOOK_SIGNING_KEY');
        }
        const parsed = parseMailgunWebhook(request.body);
        if ('malformed' in parsed) return refuseWebhook(runtime, request, reply, PROVIDER, 'malformed', `Not a Mailgun webhook: ${parsed.malformed}`);
        const { signature, 'event-data': eventData } = parsed.webhook;
        const now = runtime.clock();
        const check = verifyMailgunSignature(signingKey, signature, now);
        if (!check.ok) {
          const message =
            check.problem === 'forged'
              ? 'The Mailgun signature does not verify with MAILGUN_WEBHOOK_SIGNING_KEY'
              : 'The Mailgun signature timestamp is more than 10 minutes from our clock';
          return refuseWebhook(runtime, request, reply, PROVIDER, check.problem, message);
        }
        const reading = readMailgunEvent(eventData, { bounceDomain: runtime.config.mail.bounceDomain, receivedAt: now });
        if ('malformed' in reading) return refuseWebhook(runtime, request, reply, PROVIDER, 'malformed', `Not a Mailgun event: ${reading.malformed}`);
        if (!(await tokens.claim(signature.token))) {
          return refuseWebhook(runtime, request, reply, PROVIDER, 'replayed', 'This Mailgun token was used before: a replayed request is refused');
        }
        try {
          return reply.send(await applyWebhookEvents(runtime, request, PROVIDER, reading));
        } catch (error) {
          await tokens.release(signature.token).catch((releaseError: unknown) =>
            request.log.warn({ err: releaseError }, 'mailgun webhook: could not forget the token of an event that was not stored; its retry will be refused'),
          );
          throw error;
        }
      },
    );
  };
}
