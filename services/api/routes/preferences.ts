import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { utcDate } from '../../core/papers/daily-date.js';
import { findArxivCategoriesFetched } from '../../core/papers/paper-repo.js';
import { InvalidInputError, type ErrorDetail } from '../../core/platform/errors.js';
import { describeSendTime, listingReadiness, listingsFetchedAfter, nextSendTime, type ListingReadiness } from '../../core/sending/send-schedule.js';
import { describePreferences, describeSources, type Preferences } from '../../core/subscribers/preferences.js';
import type { SubscriberRow } from '../../core/subscribers/subscriber-repo.js';
import { PAUSE_WEEKS } from '../../core/subscribers/subscription-service.js';
import { preferencesOf } from '../../core/subscribers/preference-columns.js';
import { wantsJson } from '../content-negotiation.js';
import { errorsView, preferenceFieldsView } from '../pages/reader-views.js';
import { linkQuery, preferenceFields, readerLink, sendLinkProblem, sendPage, withValidLink, type ReaderContext } from './reader-context.js';

const pageQuery = linkQuery.extend({ saved: z.string().optional().describe('Set after a successful save, to show a notice') });
const pauseBody = z.looseObject({ weeks: z.unknown().optional().describe('1, 2 or 4') }).optional();

/** "Wednesday 16 December 2026" in the reader's zone: the day the digests start again. */
function pausedUntilLabel(row: SubscriberRow, now: Date): string | undefined {
  if (!row.pausedUntil || row.pausedUntil.getTime() <= now.getTime()) return undefined;
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeZone: row.timeZone }).format(row.pausedUntil);
}

/**
 * "Tuesday 07:00 (Europe/Berlin)": when a confirmed reader's next digest is due, on a day their
 * sources have a listing (none otherwise).
 */
async function nextEmailLabel(ctx: ReaderContext, row: SubscriberRow, readiness: ListingReadiness, now: Date): Promise<string | undefined> {
  if (row.status !== 'confirmed') return undefined;
  const preference = preferencesOf(row);
  // Categories the ingest does not fetch now (none has a listing day of the last week) wait for
  // its next scheduled run, which fetches them.
  const newCategoriesOnly =
    preference.arxivCategories.length > 0 && (await findArxivCategoriesFetched(ctx.runtime.database.db, preference.arxivCategories, utcDate(now))).length === 0;
  const next = nextSendTime(preference, preference, newCategoriesOnly ? listingsFetchedAfter(readiness, now) : readiness, now, row.pausedUntil);
  return next && describeSendTime(next, preference.timeZone, now);
}
const BODY_LIMIT_BYTES = 16 * 1024;

const preferencesBody = z
  .looseObject({
    ...preferenceFields,
    images: z.unknown().optional().describe('Paper images in the digest: true/false, or "on"/"off" from a form'),
  })
  .optional();

function preferencesJson(row: SubscriberRow) {
  return { email: row.email, status: row.status, preferences: preferencesOf(row), images: row.images, pausedUntil: row.pausedUntil?.toISOString() ?? null };
}

