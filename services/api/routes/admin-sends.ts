import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { digestRenderSettings, createDigestRenderer, editionUrl, fillDigestPlaceholders } from '../../core/digest/render-digest.js';
import { createSectionedSelector } from '../../core/digest/section-selection.js';
import { previewEdition } from '../../core/editions/edition-service.js';
import { NotFoundError } from '../../core/platform/errors.js';
import type { Runtime } from '../../runtime.js';
import { toDigestEdition } from '../../core/sending/edition-messages.js';
import { MAX_RESEND_ADDRESSES, planResend, startResend } from '../../core/sending/resend-service.js';
import { reportSendRun } from '../../core/sending/send-report.js';
import type { SendRun } from '../../core/sending/send-run-repo.js';
import { startManualSend } from '../../core/sending/send-service.js';
import { DEFAULT_PREFERENCES, describeDigestChoices } from '../../core/subscribers/preferences.js';
import { editionKeySchema, sendRunJsonSchema, toRunJson } from './admin-editions.js';
import { auditAdminAction } from '../admin-audit.js';
import { errorSchema } from '../error-schema.js';

/** The preview's own policy: our rendered email, no script, framed nowhere else. */
const PREVIEW_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox";

const resendTargetSchema = z
  .union([z.enum(['failed', 'all']), z.array(z.string().max(254)).min(1).max(MAX_RESEND_ADDRESSES)])
  .meta({ description: '"failed" (readers whose latest delivery of this edition failed), "all" (every confirmed reader of its frequency) or a list of addresses' });

const watchSchema = z.string().meta({ description: 'Where to watch the run: the admin view of the edition' });

