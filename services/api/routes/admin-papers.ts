import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rankedPapersOfDay } from '../../core/editions/edition-service.js';
import { dailyDateSchema } from '../../core/papers/daily-date.js';
import { hfClientFromConfig } from '../../core/papers/hf-client.js';
import { enqueueIngest } from '../../core/papers/ingest-jobs.js';
import { formatImportSummary, importPapers, type ImportSummary } from '../../core/papers/paper-import-service.js';
import { describeProblems, IngestFailedError, ingestDailyPapers, scheduledIngestDates, type IngestDateResult } from '../../core/papers/paper-ingest-service.js';
import { paperViewSchema } from '../../core/papers/paper-view.js';
import type { Runtime } from '../../runtime.js';
import { auditAdminAction } from '../admin-audit.js';
import { errorSchema } from '../error-schema.js';

/** A busy day with 600-author papers is a few MB; the app's default limit is for forms. */
const IMPORT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

const importSummarySchema = z.object({
  summary: z.string().meta({ example: 'imported 44 papers (3 new, 41 updated) for 2026-02-03' }),
  papers: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  dates: z.array(z.string()),
  from: z.string().optional().meta({ description: 'Where the papers came from when not Hugging Face', example: 'arXiv cs.CL listing' }),
  notes: z.array(z.string()).optional().meta({ description: 'What else happened, e.g. replacements of papers not stored that were left out' }),
});

const toSummaryJson = (summary: ImportSummary) => ({ summary: formatImportSummary(summary), ...summary });

/** The content types of a recorded arXiv answer; read as text and told apart by content. */
const XML_CONTENT_TYPES = ['application/xml', 'text/xml', 'application/atom+xml', 'application/rss+xml'];

/** Papers: bulk import, the ranked papers of a day, and fetching from Hugging Face now. */
export function adminPaperRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser(XML_CONTENT_TYPES, { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));

    app.post(
      '/papers',
      {
        bodyLimit: IMPORT_BODY_LIMIT_BYTES,
        schema: {
          tags: ['admin: papers'],
          summary: 'Import papers (same input as `cli import FILE`)',
          description:
            'Body: a Hugging Face `GET /api/daily_papers` response (any schema since 2024) or a plain JSON array of HF paper objects; ' +
            'or, sent as `application/xml` (or `text/xml`, `application/atom+xml`, `application/rss+xml`), a recorded arXiv API answer (Atom, either layout) ' +
            'or arXiv RSS listing feed, told apart by content. ' +
            'Papers are upserted by arXiv id (without version, so a paper on both sources is one paper); the daily date comes from `?date=`, else from each item\'s `paper.submittedOnDailyAt` ' +
            '(an RSS feed carries its own listing date). arXiv papers fill title, abstract, authors and date and keep what Hugging Face said; replacements only refresh stored papers. ' +
            'One invalid item refuses the whole body (400, details name the item index, arXiv id and field); nothing is half-imported.',
          querystring: z.object({ date: dailyDateSchema.optional() }),
          body: z.unknown().meta({ description: 'JSON array of Daily Papers items or of papers, or the XML of an arXiv API answer or RSS feed' }),
          response: { 200: importSummarySchema, 400: errorSchema },
        },
      },
      async (request) => {
        const summary = await importPapers(runtime, request.body, { date: request.query.date, source: 'the request body' });
        auditAdminAction(request, {
          action: 'papers.import',
          target: summary.dates.join(',') || undefined,
          params: { date: request.query.date, papers: summary.papers, created: summary.created, updated: summary.updated },
        });
        return toSummaryJson(summary);
      },
    );

    app.get(
      '/papers',
      {
        schema: {
          tags: ['admin: papers'],
          summary: 'The papers of a Daily-Papers date, in trending order',
          description: 'Ranked by upvotes, then comments, then arXiv recency, then arXiv id; counts are those recorded for that date (its latest ingest), as its edition freezes them.',
          querystring: z.object({ date: dailyDateSchema }),
          response: {
            200: z.object({
              date: z.string(),
              count: z.number().int(),
              papers: z.array(paperViewSchema.extend({ rank: z.number().int() })),
            }),
            400: errorSchema,
          },
        },
      },
      async (request) => {
        const { date } = request.query;
        const papers = await rankedPapersOfDay(runtime, date);
        return { date, count: papers.length, papers };
      },
    );

    const ingestResultSchema = z.object({
      date: z.string(),
      summary: z.string(),
      papers: z.number().int(),
      created: z.number().int(),
      updated: z.number().int(),
      skipped: z.array(z.string()).meta({ description: 'Invalid items of the answer that were left out, each with what is wrong with it' }),
    });

    app.post(
      '/ingest',
      {
        schema: {
          tags: ['admin: papers'],
          summary: 'Fetch papers from the Hugging Face API now',
          description:
            'Fetches `date` (default: today and the previous INGEST_DAYS days, like the hourly schedule). ' +
            'With `wait` (the default) the fetch runs in this request and the answer is the import summary per date ' +
            '(502/503 when Hugging Face answers badly or not at all; dates that worked are kept). ' +
            'With `"wait": false` a job is queued for the worker (retried with backoff) and the answer is 202 with its id.',
          body: z
            .object({
              date: dailyDateSchema.optional(),
              wait: z.boolean().default(true).meta({ description: 'Run now and answer the result (default), or queue a job' }),
            })
            // No body at all (a bare POST) means: recent days, and wait.
            .nullish(),
          response: {
            200: z.object({ status: z.literal('completed'), results: z.array(ingestResultSchema) }),
            202: z.object({ status: z.literal('queued'), jobId: z.string(), dates: z.array(z.string()) }),
            400: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const date = request.body?.date;
        const wait = request.body?.wait ?? true;
        const dates = date ? [date] : scheduledIngestDates(runtime);
        const audit = (params: Record<string, unknown>) =>
          auditAdminAction(request, { action: 'papers.ingest', target: date ?? 'recent', params: { wait, dates, ...params } });

        if (!wait) {
          const jobId = await enqueueIngest(runtime, date);
          audit({ jobId });
          return reply.status(202).send({ status: 'queued' as const, jobId, dates });
        }
        // An operator is waiting: fewer retries and short waits, rather than a request that
        // hangs for minutes on a rate limit (the queued path retries patiently).
        const client = hfClientFromConfig(runtime.config, { retries: 2, maxRetryDelayMs: 10_000 });
        const results = await ingestDailyPapers(runtime, dates, { client });
        audit({ results: results.map((r) => (r.ok ? { date: r.date, ...r.summary } : { date: r.date, error: r.error })) });
        const done = results.filter((r): r is Extract<IngestDateResult, { ok: true }> => r.ok);
        if (done.length < results.length) throw new IngestFailedError(results);
        return {
          status: 'completed' as const,
          results: done.map((r) => ({
            date: r.date,
            summary: formatImportSummary(r.summary) + (r.skipped.length > 0 ? `; left out ${r.skipped.length} invalid item${r.skipped.length === 1 ? '' : 's'}` : ''),
            papers: r.summary.papers,
            created: r.summary.created,
            updated: r.summary.updated,
            skipped: r.skipped.map(describeProblems),
          })),
        };
      },
    );
  };
}
