import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../../core/platform/errors.js';
import { wantsJson } from '../content-negotiation.js';
import { errorsView } from '../pages/reader-views.js';
import { sendMessage, sendPage, type ReaderContext } from './reader-context.js';
import { isHoneypotFilled } from './signup.js';

const FRESH_LINK_MESSAGE =
  'If this address is subscribed to Paperboy, we have emailed it a fresh link. It can take a minute or two to arrive.';

/**
 * "Send me a fresh link", offered wherever a link did not work. Answers the same whether or not
 * the address is known, and shares the signup's rate limit per network.
 */
export function freshLinkRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/links/resend', { schema: { tags: ['readers'], summary: 'Form asking for a fresh link (HTML)' } }, async (_request, reply) =>
      sendPage(ctx, reply, 200, 'fresh-link', { email: '', ...errorsView() }),
    );

    app.post(
      '/links/resend',
      {
        bodyLimit: 8 * 1024,
        config: { rateLimit: { max: ctx.runtime.config.signupRateLimitPerHour, timeWindow: 3600_000 } },
        schema: {
          tags: ['readers'],
          summary: 'Email a fresh confirmation or preferences link; answers the same for every address (202 JSON)',
          body: z.looseObject({ email: z.unknown().optional().describe('The reader\'s address'), website: z.unknown().optional().describe('Leave empty') }).optional(),
        },
      },
      async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (!isHoneypotFilled(body)) {
          try {
            const outcome = await ctx.service.requestFreshLink(body.email);
            request.log.info({ outcome }, 'fresh link requested');
          } catch (error) {
            if (!(error instanceof InvalidInputError)) throw error;
            if (wantsJson(request)) return reply.status(400).send({ error: error.message, details: error.details });
            return sendPage(ctx, reply, 400, 'fresh-link', {
              email: typeof body.email === 'string' ? body.email : '',
              ...errorsView(error.details),
            });
          }
        }
        if (wantsJson(request)) return reply.status(202).send({ status: 'accepted', message: FRESH_LINK_MESSAGE });
        return sendMessage(ctx, reply, 200, {
          title: 'Check your inbox',
          heading: 'Check your inbox',
          icon: 'mail',
          paragraphs: [FRESH_LINK_MESSAGE, 'Nothing after ten minutes? Look in your spam folder, or sign up again on the home page.'],
          actions: [{ label: 'Home page', href: '/', style: 'secondary' }],
        });
      },
    );
  };
}
