import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { SLOW_REQUEST_MS } from '../../services/api/request-logging.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

interface LogLine {
  level: number;
  msg: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

describe('request logs', () => {
  let test: TestRuntime;
  let app: App;
  const lines: LogLine[] = [];
  const requestLines = () => lines.filter((line) => line.req !== undefined && line.res !== undefined);

  beforeAll(async () => {
    test = await createTestRuntime('request_logging');
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as LogLine);
        callback();
      },
    });
    app = await buildApp({ ...test.runtime, logger: createLogger({ level: 'info', destination }) });
    app.get('/test/broken', async () => {
      throw new Error('broken on purpose');
    });
    app.get('/test/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, SLOW_REQUEST_MS + 100));
      return { ok: true };
    });
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('writes nothing at info for answered requests, 4xx included', async () => {
    lines.length = 0;
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/unsubscribe?token=u.1.0.SIGNATURE' })).statusCode).toBeLessThan(500);
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
    expect(lines).toEqual([]);
  });

  it('logs a request that failed (5xx) at error, its URL scrubbed', async () => {
    lines.length = 0;
    expect((await app.inject({ method: 'GET', url: '/test/broken?token=c.5.abc.SIGNATURE' })).statusCode).toBe(500);
    const [line] = requestLines();
    expect(line).toMatchObject({ level: 50, req: { method: 'GET', url: '/test/broken?token=[redacted]' }, res: { statusCode: 500 } });
    expect(JSON.stringify(lines)).not.toContain('SIGNATURE');
  });

  it(`logs a slow request (${SLOW_REQUEST_MS} ms or more) at warn`, async () => {
    lines.length = 0;
    expect((await app.inject({ method: 'GET', url: '/test/slow' })).statusCode).toBe(200);
    const [line] = requestLines();
    expect(line).toMatchObject({ level: 40, msg: 'slow request', req: { url: '/test/slow' }, res: { statusCode: 200 } });
    expect(line!.responseTime).toBeGreaterThanOrEqual(SLOW_REQUEST_MS);
  });
});