/** Sending from the admin API: send now, resend, and the preview of an edition. */
export function adminSendRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  const watchUrl = (key: string) => `/admin/editions/${encodeURIComponent(key)}`;
  const runJson = async (run: SendRun) => toRunJson(await reportSendRun(runtime, run));

  return async (app) => {
    app.post(
      '/editions/:date/send',
      {
        schema: {
          tags: ['admin: sending'],
          summary: 'Assemble (if needed) and send an edition now',
          description:
            'Sends a daily edition to the confirmed daily readers, a weekly one (`YYYY-Www`) to the weekly readers, whatever their send ' +
            'hour: to each who has not had this edition. Repeating it sends nobody a second copy ' +
            '(the ledger holds one first copy per reader and edition). While a manual run of the edition is unfinished ' +
            '(its sender died, or Postgres or Redis went away under it), the request resumes that run, with any work it lost ' +
            'queued again, instead of opening a new one (`resumed: true`). Answers 202 with the run; watch it ' +
            'at `watch`. 404 when a day has no paper to offer; 409 for a week that is not over yet, and for an arXiv category edition (it goes out as a section of the daily edition of its day).',
          params: z.object({ date: editionKeySchema }),
          response: {
            202: z.object({
              run: sendRunJsonSchema,
              resumed: z.boolean().meta({ description: 'true when an unfinished run of the edition was resumed rather than a new one started' }),
              watch: watchSchema,
            }),
            400: errorSchema,
            404: errorSchema,
            409: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { date } = request.params;
        const actor = request.adminName ?? 'unknown';
        const run = await startManualSend(runtime, date, actor);
        auditAdminAction(request, { action: 'editions.send', target: date, params: { runId: run.id, resumed: run.resumed } });
        return reply.status(202).send({ run: await runJson(run), resumed: run.resumed, watch: watchUrl(date) });
      },
    );

    app.post(
      '/editions/:date/resend',
      {
        schema: {
          tags: ['admin: sending'],
          summary: 'Resend a frozen edition to those it failed for, to everyone, or to named addresses',
          description:
            'Creates a new send run over the edition as frozen. Unsubscribed, pending and suppressed readers are never included. ' +
            '`?dryRun=true` answers how many readers it would reach and creates nothing. With an `Idempotency-Key` header, repeating ' +
            'the request returns the run the first one created (`created: false`); the same key for another resend is a 409.',
          params: z.object({ date: editionKeySchema }),
          querystring: z.object({ dryRun: z.enum(['true', 'false']).optional().meta({ description: 'true: count, create nothing' }) }),
          headers: z.looseObject({ 'idempotency-key': z.string().min(1).max(200).optional() }),
          body: z.object({ to: resendTargetSchema }),
          response: {
            200: z.object({
              dryRun: z.literal(true),
              edition: z.string(),
              recipients: z.number().int(),
              unmatched: z.array(z.string()).meta({ description: 'Listed addresses that are not confirmed, unsuppressed readers' }),
            }),
            202: z.object({
              run: sendRunJsonSchema,
              created: z.boolean().meta({ description: 'false when the Idempotency-Key named an existing run' }),
              recipients: z.number().int(),
              unmatched: z.array(z.string()),
              watch: watchSchema,
            }),
            400: errorSchema,
            404: errorSchema,
            409: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { date } = request.params;
        const { to } = request.body;
        if (request.query.dryRun === 'true') {
          const plan = await planResend(runtime, date, to);
          return reply.status(200).send({ dryRun: true as const, edition: plan.edition.key, recipients: plan.recipients, unmatched: plan.unmatched });
        }
        const actor = request.adminName ?? 'unknown';
        const idempotencyKey = request.headers['idempotency-key'];
        const { run, created, plan } = await startResend(runtime, date, to, { actor, ...(idempotencyKey ? { idempotencyKey } : {}) });
        auditAdminAction(request, {
          action: 'editions.resend',
          target: date,
          // Addresses are counted, not copied: an erased reader must not live on in the audit log.
          params: { to: Array.isArray(to) ? { addresses: to.length } : to, runId: run.id, created, idempotencyKey: idempotencyKey ?? null },
        });
        return reply.status(202).send({ run: await runJson(run), created, recipients: plan.recipients, unmatched: plan.unmatched, watch: watchUrl(date) });
      },
    );

    app.get(
      '/editions/:date/preview',
      {
        schema: {
          tags: ['admin: editions'],
          summary: 'The edition rendered as an email, without sending; a draft before it is frozen',
          description:
            `Rendered for a sample reader with default preferences: the edition's top ${DEFAULT_PREFERENCES.maxPapers} papers, and as many of each of its arXiv sections. ` +
            'For a day (or a finished week) that has papers but no edition yet, renders the draft of what assembling would freeze now, ' +
            'and freezes nothing; the `X-Edition-Draft` header says `true` for a draft, `false` for a frozen edition. ' +
            'The unsubscribe and preference links point to the signup page, so clicking them in a preview changes nothing. ' +
            '404 when there is nothing to show; 409 for a week that is not over yet.',
          params: z.object({ date: editionKeySchema }),
          querystring: z.object({ format: z.enum(['html', 'text']).default('html') }),
          response: { 200: z.string().meta({ description: 'text/html or text/plain' }), 400: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (request, reply) => {
        const { date } = request.params;
        const preview = await previewEdition(runtime, date);
        const { edition, papers } = toDigestEdition(preview);
        // The sample reader takes every source the edition has: trending, then each arXiv section.
        const sections = edition.sections ?? [];
        const sample = createSectionedSelector(papers, sections).select({
          ...DEFAULT_PREFERENCES,
          alreadySent: new Set(),
          arxivCategories: sections.map((section) => section.category),
        });
        if (sample.paperIds.length === 0) throw new NotFoundError(`Edition ${date} holds no papers`);
        const renderer = createDigestRenderer(edition, papers, digestRenderSettings(runtime.config));
        const rendered = await renderer.render(sample.paperIds, { sections: sample.paperSections });
        const signup = `${runtime.config.publicUrl}/`;
        const filled = fillDigestPlaceholders(rendered, {
          unsubscribeUrl: signup,
          preferencesUrl: signup,
          stopTopicUrl: signup,
          readerChoices: describeDigestChoices(DEFAULT_PREFERENCES),
          webCopyUrl: editionUrl(runtime.config.publicUrl, edition),
        });
        reply.header('x-digest-subject', encodeURIComponent(rendered.subject)).header('x-edition-draft', String(!preview.frozen));
        if (request.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(filled.text);
        return reply.type('text/html; charset=utf-8').header('content-security-policy', PREVIEW_CSP).send(filled.html);
      },
    );
  };
}
