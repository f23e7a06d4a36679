import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const ADMIN = { authorization: 'Bearer ops-suppressions-token' };

describe('operators: the suppression list', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('ops-suppressions', { ADMIN_TOKEN: 'ops:ops-suppressions-token' });
    app = await buildApp(test.runtime);
    const sql = test.runtime.database.sql;
    // Five entries a day apart, newest last; one hard bounce quotes its address, as SMTP answers do.
    const entries = [
      ['gone@example.org', 'hard_bounce', '550: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown', '2026-08-01T10:00:00Z'],
      ['angry@example.org', 'complaint', 'feedback loop', '2026-08-02T10:00:00Z'],
      ['erased@example.org', 'erased', null, '2026-08-03T10:00:00Z'],
      ['bounced-again@example.org', 'hard_bounce', '550 5.1.1 No such user', '2026-08-04T10:00:00Z'],
      ['blocked@example.org', 'admin', 'asked by phone', '2026-08-05T10:00:00Z'],
    ] as const;
    for (const [email, reason, detail, at] of entries) {
      await sql`insert into suppressions (email_hash, reason, detail, created_at) values (${suppressionHash(email)}, ${reason}, ${detail}, ${at})`;
    }
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  const get = (query: string) => app.inject({ method: 'GET', url: `/admin/suppressions${query}`, headers: ADMIN });

  it('lists hashes, reasons and times newest first, paged, and never an address', async () => {
    const first = await get('?limit=2');
    expect(first.statusCode).toBe(200);
    expect(first.json().suppressions.map((entry: { reason: string }) => entry.reason)).toEqual(['admin', 'hard_bounce']);
    expect(first.json().suppressions[0]).toEqual({
      hash: suppressionHash('blocked@example.org'),
      reason: 'admin',
      detail: 'asked by phone',
      createdAt: '2026-08-05T10:00:00.000Z',
    });
    const second = await get(`?limit=2&after=${first.json().next}`);
    const third = await get(`?limit=2&after=${second.json().next}`);
    expect(second.json().suppressions.map((entry: { reason: string }) => entry.reason)).toEqual(['erased', 'complaint']);
    expect(third.json()).toMatchObject({ next: null });
    const last = third.json().suppressions[0];
    expect(last.detail).toBe('550: 550 5.1.1 <[address]>: Recipient address rejected: User unknown');
    expect(JSON.stringify([first.json(), second.json(), third.json()])).not.toContain('@');
  });

  it('filters by reason and by time', async () => {
    const bounces = await get('?reason=hard_bounce');
    expect(bounces.json().suppressions.map((entry: { hash: string }) => entry.hash)).toEqual([
      suppressionHash('bounced-again@example.org'),
      suppressionHash('gone@example.org'),
    ]);
    const window = await get('?since=2026-08-02&until=2026-08-04T10:00:00Z');
    expect(window.json().suppressions.map((entry: { reason: string }) => entry.reason)).toEqual(['erased', 'complaint']);
  });

  it('answers for one address the operator searches for, however it is spelled', async () => {
    const found = await get(`?email=${encodeURIComponent(' Gone@EXAMPLE.org ')}`);
    expect(found.json()).toMatchObject({ suppressed: true, suppression: { reason: 'hard_bounce', hash: suppressionHash('gone@example.org') } });
    expect(found.json().suppression.detail).toContain('<gone@example.org>');
    expect((await get('?email=nobody@example.org')).json()).toEqual({ email: 'nobody@example.org', suppressed: false, suppression: null });
  });

  it('refuses bad filters and cursors with a 400 naming the field', async () => {
    for (const query of ['?reason=spam', '?since=yesterday', '?until=2026-13-45', '?after=not-a-cursor', '?after=99999999999999999999.abc', '?limit=0']) {
      const response = await get(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error, query).toBeTruthy();
    }
  });

  it('lifts an entry (audited) so the address may be mailed again; 404 for one that is not there, 400 for no hash', async () => {
    const hash = suppressionHash('blocked@example.org');
    const lifted = await app.inject({ method: 'DELETE', url: `/admin/suppressions/${hash}`, headers: ADMIN });
    expect(lifted.statusCode).toBe(204);
    expect((await get('?email=blocked@example.org')).json()).toMatchObject({ suppressed: false });
    const audit = await test.runtime.database.sql`select actor, action, target, params from admin_audit_log where action = 'suppressions.lift'`;
    expect(audit).toEqual([{ actor: 'ops', action: 'suppressions.lift', target: hash, params: { reason: 'admin' } }]);

    expect((await app.inject({ method: 'DELETE', url: `/admin/suppressions/${hash}`, headers: ADMIN })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/admin/suppressions/blocked@example.org', headers: ADMIN })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: `/admin/suppressions/${hash}` })).statusCode).toBe(401);
  });
});
