import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { startBounceServer, type BounceServer } from '../../services/bounces/bounce-server.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * Row "auto-pause on a bounce or complaint spike", end to end with nothing faked: the relay (the
 * SMTP sink) accepts every digest, and 6 % of the readers' mailboxes turn out not to exist only
 * afterwards, as with any relay or provider. A bounce script plays the remote mail servers: for
 * each of those messages it sends an RFC 3464 report (5.1.1) over SMTP to the message's envelope
 * sender, the VERP address, where the real bounce receiver (started as role `bounces` starts it)
 * takes it. The run must notice from those reports alone and pause itself.
 */

const BOUNCE_DOMAIN = 'bounces.paperboy.test';
const FIRST = '2026-02-03';
const NEXT = '2026-08-13';
const ADMIN = { authorization: 'Bearer ops-autopause-token' };
const READERS = 2000;
/** 3 in every 50 readers (6 %), spread evenly over the list: the hard-bounce share passes 5 % at the 500th attempt. */
const isGone = (address: string) => [0, 17, 34].includes(Number(/^reader-(\d+)@/.exec(address)?.[1]) % 50);
const GONE = Array.from({ length: READERS }, (_, i) => `reader-${i + 1}@example.org`).filter(isGone);
/** AUTO_PAUSE_MIN_ATTEMPTS and AUTO_PAUSE_HARD_BOUNCE_RATE, their defaults. */
const MIN_ATTEMPTS = 500;
const HARD_BOUNCE_RATE = 0.05;

/** The run's counters as the auto-pause reads them: hard bounces and attempts (sent, failed, bounced). */
interface RunSample {
  hardBounces: number;
  attempts: number;
}

