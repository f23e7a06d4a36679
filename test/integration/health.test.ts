import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import type { Runtime } from '../../services/runtime.js';
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

  it('serves /metrics to anyone when METRICS_TOKEN is unset', async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/^# HELP /m);
  });

  it('serves /metrics only with the bearer METRICS_TOKEN when it is set', async () => {
    const guarded: Runtime = { ...test.runtime, config: { ...test.config, metricsToken: 'scrape-token-0123456789' } };
    const guardedApp = await buildApp(guarded);
    try {
      const bare = await guardedApp.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.7' });
      expect(bare.statusCode).toBe(401);
      expect(bare.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(bare.body).not.toContain('# HELP');
      const wrong = await guardedApp.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456780' } });
      expect(wrong.statusCode).toBe(401);
      // The admin token is not the metrics token.
      const admin = await guardedApp.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${test.config.adminTokens[0]!.secret}` } });
      expect(admin.statusCode).toBe(401);
      const right = await guardedApp.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } });
      expect(right.statusCode).toBe(200);
      expect(right.body).toMatch(/^# HELP /m);
    } finally {
      await guardedApp.close();
    }
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
