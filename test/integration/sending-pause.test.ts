import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { reconcile } from '../../services/core/sending/reconcile-service.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startScheduledRuns } from '../../services/core/sending/send-service.js';
import { workSendRun } from '../../services/worker/send-run-worker.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DATE = '2026-08-13';
const ADMIN = { authorization: 'Bearer ops-pause-token' };

/** Prometheus text as "name{labels}" → value. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match && !line.startsWith('#')) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** The n of reader-n@example.org. */
const readerNumber = (address: string) => Number(/^reader-(\d+)@/.exec(address)?.[1] ?? NaN);

describe('send runs that pause, resume and cancel, and a server that throttles', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let app: App;
  let workers: WorkerHost | undefined;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('sending-pause', {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Paperboy <papers@paperboy.test>',
      ADMIN_TOKEN: 'ops:ops-pause-token',
      // Short, so a test waits out a few backoffs (a spent quota waits twelve times this).
      SMTP_THROTTLE_BACKOFF_MS: '150',
    }, { clock: () => new Date('2026-08-14T07:00:00Z') });
    await importFixtureDay(test.runtime, DATE);
    app = await buildApp(test.runtime);
  });
  afterEach(async () => {
    await workers?.close(5000);
    workers = undefined;
    smtp.messages.length = 0;
    smtp.setRecipientPolicy(undefined);
    await test.runtime.database.sql`truncate subscribers, send_runs, deliveries, suppressions, admin_audit_log cascade`;
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  async function startSendingWorkers() {
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  }

  async function sendNow(): Promise<number> {
    const response = await app.inject({ method: 'POST', url: `/admin/editions/${DATE}/send`, headers: ADMIN });
    expect(response.statusCode).toBe(202);
    return response.json().run.id as number;
  }

  const statusOf = async (runId: number) => (await findSendRun(test.runtime.database.sql, runId))?.status;

  async function waitForStatus(runId: number, status: string) {
    await waitUntil(`run ${runId} to be ${status}`, async () => (await statusOf(runId)) === status, 150_000);
  }

  async function deliveryCounts(runId: number): Promise<Record<string, number>> {
    const rows = await test.runtime.database.sql<{ status: string; count: string }[]>`
      select status, count(*) as count from deliveries where send_run_id = ${runId} group by status`;
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  /** Waits until no batch holds a claim and no deliver job is left: whatever was in flight has ended. */
  async function waitForQuiet(runId: number) {
    await waitUntil('in-flight batches to end', async () => {
      const jobs = await test.runtime.queues.deliver.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (await deliveryCounts(runId)).claimed === undefined && Object.values(jobs).every((count) => count === 0);
    }, 60_000);
  }

  async function editionRun(runId: number) {
    const view = await app.inject({ method: 'GET', url: `/admin/editions/${DATE}`, headers: ADMIN });
    expect(view.statusCode).toBe(200);
    return (view.json().edition.runs as Array<Record<string, unknown>>).find((run) => run.id === runId)!;
  }

  /** The ledger's promise: each reader has one delivery of the run, settled, and the sink got each sent one once. */
  async function expectLedgerWhole(runId: number, readers: number) {
    const rows = await test.runtime.database.sql<{ email: string; status: string }[]>`
      select s.email, d.status from deliveries d join subscribers s on s.id = d.subscriber_id where d.send_run_id = ${runId}`;
    expect(rows).toHaveLength(readers);
    expect(new Set(rows.map((row) => row.email)).size).toBe(readers);
    expect(rows.filter((row) => !['sent', 'failed', 'skipped'].includes(row.status))).toEqual([]);
    const received = smtp.messages.map((message) => message.recipients[0]!);
    expect(new Set(received).size).toBe(received.length);
    expect(received.sort()).toEqual(rows.filter((row) => row.status === 'sent').map((row) => row.email).sort());
  }

  it('pauses itself on a hard-bounce spike before 700 more attempts, says why, and finishes on resume with nobody lost or doubled', { timeout: 180_000 }, async () => {
    const readers = 1500;
    await insertReaders(test.runtime.database.sql, readers);
    // 6 % of the list is gone, spread evenly (3 in every 50): 550 5.1.1 at RCPT, a hard bounce each.
    const gone = (n: number) => [0, 17, 34].includes(n % 50);
    smtp.setRecipientPolicy((address) => (gone(readerNumber(address)) ? { code: 550, message: '5.1.1 User unknown' } : undefined));
    await startSendingWorkers();
    const runId = await sendNow();

    await waitForStatus(runId, 'paused');
    await waitForQuiet(runId);
    const atPause = await deliveryCounts(runId);
    const attempts = (atPause.sent ?? 0) + (atPause.failed ?? 0);
    // The rate first passes 5 % at the 500th attempt; batches in flight then finish, no more.
    expect(attempts).toBeGreaterThanOrEqual(500);
    expect(attempts).toBeLessThan(500 + 700);
    expect(atPause.queued).toBe(readers - attempts);
    expect(smtp.messages).toHaveLength(atPause.sent ?? 0);

    const paused = await editionRun(runId);
    expect(paused).toMatchObject({ status: 'paused', hardBounces: atPause.failed, complaints: 0 });
    expect(paused.pausedReason).toMatch(/^hard bounces at \d+(\.\d+)? % \(\d+ of \d+ attempts\), over the 5 % limit$/);
    const metrics = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics.get(`paperboy_send_run_paused{run_id="${runId}",edition="${DATE}"}`)).toBe(1);
    expect(metrics.get('paperboy_bounces_total{kind="hard"}')).toBeGreaterThan(0);

    const resumed = await app.inject({ method: 'POST', url: `/admin/runs/${runId}/resume`, headers: ADMIN });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json().run).toMatchObject({ id: runId, status: 'sending' });
    await waitForStatus(runId, 'completed');

    const done = await deliveryCounts(runId);
    expect(done).toEqual({ sent: 1410, failed: 90 });
    await expectLedgerWhole(runId, readers);
    // Every refused reader failed and is suppressed; nobody else was.
    const [suppressed] = await test.runtime.database.sql<{ count: string }[]>`select count(*) as count from suppressions`;
    expect(Number(suppressed!.count)).toBe(90);
    const audit = await test.runtime.database.sql<{ actor: string; action: string; target: string }[]>`
      select actor, action, target from admin_audit_log where action like 'runs.%'`;
    expect(audit).toEqual([{ actor: 'ops', action: 'runs.resume', target: String(runId) }]);
  });

  it('holds a run paused by hand mid-send, sends nothing while paused, and finishes it on resume', { timeout: 180_000 }, async () => {
    const readers = 1000;
    await insertReaders(test.runtime.database.sql, readers);
    let runId = 0;
    let pausing: Promise<{ statusCode: number }> | undefined;
    // The operator pauses once the 200th reader's RCPT arrives: mid-send, whatever the speed.
    let seen = 0;
    smtp.setRecipientPolicy(() => {
      if (++seen === 200) pausing = app.inject({ method: 'POST', url: `/admin/runs/${runId}/pause`, headers: ADMIN, payload: { reason: 'checking the template' } });
      return undefined;
    });
    await startSendingWorkers();
    runId = await sendNow();

    await waitForStatus(runId, 'paused');
    expect((await pausing)?.statusCode).toBe(200);
    await waitForQuiet(runId);
    const atPause = await deliveryCounts(runId);
    expect(atPause.queued).toBeGreaterThan(0);
    expect(smtp.messages).toHaveLength(atPause.sent!);
    expect(await editionRun(runId)).toMatchObject({ status: 'paused', pausedReason: 'paused by ops: checking the template' });

    // `cli send` stops waiting for a paused run and says why (its caller exits 1).
    await expect(workSendRun(test.runtime, runId, { progress: () => {}, waiting: () => {}, recovered: () => {} })).rejects.toThrow(
      new RegExp(`^send run ${runId} paused \\(paused by ops: checking the template\\); \\d+ of 1000 deliveries settled`),
    );
    // The schedule starts no run of an edition whose run is paused.
    expect(await startScheduledRuns(test.runtime)).toEqual([]);
    // Lost jobs are not rebuilt for a paused run: reconcile leaves its deliveries alone.
    const reconciled = await reconcile(test.runtime, { settleMs: 0 });
    expect(reconciled.deliveriesRequeued).toBe(0);
    // Pausing twice names the state.
    const again = await app.inject({ method: 'POST', url: `/admin/runs/${runId}/pause`, headers: ADMIN });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatch(/is paused: only a run that is fanning_out or sending can be paused/);

    expect((await app.inject({ method: 'POST', url: `/admin/runs/${runId}/resume`, headers: ADMIN })).statusCode).toBe(200);
    await waitForStatus(runId, 'completed');
    expect(await deliveryCounts(runId)).toEqual({ sent: readers });
    await expectLedgerWhole(runId, readers);
    const audit = await test.runtime.database.sql<{ action: string; params: unknown }[]>`
      select action, params from admin_audit_log where action like 'runs.%' order by id`;
    expect(audit).toEqual([
      { action: 'runs.pause', params: { reason: 'checking the template' } },
      { action: 'runs.resume', params: {} },
    ]);
  });

  it('cancels a run mid-send: what was left is skipped, saying so, and the run ends as cancelled', { timeout: 180_000 }, async () => {
    const readers = 1000;
    await insertReaders(test.runtime.database.sql, readers);
    let runId = 0;
    let cancelling: Promise<{ statusCode: number; json(): { skipped: number } }> | undefined;
    let seen = 0;
    smtp.setRecipientPolicy(() => {
      if (++seen === 200) cancelling = app.inject({ method: 'POST', url: `/admin/runs/${runId}/cancel`, headers: ADMIN });
      return undefined;
    });
    await startSendingWorkers();
    runId = await sendNow();

    await waitForStatus(runId, 'cancelled');
    const answer = await cancelling!;
    expect(answer.statusCode).toBe(200);
    expect(answer.json().skipped).toBeGreaterThan(0);
    await waitForQuiet(runId);
    const counts = await deliveryCounts(runId);
    expect(counts.skipped).toBeGreaterThanOrEqual(answer.json().skipped);
    expect((counts.sent ?? 0) + counts.skipped!).toBe(readers);
    await expectLedgerWhole(runId, readers);
    const reasons = await test.runtime.database.sql<{ last_error: string }[]>`
      select distinct last_error from deliveries where send_run_id = ${runId} and status = 'skipped'`;
    expect(reasons.map((row) => row.last_error).every((reason) => /^the run was cancelled/.test(reason))).toBe(true);
    expect(await editionRun(runId)).toMatchObject({ status: 'cancelled', progress: 1 });

    const resume = await app.inject({ method: 'POST', url: `/admin/runs/${runId}/resume`, headers: ADMIN });
    expect(resume.statusCode).toBe(409);
    expect(resume.json().error).toBe(`Send run ${runId} is cancelled: only a paused run can be resumed`);
    expect((await app.inject({ method: 'POST', url: `/admin/runs/${runId}/cancel`, headers: ADMIN })).statusCode).toBe(409);
    const unknown = await app.inject({ method: 'POST', url: '/admin/runs/999999/pause', headers: ADMIN });
    expect(unknown.statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/admin/runs/abc/pause', headers: ADMIN })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: `/admin/runs/${runId}/pause` })).statusCode).toBe(401);
    // The cancel is audited; the refused attempts after it changed nothing and left no entry.
    const audit = await test.runtime.database.sql`select actor, action, target, params from admin_audit_log where action like 'runs.%'`;
    expect(audit).toEqual([{ actor: 'ops', action: 'runs.cancel', target: String(runId), params: { skipped: answer.json().skipped } }]);
  });

  it('waits out throttling and quota replies (451 4.7.0, 421, 554 5.2.0 quota) and completes with no reader failed', { timeout: 180_000 }, async () => {
    const readers = 600;
    await insertReaders(test.runtime.database.sql, readers);
    let rcpt = 0;
    smtp.setRecipientPolicy(() => {
      rcpt += 1;
      if (rcpt > 100 && rcpt <= 110) return { code: 451, message: '4.7.0 Temporary rate limit, slow down' };
      if (rcpt > 250 && rcpt <= 255) return { code: 421, message: '4.7.0 Too many connections, try again later' };
      if (rcpt > 400 && rcpt <= 405) {
        return { code: 554, message: '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message' };
      }
      return undefined;
    });
    await startSendingWorkers();
    const runId = await sendNow();

    await waitForStatus(runId, 'completed');
    expect(await deliveryCounts(runId)).toEqual({ sent: readers });
    await expectLedgerWhole(runId, readers);
    const [suppressed] = await test.runtime.database.sql<{ count: string }[]>`select count(*) as count from suppressions`;
    expect(Number(suppressed!.count)).toBe(0);
    const metrics = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics.get('paperboy_emails_deferred_total')).toBeGreaterThan(0);
    expect(metrics.get('paperboy_emails_failed_total{reason="permanent-message"}')).toBe(0);
  });
});
