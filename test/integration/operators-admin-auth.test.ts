import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** Sample values for path parameters, so every route pattern becomes a URL the router matches. */
function concreteUrl(pattern: string): string {
  return pattern
    .replace(':date', '2026-08-13')
    .replace(':id', '1')
    .replace(':queueName', 'sending-deliver')
    .replace(':queueStatus', 'failed')
    .replace(':jobId', 'job1')
    .replace(':schedulerId', 's1')
    .replace(':file', 'x.eml')
    .replace(':key', '2026-08-13')
    .replace('*', 'x.js');
}

describe('operators: admin authentication and the API docs', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('ops-admin-auth', { ADMIN_TOKEN: 'alice:alice-secret-token,bob:bob-secret-token' });
    app = await buildApp(test.runtime);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('answers 401 to every admin route without a token and with a wrong one', async () => {
    const admin = app.routeTable.filter((route) => route.url.startsWith('/admin'));
    // The route table really holds the admin API and the dashboard (so the walk below means something).
    const urls = new Set(admin.map((route) => `${route.method} ${route.url}`));
    for (const expected of [
      'POST /admin/editions/:date/send',
      'POST /admin/editions/:date/resend',
      'GET /admin/editions/:date/preview',
      'GET /admin/subscribers',
      'DELETE /admin/subscribers/:id',
      'POST /admin/subscribers/import',
      'GET /admin/subscribers/export',
      'GET /admin/queues',
    ]) {
      expect(urls, expected).toContain(expected);
    }
    expect(admin.length).toBeGreaterThan(40);

    const attempts = [
      { name: 'no token', headers: {} },
      { name: 'wrong token', headers: { authorization: 'Bearer not-a-configured-token' } },
      { name: 'token of another scheme', headers: { authorization: 'Basic YWxpY2U6YWxpY2Utc2VjcmV0LXRva2Vu' } },
      { name: 'forged dashboard cookie', headers: { cookie: 'paperboy_admin=YWxpY2U.9999999999.forged' } },
    ];
    for (const route of admin) {
      for (const attempt of attempts) {
        const response = await app.inject({ method: route.method as 'GET', url: concreteUrl(route.url), headers: attempt.headers });
        expect(response.statusCode, `${route.method} ${route.url} with ${attempt.name}`).toBe(401);
        if (route.method !== 'HEAD') expect(response.json(), `${route.method} ${route.url}`).toEqual({ error: 'Unauthorized', details: [] });
      }
    }
  });

  it('accepts each configured token and names it in the audit log', async () => {
    for (const [name, secret] of [['alice', 'alice-secret-token'], ['bob', 'bob-secret-token']] as const) {
      const response = await app.inject({ method: 'GET', url: '/admin/subscribers', headers: { authorization: `Bearer ${secret}` } });
      expect(response.statusCode).toBe(200);
      // A change is audited with the token's name.
      const erase = await app.inject({ method: 'DELETE', url: '/admin/subscribers/999999', headers: { authorization: `Bearer ${secret}` } });
      expect(erase.statusCode).toBe(404);
      const bulk = await app.inject({
        method: 'POST',
        url: '/admin/subscribers/import',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'text/csv' },
        payload: `email\nops-auth-${name}@example.org\n`,
      });
      expect(bulk.statusCode).toBe(200);
    }
    const audit = await test.runtime.database.sql<{ actor: string; action: string }[]>`
      select actor, action from admin_audit_log where action = 'subscribers.import' order by id`;
    expect(audit.map((row) => row.actor)).toEqual(['alice', 'bob']);
  });

  it('lets a browser open the queue dashboard with ?token= once, then by an HttpOnly cookie scoped to it', async () => {
    const exchange = await app.inject({ method: 'GET', url: '/admin/queues?token=alice-secret-token' });
    expect(exchange.statusCode).toBe(303);
    expect(exchange.headers.location).toBe('/admin/queues');
    const setCookie = String(exchange.headers['set-cookie']);
    expect(setCookie).toMatch(/^paperboy_admin=[^;]+; Path=\/admin\/queues; Max-Age=\d+; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain('alice-secret-token');
    const cookie = setCookie.split(';')[0]!;

    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } });
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('sending-deliver');
    // The cookie opens the dashboard only, not the rest of the admin API.
    const elsewhere = await app.inject({ method: 'GET', url: '/admin/subscribers', headers: { cookie } });
    expect(elsewhere.statusCode).toBe(401);
    // A wrong token is not exchanged.
    const wrong = await app.inject({ method: 'GET', url: '/admin/queues?token=guess' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it("audits the dashboard's actions (pause, resume) with the token's name", async () => {
    for (const action of ['pause', 'resume']) {
      const response = await app.inject({
        method: 'PUT',
        url: `/admin/queues/api/queues/maintenance/${action}`,
        headers: { authorization: 'Bearer bob-secret-token' },
      });
      expect(response.statusCode, action).toBeLessThan(300);
    }
    const audit = await test.runtime.database.sql<{ actor: string; target: string }[]>`
      select actor, target from admin_audit_log where action = 'queues.action' order by id`;
    expect(audit).toEqual([
      { actor: 'bob', target: '/admin/queues/api/queues/:queueName/pause' },
      { actor: 'bob', target: '/admin/queues/api/queues/:queueName/resume' },
    ]);
  });

  it('documents every route in the OpenAPI document at /docs', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    const paths = docs.json().paths as Record<string, Record<string, unknown>>;
    const toOpenApi = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');
    const visible = app.routeTable.filter((route) => !route.hidden && route.method !== 'HEAD');
    for (const route of visible) {
      expect(paths[toOpenApi(route.url)], `${route.method} ${route.url}`).toBeDefined();
      expect(paths[toOpenApi(route.url)]![route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
    // Hidden routes are only the docs UI itself, static assets and the dashboard's internals.
    const hidden = app.routeTable.filter((route) => route.hidden && route.method !== 'HEAD').map((route) => route.url);
    for (const url of hidden) expect(url, url).toMatch(/^\/(docs|admin\/queues)(\/|$)/);
    // Swagger UI lists an operation under each of its tags: one tag each shows each route once.
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations as Record<string, { tags?: string[] }>)) {
        expect(operation.tags, `${method} ${path}`).toHaveLength(1);
      }
    }
    for (const path of ['/admin/editions/{date}/send', '/admin/editions/{date}/resend', '/admin/subscribers/import', '/metrics', '/feed.xml', '/editions/{key}']) {
      expect(paths[path], path).toBeDefined();
    }
  });
});
