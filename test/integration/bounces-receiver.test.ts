import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../services/api/app.js';
import { DEFAULT_BOUNCE_LIMITS, startBounceServer, type BounceServer } from '../../services/bounces/bounce-server.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { markDeliveriesSent } from '../../services/core/sending/delivery-repo.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { returnPathAddress } from '../../services/core/platform/tokens/return-path.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { bounceFixture } from '../helpers/bounce-fixtures.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { startReaderMailWorker } from '../helpers/readers.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { deliverOverSmtp } from '../helpers/smtp-client.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * The bounce receiver end to end: digests go out with VERP return paths to a real SMTP sink,
 * reports come back over SMTP to the running receiver, and Postgres shows what they did.
 */

const DOMAIN = 'bounces.paperboy.test';
const DAYS = ['2024-03-21', '2026-02-03', '2026-08-13'] as const;

describe('the bounce receiver', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let workers: WorkerHost;
  let receiver: BounceServer;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    const port = await freePort();
    test = await createTestRuntime(
      'bounces',
      { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>', BOUNCE_DOMAIN: DOMAIN, BOUNCE_SMTP_PORT: String(port), HOST: '127.0.0.1', ADMIN_TOKEN: 'bounces-admin-token' },
      { clock: () => new Date('2026-08-14T07:00:00Z') },
    );
    for (const day of DAYS) await importFixtureDay(test.runtime, day);
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
    // Every report here comes from 127.0.0.1: the per-client rate (its own test below) must not
    // decide the other tests' answers.
    receiver = await startBounceServer(runtime, { limits: { ...DEFAULT_BOUNCE_LIMITS, perClientPerMinute: 100_000 } });
  });
  afterEach(async () => {
    smtp.messages.length = 0;
    await test.runtime.database.sql`truncate subscribers, send_runs, deliveries, suppressions, mail_events cascade`;
  });
  afterAll(async () => {
    await receiver?.close();
    await workers?.close(5000);
    await test?.cleanup();
    await smtp?.close();
  });

  const sql = () => test.runtime.database.sql;

  /** Sends an edition to every confirmed reader who has not had it; resolves with the run id once done. */
  async function sendEdition(day: string): Promise<number> {
    const before = smtp.messages.length;
    const run = await startManualSend(test.runtime, day, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(sql(), run.id))?.status === 'completed', 60_000);
    expect(smtp.messages.length).toBeGreaterThan(before);
    return run.id;
  }

  function messageTo(address: string, from = 0): ReceivedMail {
    const found = smtp.messages.slice(from).find((mail) => mail.recipients.includes(address));
    if (!found) throw new Error(`no message to ${address}`);
    return found;
  }

  async function reportFor(mail: ReceivedMail, fixture: string, to: string = mail.sender) {
    const raw = bounceFixture(fixture, { returnPath: mail.sender, messageId: mail.parsed.messageId, recipient: mail.recipients[0] });
    return deliverOverSmtp(receiver.port, to, raw);
  }

  async function suppressionOf(address: string) {
    const [row] = await sql()<{ reason: string; detail: string }[]>`select reason, detail from suppressions where email_hash = ${suppressionHash(address)}`;
    return row;
  }

  /** The delivery a copy was sent for: its Message-ID carries the delivery id (`<digest.{id}.{installation}@...>`). */
  async function deliveryOf(mail: ReceivedMail) {
    const id = /^<digest\.([0-9]+)\./.exec(mail.parsed.messageId!)![1]!;
    const [row] = await sql()<{ id: string; status: string }[]>`select id, status from deliveries where id = ${id}`;
    return row;
  }

  async function runCounters(runId: number) {
    const [row] = await sql()<{ hard_bounces: number; soft_bounces: number; complaints: number }[]>`
      select hard_bounces, soft_bounces, complaints from send_runs where id = ${runId}`;
    return row;
  }

  const eventCount = async () => Number((await sql()<{ count: string }[]>`select count(*) as count from mail_events`)[0]!.count);

  it('suppresses a reader whose digest hard-bounced, once however often the report comes, and the next edition skips them', async () => {
    await insertReaders(sql(), 3);
    const runId = await sendEdition(DAYS[0]);
    // Every copy has its own signed return path; From stays MAIL_FROM.
    const senders = smtp.messages.map((mail) => mail.sender);
    expect(new Set(senders).size).toBe(3);
    for (const sender of senders) expect(sender).toMatch(/^bounces\+d[0-9a-z]+-[0-9a-f]{16}@bounces\.paperboy\.test$/);
    expect(smtp.messages[0]!.parsed.from?.value[0]?.address).toBe('papers@paperboy.test');

    const bounced = messageTo('reader-2@example.org');
    expect(await reportFor(bounced, 'postfix-user-unknown.eml')).toMatchObject({ accepted: true, code: 250 });
    expect(await suppressionOf('reader-2@example.org')).toMatchObject({ reason: 'hard_bounce', detail: expect.stringMatching(/^5\.1\.1 550 5\.1\.1/) });
    expect((await suppressionOf('reader-2@example.org'))!.detail).not.toContain('reader-2@example.org');
    expect(await deliveryOf(bounced)).toMatchObject({ status: 'bounced' });
    expect(await runCounters(runId)).toEqual({ hard_bounces: 1, soft_bounces: 0, complaints: 0 });

    // The same report again (the sender did not see our 250), and the same bounce from another MTA's report.
    expect(await reportFor(bounced, 'postfix-user-unknown.eml')).toMatchObject({ accepted: true });
    expect(await eventCount()).toBe(1);
    expect(await reportFor(bounced, 'exim-user-unknown.eml')).toMatchObject({ accepted: true });
    expect(await eventCount()).toBe(2);
    expect(await runCounters(runId)).toEqual({ hard_bounces: 1, soft_bounces: 0, complaints: 0 });
    for (const other of ['reader-1@example.org', 'reader-3@example.org']) expect(await suppressionOf(other)).toBeUndefined();

    const from = smtp.messages.length;
    await sendEdition(DAYS[1]);
    expect(smtp.messages.slice(from).map((mail) => mail.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-3@example.org']);
  });

  it('counts a hard bounce that overtakes the worker\'s sent mark: the late mark keeps the delivery bounced', async () => {
    await insertReaders(sql(), 1);
    const runId = await sendEdition(DAYS[0]);
    const mail = messageTo('reader-1@example.org');
    // Back to the moment between the relay's 250 and the worker's write of the sent mark.
    const [claim] = await sql()<{ id: string; edition_id: string; claimed_by: string }[]>`
      update deliveries set status = 'claimed', sent_at = null, claimed_by = 'job-1/overtaken'
      where id = ${(await deliveryOf(mail))!.id} returning id, edition_id, claimed_by`;
    expect(await reportFor(mail, 'postfix-user-unknown.eml')).toMatchObject({ accepted: true });
    expect(await runCounters(runId)).toMatchObject({ hard_bounces: 1 });

    await markDeliveriesSent(sql(), [{ id: Number(claim!.id), editionId: Number(claim!.edition_id), token: claim!.claimed_by }]);
    const [row] = await sql()<{ status: string; sent_at: Date | null; last_error: string }[]>`
      select status, sent_at, last_error from deliveries where id = ${claim!.id}`;
    expect(row).toMatchObject({ status: 'bounced', last_error: expect.stringMatching(/^5\.1\.1/) });
    expect(row!.sent_at).not.toBeNull();
    expect(await deliveryOf(mail)).toMatchObject({ status: 'bounced' });
    expect(await runCounters(runId)).toEqual({ hard_bounces: 1, soft_bounces: 0, complaints: 0 });
  });

  it.each(['gmail-no-such-user.eml', 'outlook-recipient-not-found.eml', 'postfix-yahoo-no-account.eml', 'rfc3464-multi-recipient.eml'])(
    'takes %s as a hard bounce',
    async (fixture) => {
      await insertReaders(sql(), 1);
      const runId = await sendEdition(DAYS[0]);
      const mail = messageTo('reader-1@example.org');
      expect(await reportFor(mail, fixture)).toMatchObject({ accepted: true });
      expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce' });
      expect(await runCounters(runId)).toMatchObject({ hard_bounces: 1 });
    },
  );

  it('unsubscribes and suppresses a reader who complained, from a feedback loop report sent to any address of the domain', async () => {
    const [reader] = await insertReaders(sql(), 2);
    const runId = await sendEdition(DAYS[0]);
    const mail = messageTo('reader-1@example.org');
    expect(await reportFor(mail, 'yahoo-arf-complaint.eml', `fbl@${DOMAIN}`)).toMatchObject({ accepted: true });
    expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'complaint' });
    const [row] = await sql()<{ status: string }[]>`select status from subscribers where id = ${reader!}`;
    expect(row?.status).toBe('unsubscribed');
    expect(await runCounters(runId)).toEqual({ hard_bounces: 0, soft_bounces: 0, complaints: 1 });
    // A complaint is not a bounce: the digest was delivered.
    expect(await deliveryOf(mail)).toMatchObject({ status: 'sent' });
    // The same complaint through another loop counts once on the run.
    expect(await reportFor(mail, 'outlook-jmrp-complaint.eml', `fbl@${DOMAIN}`)).toMatchObject({ accepted: true });
    expect(await runCounters(runId)).toMatchObject({ complaints: 1 });
    expect(await suppressionOf('reader-2@example.org')).toBeUndefined();
    // What the operator sees of the run.
    const app = await buildApp(test.runtime);
    try {
      const view = await app.inject({ method: 'GET', url: `/admin/editions/${DAYS[0]}`, headers: { authorization: 'Bearer bounces-admin-token' } });
      expect(view.statusCode).toBe(200);
      expect(view.json().edition.runs).toEqual([
        expect.objectContaining({ id: runId, status: 'completed', hardBounces: 0, softBounces: 0, complaints: 1, deliveries: expect.objectContaining({ sent: 2, bounced: 0 }) }),
      ]);
    } finally {
      await app.close();
    }
  });

  it('suppresses after three soft bounces in a row across editions, reported in any order, and not when a digest went through between', async () => {
    await insertReaders(sql(), 2);
    const runs: number[] = [];
    const mails: Array<Record<string, ReceivedMail>> = [];
    for (const day of DAYS) {
      const from = smtp.messages.length;
      runs.push(await sendEdition(day));
      mails.push({ full: messageTo('reader-1@example.org', from), flaky: messageTo('reader-2@example.org', from) });
    }
    // reader-1's mailbox is full for all three; reader-2's for the first and the last only.
    expect(await reportFor(mails[2]!.full!, 'postfix-mailbox-full.eml')).toMatchObject({ accepted: true });
    expect(await reportFor(mails[0]!.full!, 'postfix-gmail-over-quota-expired.eml')).toMatchObject({ accepted: true });
    expect(await suppressionOf('reader-1@example.org')).toBeUndefined();
    expect(await reportFor(mails[1]!.full!, 'rfc3464-simple.eml')).toMatchObject({ accepted: true });
    expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce', detail: expect.stringMatching(/^3 soft bounces in a row/) });

    expect(await reportFor(mails[0]!.flaky!, 'postfix-mailbox-full.eml')).toMatchObject({ accepted: true });
    expect(await reportFor(mails[2]!.flaky!, 'postfix-mailbox-full.eml')).toMatchObject({ accepted: true });
    expect(await suppressionOf('reader-2@example.org')).toBeUndefined();

    const streaks = await sql()<{ email: string; soft_bounce_streak: number }[]>`select email, soft_bounce_streak from subscribers order by id`;
    expect(streaks.map((row) => row.soft_bounce_streak)).toEqual([3, 1]);
    for (const runId of runs) expect(await runCounters(runId)).toMatchObject({ hard_bounces: 0, soft_bounces: runId === runs[1] ? 1 : 2 });
  });

  it('sends a confirmation from a bounce address naming the reader; its hard bounce suppresses the address', async () => {
    const worker = await startReaderMailWorker(test.runtime);
    try {
      const outcome = await test.runtime.subscriptions.subscribe({ email: 'typo@example.org' }, { ip: null, userAgent: null, source: 'api' });
      expect(outcome).toBe('created');
      const [mail] = await smtp.waitForMessages(1);
      expect(mail!.sender).toMatch(/^bounces\+c[0-9a-z]+-[0-9a-f]{16}@bounces\.paperboy\.test$/);
      expect(mail!.parsed.from?.value[0]?.address).toBe('papers@paperboy.test');
      expect(await reportFor(mail!, 'gmail-no-such-user.eml')).toMatchObject({ accepted: true });
      expect(await suppressionOf('typo@example.org')).toMatchObject({ reason: 'hard_bounce' });
      const [event] = await sql()<{ kind: string; delivery_id: string | null }[]>`select kind, delivery_id from mail_events`;
      expect(event).toEqual({ kind: 'hard_bounce', delivery_id: null });
    } finally {
      await worker.close();
    }
  });

  it('refuses mail for any other domain at RCPT: it never relays', async () => {
    const answer = await deliverOverSmtp(receiver.port, 'someone@example.com', 'Subject: relay me\r\n\r\nhello\r\n', 'spammer@example.net');
    expect(answer).toMatchObject({ accepted: false, code: 550 });
    expect(answer.response).toContain('Relay access denied');
  });

  it('refuses a bounce address with a forged token at RCPT, and a forged report suppresses nobody', async () => {
    await insertReaders(sql(), 1);
    await sendEdition(DAYS[0]);
    const mail = messageTo('reader-1@example.org');
    const forged = mail.sender.replace(/-[0-9a-f]{16}@/, '-0123456789abcdef@');
    expect(await reportFor({ ...mail, sender: forged }, 'postfix-user-unknown.eml')).toMatchObject({ accepted: false, code: 550 });
    // The token of another installation (another SECRET_KEY) is forged too, however well-formed.
    const elsewhere = returnPathAddress('another-installation-secret-key', DOMAIN, { kind: 'delivery', deliveryId: Number((await deliveryOf(mail))!.id) });
    expect(await reportFor({ ...mail, sender: elsewhere }, 'postfix-user-unknown.eml')).toMatchObject({ accepted: false, code: 550 });
    // A report sent to a plain address of the domain, naming the reader's Message-ID and quoting
    // a forged return path, names nobody either.
    const raw = bounceFixture('postfix-user-unknown.eml', { returnPath: forged, messageId: mail.parsed.messageId, recipient: 'reader-1@example.org' });
    expect(await deliverOverSmtp(receiver.port, `postmaster@${DOMAIN}`, raw)).toMatchObject({ accepted: true });
    expect(await suppressionOf('reader-1@example.org')).toBeUndefined();
    expect(await eventCount()).toBe(0);
  });

  it('takes hostile input without a crash or a change, and logs each refusal with its reason: too big, malformed, auto-replies, a delivery that does not exist, a forged token', async () => {
    await insertReaders(sql(), 1);
    const runId = await sendEdition(DAYS[0]);
    const mail = messageTo('reader-1@example.org');
    // A receiver of its own, to read what it logs.
    const lines: Array<{ level: number; msg: string; reason?: string }> = [];
    const logged: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        for (const text of String(chunk).split('\n').filter(Boolean)) {
          logged.push(text);
          lines.push(JSON.parse(text) as { level: number; msg: string; reason?: string });
        }
        callback();
      },
    });
    const watched = await startBounceServer(
      { ...test.runtime, logger: createLogger({ level: 'info', destination }) },
      { port: 0, limits: { ...DEFAULT_BOUNCE_LIMITS, perClientPerMinute: 100_000 } },
    );
    try {
      const send = (to: string, raw: Buffer | string) => deliverOverSmtp(watched.port, to, raw);
      const report = (fixture: string, returnPath = mail.sender) =>
        send(returnPath, bounceFixture(fixture, { returnPath, messageId: mail.parsed.messageId, recipient: 'reader-1@example.org' }));

      const huge = Buffer.concat([bounceFixture('postfix-user-unknown.eml', { returnPath: mail.sender }), Buffer.alloc(2 * 1024 * 1024, 'x')]);
      expect(await send(mail.sender, huge)).toMatchObject({ accepted: false, code: 552 });
      const ignoredFixtures = ['malformed-mime.eml', 'gmail-vacation.eml', 'outlook-automatic-reply.eml', 'zimbra-autoreply-encoded-subject.eml', 'human-reply.eml', 'rfc3464-delayed.eml', 'postfix-outlook-blocklisted.eml'];
      for (const fixture of ignoredFixtures) expect(await report(fixture), fixture).toMatchObject({ accepted: true });
      // Broken over the wire as well as in the fixture: bytes that are no text, a report cut off
      // mid-part, multiparts nested without end.
      const cut = bounceFixture('postfix-user-unknown.eml', { returnPath: mail.sender, recipient: 'reader-1@example.org' });
      const malformed = [
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1').replace(/\r|\n|\./g, 'x'),
        cut.subarray(0, cut.indexOf('Action: failed')),
        `To: ${mail.sender}\r\nContent-Type: multipart/report; boundary=a\r\n\r\n${'--a\r\nContent-Type: multipart/report; boundary=a\r\n\r\n'.repeat(200)}`,
      ];
      for (const raw of malformed) expect(await send(mail.sender, raw)).toMatchObject({ accepted: true });
      const missing = returnPathAddress(test.config.secretKey, DOMAIN, { kind: 'delivery', deliveryId: 987_654_321 });
      expect(await report('postfix-user-unknown.eml', missing)).toMatchObject({ accepted: true });
      const forged = mail.sender.replace(/-[0-9a-f]{16}@/, '-0123456789abcdef@');
      expect(await report('postfix-user-unknown.eml', forged)).toMatchObject({ accepted: false, code: 550 });

      expect(await eventCount()).toBe(0);
      expect(await suppressionOf('reader-1@example.org')).toBeUndefined();
      expect(await deliveryOf(mail)).toMatchObject({ status: 'sent' });
      expect(await runCounters(runId)).toEqual({ hard_bounces: 0, soft_bounces: 0, complaints: 0 });

      // Each one logged once, with why, and never the reader's address.
      const count = (msg: string) => lines.filter((line) => line.msg === msg).length;
      expect(count('bounce receiver: message over the size limit, refused')).toBe(1);
      expect(count('bounce receiver: message ignored')).toBe(ignoredFixtures.length + malformed.length);
      expect(lines.filter((line) => line.msg === 'bounce receiver: message ignored').every((line) => (line.reason ?? '').length > 0)).toBe(true);
      expect(count('bounce receiver: hard_bounce not applied (unknown-message)')).toBe(1);
      expect(count('bounce receiver: refused a bounce address with a forged or malformed token')).toBe(1);
      expect(logged.filter((text) => text.includes('reader-1@example.org'))).toEqual([]);

      // Still up, and still doing its job.
      expect(await report('postfix-user-unknown.eml')).toMatchObject({ accepted: true });
      expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce' });
    } finally {
      await watched.close();
    }
  });

  it('refuses a client over its rate (connections and messages a minute) with 421, so it comes back later', async () => {
    const strict = await startBounceServer(test.runtime, { port: 0, limits: { ...DEFAULT_BOUNCE_LIMITS, perClientPerMinute: 3 } });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await deliverOverSmtp(strict.port, `postmaster@${DOMAIN}`, 'Subject: hello\r\n\r\nhi\r\n'));
      expect(answers.map((answer) => answer.code)).toEqual([250, 421, 421]);
    } finally {
      await strict.close();
    }
  });
});
