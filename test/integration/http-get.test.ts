import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpGet } from '../../services/core/platform/http/http-get.js';

/** The production HttpGet (SNS certificates, SubscribeURLs) against a local HTTP server. */
describe('createHttpGet', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/cert.pem') return response.end('-----BEGIN CERTIFICATE-----');
      if (request.url === '/missing') return response.writeHead(404).end('no');
      if (request.url === '/big') return response.end('x'.repeat(10_000));
      if (request.url === '/redirect') return response.writeHead(302, { location: '/cert.pem' }).end();
      // /slow never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = createHttpGet({ timeoutMs: 500, maxBytes: 1024 });

  it('answers the status and body', async () => {
    expect(await get(`${base}/cert.pem`)).toEqual({ status: 200, body: '-----BEGIN CERTIFICATE-----' });
    expect(await get(`${base}/missing`)).toEqual({ status: 404, body: 'no' });
  });

  it('throws on a body over the limit, a redirect (the caller checked the URL, not where it leads) and a server that does not answer', async () => {
    await expect(get(`${base}/big`)).rejects.toThrow(/over 1024 bytes/);
    await expect(get(`${base}/redirect`)).rejects.toThrow();
    await expect(get(`${base}/slow`)).rejects.toThrow();
  });
});
