import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assembleEditionByKey, getEditionWithPapers, listEditions, type EditionWithPapers } from '../../core/editions/edition-service.js';
import { EDITION_KEY_FORMATS, parseEditionKey } from '../../core/editions/edition-key.js';
import { NotFoundError } from '../../core/platform/errors.js';
import { dailyDateSchema } from '../../core/papers/daily-date.js';
import { paperViewSchema } from '../../core/papers/paper-view.js';
import type { Runtime } from '../../runtime.js';
import { emptyDeliveryCounts } from '../../core/sending/delivery-counts.js';
import { reportEditionSends, type EditionSendReport, type RunReport } from '../../core/sending/send-report.js';
import { auditAdminAction } from '../admin-audit.js';
import { errorSchema } from '../error-schema.js';

/** An edition's key in a path: a daily date, an ISO week for a weekly edition, or an arXiv listing (edition-key.ts). */
export const editionKeySchema = z
  .string()
  .superRefine((value, context) => {
    const parsed = parseEditionKey(value);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message });
  })
  .meta({ description: `Edition key: ${EDITION_KEY_FORMATS}`, example: '2026-02-03' });

/** The edition part of an answer; extend it (send runs, delivery counts) rather than replace it. */
const editionJsonSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['daily', 'weekly', 'arxiv']).meta({ description: 'arxiv: one arXiv category\'s listing of a day (key arxiv:CATEGORY:YYYY-MM-DD); not sent to readers yet' }),
  key: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  assembledAt: z.string().meta({ description: 'When the edition was frozen, ISO 8601' }),
  paperCount: z.number().int(),
});

function toEditionJson(edition: EditionWithPapers['edition'], paperCount: number): z.output<typeof editionJsonSchema> {
  return {
    id: edition.id,
    kind: edition.kind,
    key: edition.key,
    periodStart: edition.periodStart,
    periodEnd: edition.periodEnd,
    assembledAt: edition.assembledAt.toISOString(),
    paperCount,
  };
}

/** Frozen papers: the counts are those of the moment the edition was assembled. */
const editionPaperJsonSchema = paperViewSchema.extend({ rank: z.number().int() });

const deliveryCountsSchema = z.object({
  queued: z.number().int(),
  claimed: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  bounced: z.number().int().meta({ description: 'Sent, then reported undeliverable by a bounce after the server accepted it' }),
});

/** A send run as operators see it: who started it, for whom, and how far it got. */
export const sendRunJsonSchema = z.object({
  id: z.number().int(),
  editionKey: z.string(),
  kind: z.enum(['scheduled', 'manual', 'resend']),
  status: z.enum(['fanning_out', 'sending', 'paused', 'completed', 'cancelled']).meta({
    description: 'paused: nothing is sent until POST /admin/runs/ID/resume (or /cancel); cancelled: stopped for good, its queued deliveries skipped',
  }),
  pausedReason: z.string().nullable().meta({ description: 'Why the run was last paused: a bounce or complaint spike, or the operator who paused it' }),
  pausedAt: z.string().nullable(),
  hardBounces: z.number().int().meta({ description: 'Recipients refused for good, in the SMTP conversation or by a bounce after it' }),
  softBounces: z.number().int(),
  complaints: z.number().int().meta({ description: 'Spam complaints from feedback loops and providers' }),
  audience: z.record(z.string(), z.unknown()).meta({ description: 'Who the run is for, e.g. {"kind":"resend","to":"failed"}' }),
  createdBy: z.string(),
  createdAt: z.string(),
  fanoutCompletedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  deliveries: deliveryCountsSchema,
  progress: z.number().meta({ description: 'Share of deliveries settled (sent, failed, skipped or bounced), 0..1' }),
});

export function toRunJson(report: RunReport): z.output<typeof sendRunJsonSchema> {
  const { run } = report;
  return {
    id: run.id,
    editionKey: run.editionKey,
    kind: run.kind,
    status: run.status,
    audience: run.audience as unknown as Record<string, unknown>,
    createdBy: run.createdBy,
    createdAt: run.createdAt.toISOString(),
    fanoutCompletedAt: run.fanoutCompletedAt?.toISOString() ?? null,
    completedAt: run.completedAt?.toISOString() ?? null,
    pausedReason: run.pausedReason,
    pausedAt: run.pausedAt?.toISOString() ?? null,
    hardBounces: run.hardBounces,
    softBounces: run.softBounces,
    complaints: run.complaints,
    deliveries: report.deliveries,
    progress: report.progress,
  };
}

