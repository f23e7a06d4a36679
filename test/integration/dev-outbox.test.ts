import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { createDigestMessageBuilder, digestSettings } from '../../services/core/digest/digest-message.js';
import type { Runtime } from '../../services/runtime.js';
import { dailyEdition, fixturePapers } from '../helpers/digest-fixtures.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const DAY = '2026-02-03';

describe('/dev/outbox', () => {
  let test: TestRuntime;
  let app: App;
  let outbox: string;
  let file: string;
  let unsubscribeUrl: string;

  beforeAll(async () => {
    outbox = await mkdtemp(path.join(tmpdir(), 'paperboy-outbox-'));
    test = await createTestRuntime('dev_outbox', { OUTBOX_DIR: outbox });
    expect(test.runtime.mail.kind).toBe('outbox');
    app = await buildApp(test.runtime);

    const papers = fixturePapers(DAY);
    // A hostile title must show as text on every page of the outbox too.
    papers[0] = { ...papers[0]!, title: '<script>alert(1)</script> Kimi' };
    const builder = createDigestMessageBuilder(dailyEdition(DAY), papers, digestSettings(test.config, await test.runtime.database.installationId()));
    const filled = await builder.build(papers.slice(0, 5).map((p) => p.id), { subscriberId: 31, email: 'reader@example.com', deliveryId: 314 }, new Date('2026-02-04T06:00:00Z'));
    await test.runtime.mail.sendRaw(filled.envelope, filled.raw, filled.messageId);
    const written = await readdir(outbox);
    expect(written).toHaveLength(1);
    file = written[0]!;
    unsubscribeUrl = /List-Unsubscribe: <([^>]+)>/.exec(filled.raw.toString('latin1'))![1]!;
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
    await rm(outbox, { recursive: true, force: true });
  });

  it('lists the messages the outbox transport wrote, newest first', async () => {
    await writeFile(path.join(outbox, '0000-older.eml'), 'From: a@example.org\r\nTo: old@example.org\r\nSubject: Older\r\n\r\nold\r\n');
    const json = await app.inject({ method: 'GET', url: '/dev/outbox', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(200);
    const { messages } = json.json() as { messages: Array<{ file: string; subject: string; to: string }> };
    expect(messages.map((m) => m.file)).toEqual([file, '0000-older.eml']);
    expect(messages[0]).toMatchObject({ to: 'reader@example.com' });
    expect(messages[0]!.subject).toBe('<script>alert(1)</script> Kimi and 4 more');

    const html = await app.inject({ method: 'GET', url: '/dev/outbox' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain(`href="/dev/outbox/${encodeURIComponent(file!)}"`);
    expect(html.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Kimi');
    expect(html.body).not.toContain('<script>');
  });

  it('shows one message: headers, the HTML part in a sandboxed frame, and the text part', async () => {
    const response = await app.inject({ method: 'GET', url: `/dev/outbox/${encodeURIComponent(file)}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<iframe sandbox');
    expect(response.body).toContain(`src="/dev/outbox/${encodeURIComponent(file)}/html"`);
    expect(response.body).toContain('List-Unsubscribe-Post');
    expect(response.body).toContain(`&lt;digest.314.${await test.runtime.database.installationId()}@localhost&gt;`);
    expect(response.body).toContain(unsubscribeUrl); // in the headers table and the text part
    expect(response.body).not.toContain('<script>');
    expect(response.body).toContain('1. &lt;script&gt;alert(1)&lt;/script&gt; Kimi');

    const part = await app.inject({ method: 'GET', url: `/dev/outbox/${encodeURIComponent(file)}/html` });
    expect(part.statusCode).toBe(200);
    expect(part.headers['content-security-policy']).toMatch(/sandbox/);
    expect(part.headers['content-security-policy']).toContain("default-src 'none'");
    expect(part.body).toContain(`href="${unsubscribeUrl}"`);
    expect(part.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(part.body).not.toContain('<script>');

    const raw = await app.inject({ method: 'GET', url: `/dev/outbox/${encodeURIComponent(file)}/raw` });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toContain('text/plain');
    expect(raw.body).toContain(`Message-ID: <digest.314.${await test.runtime.database.installationId()}@localhost>`);
  });

  it('answers 404 for names outside the outbox, however they are spelled', async () => {
    for (const url of [
      '/dev/outbox/..%2F..%2Fetc%2Fpasswd',
      '/dev/outbox/../../etc/passwd',
      '/dev/outbox/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/html',
      '/dev/outbox/..%2Fpackage.json/raw',
      '/dev/outbox/nope.eml',
      `/dev/outbox/${encodeURIComponent(`../${path.basename(outbox)}/${file}`)}`,
    ]) {
      const response = await app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('root:');
    }
  });

  it('answers a client that is not on loopback only with the admin token (the default HOST is 0.0.0.0)', async () => {
    for (const url of ['/dev/outbox', `/dev/outbox/${encodeURIComponent(file)}`, `/dev/outbox/${encodeURIComponent(file)}/html`, `/dev/outbox/${encodeURIComponent(file)}/raw`]) {
      const remote = await app.inject({ method: 'GET', url, remoteAddress: '192.168.1.20' });
      expect(remote.statusCode, url).toBe(401);
      expect(remote.body, url).not.toContain('unsubscribe');
      const wrongToken = await app.inject({ method: 'GET', url, remoteAddress: '192.168.1.20', headers: { authorization: 'Bearer not-the-admin-token' } });
      expect(wrongToken.statusCode, url).toBe(401);
      const withToken = await app.inject({ method: 'GET', url, remoteAddress: '192.168.1.20', headers: { authorization: `Bearer ${test.config.adminTokens[0]!.secret}` } });
      expect(withToken.statusCode, url).toBe(200);
    }
    for (const remoteAddress of ['127.0.0.1', '127.4.5.6', '::1', '::ffff:127.0.0.1']) {
      const local = await app.inject({ method: 'GET', url: '/dev/outbox', remoteAddress });
      expect(local.statusCode, remoteAddress).toBe(200);
    }
  });

  it('does not exist in production', async () => {
    const production: Runtime = { ...test.runtime, config: { ...test.config, env: 'production' } };
    const productionApp = await buildApp(production);
    try {
      const response = await productionApp.inject({ method: 'GET', url: '/dev/outbox', headers: { accept: 'application/json' } });
      expect(response.statusCode).toBe(404);
    } finally {
      await productionApp.close();
    }
  });
});
