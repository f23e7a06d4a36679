import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  readSendgridEvents,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendgridVerificationKey,
  verifySendgridSignature,
} from '../../../core/bounces/providers/sendgrid.js';
import type { Runtime } from '../../../runtime.js';
import { applyWebhookEvents, refuseWebhook, singleHeader } from './provider-events.js';

const PROVIDER = 'sendgrid';

/** SendGrid posts events in batches of up to some hundreds of kilobytes; this leaves room. */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const REFUSAL_MESSAGES = {
  missing: `The SendGrid webhook needs its signature: the ${SENDGRID_SIGNATURE_HEADER} and ${SENDGRID_TIMESTAMP_HEADER} headers (turn on the Signed Event Webhook at SendGrid)`,
  forged: 'The SendGrid signature does not verify with SENDGRID_WEBHOOK_PUBLIC_KEY',
  stale: 'The SendGrid signature timestamp is more than 10 minutes from our clock',
} as const;

/**
 * `POST /webhooks/sendgrid`: SendGrid's signed Event Webhook. The signature covers the exact
 * bytes of the body, so this plugin's scope takes every body as raw bytes (whatever its content
 * type) and parses the JSON only once the signature verified.
 */
export function sendgridWebhookRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  const configured = runtime.config.webhooks.sendgridPublicKey;
  // Parsed once; the configuration checked that it is a P-256 public key.
  const key = configured ? sendgridVerificationKey(configured) : undefined;
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));

    app.post(
      '/webhooks/sendgrid',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'SendGrid Event Webhook (signed: ECDSA over the timestamp header and the raw body, SENDGRID_WEBHOOK_PUBLIC_KEY)',
        },
      },
      async (request, reply) => {
        if (!key) {
          return refuseWebhook(runtime, request, reply, PROVIDER, 'unconfigured', 'The SendGrid webhook is not configured: set SENDGRID_WEBHOOK_PUBLIC_KEY');
        }
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const headers = { signature: singleHeader(request, SENDGRID_SIGNATURE_HEADER), timestamp: singleHeader(request, SENDGRID_TIMESTAMP_HEADER) };
        const check = verifySendgridSignature(key, headers, body, runtime.clock());
        if (!check.ok) {
          const refusal = check.problem === 'missing' ? 'unauthorized' : check.problem;
          return refuseWebhook(runtime, request, reply, PROVIDER, refusal, REFUSAL_MESSAGES[check.problem]);
        }
        const reading = readSendgridEvents(body, runtime.clock());
        if ('malformed' in reading) return refuseWebhook(runtime, request, reply, PROVIDER, 'malformed', `Not a SendGrid event batch: ${reading.malformed}`);
        return reply.send(await applyWebhookEvents(runtime, request, PROVIDER, reading));
      },
    );
  };
}
