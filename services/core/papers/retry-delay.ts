/** How long an HTTP server asks a client to wait before its next request (HF and arXiv alike). */

/**
 * Milliseconds to wait from `RateLimit: "api";r=0;t=42` (IETF draft v9, as HF sends it) or from
 * `Retry-After` (seconds or an HTTP date). Undefined when neither says.
 */
export function retryDelayFromHeaders(headers: Headers, now: Date = new Date()): number | undefined {
  const rateLimit = headers.get('ratelimit');
  if (rateLimit) {
    const remaining = /(?:^|;)\s*r=(\d+)/.exec(rateLimit)?.[1];
    const reset = /(?:^|;)\s*t=(\d+)/.exec(rateLimit)?.[1];
    if (reset !== undefined && (remaining === undefined || Number(remaining) === 0)) return Number(reset) * 1000;
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now.getTime());
  }
  return undefined;
}
