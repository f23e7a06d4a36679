import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { auditAdminAction } from '../admin-audit.js';

/** Where the dashboard lives; the admin scope's cookie exchange is limited to this path. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The BullMQ dashboard (bull-board) at /admin/queues, registered inside the admin scope so the
 * same token guards it (a bearer header, or the cookie the scope hands out for `?token=`).
 * Every action it takes (retry, clean, pause, promote...) is a non-GET request and lands in
 * the audit log with the token's name.
 */
export function adminQueueRoutes(runtime: Runtime): FastifyPluginAsync {
  return async (app) => {
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
    createBullBoard({
      queues: Object.values(runtime.queues).map((queue) => new BullMQAdapter(queue)),
      // @bull-board/fastify pins its own copy of @bull-board/api; the two types differ only by identity.
      serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: { uiConfig: { boardTitle: 'Paperboy queues' } },
    });

    // The dashboard's routes are not ours to edit: its changing requests are declared here, and
    // recorded only when they succeeded.
    app.addHook('onRequest', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      auditAdminAction(request, (reply) =>
        reply.statusCode >= 400
          ? undefined
          : {
              action: 'queues.action',
              target: request.routeOptions.url ?? request.url,
              params: { method: request.method, params: request.params as Record<string, unknown>, status: reply.statusCode },
            },
      );
    });
    await app.register(serverAdapter.registerPlugin() as FastifyPluginAsync, { prefix: '/queues' });
  };
}
