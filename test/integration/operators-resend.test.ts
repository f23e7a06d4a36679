import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DATE = '2026-08-13';
const ADMIN = { authorization: 'Bearer ops-resend-token' };

/** Parses Prometheus text into "name{labels}" → value (the text format, line by line). */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

describe('operators: send, resend and metrics over a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let app: App;
  let workers: WorkerHost;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('ops-resend', { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>', ADMIN_TOKEN: 'ops:ops-resend-token' });
    await importFixtureDay(test.runtime, DATE);
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
    app = await buildApp(runtime);
  });
  afterAll(async () => {
    await app?.close();
    await workers?.close(5000);
    await test?.cleanup();
    await smtp?.close();
  });

  async function waitForRun(runId: number) {
    await waitUntil(`run ${runId} to complete`, async () => (await findSendRun(test.runtime.database.sql, runId))?.status === 'completed', 60_000);
  }
  /** POST .../resend of the day's edition to `to`: a dry run only counts; an Idempotency-Key makes a retry safe. */
  function resend(to: unknown, options: { dryRun?: boolean; idempotencyKey?: string } = {}) {
    return app.inject({
      method: 'POST',
      url: `/admin/editions/${DATE}/resend${options.dryRun ? '?dryRun=true' : ''}`,
      headers: options.idempotencyKey ? { ...ADMIN, 'idempotency-key': options.idempotencyKey } : ADMIN,
      payload: { to },
    });
  }
  const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.recipients.includes(address));
  async function metrics() {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    return parsePrometheus(response.body);
  }

  it('sends, then resends to the failed, to a list and to everyone, with dry runs and idempotency keys', async () => {
    const sql = test.runtime.database.sql;
    await insertReaders(sql, 4); // reader-1..4, confirmed daily
    await insertReaders(sql, 1, { status: 'unsubscribed' }, 5);
    await insertReaders(sql, 1, { status: 'pending' }, 6);
    await insertReaders(sql, 1, { frequency: 'weekly' }, 7);
    // reader-3's mailbox refuses the message (5.7.1: a policy refusal, not a dead address).
    smtp.setRecipientPolicy((address) => (address === 'reader-3@example.org' ? { code: 554, message: '5.7.1 Message refused by policy' } : undefined));
    const before = await metrics();
    expect(before.get('paperboy_emails_sent_total')).toBe(0);

    // POST .../send: assemble if needed, send now, answer 202 with the run and where to watch it.
    const send = await app.inject({ method: 'POST', url: `/admin/editions/${DATE}/send`, headers: ADMIN });
    expect(send.statusCode).toBe(202);
    const sendRun = send.json().run as { id: number; kind: string };
    expect(sendRun.kind).toBe('manual');
    expect(send.json().watch).toBe(`/admin/editions/${DATE}`);
    await waitForRun(sendRun.id);
    expect(mailsTo('reader-1@example.org')).toHaveLength(1);
    expect(mailsTo('reader-3@example.org')).toHaveLength(0);

    // The admin view shows the run with its counts and progress.
    const view = await app.inject({ method: 'GET', url: `/admin/editions/${DATE}`, headers: ADMIN });
    expect(view.statusCode).toBe(200);
    const edition = view.json().edition;
    expect(edition.deliveries).toMatchObject({ sent: 3, failed: 1, queued: 0, claimed: 0 });
    expect(edition.runs).toHaveLength(1);
    expect(edition.runs[0]).toMatchObject({ id: sendRun.id, status: 'completed', progress: 1, deliveries: { sent: 3, failed: 1 } });
    const list = await app.inject({ method: 'GET', url: '/admin/editions', headers: ADMIN });
    expect(list.json().editions.find((e: { key: string }) => e.key === DATE).deliveries).toMatchObject({ sent: 3, failed: 1 });

    // Metrics moved with the run: three sent, one failed with its reason, SMTP latency observed.
    const after = await metrics();
    expect(after.get('paperboy_emails_sent_total')).toBe(3);
    expect(after.get('paperboy_emails_failed_total{reason="permanent-message"}')).toBe(1);
    expect(after.get('paperboy_smtp_send_duration_seconds_count')).toBe(3);
    expect(after.get('paperboy_http_requests_total{method="POST",route="/admin/editions/:date/send",status="202"}')).toBe(1);
    expect(after.get('paperboy_queue_jobs{queue="sending-deliver",state="waiting"}')).toBe(0);
    expect(after.has('paperboy_queue_oldest_waiting_seconds{queue="sending-deliver"}')).toBe(true);

    // Resend to the failed: the dry run counts reader-3 and creates nothing.
    smtp.setRecipientPolicy(undefined);
    const runsBefore = (await sql`select count(*)::int as n from send_runs`)[0]!.n as number;
    const dry = await resend('failed', { dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, recipients: 1 });
    expect((await sql`select count(*)::int as n from send_runs`)[0]!.n).toBe(runsBefore);

    const failed = await resend('failed', { idempotencyKey: 'ops-resend-failed-1' });
    expect(failed.statusCode).toBe(202);
    expect(failed.json()).toMatchObject({ created: true, recipients: 1 });
    const failedRun = failed.json().run.id as number;
    await waitForRun(failedRun);
    expect(mailsTo('reader-3@example.org')).toHaveLength(1);
    expect(mailsTo('reader-1@example.org')).toHaveLength(1);
    const [copy] = await sql<{ resend: boolean; status: string }[]>`select resend, status from deliveries where send_run_id = ${failedRun}`;
    expect(copy).toEqual({ resend: true, status: 'sent' });

    // The same Idempotency-Key again: the same run, nothing new sent; another body with it is a conflict.
    const repeat = await resend('failed', { idempotencyKey: 'ops-resend-failed-1' });
    expect(repeat.statusCode).toBe(202);
    expect(repeat.json()).toMatchObject({ created: false, run: { id: failedRun, status: 'completed' } });
    const misuse = await resend('all', { idempotencyKey: 'ops-resend-failed-1' });
    expect(misuse.statusCode).toBe(409);
    expect((await sql`select count(*)::int as n from send_runs where kind = 'resend'`)[0]!.n).toBe(1);
    // reader-3 has had it now: nobody is left in "failed".
    const none = await resend('failed', { dryRun: true });
    expect(none.json().recipients).toBe(0);

    // A list: only confirmed, unsuppressed readers; the rest is reported.
    await sql`insert into suppressions (email_hash, reason) values (${suppressionHash('reader-4@example.org')}, 'complaint')`;
    const listed = ['Reader-2@Example.org', 'reader-4@example.org', 'reader-5@example.org', 'nobody@example.org'];
    const listDry = await resend(listed, { dryRun: true });
    expect(listDry.json()).toMatchObject({ recipients: 1, unmatched: ['nobody@example.org', 'reader-4@example.org', 'reader-5@example.org'] });
    const toList = await resend(listed);
    expect(toList.statusCode).toBe(202);
    await waitForRun(toList.json().run.id);
    expect(mailsTo('reader-2@example.org')).toHaveLength(2);
    expect(mailsTo('reader-4@example.org')).toHaveLength(1);
    expect(mailsTo('reader-5@example.org')).toHaveLength(0);

    // Everyone: confirmed daily readers who are not suppressed (reader-1, 2, 3), not the
    // unsubscribed, pending or weekly ones, nor suppressed reader-4.
    const allDry = await resend('all', { dryRun: true });
    expect(allDry.json().recipients).toBe(3);
    const toAll = await resend('all');
    await waitForRun(toAll.json().run.id);
    expect(mailsTo('reader-1@example.org')).toHaveLength(2);
    expect(mailsTo('reader-2@example.org')).toHaveLength(3);
    expect(mailsTo('reader-3@example.org')).toHaveLength(2);
    expect(mailsTo('reader-4@example.org')).toHaveLength(1);
    for (const never of ['reader-5@example.org', 'reader-6@example.org', 'reader-7@example.org']) expect(mailsTo(never)).toHaveLength(0);
    // Resent copies carry their own Message-ID, distinct from the first copy's.
    const ids = mailsTo('reader-1@example.org').map((mail) => mail.parsed.messageId);
    expect(new Set(ids).size).toBe(2);

    // Every change is in the audit log, with the token's name.
    const audit = await sql<{ actor: string; action: string }[]>`select actor, action from admin_audit_log order by id`;
    expect(audit.filter((row) => row.action === 'editions.resend')).toHaveLength(4);
    expect(audit.filter((row) => row.action === 'editions.send')).toEqual([{ actor: 'ops', action: 'editions.send' }]);
    expect((await metrics()).get('paperboy_emails_sent_total')).toBe(3 + 1 + 1 + 3);
  });

  it('refuses bad resend requests with the field at fault', async () => {
    const bad = await resend(['not-an-address']);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].field).toBe('to[0]');
    const missing = await app.inject({ method: 'POST', url: '/admin/editions/2026-01-01/resend', headers: ADMIN, payload: { to: 'all' } });
    expect(missing.statusCode).toBe(404);
    const wrongTarget = await resend('everyone');
    expect(wrongTarget.statusCode).toBe(400);
  });

  it('previews the edition as html and text with harmless links', async () => {
    const html = await app.inject({ method: 'GET', url: `/admin/editions/${DATE}/preview`, headers: ADMIN });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<html');
    expect(html.body).not.toContain('%%UNSUBSCRIBE_URL%%');
    expect(html.body).not.toMatch(/unsubscribe\?token=/);
    const text = await app.inject({ method: 'GET', url: `/admin/editions/${DATE}/preview?format=text`, headers: ADMIN });
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.body).not.toContain('%%PREFERENCES_URL%%');
    expect(text.body).toContain('http://paperboy.test/');
  });
});
