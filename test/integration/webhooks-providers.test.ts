import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import {
  basicAuth,
  mailgunComplained,
  mailgunFailed,
  mailgunSignature,
  postmarkBounce,
  postmarkSpamComplaint,
  sendgridEvent,
  sendgridKeys,
  sendgridSignatureHeaders,
} from '../helpers/provider-webhooks.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * The provider webhooks end to end: digests go out through the real send path to an SMTP sink,
 * then Postmark, SendGrid and Mailgun events about them (their documented payloads, signed with
 * keys made here) are posted to the running API, and Postgres shows what they did, or that a
 * forged, stale or replayed one did nothing.
 */

const DAY = '2024-03-21';
const POSTMARK_CREDENTIALS = 'postmark:webhook-password-for-tests';
const MAILGUN_KEY = 'mailgun-signing-key-for-tests-0123456789';
const MINUTE = 60_000;

describe('provider webhooks', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let workers: WorkerHost;
  let app: App;
  const sendgrid = sendgridKeys();

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('webhooks', {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Paperboy <papers@paperboy.test>',
      POSTMARK_WEBHOOK_CREDENTIALS: POSTMARK_CREDENTIALS,
      SENDGRID_WEBHOOK_PUBLIC_KEY: sendgrid.publicKeyBase64,
      MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY,
    });
    await importFixtureDay(test.runtime, DAY);
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
    app = await buildApp(runtime);
  });
  afterEach(async () => {
    smtp.messages.length = 0;
    await test.runtime.database.sql`truncate subscribers, send_runs, deliveries, suppressions, mail_events cascade`;
  });
  afterAll(async () => {
    await app?.close();
    await workers?.close(5000);
    await test?.cleanup();
    await smtp?.close();
  });

  const sql = () => test.runtime.database.sql;

  /** Sends the edition to `count` new readers through the real send path; the run id and each reader's copy. */
  async function sendToReaders(count: number): Promise<{ runId: number; mailTo: (address: string) => ReceivedMail }> {
    await insertReaders(sql(), count);
    const run = await startManualSend(test.runtime, DAY, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(sql(), run.id))?.status === 'completed', 60_000);
    expect(smtp.messages).toHaveLength(count);
    return {
      runId: run.id,
      mailTo: (address) => {
        const mail = smtp.messages.find((received) => received.recipients.includes(address));
        if (!mail) throw new Error(`no message to ${address}`);
        return mail;
      },
    };
  }

  async function suppressionOf(address: string) {
    const [row] = await sql()<{ reason: string; detail: string }[]>`select reason, detail from suppressions where email_hash = ${suppressionHash(address)}`;
    return row;
  }
  async function deliveryStatusOf(mail: ReceivedMail) {
    const [row] = await sql()<{ status: string }[]>`select status from deliveries where id = ${/^<digest\.([0-9]+)\./.exec(mail.parsed.messageId!)![1]!}`;
    return row?.status;
  }
  async function readerStatus(address: string) {
    const [row] = await sql()<{ status: string }[]>`select status from subscribers where email_normalized = ${address}`;
    return row?.status;
  }
  async function runCounters(runId: number) {
    const [row] = await sql()<{ hard_bounces: number; complaints: number }[]>`select hard_bounces, complaints from send_runs where id = ${runId}`;
    return row;
  }
  /** Everything a refused request must leave as it was. */
  async function ledgerState() {
    const [events] = await sql()<{ count: string }[]>`select count(*) as count from mail_events`;
    const [suppressed] = await sql()<{ count: string }[]>`select count(*) as count from suppressions`;
    const statuses = await sql()<{ status: string; count: string }[]>`select status, count(*) as count from deliveries group by status order by status`;
    return { events: Number(events!.count), suppressions: Number(suppressed!.count), deliveries: statuses.map((row) => `${row.status}:${row.count}`) };
  }

  describe('Postmark (basic auth)', () => {
    /** `null` credentials: no Authorization header at all. */
    const post = (body: unknown, credentials: string | null = POSTMARK_CREDENTIALS) =>
      app.inject({ method: 'POST', url: '/webhooks/postmark', headers: credentials === null ? {} : { authorization: basicAuth(credentials) }, payload: body as object });

    it('a hard bounce suppresses the reader it names and marks their digest bounced, once however often it comes', async () => {
      const { runId, mailTo } = await sendToReaders(2);
      const bounce = postmarkBounce({ id: 4323372036854775807, email: 'reader-1@example.org', bouncedAt: new Date().toISOString() });
      const answer = await post(bounce);
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ applied: 1, duplicates: 0, unknown: 0, ignored: 0 });
      expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce', detail: expect.stringMatching(/^HardBounce smtp;550 5\.1\.1/) });
      expect((await suppressionOf('reader-1@example.org'))!.detail).not.toContain('reader-1@example.org');
      expect(await deliveryStatusOf(mailTo('reader-1@example.org'))).toBe('bounced');
      expect(await runCounters(runId)).toEqual({ hard_bounces: 1, complaints: 0 });

      const before = await ledgerState();
      const again = await post(bounce);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ applied: 0, duplicates: 1 });
      expect(await ledgerState()).toEqual(before);
      expect(await runCounters(runId)).toEqual({ hard_bounces: 1, complaints: 0 });
      expect(await suppressionOf('reader-2@example.org')).toBeUndefined();
    });

    it('a spam complaint unsubscribes and suppresses the reader', async () => {
      const { runId } = await sendToReaders(1);
      const answer = await post(postmarkSpamComplaint({ id: 99, email: 'READER-1@example.org', bouncedAt: new Date().toISOString() }));
      expect(answer.json()).toMatchObject({ applied: 1 });
      expect(await readerStatus('reader-1@example.org')).toBe('unsubscribed');
      expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'complaint' });
      expect(await runCounters(runId)).toEqual({ hard_bounces: 0, complaints: 1 });
    });

    it('refuses wrong or missing credentials with 401 and changes nothing', async () => {
      await sendToReaders(1);
      const before = await ledgerState();
      const bounce = postmarkBounce({ id: 1, email: 'reader-1@example.org', bouncedAt: new Date().toISOString() });
      for (const credentials of ['postmark:wrong-password', 'other:webhook-password-for-tests', null]) {
        const answer = await post(bounce, credentials);
        expect(answer.statusCode).toBe(401);
        expect(answer.headers['www-authenticate']).toMatch(/^Basic realm=/);
        expect(answer.json().error).toMatch(/basic-auth credentials/);
      }
      expect(await ledgerState()).toEqual(before);
      expect(await readerStatus('reader-1@example.org')).toBe('confirmed');
    });

    it('answers 200 for an address of no reader and for records it does not act on, 400 naming a malformed one', async () => {
      expect((await post(postmarkBounce({ id: 5, email: 'stranger@example.org' }))).json()).toEqual({ applied: 0, duplicates: 0, unknown: 1, ignored: 0 });
      expect((await post({ RecordType: 'Delivery', MessageID: 'x', Recipient: 'a@b.c' })).json()).toMatchObject({ ignored: 1 });
      expect((await post(postmarkBounce({ id: 6, email: 'a@example.org', type: 'Transient' }))).json()).toMatchObject({ ignored: 1 });
      const malformed = await post({ RecordType: 'Bounce', ID: 'seven' });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error).toMatch(/^Not a Postmark webhook record: Bounce record: "ID"/);
      const notJson = await app.inject({
        method: 'POST',
        url: '/webhooks/postmark',
        headers: { authorization: basicAuth(POSTMARK_CREDENTIALS), 'content-type': 'application/json' },
        payload: '{"RecordType":',
      });
      expect(notJson.statusCode).toBe(400);
    });
  });

  describe('SendGrid (signed Event Webhook)', () => {
    const post = (body: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/webhooks/sendgrid', headers: { 'content-type': 'application/json', ...headers }, payload: body });
    const signedPost = (body: string, at = new Date(), keys = sendgrid) => post(body, sendgridSignatureHeaders(keys, body, at));

    it('a signed batch applies its bounce and its complaint, found by Message-ID, and a replay of it changes nothing', async () => {
      const { runId, mailTo } = await sendToReaders(3);
      const bounced = mailTo('reader-1@example.org');
      const complained = mailTo('reader-2@example.org');
      // The exact bytes are signed: SendGrid's own spacing is kept.
      const body = JSON.stringify(
        [
          sendgridEvent.other('delivered', { email: 'reader-1@example.org', smtpId: bounced.parsed.messageId!, eventId: 'sg-0' }),
          sendgridEvent.bounce({ email: 'reader-1@example.org', smtpId: bounced.parsed.messageId!, eventId: 'sg-1', timestamp: Math.floor(Date.now() / 1000) }),
          sendgridEvent.spamreport({ email: 'reader-2@example.org', smtpId: complained.parsed.messageId!, eventId: 'sg-2', timestamp: Math.floor(Date.now() / 1000) }),
        ],
        null,
        1,
      );
      const answer = await signedPost(body);
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ applied: 2, duplicates: 0, unknown: 0, ignored: 1 });
      expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce' });
      expect(await deliveryStatusOf(bounced)).toBe('bounced');
      expect(await readerStatus('reader-2@example.org')).toBe('unsubscribed');
      expect(await suppressionOf('reader-2@example.org')).toMatchObject({ reason: 'complaint' });
      expect(await runCounters(runId)).toEqual({ hard_bounces: 1, complaints: 1 });

      const before = await ledgerState();
      const replay = await signedPost(body);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual({ applied: 0, duplicates: 2, unknown: 0, ignored: 1 });
      expect(await ledgerState()).toEqual(before);
      expect(await suppressionOf('reader-3@example.org')).toBeUndefined();
    });

    it('refuses a forged, changed, stale or unsigned batch and changes nothing', async () => {
      const { mailTo } = await sendToReaders(1);
      const before = await ledgerState();
      const body = JSON.stringify([sendgridEvent.bounce({ email: 'reader-1@example.org', smtpId: mailTo('reader-1@example.org').parsed.messageId!, eventId: 'sg-9' })]);

      const forged = await signedPost(body, new Date(), sendgridKeys());
      expect(forged.statusCode).toBe(403);
      expect(forged.json().error).toMatch(/does not verify with SENDGRID_WEBHOOK_PUBLIC_KEY/);
      const changed = await post(body.replace('sg-9', 'sg-8'), sendgridSignatureHeaders(sendgrid, body, new Date()));
      expect(changed.statusCode).toBe(403);
      const stale = await signedPost(body, new Date(Date.now() - 11 * MINUTE));
      expect(stale.statusCode).toBe(403);
      expect(stale.json().error).toMatch(/more than 10 minutes/);
      const unsigned = await post(body, {});
      expect(unsigned.statusCode).toBe(401);
      expect(unsigned.json().error).toMatch(/x-twilio-email-event-webhook-signature/);

      expect(await ledgerState()).toEqual(before);
    });

    it('answers 400 naming the problem for a signed body that is not an event batch, whatever its content type', async () => {
      const object = await signedPost('{"event":"bounce"}');
      expect(object.statusCode).toBe(400);
      expect(object.json().error).toBe('Not a SendGrid event batch: the body must be a JSON array of events');
      const text = '[{"event": "bounce",';
      const plain = await app.inject({ method: 'POST', url: '/webhooks/sendgrid', headers: { 'content-type': 'text/plain', ...sendgridSignatureHeaders(sendgrid, text, new Date()) }, payload: text });
      expect(plain.statusCode).toBe(400);
      expect(plain.json().error).toMatch(/not valid JSON/);
    });
  });

  describe('Mailgun (HMAC signature, each token once)', () => {
    const post = (body: unknown) => app.inject({ method: 'POST', url: '/webhooks/mailgun', payload: body as object });
    const bare = (messageId: string) => messageId.replace(/^<|>$/g, '');

    it('a permanent failure suppresses the reader and marks the digest bounced; the same event again under a new token is applied once', async () => {
      const { runId, mailTo } = await sendToReaders(2);
      const mail = mailTo('reader-2@example.org');
      const event = mailgunFailed({ id: 'G9Bn5sl1TC6nu79C8C0bwg', recipient: 'reader-2@example.org', messageId: bare(mail.parsed.messageId!), timestamp: Date.now() / 1000 });
      const answer = await post({ signature: mailgunSignature(MAILGUN_KEY, new Date()), 'event-data': event });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ applied: 1, duplicates: 0, unknown: 0, ignored: 0 });
      expect(await suppressionOf('reader-2@example.org')).toMatchObject({ reason: 'hard_bounce' });
      expect(await deliveryStatusOf(mail)).toBe('bounced');
      expect(await runCounters(runId)).toEqual({ hard_bounces: 1, complaints: 0 });

      const before = await ledgerState();
      const retried = await post({ signature: mailgunSignature(MAILGUN_KEY, new Date()), 'event-data': event });
      expect(retried.json()).toMatchObject({ applied: 0, duplicates: 1 });
      expect(await ledgerState()).toEqual(before);
      expect(await runCounters(runId)).toEqual({ hard_bounces: 1, complaints: 0 });
    });

    it('a complaint unsubscribes and suppresses the reader', async () => {
      const { mailTo } = await sendToReaders(1);
      const event = mailgunComplained({ id: '-Agny091SquKnsrW2NEKUA', recipient: 'reader-1@example.org', messageId: bare(mailTo('reader-1@example.org').parsed.messageId!) });
      expect((await post({ signature: mailgunSignature(MAILGUN_KEY, new Date()), 'event-data': event })).json()).toMatchObject({ applied: 1 });
      expect(await readerStatus('reader-1@example.org')).toBe('unsubscribed');
      expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'complaint' });
    });

    it('refuses a forged, stale or replayed request and changes nothing', async () => {
      const { mailTo } = await sendToReaders(2);
      const failedFor = (address: string, id: string) =>
        mailgunFailed({ id, recipient: address, messageId: bare(mailTo(address).parsed.messageId!), timestamp: Date.now() / 1000 });

      // A genuine request for reader 1, taken once.
      const signature = mailgunSignature(MAILGUN_KEY, new Date());
      expect((await post({ signature, 'event-data': failedFor('reader-1@example.org', 'mg-1') })).statusCode).toBe(200);
      const before = await ledgerState();

      // Its signature replayed over another event (the signature does not cover event-data).
      const replayed = await post({ signature, 'event-data': failedFor('reader-2@example.org', 'mg-2') });
      expect(replayed.statusCode).toBe(403);
      expect(replayed.json().error).toMatch(/token was used before/);
      const forged = await post({ signature: mailgunSignature('not-the-signing-key-0123456789', new Date()), 'event-data': failedFor('reader-2@example.org', 'mg-3') });
      expect(forged.statusCode).toBe(403);
      expect(forged.json().error).toMatch(/does not verify with MAILGUN_WEBHOOK_SIGNING_KEY/);
      const stale = await post({ signature: mailgunSignature(MAILGUN_KEY, new Date(Date.now() - 11 * MINUTE)), 'event-data': failedFor('reader-2@example.org', 'mg-4') });
      expect(stale.statusCode).toBe(403);
      expect(stale.json().error).toMatch(/more than 10 minutes/);

      expect(await ledgerState()).toEqual(before);
      expect(await suppressionOf('reader-2@example.org')).toBeUndefined();
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/paperboy_bounce_reports_total\{source="mailgun",result="replayed"\} 1\b/);
      expect(metrics.body).toMatch(/paperboy_bounce_reports_total\{source="mailgun",result="forged"\} 1\b/);
      expect(metrics.body).toMatch(/paperboy_bounce_reports_total\{source="mailgun",result="stale"\} 1\b/);
    });

    it('answers 400 naming what is missing from a body that is not a signed event', async () => {
      const unsigned = await post({ 'event-data': mailgunComplained({ id: 'x', recipient: 'a@example.org', messageId: 'm@x' }) });
      expect(unsigned.statusCode).toBe(400);
      expect(unsigned.json().error).toMatch(/^Not a Mailgun webhook: "signature"/);
      const form = await app.inject({ method: 'POST', url: '/webhooks/mailgun', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'timestamp=1&token=a&signature=b' });
      expect(form.statusCode).toBe(400);
    });
  });
});

describe('provider webhooks left unconfigured', () => {
  let test: TestRuntime;
  let app: App;
  beforeAll(async () => {
    test = await createTestRuntime('webhooks-off');
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it.each([
    ['postmark', 'POSTMARK_WEBHOOK_CREDENTIALS'],
    ['sendgrid', 'SENDGRID_WEBHOOK_PUBLIC_KEY'],
    ['mailgun', 'MAILGUN_WEBHOOK_SIGNING_KEY'],
  ])('/webhooks/%s answers 404 naming %s', async (provider, variable) => {
    const answer = await app.inject({ method: 'POST', url: `/webhooks/${provider}`, payload: { RecordType: 'Bounce' } });
    expect(answer.statusCode).toBe(404);
    expect(answer.json().error).toContain(`set ${variable}`);
  });
});
