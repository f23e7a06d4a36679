import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { storedTopic } from '../../core/subscribers/preferences.js';
import { wantsJson } from '../content-negotiation.js';
import { linkQuery, readerLink, sendMessage, withValidLink, type ReaderContext } from './reader-context.js';

const BODY_LIMIT_BYTES = 8 * 1024;

const stopTopicQuery = linkQuery.extend({
  topic: z.string().max(200).optional().describe('The topic to stop, as the digest names it'),
});

/**
 * "Stop this topic", one link per topic group of a digest (the token is the reader's preferences
 * token): `GET /topics/stop` only shows a page with one button, because link scanners open every
 * link in an email; `POST /topics/stop` takes the topic off the reader's list.
 */
export function topicRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  return async (app) => {
    const NO_TOPIC = 'The link should end in &topic=… naming one of your topics';
    /** 400 for a link whose topic was cut off (a wrapped line, a careless copy). */
    const sendNoTopic = (request: FastifyRequest, reply: FastifyReply, subscriberId: number) => {
      if (wantsJson(request)) return reply.status(400).send({ error: 'This link names no topic', details: [{ field: 'topic', message: NO_TOPIC }] });
      return sendMessage(ctx, reply, 400, {
        title: 'No topic',
        heading: 'This link names no topic',
        icon: 'alert',
        tone: 'error',
        paragraphs: [NO_TOPIC],
        actions: [{ label: 'Your preferences', href: readerLink(ctx, '/preferences', 'preferences', subscriberId), style: 'secondary' }],
      });
    };
    const remainingTopics = (topics: readonly string[]) =>
      topics.length > 0 ? `Your topics now: ${topics.join(', ')}.` : 'You have no topics left, so you get the top papers of every edition.';

    app.get(
      '/topics/stop',
      {
        schema: {
          tags: ['readers'],
          summary: 'Page with one button to stop a topic; never changes anything by itself (link scanners open links)',
          querystring: stopTopicQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const topic = request.query.topic?.trim();
          if (!topic) return sendNoTopic(request, reply, link.subscriberId);
          const subscriber = await ctx.service.findSubscriber(link.subscriberId);
          if (!subscriber) return sendMessage(ctx, reply, 200, { title: 'Not subscribed', heading: 'This subscription no longer exists', paragraphs: ['There is nothing to change.'] });
          const normalized = storedTopic(topic);
          const listed = subscriber.topics.includes(normalized);
          if (wantsJson(request)) return reply.send({ topic: normalized, listed, topics: subscriber.topics });
          const preferences = { label: 'Your preferences', href: readerLink(ctx, '/preferences', 'preferences', subscriber.id), style: 'secondary' };
          if (!listed) {
            return sendMessage(ctx, reply, 200, {
              title: 'Not one of your topics',
              heading: `“${normalized}” is not one of your topics`,
              paragraphs: ['It may have been stopped already.', remainingTopics(subscriber.topics)],
              actions: [preferences],
            });
          }
          return sendMessage(ctx, reply, 200, {
            title: 'Stop this topic',
            heading: `Stop “${normalized}”?`,
            paragraphs: [`Papers that match only “${normalized}” will no longer be picked for you. Your other choices stay as they are.`],
            actions: [
              {
                label: 'Stop this topic',
                form: true,
                action: `/topics/stop?token=${encodeURIComponent(link.token)}&topic=${encodeURIComponent(normalized)}`,
              },
              preferences,
            ],
          });
        }),
    );

    app.post(
      '/topics/stop',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: { tags: ['readers'], summary: 'Take one topic off the reader’s list; idempotent', querystring: stopTopicQuery },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const topic = request.query.topic?.trim();
          if (!topic) return sendNoTopic(request, reply, link.subscriberId);
          const { outcome, subscriber } = await ctx.service.stopTopic(link.subscriberId, topic);
          request.log.info({ outcome, subscriberId: link.subscriberId }, 'stop topic');
          if (wantsJson(request)) return reply.send({ outcome, topics: subscriber.topics });
          const normalized = storedTopic(topic);
          return sendMessage(ctx, reply, 200, {
            title: 'Topic stopped',
            heading: outcome === 'removed' ? `Stopped “${normalized}”` : `“${normalized}” was already stopped`,
            icon: 'check',
            tone: 'ok',
            paragraphs: [remainingTopics(subscriber.topics)],
            actions: [{ label: 'Your preferences', href: readerLink(ctx, '/preferences', 'preferences', subscriber.id), style: 'secondary' }],
          });
        }),
    );
  };
}
