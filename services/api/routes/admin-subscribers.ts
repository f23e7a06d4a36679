import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../../core/platform/errors.js';
import type { Runtime } from '../../runtime.js';
import { eraseSubscriber, findSubscribers } from '../../core/subscribers/subscriber-admin-service.js';
import { exportSubscribersCsv } from '../../core/subscribers/subscriber-export.js';
import { importSubscribers, type ImportFormat } from '../../core/subscribers/subscriber-import.js';
import { auditAdminAction } from '../admin-audit.js';
import { errorSchema } from '../error-schema.js';

const subscriberJsonSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  status: z.enum(['pending', 'confirmed', 'unsubscribed']),
  frequency: z.enum(['daily', 'weekly']),
  weekday: z.number().int(),
  sendHour: z.number().int(),
  timeZone: z.string(),
  topics: z.array(z.string()),
  maxPapers: z.number().int(),
  trending: z.boolean().meta({ description: 'Whether the daily email has the Hugging Face trending section' }),
  arxivCategories: z.array(z.string()).meta({ description: 'arXiv categories whose new papers are sections of the daily email' }),
  consentAt: z.string().nullable(),
  consentSource: z.string(),
  confirmedAt: z.string().nullable(),
  unsubscribedAt: z.string().nullable(),
  createdAt: z.string(),
  pausedUntil: z.string().nullable().meta({ description: 'No digest before this instant (the reader paused); null when not paused' }),
  images: z.boolean().meta({ description: 'Whether digest cards show thumbnails' }),
});

const importReportSchema = z.object({
  records: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  suppressed: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  problems: z.array(z.object({ line: z.number().int(), message: z.string() })).meta({
    description: 'Rows not imported: CSV line number (1 = header) or JSON item number, and why',
  }),
  problemsTruncated: z.boolean(),
  ignoredColumns: z.array(z.string()),
});

const IMPORT_TYPES: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'json',
  'application/jsonl': 'json',
};

/** Readers for operators: look-up, erasure, import and export. */
export function adminSubscriberRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/subscribers',
      {
        schema: {
          tags: ['admin: subscribers'],
          summary: 'Look readers up by address and status, in pages',
          description: '`query` matches any part of the address (case-insensitive). Pages follow the id: pass `next` as `after` for the next page.',
          querystring: z.object({
            query: z.string().max(254).refine((value) => !value.includes('\u0000'), 'must not contain NUL characters').optional(),
            status: z.enum(['pending', 'confirmed', 'unsubscribed']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            after: z.coerce.number().int().min(0).default(0),
          }),
          response: { 200: z.object({ subscribers: z.array(subscriberJsonSchema), next: z.number().int().nullable() }), 400: errorSchema },
        },
      },
      async (request) => {
        const { query, status, limit, after } = request.query;
        const page = await findSubscribers(runtime, { query, status, afterId: after, limit });
        return {
          subscribers: page.subscribers.map((row) => ({
            ...row,
            consentAt: row.consentAt?.toISOString() ?? null,
            confirmedAt: row.confirmedAt?.toISOString() ?? null,
            unsubscribedAt: row.unsubscribedAt?.toISOString() ?? null,
            createdAt: row.createdAt.toISOString(),
            pausedUntil: row.pausedUntil?.toISOString() ?? null,
            images: row.images,
          })),
          next: page.next,
        };
      },
    );

    app.delete(
      '/subscribers/:id',
      {
        schema: {
          tags: ['admin: subscribers'],
          summary: 'Erase a reader (GDPR)',
          description:
            'Deletes the reader with their deliveries and sent-paper history, and keeps only a SHA-256 of the address on the ' +
            'suppression list, so the address cannot be signed up or imported again.',
          params: z.object({ id: z.coerce.number().int().positive() }),
          response: { 204: z.null().meta({ description: 'Erased' }), 400: errorSchema, 404: errorSchema },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        await eraseSubscriber(runtime, id);
        // The address is not copied into the audit log: erasure must leave no readable trace.
        auditAdminAction(request, { action: 'subscribers.erase', target: String(id) });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/subscribers/export',
      {
        schema: {
          tags: ['admin: subscribers'],
          summary: 'Every reader as CSV (streamed)',
          description: 'Columns: id, email, status, frequency, weekday, send_hour, time_zone, topics (joined by ";"), max_papers, consent and status times, paused_until and images (informational: an import reads past them). A cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with a single quote; `POST /admin/subscribers/import` reads it back and removes that quote.',
          produces: ['text/csv'],
        },
      },
      async (request, reply) => {
        auditAdminAction(request, { action: 'subscribers.export' });
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="paperboy-subscribers.csv"')
          .send(Readable.from(exportSubscribersCsv(runtime)));
      },
    );

    // The import reads its body as a stream: this scope hands the raw request stream to the
    // handler instead of parsing (and buffering) it, so body limits do not apply either.
    await app.register(async (instance) => {
      const scope = instance.withTypeProvider<ZodTypeProvider>();
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      scope.post(
        '/subscribers/import',
        {
          schema: {
            tags: ['admin: subscribers'],
            summary: 'Import readers from CSV or JSON (streamed)',
            description:
              'Body: CSV with a header line (`text/csv`; columns email, and optionally status, frequency, weekday, send_hour, time_zone, ' +
              'topics, max_papers, consent_at), or JSON (`application/json`: an array of objects with the same fields, or NDJSON). ' +
              'Rows are imported as confirmed only with `?consentConfirmed=true` (the consent was collected elsewhere); otherwise as ' +
              'pending, and no confirmation email is sent. Re-importing is idempotent: a known reader is only ever unsubscribed (the row ' +
              'says so) or confirmed (was pending, consent stated). Suppressed addresses are never imported. Bad rows are skipped and ' +
              'named in `problems`; a body that cannot be parsed at all is refused with nothing imported.',
            consumes: ['text/csv', 'application/json', 'application/x-ndjson'],
            querystring: z.object({
              consentConfirmed: z.enum(['true', 'false']).default('false').meta({ description: 'true: consent was collected; import as confirmed' }),
              format: z.enum(['csv', 'json']).optional().meta({ description: 'Overrides the Content-Type' }),
            }),
            response: { 200: importReportSchema, 400: errorSchema, 415: errorSchema },
          },
        },
        async (request, reply) => {
          const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
          const format = request.query.format ?? (Object.hasOwn(IMPORT_TYPES, mediaType) ? IMPORT_TYPES[mediaType] : undefined);
          if (!format) {
            return reply.status(415).send({
              error: `Send the list as ${Object.keys(IMPORT_TYPES).join(', ')} (or state ?format=csv|json)`,
              details: [{ field: 'content-type', message: `"${mediaType || 'none'}" is not one of them` }],
            });
          }
          const body = request.body as Readable | undefined;
          if (!body) throw new InvalidInputError('Send the list in the request body', [{ field: 'body', message: 'is empty' }]);
          const consentConfirmed = request.query.consentConfirmed === 'true';
          const report = await importSubscribers(runtime, body, { format, consentConfirmed });
          const { problems: _problems, ...counts } = report;
          auditAdminAction(request, { action: 'subscribers.import', params: { format, consentConfirmed, ...counts } });
          return report;
        },
      );
    });
  };
}
