import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { describePreferences } from '../../core/subscribers/preferences.js';
import { preferencesOf } from '../../core/subscribers/preference-columns.js';
import { wantsJson } from '../content-negotiation.js';
import { linkQuery, readerLink, sendMessage, withValidLink, type ReaderContext } from './reader-context.js';

/** `GET /confirm?token=T`: the double opt-in click. Idempotent; a link scanner confirming early is harmless. */
export function confirmRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/confirm',
      {
        schema: {
          tags: ['readers'],
          summary: 'Confirm a subscription (idempotent); HTML page, or JSON with Accept: application/json',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['confirm'], async (link) => {
          const { outcome, subscriber } = await ctx.service.confirm(link.subscriberId);
          if (wantsJson(request)) return reply.send({ status: subscriber.status, outcome });

          const preferencesUrl = readerLink(ctx, '/preferences', 'preferences', subscriber.id);
          if (outcome === 'unsubscribed') {
            return sendMessage(ctx, reply, 200, {
              title: 'You are unsubscribed',
              heading: 'You are unsubscribed',
              icon: 'alert',
              paragraphs: [
                'This address unsubscribed after this confirmation link was sent, so we are not sending anything to it.',
                'Want the digest after all? Resubscribe below.',
              ],
              actions: [
                { label: 'Resubscribe', form: true, action: readerLink(ctx, '/resubscribe', 'unsubscribe', subscriber.id) },
                { label: 'Preferences', href: preferencesUrl, style: 'secondary' },
              ],
            });
          }
          const schedule = describePreferences(preferencesOf(subscriber));
          return sendMessage(ctx, reply, 200, {
            title: 'Subscription confirmed',
            heading: outcome === 'confirmed' ? 'You are subscribed' : 'You are already subscribed',
            icon: 'check',
            tone: 'ok',
            paragraphs: [
              outcome === 'confirmed'
                ? 'Thanks for confirming. Your first digest arrives at your chosen hour once the next edition is out.'
                : 'This address was confirmed before; nothing else to do. The digest arrives at your chosen hour.',
              'Every email has a link to change these settings and a one-click unsubscribe.',
            ],
            summary: `You get Paperboy ${schedule}.`,
            actions: [
              { label: 'Change preferences', href: preferencesUrl },
              { label: 'Back to the home page', href: '/', style: 'secondary' },
            ],
          });
        }),
    );
  };
}
