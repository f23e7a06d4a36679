import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { postmarkCredentialsMatch, readPostmarkRecord } from '../../../core/bounces/providers/postmark.js';
import type { Runtime } from '../../../runtime.js';
import { applyWebhookEvents, refuseWebhook } from './provider-events.js';

const PROVIDER = 'postmark';

/**
 * `POST /webhooks/postmark`: Postmark's bounce and spam complaint webhooks, authenticated by the
 * basic-auth credentials of POSTMARK_WEBHOOK_CREDENTIALS (set in the webhook URL at Postmark).
 * The credentials are checked before the body is read: a stranger's body is never parsed.
 */
export function postmarkWebhookRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  const credentials = runtime.config.webhooks.postmarkCredentials;
  return async (app) => {
    app.post(
      '/webhooks/postmark',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Postmark bounce and spam complaint events (HTTP basic auth: POSTMARK_WEBHOOK_CREDENTIALS)',
        },
        onRequest: async (request, reply) => {
          if (!credentials) {
            return refuseWebhook(runtime, request, reply, PROVIDER, 'unconfigured', 'The Postmark webhook is not configured: set POSTMARK_WEBHOOK_CREDENTIALS');
          }
          if (!postmarkCredentialsMatch(credentials, request.headers.authorization)) {
            reply.header('www-authenticate', 'Basic realm="Paperboy webhooks", charset="UTF-8"');
            return refuseWebhook(runtime, request, reply, PROVIDER, 'unauthorized', 'Wrong or missing basic-auth credentials for the Postmark webhook');
          }
          return undefined;
        },
      },
      async (request, reply) => {
        const reading = readPostmarkRecord(request.body, runtime.clock());
        if ('malformed' in reading) return refuseWebhook(runtime, request, reply, PROVIDER, 'malformed', `Not a Postmark webhook record: ${reading.malformed}`);
        return reply.send(await applyWebhookEvents(runtime, request, PROVIDER, reading));
      },
    );
  };
}
