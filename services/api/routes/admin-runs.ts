import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancelRun, pauseRun, resumeRun } from '../../core/sending/run-control-service.js';
import { reportSendRun } from '../../core/sending/send-report.js';
import type { SendRun } from '../../core/sending/send-run-repo.js';
import type { Runtime } from '../../runtime.js';
import { auditAdminAction } from '../admin-audit.js';
import { errorSchema } from '../error-schema.js';
import { sendRunJsonSchema, toRunJson } from './admin-editions.js';

const runParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).meta({ description: 'The send run id, as in GET /admin/editions/KEY' }),
});

const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema };

/** Holding, continuing and stopping a send run by hand. */
export function adminRunRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  const runJson = async (run: SendRun) => toRunJson(await reportSendRun(runtime, run));

  return async (app) => {
    app.post(
      '/runs/:id/pause',
      {
        schema: {
          tags: ['admin: sending'],
          summary: 'Pause a send run: nothing more is sent until it is resumed',
          description:
            'Deliver jobs stop sending for the run at their next batch (a batch already talking to the SMTP server finishes); its ' +
            'queued deliveries stay queued, nothing is lost. Runs also pause themselves when hard bounces or complaints pass their ' +
            'limits (AUTO_PAUSE_*). 409 unless the run is fanning_out or sending.',
          params: runParams,
          body: z
            .object({ reason: z.string().trim().min(1).max(500).optional().meta({ description: 'Why, for the record (shown as pausedReason)' }) })
            // Without a body Fastify hands the schema null.
            .nullish(),
          response: { 200: z.object({ run: sendRunJsonSchema }), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const reason = request.body?.reason;
        const run = await pauseRun(runtime, id, request.adminName ?? 'unknown', reason);
        auditAdminAction(request, { action: 'runs.pause', target: String(id), params: { reason: reason ?? null } });
        return { run: await runJson(run) };
      },
    );

    app.post(
      '/runs/:id/resume',
      {
        schema: {
          tags: ['admin: sending'],
          summary: 'Resume a paused send run where it stopped',
          description:
            'Continues the fan-out if it had not finished and enqueues every delivery still queued. A run resumed by an operator ' +
            'does not pause itself again on its bounce or complaint rates (pause it by hand if needed). 409 unless the run is paused.',
          params: runParams,
          response: { 200: z.object({ run: sendRunJsonSchema }), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const run = await resumeRun(runtime, id, request.adminName ?? 'unknown');
        auditAdminAction(request, { action: 'runs.resume', target: String(id) });
        return { run: await runJson(run) };
      },
    );

    app.post(
      '/runs/:id/cancel',
      {
        schema: {
          tags: ['admin: sending'],
          summary: 'Cancel a send run: its queued deliveries are skipped and it ends as cancelled',
          description:
            'The readers it had not reached are recorded as skipped ("the run was cancelled by ..."); a first copy skipped this way is ' +
            'not sent by later runs of the edition (a resend can still reach them). 409 for a run that is completed or cancelled.',
          params: runParams,
          response: { 200: z.object({ run: sendRunJsonSchema, skipped: z.number().int().meta({ description: 'Queued deliveries marked skipped' }) }), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { run, skipped } = await cancelRun(runtime, id, request.adminName ?? 'unknown');
        auditAdminAction(request, { action: 'runs.cancel', target: String(id), params: { skipped } });
        return { run: await runJson(run), skipped };
      },
    );
  };
}
