/**
 * An HTTP GET of a small text resource (a provider's signing certificate, a subscription
 * confirmation link). Built by the composition root, so tests hand in their own and nothing in a
 * test reaches the internet. It answers with the status and body, or throws when there is no
 * answer (network, timeout, a redirect, a body over the limit).
 */
export type HttpGet = (url: string) => Promise<{ status: number; body: string }>;

export interface HttpGetOptions {
  timeoutMs: number;
  maxBytes: number;
}

/** fetch() with a timeout and a size limit; redirects are refused (the caller checked the URL, not where it may lead). */
export function createHttpGet(options: HttpGetOptions): HttpGet {
  return async (url) => {
    const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(options.timeoutMs) });
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        bytes += chunk.byteLength;
        // Leaving the loop (the throw) cancels the rest of the body.
        if (bytes > options.maxBytes) throw new Error(`the answer from ${new URL(url).host} is over ${options.maxBytes} bytes`);
        chunks.push(chunk);
      }
    }
    return { status: response.status, body: Buffer.concat(chunks).toString('utf8') };
  };
}
