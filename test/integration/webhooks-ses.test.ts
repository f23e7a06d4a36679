import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import type { SnsMessage } from '../../services/core/bounces/providers/sns-signature.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { sesBounce, sesComplaint, sesDelivery } from '../helpers/ses-notifications.js';
import { createFakeSns, selfSignedCertificate, TEST_CERT_URL, type FakeSns } from '../helpers/sns.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * POST /webhooks/ses end to end: digests go out through the real send path to an SMTP sink with
 * VERP return paths, then SES notifications shaped as the SES guide's examples come back as SNS
 * messages signed with a key and self-signed certificate made here (served at an SNS URL by the
 * runtime's injected HttpGet), and Postgres shows what they did or that nothing changed.
 */

const DOMAIN = 'bounces.paperboy.test';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:paperboy-ses';
const OTHER_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:someone-else';
const DAY = '2026-08-13';

describe('POST /webhooks/ses', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let workers: WorkerHost;
  let app: App;
  let sns: FakeSns;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    sns = createFakeSns();
    test = await createTestRuntime(
      'webhooks-ses',
      { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>', BOUNCE_DOMAIN: DOMAIN, SES_SNS_TOPIC_ARNS: `${OTHER_TOPIC.replace('someone-else', 'spare')}, ${TOPIC}` },
      { httpGet: sns.httpGet },
    );
    await importFixtureDay(test.runtime, DAY);
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
    app = await buildApp(runtime);
  });
  afterEach(async () => {
    smtp.messages.length = 0;
    sns.requests.length = 0;
    await test.runtime.database.sql`truncate subscribers, send_runs, deliveries, suppressions, mail_events cascade`;
  });
  afterAll(async () => {
    await app?.close();
    await workers?.close(5000);
    await test?.cleanup();
    await smtp?.close();
  });

  const sql = () => test.runtime.database.sql;

  /** Sends the edition to every confirmed reader; resolves with the run id once done. */
  async function sendEdition(): Promise<number> {
    const run = await startManualSend(test.runtime, DAY, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(sql(), run.id))?.status === 'completed', 60_000);
    return run.id;
  }

  function messageTo(address: string): ReceivedMail {
    const found = smtp.messages.find((mail) => mail.recipients.includes(address));
    if (!found) throw new Error(`no message to ${address}`);
    return found;
  }

  /** An SNS Notification carrying `notification`, signed as SNS signs (fields may be overridden). */
  function notificationMessage(notification: Record<string, unknown>, fields: Partial<SnsMessage> = {}): SnsMessage {
    return sns.sign({ Type: 'Notification', TopicArn: TOPIC, Message: JSON.stringify(notification), ...fields });
  }

  /** Posts as SNS does: JSON in a text/plain body. */
  function post(body: unknown, contentType = 'text/plain; charset=UTF-8') {
    return app.inject({
      method: 'POST',
      url: '/webhooks/ses',
      headers: { 'content-type': contentType, 'x-amz-sns-message-type': 'Notification' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function suppressionOf(address: string) {
    const [row] = await sql()<{ reason: string; detail: string }[]>`select reason, detail from suppressions where email_hash = ${suppressionHash(address)}`;
    return row;
  }

  async function readerStatus(address: string) {
    const [row] = await sql()<{ status: string }[]>`select status from subscribers where email = ${address}`;
    return row?.status;
  }

  async function deliveryStatus(mail: ReceivedMail) {
    const [row] = await sql()<{ status: string }[]>`select status from deliveries where id = ${/^<digest\.([0-9]+)\./.exec(mail.parsed.messageId!)![1]!}`;
    return row?.status;
  }

  /** What a refused message must leave as it was. */
  async function snapshot() {
    const [counts] = await sql()<{ suppressions: string; events: string; unsubscribed: string; bounced: string }[]>`
      select (select count(*) from suppressions) as suppressions, (select count(*) from mail_events) as events,
             (select count(*) from subscribers where status = 'unsubscribed') as unsubscribed,
             (select count(*) from deliveries where status = 'bounced') as bounced`;
    return counts;
  }

  it('applies a permanent bounce named by the VERP envelope sender: the reader is suppressed and the delivery bounced, once however often SNS posts it', async () => {
    await insertReaders(sql(), 2);
    const runId = await sendEdition();
    const bounced = messageTo('reader-1@example.org');
    const message = notificationMessage(sesBounce({ source: bounced.sender, messageId: bounced.parsed.messageId, recipient: 'reader-1@example.org' }));

    const answer = await post(message);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ status: 'applied', results: ['hard_bounce'] });
    expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce', detail: '5.1.1 550 5.1.1 <address>... User (SES Permanent/General)' });
    expect(await deliveryStatus(bounced)).toBe('bounced');
    const [run] = await sql()<{ hard_bounces: number }[]>`select hard_bounces from send_runs where id = ${runId}`;
    expect(run?.hard_bounces).toBe(1);
    expect(await suppressionOf('reader-2@example.org')).toBeUndefined();

    // SNS retries with the same message (our 200 lost on the way): stored once, counted once.
    const again = await post(message);
    expect(again.json()).toEqual({ status: 'applied', results: ['duplicate'] });
    expect(await snapshot()).toMatchObject({ events: '1', suppressions: '1', bounced: '1' });
    // The signing certificate was fetched once for both.
    expect(sns.requests).toEqual([TEST_CERT_URL]);

    const metrics = await test.runtime.metrics.render();
    expect(metrics).toMatch(/paperboy_bounce_reports_total\{source="ses",result="hard_bounce"\} 1/);
    expect(metrics).toMatch(/paperboy_bounce_reports_total\{source="ses",result="duplicate"\} 1/);
  });

  it('applies a bounce from SES event publishing named by our Message-ID, signed with SignatureVersion 1 and posted as application/json', async () => {
    await insertReaders(sql(), 1);
    await sendEdition();
    const mail = messageTo('reader-1@example.org');
    // The envelope sender is not our bounce address here: the Message-ID in the original headers names the message.
    const notification = sesBounce({ eventPublishing: true, source: 'papers@paperboy.test', messageId: mail.parsed.messageId, recipient: 'reader-1@example.org' });
    const answer = await post(notificationMessage(notification, { SignatureVersion: '1' }), 'application/json');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ status: 'applied', results: ['hard_bounce'] });
    expect(await suppressionOf('reader-1@example.org')).toMatchObject({ reason: 'hard_bounce' });
    expect(await deliveryStatus(mail)).toBe('bounced');
  });

  it('unsubscribes and suppresses a reader who complained', async () => {
    await insertReaders(sql(), 2);
    const runId = await sendEdition();
    const mail = messageTo('reader-2@example.org');
    const answer = await post(notificationMessage(sesComplaint({ source: mail.sender, messageId: mail.parsed.messageId, recipient: 'reader-2@example.org' })));
    expect(answer.json()).toEqual({ status: 'applied', results: ['complaint'] });
    expect(await readerStatus('reader-2@example.org')).toBe('unsubscribed');
    expect(await suppressionOf('reader-2@example.org')).toMatchObject({ reason: 'complaint' });
    // A complaint is not a bounce: the digest was delivered.
    expect(await deliveryStatus(mail)).toBe('sent');
    const [run] = await sql()<{ complaints: number }[]>`select complaints from send_runs where id = ${runId}`;
    expect(run?.complaints).toBe(1);
    expect(await readerStatus('reader-1@example.org')).toBe('confirmed');
  });

  it('refuses a forged, tampered, foreign, stale or self-certified message with 403, and nothing changes', async () => {
    await insertReaders(sql(), 1);
    await sendEdition();
    const mail = messageTo('reader-1@example.org');
    const bounce = sesBounce({ source: mail.sender, messageId: mail.parsed.messageId, recipient: 'reader-1@example.org' });
    const complaint = sesComplaint({ source: mail.sender, messageId: mail.parsed.messageId, recipient: 'reader-1@example.org' });
    const before = await snapshot();
    const hour = 60 * 60 * 1000;
    const attacker = selfSignedCertificate('attacker');

    const cases: Array<[string, SnsMessage | Record<string, unknown>, string]> = [
      // Valid in every field, but signed with the attacker's key, not the one of the certificate SNS serves.
      ['signed with another key', sns.sign({ Type: 'Notification', TopicArn: TOPIC, Message: JSON.stringify(bounce) }, attacker.privateKeyPem), 'bad-signature'],
      ['tampered after signing', { ...notificationMessage(sesDelivery({ source: mail.sender })), Message: JSON.stringify(complaint) }, 'bad-signature'],
      ['from a topic not allowed', notificationMessage(bounce, { TopicArn: OTHER_TOPIC }), 'wrong-topic'],
      ['with a certificate on a non-SNS host', notificationMessage(bounce, { SigningCertURL: 'https://attacker.example/SimpleNotificationService-x.pem' }), 'bad-cert-url'],
      ['with a certificate over http', notificationMessage(bounce, { SigningCertURL: TEST_CERT_URL.replace('https:', 'http:') }), 'bad-cert-url'],
      ['stale (two hours old)', notificationMessage(bounce, { Timestamp: new Date(Date.now() - 2 * hour).toISOString() }), 'stale'],
      ['dated in the future', notificationMessage(bounce, { Timestamp: new Date(Date.now() + hour).toISOString() }), 'stale'],
      ['naming a certificate SNS does not serve', notificationMessage(bounce, { SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/made-up.pem' }), 'bad-certificate'],
    ];

    for (const [label, message, reason] of cases) {
      const answer = await post(message);
      expect(answer.statusCode, label).toBe(403);
      expect(answer.json().error, label).toBeTypeOf('string');
      const counted = await test.runtime.metrics.render();
      expect(counted, label).toMatch(new RegExp(`paperboy_bounce_reports_total\\{source="ses",result="${reason}"\\} [1-9]`));
    }
    expect(await snapshot()).toEqual(before);
    expect(await readerStatus('reader-1@example.org')).toBe('confirmed');
    // Only SNS hosts were ever asked for a certificate.
    expect(sns.requests.every((url) => url.startsWith('https://sns.eu-west-1.amazonaws.com/'))).toBe(true);
  });

  it('confirms a subscription by visiting its SubscribeURL once, and refuses one that points elsewhere', async () => {
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736`;
    const confirmation = sns.sign({
      Type: 'SubscriptionConfirmation',
      TopicArn: TOPIC,
      Token: '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
      Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: subscribeUrl,
    });
    const answer = await post(confirmation);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ status: 'subscription-confirmed' });
    expect(sns.requests.filter((url) => url === subscribeUrl)).toHaveLength(1);

    const elsewhere = sns.sign({ ...confirmation, Signature: '', SubscribeURL: 'https://attacker.example/?Action=ConfirmSubscription' });
    const refused = await post(elsewhere);
    expect(refused.statusCode).toBe(403);
    expect(sns.requests.some((url) => url.includes('attacker'))).toBe(false);

    // A confirmation for a topic not allowed is never visited.
    const foreign = sns.sign({ ...confirmation, Signature: '', TopicArn: OTHER_TOPIC, SubscribeURL: subscribeUrl.replace(TOPIC, OTHER_TOPIC) });
    expect((await post(foreign)).statusCode).toBe(403);
    expect(sns.requests.filter((url) => url.includes('ConfirmSubscription'))).toHaveLength(1);
  });

  it('answers 200 to authentic messages it does not act on: a delivery, a bounce about no message of ours, SES\'s test message', async () => {
    await insertReaders(sql(), 1);
    await sendEdition();
    const mail = messageTo('reader-1@example.org');
    const before = await snapshot();
    expect((await post(notificationMessage(sesDelivery({ source: mail.sender })))).json()).toEqual({ status: 'ignored' });
    const unknown = await post(notificationMessage(sesBounce({ source: 'papers@paperboy.test', messageId: '<not-ours@elsewhere.example>' })));
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ status: 'applied', results: ['unknown-message'] });
    const testMessage = sns.sign({ Type: 'Notification', TopicArn: TOPIC, Message: 'Successfully validated SNS topic for Amazon SES event publishing.' });
    expect((await post(testMessage)).json()).toEqual({ status: 'ignored' });
    expect(await snapshot()).toEqual(before);
  });

  it('answers 400 naming the problem to a body that is not an SNS message, and 415 to another content type', async () => {
    const bad = await post('{"Type": "Notification",');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: expect.stringContaining('not valid JSON'), details: [{ field: 'body' }] });
    const { Signature: _signature, ...unsigned } = notificationMessage(sesBounce());
    const missing = await post(unsigned);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ details: [{ field: 'Signature' }] });
    expect((await post('x'.repeat(300 * 1024))).statusCode).toBe(413);
    expect((await post('Type=Notification', 'application/x-www-form-urlencoded')).statusCode).toBe(415);
  });

  it('never answers 5xx to hostile input, and hostile content inside an authentic message changes nothing', async () => {
    await insertReaders(sql(), 1);
    await sendEdition();
    const before = await snapshot();
    const valid = notificationMessage(sesBounce());
    const bodies: unknown[] = [
      'null',
      '"a string"',
      '[]',
      '{}',
      { ...valid, Type: 1 },
      { ...valid, SigningCertURL: { href: TEST_CERT_URL } },
      { ...valid, Signature: 'A'.repeat(200_000) },
      { ...valid, Timestamp: '' },
      { ...valid, Subject: ['x'] },
      { ...valid, SignatureVersion: 2 },
      { ...valid, SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/../../etc/passwd.pem' },
      { ...valid, SigningCertURL: 'file:///etc/passwd.pem' },
      '\u0000\uffff{',
    ];
    for (const body of bodies) {
      const answer = await post(body);
      expect([400, 403, 413], JSON.stringify(body).slice(0, 80)).toContain(answer.statusCode);
    }
    // Signed by SNS, but what it carries is made up: a made-up bounce address, odd shapes.
    const inside: Array<Record<string, unknown>> = [
      sesBounce({ source: `bounces+d1-0123456789abcdef@${DOMAIN}`, recipient: 'reader-1@example.org' }),
      { notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 5 }] } },
      { notificationType: 'Complaint', complaint: null, mail: null },
      { notificationType: { toString: 'Bounce' } },
    ];
    const results = [];
    for (const notification of inside) {
      const answer = await post(notificationMessage(notification));
      expect(answer.statusCode).toBe(200);
      results.push(answer.json());
    }
    expect(results).toEqual([{ status: 'applied', results: ['forged-token'] }, { status: 'ignored' }, { status: 'ignored' }, { status: 'ignored' }]);
    expect(await snapshot()).toEqual(before);
  });

  it('answers 503 when the certificate host does not answer, so SNS tries again', async () => {
    const answer = await post(notificationMessage(sesBounce(), { SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/unreachable.pem' }));
    expect(answer.statusCode).toBe(503);
    expect(answer.json().error).toContain('signing certificate');
  });

  it('answers 404 while SES_SNS_TOPIC_ARNS is unset, whatever is posted', async () => {
    const off = await buildApp({ ...test.runtime, config: { ...test.runtime.config, webhooks: { ...test.runtime.config.webhooks, ses: undefined } } });
    try {
      const answer = await off.inject({ method: 'POST', url: '/webhooks/ses', headers: { 'content-type': 'text/plain' }, payload: '{' });
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toEqual({ error: 'SES webhooks are off: set SES_SNS_TOPIC_ARNS', details: [] });
    } finally {
      await off.close();
    }
  });
});
