import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { FREQUENCIES, type Frequency } from '../../core/subscribers/preferences.js';
import { plural } from '../../core/platform/plural.js';
import { PAUSE_WEEKS, type ResubscribeOutcome } from '../../core/subscribers/subscription-service.js';
import { wantsJson } from '../content-negotiation.js';
import { linkQuery, readerLink, requestContext, sendMessage, withValidLink, type MessagePage, type ReaderContext } from './reader-context.js';

const BODY_LIMIT_BYTES = 8 * 1024;

/**
 * Unsubscribing, the way RFC 8058 and link scanners need it:
 * - `GET /unsubscribe` only shows a page with a button (scanners open every link in an email);
 * - `POST /unsubscribe` unsubscribes at once, from the button or a mailbox provider's one-click
 *   POST (`List-Unsubscribe=One-Click`, urlencoded or multipart, no cookies): 200, never a
 *   redirect, and 200 again on a repeat;
 * - `POST /resubscribe` undoes it, optionally switching to the weekly digest.
 * Not rate-limited by IP: one-click POSTs arrive from a few mailbox-provider addresses at volume.
 */
export function unsubscribeRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  const unsubscribedPage = (subscriberId: number): MessagePage => ({
    title: 'You are unsubscribed',
    heading: 'You are unsubscribed',
    icon: 'check',
    paragraphs: [
      'You will not get any more digests from Paperboy. Sorry to see you go.',
      'Unsubscribed by mistake, or was it just too much email? You can come back, or get one email a week instead.',
    ],
    actions: [
      { label: 'Resubscribe', form: true, action: readerLink(ctx, '/resubscribe', 'unsubscribe', subscriberId) },
      {
        label: 'Resubscribe, weekly',
        form: true,
        action: readerLink(ctx, '/resubscribe', 'unsubscribe', subscriberId),
        fields: [{ name: 'frequency', value: 'weekly' }],
        style: 'secondary',
      },
    ],
  });

  return async (app) => {
    // RFC 8058 allows multipart/form-data for the one-click POST; its content is not needed (the
    // token in the URL says who), so the body is drained and ignored. Scoped to these routes.
    app.addContentTypeParser('multipart/form-data', { bodyLimit: BODY_LIMIT_BYTES }, (_request, payload, done) => {
      payload.on('error', done);
      payload.on('end', () => done(null, {}));
      payload.resume();
    });

    app.get(
      '/unsubscribe',
      {
        schema: {
          tags: ['readers'],
          summary: 'Unsubscribe page with one button; never unsubscribes by itself (link scanners open links)',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['unsubscribe'], async (link) => {
          const subscriber = await ctx.service.findSubscriber(link.subscriberId);
          if (wantsJson(request)) return reply.send({ status: subscriber?.status ?? 'unknown' });
          if (!subscriber) {
            return sendMessage(ctx, reply, 200, {
              title: 'Not subscribed',
              heading: 'This address is not subscribed',
              paragraphs: ['We do not send Paperboy to this address. There is nothing to unsubscribe.'],
              actions: [{ label: 'Back to the home page', href: '/', style: 'secondary' }],
            });
          }
          if (subscriber.status === 'unsubscribed') {
            return sendMessage(ctx, reply, 200, { ...unsubscribedPage(subscriber.id), heading: 'You are already unsubscribed' });
          }
          const action = `/unsubscribe?token=${encodeURIComponent(link.token)}`;
          return sendMessage(ctx, reply, 200, {
            title: 'Unsubscribe',
            heading: 'Unsubscribe from Paperboy?',
            paragraphs: [`${subscriber.email} will get no more digests, starting now.`],
            actions: [
              { label: 'Unsubscribe', form: true, action, fields: [{ name: 'List-Unsubscribe', value: 'One-Click' }], style: 'danger' },
              ...(subscriber.frequency === 'daily'
                ? [
                    {
                      label: 'Switch to weekly instead',
                      form: true as const,
                      action: readerLink(ctx, '/resubscribe', 'unsubscribe', subscriber.id),
                      fields: [{ name: 'frequency', value: 'weekly' }],
                      style: 'secondary',
                    },
                  ]
                : []),
              // Away for a while rather than gone: a pause ends by itself.
              ...(subscriber.status === 'confirmed'
                ? PAUSE_WEEKS.map((weeks) => ({
                    label: `Pause for ${plural(weeks, 'week', 'weeks')} instead`,
                    form: true as const,
                    action: readerLink(ctx, '/preferences/pause', 'preferences', subscriber.id),
                    fields: [{ name: 'weeks', value: String(weeks) }],
                    style: 'secondary',
                  }))
                : []),
              { label: 'Change preferences', href: readerLink(ctx, '/preferences', 'preferences', subscriber.id), style: 'secondary' },
            ],
          });
        }),
    );

    app.post(
      '/unsubscribe',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: {
          tags: ['readers'],
          summary: 'Unsubscribe at once (the button, and the RFC 8058 one-click target); 200, idempotent, no redirect',
          description: 'Accepts application/x-www-form-urlencoded and multipart/form-data (body "List-Unsubscribe=One-Click", ignored), JSON, or no body.',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['unsubscribe'], async (link) => {
          const outcome = await ctx.service.unsubscribe(link.subscriberId);
          request.log.info({ outcome, subscriberId: link.subscriberId }, 'unsubscribe');
          if (wantsJson(request)) return reply.status(200).send({ status: 'unsubscribed' as const, outcome });
          return sendMessage(ctx, reply, 200, unsubscribedPage(link.subscriberId));
        }),
    );

    app.post(
      '/resubscribe',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: {
          tags: ['readers'],
          summary: 'Undo an unsubscribe (token from an unsubscribe or preferences link); frequency=weekly switches to weekly',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['unsubscribe', 'preferences'], async (link) => {
          const body = (request.body ?? {}) as Record<string, unknown>;
          const frequency = FREQUENCIES.includes(body.frequency as Frequency) ? (body.frequency as Frequency) : undefined;
          const outcome = await ctx.service.resubscribe(link.subscriberId, requestContext(request), frequency);
          if (wantsJson(request)) return reply.send({ outcome });
          const preferences = { label: 'Preferences', href: readerLink(ctx, '/preferences', 'preferences', link.subscriberId), style: 'secondary' };
          const pages: Record<ResubscribeOutcome, MessagePage> = {
            resubscribed: {
              title: 'Welcome back',
              heading: 'Welcome back',
              icon: 'check',
              tone: 'ok',
              paragraphs: [frequency === 'weekly' ? 'You are subscribed again, to the weekly digest.' : 'You are subscribed again. The next digest arrives at your usual hour.'],
              actions: [preferences],
            },
            'already-subscribed': {
              title: 'You are subscribed',
              heading: frequency === 'weekly' ? 'Switched to weekly' : 'You are subscribed',
              icon: 'check',
              tone: 'ok',
              paragraphs: [frequency === 'weekly' ? 'From now on you get one email a week, with the best papers of the week.' : 'Your subscription is active; nothing to change.'],
              actions: [preferences],
            },
            'confirmation-sent': {
              title: 'Check your inbox',
              heading: 'Check your inbox',
              icon: 'mail',
              paragraphs: ['This address was never confirmed, so we have sent a confirmation link. Click it to start your subscription.'],
            },
            throttled: {
              title: 'Check your inbox',
              heading: 'Check your inbox',
              icon: 'mail',
              paragraphs: ['We have sent several confirmation links to this address in the last hour. Please use the newest one, or try again later.'],
            },
            suppressed: {
              title: 'We cannot send to this address',
              heading: 'We cannot send to this address',
              icon: 'alert',
              tone: 'error',
              paragraphs: ['Mail to this address bounced or it was erased at the owner\'s request, so Paperboy will not send to it again. Sign up with another address on the home page.'],
              actions: [{ label: 'Home page', href: '/', style: 'secondary' }],
            },
          };
          return sendMessage(ctx, reply, 200, pages[outcome]);
        }),
    );
  };
}