/** The preference center: `GET/POST /preferences?token=T` and the GDPR export. */
export function preferencesRoutes(ctx: ReaderContext): FastifyPluginAsyncZod {
  const readiness = listingReadiness(ctx.runtime.config.digest);
  async function renderForm(
    row: SubscriberRow,
    token: string,
    values: Record<string, unknown> | Preferences,
    details: ErrorDetail[],
    saved: boolean,
  ) {
    return {
      email: row.email,
      status: row.status,
      token,
      saved,
      summary: describePreferences(preferencesOf(row)),
      sources: describeSources(row),
      pausedUntil: row.status === 'confirmed' ? pausedUntilLabel(row, ctx.runtime.clock()) : undefined,
      nextEmail: await nextEmailLabel(ctx, row, readiness, ctx.runtime.clock()),
      canPause: row.status === 'confirmed',
      images: row.images,
      pauseWeeks: PAUSE_WEEKS,
      prefs: preferenceFieldsView(values, false),
      ...errorsView(details),
      unsubscribeUrl: row.status === 'unsubscribed' ? undefined : readerLink(ctx, '/unsubscribe', 'unsubscribe', row.id),
    };
  }

  return async (app) => {
    app.get(
      '/preferences',
      { schema: { tags: ['readers'], summary: 'Preference center (HTML), or the current preferences as JSON', querystring: pageQuery } },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const row = await ctx.service.findSubscriber(link.subscriberId);
          if (!row) return sendLinkProblem(ctx, request, reply, 'gone');
          if (wantsJson(request)) return reply.send(preferencesJson(row));
          return sendPage(ctx, reply, 200, 'preferences', await renderForm(row, link.token, preferencesOf(row), [], request.query.saved === '1'));
        }),
    );

    app.post(
      '/preferences',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: {
          tags: ['readers'],
          summary: 'Change preferences; fields left out keep their values. Form: 303 back to the page; JSON: 200 with the result',
          querystring: linkQuery,
          body: preferencesBody,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const body = (request.body ?? {}) as Record<string, unknown>;
          try {
            const row = await ctx.service.updatePreferences(link.subscriberId, body);
            if (wantsJson(request)) return reply.send(preferencesJson(row));
            // Post/redirect/get: reloading the page after saving does not post the form again.
            return reply.redirect(`/preferences?token=${encodeURIComponent(link.token)}&saved=1`, 303);
          } catch (error) {
            if (!(error instanceof InvalidInputError)) throw error;
            if (wantsJson(request)) return reply.status(400).send({ error: error.message, details: error.details });
            const row = await ctx.service.findSubscriber(link.subscriberId);
            if (!row) return sendLinkProblem(ctx, request, reply, 'gone');
            return sendPage(ctx, reply, 400, 'preferences', await renderForm(row, link.token, body, error.details, false));
          }
        }),
    );

    app.post(
      '/preferences/pause',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: {
          tags: ['readers'],
          summary: 'No digests for 1, 2 or 4 weeks (body weeks=1|2|4); they start again by themselves. Form: 303 to the preferences page',
          querystring: linkQuery,
          body: pauseBody,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const body = (request.body ?? {}) as Record<string, unknown>;
          try {
            const row = await ctx.service.pause(link.subscriberId, body.weeks);
            if (wantsJson(request)) return reply.send(preferencesJson(row));
            return reply.redirect(`/preferences?token=${encodeURIComponent(link.token)}`, 303);
          } catch (error) {
            if (!(error instanceof InvalidInputError)) throw error;
            if (wantsJson(request)) return reply.status(400).send({ error: error.message, details: error.details });
            const row = await ctx.service.findSubscriber(link.subscriberId);
            if (!row) return sendLinkProblem(ctx, request, reply, 'gone');
            return sendPage(ctx, reply, 400, 'preferences', await renderForm(row, link.token, preferencesOf(row), error.details, false));
          }
        }),
    );

    app.post(
      '/preferences/resume',
      {
        bodyLimit: BODY_LIMIT_BYTES,
        schema: { tags: ['readers'], summary: 'End a pause now. Form: 303 to the preferences page', querystring: linkQuery },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const row = await ctx.service.resume(link.subscriberId);
          if (wantsJson(request)) return reply.send(preferencesJson(row));
          return reply.redirect(`/preferences?token=${encodeURIComponent(link.token)}`, 303);
        }),
    );

    app.get(
      '/preferences/export',
      {
        schema: {
          tags: ['readers'],
          summary: 'Everything stored about the reader, as a JSON download (GDPR Art. 15 and 20)',
          querystring: linkQuery,
        },
      },
      async (request, reply) =>
        withValidLink(ctx, request, reply, ['preferences'], async (link) => {
          const data = await ctx.service.exportSubscriberData(link.subscriberId);
          return reply
            .header('content-disposition', 'attachment; filename="paperboy-my-data.json"')
            .header('cache-control', 'no-store')
            .type('application/json; charset=utf-8')
            .send(JSON.stringify(data, null, 2));
        }),
    );
  };
}
