import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('health endpoints', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('health');
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('answers /healthz while the process lives', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when Postgres and Redis answer', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ready', unavailable: [] });
  });

  it('sends security headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('answers an unknown route with a 404 that names it', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope', headers: { accept: 'application/json' } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'No route GET /nope', details: [] });
  });
});
