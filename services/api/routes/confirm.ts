import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ConfirmOutcome } from '../../core/subscribers/subscription-service.js';
import type { SubscriberRow } from '../../core/subscribers/subscriber-repo.js';
import { describePreferences } from '../../core/subscribers/preferences.js';
import { preferencesOf } from '../../core/subscribers/preference-columns.js';
import { wantsJson } from '../content-negotiation.js';
import { linkQuery, readerLink, sendLinkProblem, sendMessage, withValidLink, type MessagePage, type ReaderContext } from './reader-context.js';

const BODY_LIMIT_BYTES = 8 * 1024;

/**
 * The double opt-in, safe from link scanners (Safe Links, Mimecast open every link in an email):
 * - `GET /confirm` only shows a page with one button (a plain form, no JavaScript needed), or
 *   the subscription's status as JSON;
 * - `POST /confirm` confirms, idempotently.
 */
export function confirmRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  /** The page for a reader the link can no longer confirm, or who has just been confirmed. */
  const outcomePage = (outcome: ConfirmOutcome, subscriber: SubscriberRow): MessagePage => {
    const preferencesUrl = readerLink(ctx, '/preferences', 'preferences', subscriber.id);
    if (outcome === 'unsubscribed') {
      return {
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
      };
    }
    return {
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
      summary: `You get Paperboy ${describePreferences(preferencesOf(subscriber))}.`,
      actions: [
        { label: 'Change preferences', href: preferencesUrl },
        { label: 'Back to the home page', href: '/', style: 'secondary' },
      ],
    };
  };

  return async (app) => {
    app.get(
      '/confirm',
      {
        schema: {
          tags: ['readers'],
          summary: 'Confirmation page with one button; never confirms by itself (link scanners open links). JSON: the subscription status',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['confirm'], async (link) => {
          const subscriber = await ctx.service.findSubscriber(link.subscriberId);
          if (!subscriber) return sendLinkProblem(ctx, request, reply, 'gone');
          if (wantsJson(request)) return reply.send({ status: subscriber.status });
          if (subscriber.status !== 'pending') {
            return sendMessage(ctx, reply, 200, outcomePage(subscriber.status === 'confirmed' ? 'already-confirmed' : 'unsubscribed', subscriber));
          }
          return sendMessage(ctx, reply, 200, {
            title: 'Confirm your subscription',
            heading: 'Confirm your subscription',
            icon: 'mail',
            paragraphs: [`One click and ${subscriber.email} starts getting Paperboy.`],
            summary: `You chose ${describePreferences(preferencesOf(subscriber))}.`,
            actions: [{ label: 'Confirm my subscription', form: true, action: `/confirm?token=${encodeURIComponent(link.token)}` }],
          });
        }),
    );

    app.post(
      '/confirm',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: {
          tags: ['readers'],
          summary: 'Confirm a subscription (the button on the confirmation page); idempotent. HTML page, or JSON with Accept: application/json',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['confirm'], async (link) => {
          const { outcome, subscriber } = await ctx.service.confirm(link.subscriberId);
          if (wantsJson(request)) return reply.send({ status: subscriber.status, outcome });
          return sendMessage(ctx, reply, 200, outcomePage(outcome, subscriber));
        }),
    );
  };
}