/** A report as a Postfix relay writes one for a mailbox that does not exist: small, headers of the message only. */
function userUnknownReport(mail: ReceivedMail, mta: string): string {
  const recipient = mail.recipients[0]!;
  const boundary = `${mta}.report`;
  return [
    `From: MAILER-DAEMON@${mta} (Mail Delivery System)`,
    `To: ${mail.sender}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Date: Fri, 14 Aug 2026 07:00:00 +0000',
    `Message-ID: <bounce.${mail.parsed.messageId?.replace(/[<>]/g, '')}@${mta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `<${recipient}>: 550 5.1.1 User unknown`,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${mta}`,
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    `Return-Path: <${mail.sender}>`,
    `Message-ID: ${mail.parsed.messageId}`,
    `To: ${recipient}`,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/**
 * The remote mail servers behind the relay: each watches what the sink accepted and, for a
 * reader whose mailbox is gone, reports it to the message's envelope sender. Three of them, each
 * from its own loopback address with its own pooled connections, as three providers would be: the
 * receiver's per-client rate then sees what it would in production. After each report the
 * receiver accepted, it reads the run's counters, so the test knows when the share first passed.
 */
function startBounceScript(smtp: TestSmtpServer, receiverPort: number, sampleRun: () => Promise<RunSample | undefined>) {
  const mtas = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((localAddress, i) => ({
    name: `mx${i + 1}.remote.test`,
    transport: nodemailer.createTransport({
      host: '127.0.0.1',
      port: receiverPort,
      localAddress,
      pool: true,
      maxConnections: 2,
      secure: false,
      ignoreTLS: true,
      disableFileAccess: true,
      disableUrlAccess: true,
    }),
  }));
  const reported: string[] = [];
  const refused: string[] = [];
  const samples: RunSample[] = [];
  const inFlight = new Set<Promise<void>>();
  let seen = 0;
  let stopped = false;

  async function report(mail: ReceivedMail, mta: (typeof mtas)[number]) {
    try {
      await mta.transport.sendMail({ envelope: { from: '', to: mail.sender }, raw: userUnknownReport(mail, mta.name) });
      reported.push(mail.recipients[0]!);
      const sample = await sampleRun();
      if (sample) samples.push(sample);
    } catch (error) {
      refused.push(`${mail.recipients[0]}: ${(error as Error).message}`);
    }
  }

  const watching = (async () => {
    while (!stopped) {
      // Wakes as soon as the sink has more; a quiet sink only means another look shortly.
      await smtp.waitForMessages(seen + 1, 200).catch(() => undefined);
      for (; seen < smtp.messages.length; seen++) {
        const mail = smtp.messages[seen]!;
        if (!isGone(mail.recipients[0]!)) continue;
        const sending = report(mail, mtas[seen % mtas.length]!);
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
      }
    }
  })();

  return {
    reported,
    refused,
    samples,
    /** Resolves once every message the sink has got so far is looked at and its report answered. */
    async settled() {
      await waitUntil('the bounce script to catch up with the sink', () => seen === smtp.messages.length, 30_000);
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    async stop() {
      stopped = true;
      await watching;
      while (inFlight.size > 0) await Promise.all(inFlight);
      for (const mta of mtas) mta.transport.close();
    },
  };
}

describe('a run whose hard bounces come back after the 250', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let app: App;
  let workers: WorkerHost;
  let receiver: BounceServer;
  let script: ReturnType<typeof startBounceScript>;
  let runId = 0;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime(
      'bounces-autopause',
      {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Paperboy <papers@paperboy.test>',
        ADMIN_TOKEN: 'ops:ops-autopause-token',
        BOUNCE_DOMAIN,
        BOUNCE_SMTP_PORT: String(await freePort()),
        HOST: '127.0.0.1',
        // Fast, yet paced like a relay's quota, so that the reports (a few milliseconds each) keep
        // up with the sending on a busy 2-core machine as they would with a real relay.
        SMTP_RATE_LIMIT: '250',
      },
      { clock: () => new Date('2026-08-14T07:00:00Z') },
    );
    for (const day of [FIRST, NEXT]) await importFixtureDay(test.runtime, day);
    await insertReaders(test.runtime.database.sql, READERS);
    const runtime = test.runtime;
    // As services/main.ts starts role `bounces`: BOUNCE_SMTP_PORT, HOST, the default limits.
    receiver = await startBounceServer(runtime);
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
    app = await buildApp(runtime);
    script = startBounceScript(smtp, receiver.port, async () => {
      if (runId === 0) return undefined;
      const [row] = await test.runtime.database.sql<{ hard_bounces: number; attempts: string }[]>`
        select r.hard_bounces,
               (select count(*) from deliveries d where d.send_run_id = r.id and d.status in ('sent', 'failed', 'bounced')) as attempts
        from send_runs r where r.id = ${runId}`;
      return row && { hardBounces: row.hard_bounces, attempts: Number(row.attempts) };
    });
  });
  afterAll(async () => {
    await script?.stop();
    await workers?.close(5000);
    await receiver?.close();
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  const sql = () => test.runtime.database.sql;
  const statusOf = async (id: number) => (await findSendRun(sql(), id))?.status;

  async function send(day: string): Promise<number> {
    const response = await app.inject({ method: 'POST', url: `/admin/editions/${day}/send`, headers: ADMIN });
    expect(response.statusCode).toBe(202);
    return response.json().run.id as number;
  }

  async function deliveryCounts(id: number): Promise<Record<string, number>> {
    const rows = await sql()<{ status: string; count: string }[]>`
      select status, count(*) as count from deliveries where send_run_id = ${id} group by status`;
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  /** Copies the sink got, by recipient, from message `from` on. */
  function copiesByRecipient(from = 0): Map<string, number> {
    const copies = new Map<string, number>();
    for (const mail of smtp.messages.slice(from)) for (const recipient of mail.recipients) copies.set(recipient, (copies.get(recipient) ?? 0) + 1);
    return copies;
  }

  async function editionRun(day: string, id: number) {
    const view = await app.inject({ method: 'GET', url: `/admin/editions/${day}`, headers: ADMIN });
    expect(view.statusCode).toBe(200);
    return (view.json().edition.runs as Array<Record<string, unknown>>).find((run) => run.id === id)!;
  }

  async function prometheus(): Promise<Map<string, number>> {
    const samples = new Map<string, number>();
    for (const line of (await app.inject({ method: 'GET', url: '/metrics' })).body.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (match) samples.set(match[1]!, Number(match[2]));
    }
    return samples;
  }

  it('pauses itself before 700 more attempts once the reported hard bounces pass 5 %, and finishes on resume with nobody lost or doubled', { timeout: 120_000 }, async () => {
    runId = await send(FIRST);
    await waitUntil(`run ${runId} to pause itself`, async () => (await statusOf(runId)) === 'paused', 60_000);
    // Batches that were already sending finish; then every report of what they sent comes in.
    await waitUntil('in-flight batches to end', async () => {
      const jobs = await test.runtime.queues.deliver.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (await deliveryCounts(runId)).claimed === undefined && Object.values(jobs).every((count) => count === 0);
    }, 30_000);
    await script.settled();

    const atPause = await deliveryCounts(runId);
    const attemptsAtPause = (atPause.sent ?? 0) + (atPause.failed ?? 0) + (atPause.bounced ?? 0);
    // The first moment the run's own counters had the share over 5 % with at least 500 attempts,
    // read right after each report the receiver accepted (500 itself when the share was over
    // already as the 500th attempt was counted).
    const crossed = script.samples.find((s) => s.hardBounces / Math.max(s.attempts, MIN_ATTEMPTS) > HARD_BOUNCE_RATE);
    expect(crossed, 'the reported share passed 5 % over 500+ attempts').toBeDefined();
    const attemptsAtCrossing = Math.max(crossed!.attempts, MIN_ATTEMPTS);
    expect(attemptsAtPause - attemptsAtCrossing).toBeLessThan(700);
    // And in the list's terms: 6 % spread evenly passes 5 % at the 500th reader.
    expect(attemptsAtPause).toBeLessThan(MIN_ATTEMPTS + 700);
    expect(atPause.queued).toBe(READERS - attemptsAtPause);
    // The relay refused nobody: every bounce came back after the 250.
    expect(atPause.failed).toBeUndefined();
    expect(smtp.messages).toHaveLength(attemptsAtPause);
    expect(script.refused).toEqual([]);

    const paused = await editionRun(FIRST, runId);
    expect(paused).toMatchObject({ status: 'paused', hardBounces: atPause.bounced, complaints: 0 });
    expect(paused.deliveries).toMatchObject({ bounced: atPause.bounced, queued: atPause.queued });
    expect(paused.pausedReason).toMatch(/^hard bounces at \d+(\.\d+)? % \(\d+ of \d+ attempts\), over the 5 % limit$/);
    const metrics = await prometheus();
    expect(metrics.get(`paperboy_send_run_paused{run_id="${runId}",edition="${FIRST}"}`)).toBe(1);
    expect(metrics.get('paperboy_send_runs_paused_total{cause="hard-bounces"}')).toBe(1);
    expect(metrics.get('paperboy_bounces_total{kind="hard"}')).toBe(atPause.bounced);
    expect(metrics.get(`paperboy_bounce_reports_total{source="dsn",result="hard_bounce"}`)).toBe(atPause.bounced);
    const share = metrics.get(`paperboy_send_run_bounce_ratio{run_id="${runId}",edition="${FIRST}",kind="hard"}`);
    expect(share).toBeCloseTo(atPause.bounced! / attemptsAtPause, 6);
    expect(share).toBeGreaterThan(HARD_BOUNCE_RATE);
    expect(metrics.get(`paperboy_send_run_bounce_ratio{run_id="${runId}",edition="${FIRST}",kind="complaint"}`)).toBe(0);

    const resumed = await app.inject({ method: 'POST', url: `/admin/runs/${runId}/resume`, headers: ADMIN });
    expect(resumed.statusCode).toBe(200);
    await waitUntil(`run ${runId} to complete`, async () => (await statusOf(runId)) === 'completed', 60_000);
    await script.settled();

    // Nobody lost, nobody doubled: the sink got exactly one copy for each of the 2,000 readers.
    const copies = copiesByRecipient();
    expect(copies.size).toBe(READERS);
    expect([...copies.values()].filter((count) => count !== 1)).toEqual([]);
    // Every gone mailbox was reported, and each report counted once.
    expect(script.reported.sort()).toEqual([...GONE].sort());
    expect(await deliveryCounts(runId)).toEqual({ sent: READERS - GONE.length, bounced: GONE.length });
    expect(await editionRun(FIRST, runId)).toMatchObject({ status: 'completed', hardBounces: GONE.length, progress: 1 });

    const suppressed = await sql()<{ email_hash: string; reason: string }[]>`select email_hash, reason from suppressions`;
    expect(suppressed.map((row) => row.email_hash).sort()).toEqual(GONE.map(suppressionHash).sort());
    expect(new Set(suppressed.map((row) => row.reason))).toEqual(new Set(['hard_bounce']));
    const audit = await sql()<{ action: string; target: string }[]>`select action, target from admin_audit_log where action like 'runs.%'`;
    expect(audit).toEqual([{ action: 'runs.resume', target: String(runId) }]);
  });

  it('skips the bounced addresses in the next edition; everyone else gets one copy', { timeout: 60_000 }, async () => {
    const from = smtp.messages.length;
    const nextRun = await send(NEXT);
    await waitUntil(`run ${nextRun} to complete`, async () => (await statusOf(nextRun)) === 'completed', 60_000);
    await script.settled();

    const copies = copiesByRecipient(from);
    expect(GONE.filter((address) => copies.has(address))).toEqual([]);
    expect(copies.size).toBe(READERS - GONE.length);
    expect([...copies.values()].filter((count) => count !== 1)).toEqual([]);
    expect((await deliveryCounts(nextRun)).sent).toBe(READERS - GONE.length);
    expect(await editionRun(NEXT, nextRun)).toMatchObject({ status: 'completed', hardBounces: 0, pausedReason: null });
  });
});