/** An edition with how its sending went: runs newest first, and delivery totals over all runs. */
const editionWithSendsSchema = editionJsonSchema.extend({ deliveries: deliveryCountsSchema, runs: z.array(sendRunJsonSchema) });

function withSends(edition: z.output<typeof editionJsonSchema>, report: EditionSendReport | undefined) {
  return {
    ...edition,
    deliveries: report?.deliveries ?? emptyDeliveryCounts(),
    runs: (report?.runs ?? []).map(toRunJson),
  };
}

/** Editions as frozen: the listing, one edition with its ranked papers, and freezing one by hand. */
export function adminEditionRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/editions',
      {
        schema: {
          tags: ['admin: editions'],
          summary: 'Editions, newest first, with their send runs and delivery counts',
          description:
            'Pages of `limit`; pass the last `periodEnd` as `before` for the next page. Each edition carries its send runs (newest first) with ' +
            'deliveries by status (queued, claimed, sent, failed, skipped, bounced) and progress, and the totals over all runs.',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            before: dailyDateSchema.optional(),
          }),
          response: { 200: z.object({ editions: z.array(editionWithSendsSchema) }), 400: errorSchema },
        },
      },
      async (request) => {
        const rows = await listEditions(runtime, { limit: request.query.limit, before: request.query.before });
        const reports = await reportEditionSends(runtime, rows.map((row) => row.id));
        return { editions: rows.map((row) => withSends(toEditionJson(row, row.paperCount), reports.get(row.id))) };
      },
    );

    app.get(
      '/editions/:date',
      {
        schema: {
          tags: ['admin: editions'],
          summary: 'One frozen edition with its papers in rank order, its send runs and delivery counts',
          params: z.object({ date: editionKeySchema }),
          response: {
            200: z.object({ edition: editionWithSendsSchema, papers: z.array(editionPaperJsonSchema) }),
            400: errorSchema,
            404: errorSchema,
          },
        },
      },
      async (request) => {
        const { date } = request.params;
        const found = await getEditionWithPapers(runtime, date);
        if (!found) {
          throw new NotFoundError(
            `No edition for ${date} yet: editions are assembled at DIGEST_CRON (yesterday's), by POST /admin/editions/${date}/assemble, or when an edition is sent`,
          );
        }
        const reports = await reportEditionSends(runtime, [found.edition.id]);
        return { edition: withSends(toEditionJson(found.edition, found.papers.length), reports.get(found.edition.id)), papers: found.papers };
      },
    );

    app.post(
      '/editions/:date/assemble',
      {
        schema: {
          tags: ['admin: editions'],
          summary: 'Freeze an edition now, without sending it',
          description:
            'Freezes the edition as the scheduler would: a daily date takes that day\'s trending papers (less those in earlier editions), ' +
            'an ISO week the best papers of its daily editions once the week is over, an arXiv listing (`arxiv:cs.CL:2026-08-13`) the papers ' +
            'that category announced as new or cross-listed that day, ranked by Hugging Face upvotes where the paper is on HF too, then ' +
            'arXiv\'s listing order. Answers 201 with the frozen edition; repeated, ' +
            'it answers 200 with the edition as it was frozen, unchanged. 404 when the day has no paper to offer (there is nothing to ' +
            'freeze, as for any missing resource); 409 for a week that is not over yet.',
          params: z.object({ date: editionKeySchema }),
          response: {
            200: z.object({ edition: editionJsonSchema, papers: z.array(editionPaperJsonSchema), created: z.literal(false) }),
            201: z.object({ edition: editionJsonSchema, papers: z.array(editionPaperJsonSchema), created: z.literal(true) }),
            400: errorSchema,
            404: errorSchema,
            409: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { date } = request.params;
        const { edition, papers, created } = await assembleEditionByKey(runtime, date);
        auditAdminAction(request, { action: 'editions.assemble', target: date, params: { created, papers: papers.length } });
        const body = { edition: toEditionJson(edition, papers.length), papers };
        return created ? reply.status(201).send({ ...body, created: true as const }) : reply.status(200).send({ ...body, created: false as const });
      },
    );
  };
}
