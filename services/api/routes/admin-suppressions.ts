import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { suppressionReason } from '../../core/platform/db/schema.js';
import type { SuppressionRow } from '../../core/suppression/suppression-admin-repo.js';
import { liftSuppression, listSuppressions, lookUpSuppression } from '../../core/suppression/suppression-admin-service.js';
import type { Runtime } from '../../runtime.js';
import { auditAdminAction } from '../admin-audit.js';
import { errorSchema } from '../error-schema.js';

const suppressionJsonSchema = z.object({
  hash: z.string().meta({ description: 'SHA-256 of the normalised address: the entry\'s id' }),
  reason: z.enum(suppressionReason.enumValues),
  detail: z.string().nullable().meta({ description: 'What caused it (an SMTP answer, a bounce); addresses in it are blanked out in listings' }),
  createdAt: z.string(),
});

const toJson = (row: SuppressionRow): z.output<typeof suppressionJsonSchema> => ({
  hash: row.emailHash,
  reason: row.reason,
  detail: row.detail,
  createdAt: row.createdAt.toISOString(),
});

/** An instant in a query: ISO 8601 with a time zone, or a date (its midnight UTC). */
const instant = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value)), {
    message: 'must be a date (YYYY-MM-DD) or an ISO 8601 instant with its time zone',
  })
  .transform((value) => new Date(value))
  .refine((date) => date.getUTCFullYear() >= 1900 && date.getUTCFullYear() <= 9999, { message: 'must be between the years 1900 and 9999' });

/** The suppression list: look it over, look one address up, lift an entry. */
export function adminSuppressionRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/suppressions',
      {
        schema: {
          tags: ['admin: suppressions'],
          summary: 'Suppressed addresses, newest first, by hash; or whether one address is suppressed',
          description:
            'Addresses are stored only as hashes, so the list shows hashes, reasons and times, never an address. With `email`, answers ' +
            'whether that address is suppressed and why (the only way to see an entry for an address). Filter by `reason` and by ' +
            '`since` (inclusive) and `until` (exclusive); pass `next` as `after` for the next page.',
          querystring: z.object({
            email: z.string().trim().min(1).max(254).optional().meta({ description: 'An address to look up' }),
            reason: z.enum(suppressionReason.enumValues).optional(),
            since: instant.optional(),
            until: instant.optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            after: z.string().max(100).optional(),
          }),
          response: {
            200: z.union([
              z.object({ suppressions: z.array(suppressionJsonSchema), next: z.string().nullable() }),
              z.object({ email: z.string(), suppressed: z.boolean(), suppression: suppressionJsonSchema.nullable() }),
            ]),
            400: errorSchema,
          },
        },
      },
      async (request) => {
        const { email, reason, since, until, limit, after } = request.query;
        if (email !== undefined) {
          const found = await lookUpSuppression(runtime, email);
          return { email, suppressed: found !== undefined, suppression: found ? toJson(found) : null };
        }
        const page = await listSuppressions(runtime, { reason, since, until, after, limit });
        return { suppressions: page.suppressions.map(toJson), next: page.next };
      },
    );

    app.delete(
      '/suppressions/:hash',
      {
        schema: {
          tags: ['admin: suppressions'],
          summary: 'Lift a suppression: mail may go to that address again',
          description:
            'For an entry made by mistake (a bounce that was the server\'s fault, a reader who asks to come back). A reader who ' +
            'unsubscribed stays unsubscribed; an erased reader\'s address may sign up again. Audited.',
          params: z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of an entry\'s hash') }),
          response: { 204: z.null().meta({ description: 'Lifted' }), 400: errorSchema, 404: errorSchema },
        },
      },
      async (request, reply) => {
        const { hash } = request.params;
        const lifted = await liftSuppression(runtime, hash);
        auditAdminAction(request, { action: 'suppressions.lift', target: hash, params: { reason: lifted.reason } });
        return reply.status(204).send(null);
      },
    );
  };
}
