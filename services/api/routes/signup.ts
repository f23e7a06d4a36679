import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { latestPapersSample } from '../../core/editions/edition-service.js';
import { dateInTimeZone } from '../../core/papers/daily-date.js';
import { InvalidInputError, type ErrorDetail } from '../../core/platform/errors.js';
import { DEFAULT_PREFERENCES } from '../../core/subscribers/preferences.js';
import { wantsJson } from '../content-negotiation.js';
import { errorSchema } from '../error-schema.js';
import { editionPreviewView, errorsView, preferenceFieldsView } from '../pages/reader-views.js';
import { preferenceFields, requestContext, sendMessage, sendPage, type ReaderContext } from './reader-context.js';

/** Same words whatever happened to the address: new, pending, confirmed, unsubscribed or suppressed. */
export const SIGNUP_ACCEPTED_MESSAGE =
  'Thanks! If this address can receive Paperboy, a confirmation link is on its way. Click it to start your subscription.';

const PREVIEW_PAPERS = 3;
const BODY_LIMIT_BYTES = 16 * 1024;

/** Documents the fields; validation happens in the service so the form can be shown again with messages. */
const signupBody = z
  .looseObject({
    email: z.unknown().optional().describe('The reader\'s email address (required)'),
    ...preferenceFields,
    website: z.unknown().optional().describe('Leave empty (a trap for bots)'),
  })
  .optional();

const accepted = z.object({ status: z.literal('accepted'), message: z.string() });

/** The honeypot: a field people never see. Anything in it means a form-filling bot. */
export function isHoneypotFilled(body: Record<string, unknown>): boolean {
  const value = body.website;
  return typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null;
}

/** The signup page (`GET /`) and `POST /subscribe`, for the form and for JSON. */
export function signupRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  const { runtime } = ctx;

  async function renderSignup(reply: FastifyReply, status: number, values: Record<string, unknown>, details: ErrorDetail[]) {
    let preview;
    try {
      const today = dateInTimeZone(runtime.clock(), runtime.config.digest.timeZone);
      preview = editionPreviewView(await latestPapersSample(runtime, PREVIEW_PAPERS, today));
    } catch (error) {
      // The sample is decoration: the form must work without it.
      reply.log.warn({ err: error }, 'could not load the edition preview');
    }
    return sendPage(ctx, reply, status, 'signup', {
      values: { email: typeof values.email === 'string' ? values.email : '' },
      prefs: preferenceFieldsView(values, true),
      ...errorsView(details),
      preview,
    });
  }

  function acceptedAnswer(request: FastifyRequest, reply: FastifyReply) {
    if (wantsJson(request)) return reply.status(202).send({ status: 'accepted' as const, message: SIGNUP_ACCEPTED_MESSAGE });
    return sendMessage(ctx, reply, 200, {
      title: 'Check your inbox',
      heading: 'Check your inbox',
      icon: 'mail',
      paragraphs: [
        SIGNUP_ACCEPTED_MESSAGE,
        'It can take a minute or two. If nothing arrives, look in your spam or promotions folder.',
      ],
      actions: [{ label: 'Back to the home page', href: '/', style: 'secondary' }],
      fine: 'Nothing arrived after ten minutes? Sign up again and we will resend the link.',
    });
  }

  return async (app) => {
    app.get(
      '/',
      { schema: { tags: ['readers'], summary: 'Signup page (HTML)' } },
      async (_request, reply) => renderSignup(reply, 200, {}, []),
    );

    app.post(
      '/subscribe',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        config: { rateLimit: { max: runtime.config.signupRateLimitPerHour, timeWindow: 3600_000 } },
        schema: {
          tags: ['readers'],
          summary: 'Subscribe: stores a pending reader and emails a confirmation link (double opt-in)',
          description:
            'Form (application/x-www-form-urlencoded) or JSON. Answers the same whether or not the address was known. ' +
            `Preferences left out take their defaults: ${JSON.stringify(DEFAULT_PREFERENCES)}. ` +
            'JSON: 202 on success, 400 { error, details: [{ field, message }] } on bad input, 429 when one network signs up too often.',
          body: signupBody,
          response: { 202: accepted, 400: errorSchema },
        },
      },
      async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (isHoneypotFilled(body)) {
          request.log.info('signup honeypot filled; ignored');
          return acceptedAnswer(request, reply);
        }
        try {
          const outcome = await ctx.service.subscribe(body, requestContext(request));
          request.log.info({ outcome }, 'signup');
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          if (wantsJson(request)) return reply.status(400).send({ error: error.message, details: error.details });
          return renderSignup(reply, 400, body, error.details);
        }
        return acceptedAnswer(request, reply);
      },
    );
  };
}
