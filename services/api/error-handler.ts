import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, type ErrorKind } from '../core/platform/errors.js';
import { escapeHtml } from '../core/platform/html.js';
import { wantsJson } from './content-negotiation.js';
import type { ErrorBody } from './error-schema.js';

/** The HTTP status of each kind of domain error. */
const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  // The service we called answered badly: a bad gateway, not our fault nor the client's.
  upstream: 502,
};

function fieldOf(instancePath: string, context: string | undefined): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.');
  return path || context || 'body';
}

/** Turns any thrown error into a status and a body that says what is wrong, never a stack. */
function describeError(error: FastifyError | Error): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    return { status: STATUS_OF_KIND[error.kind], body: { error: error.message, details: error.details } };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as FastifyError & { validationContext?: string }).validationContext;
    const details = error.validation.map((issue) => ({
      field: fieldOf(issue.instancePath, context),
      message: issue.message ?? 'is invalid',
    }));
    return { status: 400, body: { error: `Invalid request ${context ?? 'input'}`, details } };
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, wrong content type, body too large): their
    // messages name the problem and carry nothing internal.
    return { status, body: { error: fastifyError.message, details: [] } };
  }
  return { status: 500, body: { error: 'Internal error; the operator has been told through the logs', details: [] } };
}

function htmlErrorPage(status: number, body: ErrorBody): string {
  const items = body.details.map((d) => `<li><strong>${escapeHtml(d.field)}</strong>: ${escapeHtml(d.message)}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} · Paperboy</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem"><main><h1>${escapeHtml(body.error)}</h1>${items ? `<ul>${items}</ul>` : ''}<p><a href="/">Back to Paperboy</a></p></main></body></html>`;
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody) {
  if (wantsJson(request) || request.url.startsWith('/admin')) {
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  }
  return reply.status(status).type('text/html; charset=utf-8').send(htmlErrorPage(status, body));
}

/** Fastify's router limit on one path parameter (its default), named in the 414 answer. */
export const MAX_PATH_PARAMETER_LENGTH = 100;

/**
 * Errors the router raises before any route runs (a path parameter over
 * MAX_PATH_PARAMETER_LENGTH characters, a path with broken %-escapes). Without this Fastify
 * writes its own `{ statusCode, code, message }` body that echoes the whole path; here they get
 * the API's error shape like every other refusal.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return send(request, reply, 414, {
      error: 'The request path is too long',
      details: [{ field: 'path', message: `a path segment must be at most ${MAX_PATH_PARAMETER_LENGTH} characters` }],
    });
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return send(request, reply, 400, {
      error: 'The request path is not a valid URL',
      details: [{ field: 'path', message: 'has a "%" that is not followed by two hex digits of UTF-8' }],
    });
  }
  const { status, body } = describeError(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  return send(request, reply, status, body);
}

/** The one place errors become HTTP answers. A 5xx is logged once, here, and never leaks detail. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return send(request, reply, status, body);
  });
  app.setNotFoundHandler((request, reply) =>
    send(request, reply, 404, { error: `No route ${request.method} ${request.url.split('?')[0]}`, details: [] }),
  );
}
