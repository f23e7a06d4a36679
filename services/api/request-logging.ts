import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** A request that takes this long is logged at warn, whatever its status. */
export const SLOW_REQUEST_MS = 1000;

/**
 * One line per answered request, at a level that says whether an operator should look: error
 * for a 5xx, warn for a slow request, debug for the rest (4xx included: scanners and expired
 * links are not the operator's problem). Replaces Fastify's two info lines per request, which
 * made nine log lines in ten. The logger's serializers scrub tokens and addresses from the URL.
 */
export class RequestLogs extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const responseTime = Math.round(reply.elapsedTime);
    const fields = { req: request, res: reply, responseTime, ...(error ? { err: error } : {}) };
    if (error || reply.statusCode >= 500) reply.log.error(fields, 'request failed');
    else if (responseTime >= SLOW_REQUEST_MS) reply.log.warn(fields, 'slow request');
    else reply.log.debug(fields, 'request completed');
  }
}
