import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../../../core/platform/db/client.js';
import { receiveSesWebhook, type SesWebhookResult } from '../../../core/bounces/providers/ses-webhook.js';
import { createSnsCertificates } from '../../../core/bounces/providers/sns-signature.js';
import type { Runtime } from '../../../runtime.js';
import { errorSchema, type ErrorBody } from '../../error-schema.js';
import { reportEventOutcome } from './provider-events.js';

/** SNS messages are small (an SES notification with its original headers is a few KB). */
const BODY_LIMIT_BYTES = 256 * 1024;

const accepted = z.object({
  status: z.enum(['applied', 'ignored', 'subscription-confirmed', 'unsubscribe-confirmed']),
  /** Per event: its kind when applied, else why not (duplicate, unknown-message, forged-token). */
  results: z.array(z.string()).optional(),
});

/**
 * POST /webhooks/ses: Amazon SES bounce and complaint notifications delivered by Amazon SNS
 * (core/bounces/providers/ses-webhook.ts decides). SNS posts JSON as `text/plain`; both that and
 * application/json are read as the raw text, on this route only. Answers: 200 when the message
 * is authentic, whatever it did (applied, ignored, a duplicate, about no message of ours: SNS
 * must not retry those); 400 malformed; 403 not from SNS, not from an allowed topic, or stale;
 * 404 while SES_SNS_TOPIC_ARNS is unset; 503 when the certificate host, the confirmation link or
 * Postgres did not answer (SNS retries). Every refusal is logged at warn with its reason.
 */
export function sesWebhookRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const topicArns = runtime.config.webhooks.ses?.topicArns;
    const certificates = createSnsCertificates(runtime.httpGet);
    const deps = { database: runtime.database, clock: runtime.clock, config: runtime.config, certificates, httpGet: runtime.httpGet, topicArns: topicArns ?? [] };
    const { metrics } = runtime;

    app.removeAllContentTypeParsers();
    app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));

    const error = (message: string, field?: string): ErrorBody => ({ error: message, details: field ? [{ field, message }] : [] });

    app.post(
      '/webhooks/ses',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Amazon SES bounces and complaints through Amazon SNS (signature verified, topic allow-listed)',
          response: { 200: accepted, 400: errorSchema, 403: errorSchema, 404: errorSchema, 503: errorSchema },
        },
        // Off: answered before the body is read, whatever it holds.
        onRequest: async (_request, reply) => {
          if (!topicArns) return reply.status(404).type('application/json; charset=utf-8').send(error('SES webhooks are off: set SES_SNS_TOPIC_ARNS'));
        },
      },
      async (request, reply) => {
        const body = typeof request.body === 'string' ? request.body : '';
        let result: SesWebhookResult;
        try {
          // Each event is logged and counted as it is applied: those stored before Postgres goes away too.
          result = await receiveSesWebhook(deps, body, ({ event, outcome }) => reportEventOutcome(runtime, request, 'ses', event, outcome));
        } catch (failure) {
          // Postgres away is SNS's to retry; anything else is a bug, answered 500 like every route's.
          if (!isDatabaseUnavailable(failure)) throw failure;
          request.log.error({ err: failure }, 'ses webhook: could not apply a notification; SNS will retry');
          metrics.recordBounceReport('ses', 'unavailable');
          return reply.status(503).send(error('Could not store the event now; try again later'));
        }
        const log = request.log;
        switch (result.outcome) {
          case 'refused':
            log.warn({ reason: result.reason, problem: result.message }, `ses webhook: refused (${result.reason})`);
            metrics.recordBounceReport('ses', result.reason);
            return reply.status(result.status).send(error(result.message, result.field));
          case 'unavailable':
            log.warn({ reason: result.reason, problem: result.message }, `ses webhook: not handled now (${result.reason}); SNS will retry`);
            metrics.recordBounceReport('ses', result.reason);
            return reply.status(503).send(error(result.message));
          case 'subscription-confirmed':
          case 'unsubscribe-confirmed':
            log.info({ topicArn: result.topicArn }, `ses webhook: ${result.outcome === 'subscription-confirmed' ? 'subscribed to' : 'unsubscribed from'} the SNS topic`);
            metrics.recordBounceReport('ses', result.outcome);
            return reply.status(200).send({ status: result.outcome });
          case 'ignored':
            log.info({ reason: result.reason }, 'ses webhook: notification ignored');
            metrics.recordBounceReport('ses', 'ignored');
            return reply.status(200).send({ status: 'ignored' });
          case 'applied': {
            const results = result.results.map(({ event, outcome }) => (outcome.applied ? event.kind : outcome.reason));
            return reply.status(200).send({ status: 'applied', results });
          }
        }
      },
    );
  };
}
