import type { FastifyRequest } from 'fastify';

/**
 * Public routes answer HTML to browsers and JSON to programs: JSON when the request sends
 * `Accept: application/json` or a JSON body (the contract's rule).
 */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  const contentType = request.headers['content-type'] ?? '';
  return accept.includes('application/json') || contentType.includes('application/json');
}
