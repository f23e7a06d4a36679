import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { verifyDkim } from '../helpers/dkim-verify.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { startReaderMailWorker } from '../helpers/readers.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * DKIM end to end: a send run worked by the worker's processors and a signup's confirmation, both
 * through the SMTP transport to a real SMTP server, each message checked there by the test's own
 * verifier (test/helpers/dkim-verify.ts), which shares no code with Paperboy's signer.
 */

const DATE = '2026-08-13';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const ed25519 = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

describe('DKIM-signed mail through SMTP', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let workers: WorkerHost | undefined;
  let app: App | undefined;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime(
      'dkim_send',
      {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Paperboy <papers@paperboy.test>',
        DKIM_DOMAIN: 'paperboy.test',
        DKIM_SELECTOR: 'pb2026',
        DKIM_PRIVATE_KEY: rsa.privateKey,
        DKIM_ED25519_SELECTOR: 'pb2026ed',
        DKIM_ED25519_PRIVATE_KEY: ed25519.privateKey,
        SIGNUP_RATE_LIMIT: '1000',
      },
      { clock: () => new Date('2026-08-14T07:00:00Z') },
    );
    await importFixtureDay(test.runtime, DATE);
  });
  afterAll(async () => {
    await workers?.close(5000);
    await app?.close();
    await test?.cleanup();
    await smtp?.close();
  });

  function expectSigned(message: ReceivedMail) {
    const check = verifyDkim(message.raw, rsa.publicKey);
    expect(check, message.recipients[0]).toMatchObject({ ok: true, domain: 'paperboy.test', selector: 'pb2026' });
    expect(verifyDkim(message.raw, ed25519.publicKey, 'ed25519-sha256'), message.recipients[0]).toMatchObject({ ok: true, selector: 'pb2026ed' });
    return check.signedHeaders;
  }

  it('signs every digest of a run, for every variant and address, and a changed byte fails', async () => {
    const sql = test.runtime.database.sql;
    const edition = await assembleEdition(test.runtime, DATE);
    const topicWord = edition.papers[0]!.title.split(/\s+/).find((word) => word.length > 6)!.toLowerCase().replace(/[^a-z0-9]/g, '');
    const [plain, unusual, utf8] = await insertReaders(sql, 3);
    const [topical] = await insertReaders(sql, 1, { topics: [topicWord] }, 4);
    const addresses = new Map([
      [plain!, 'reader-1@example.org'],
      [unusual!, "o'brien+news&more=x{1}@example.org"],
      [utf8!, 'jürgen.müller@example.org'],
      [topical!, 'reader-4@example.org'],
    ]);
    for (const [id, email] of addresses) await sql`update subscribers set email = ${email}, email_normalized = ${email.toLowerCase()} where id = ${id}`;

    workers = await startWorkers(test.runtime, [fanoutProcessor(test.runtime), deliverProcessor(test.runtime)], []);
    const run = await startManualSend(test.runtime, DATE, 'test');
    await waitUntil('the run to complete', async () => (await findSendRun(sql, run.id))?.status === 'completed', 60_000);
    await workers.close(5000);
    workers = undefined;

    expect(smtp.messages.map((message) => message.recipients[0]).sort()).toEqual([...addresses.values()].sort());
    for (const message of smtp.messages) {
      expect(expectSigned(message)).toEqual(
        expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']),
      );
      // No line of the message starts with ".", so SMTP had no dot to stuff; the HTML's CSS rules
      // (lines starting with ".", written =2E) still decode with their dots.
      expect(message.raw.toString('latin1').split('\r\n').filter((line) => line.startsWith('.')), message.recipients[0]).toEqual([]);
      expect((message.parsed.html as string).split('\n').filter((line) => line.startsWith('.')).length, message.recipients[0]).toBeGreaterThan(5);
    }
    const of = (id: number) => smtp.messages.find((message) => message.recipients[0] === addresses.get(id))!;
    // The subject is long enough to be folded: the signature holds across the fold.
    expect(of(plain!).raw.toString('latin1')).toMatch(/\r\nSubject: [^\r]+\r\n [^\r]+/);
    // The reader with topics got another variant (fewer papers), signed as well.
    expect(of(topical!).parsed.subject).not.toBe(of(plain!).parsed.subject);
    expect((of(utf8!).parsed.to as { text: string }).text).toBe('jürgen.müller@example.org');

    const raw = of(unusual!).raw;
    const text = raw.toString('latin1');
    const inBody = Buffer.from(raw);
    const at = text.indexOf('arxiv.org', text.indexOf('\r\n\r\n'));
    inBody[at] = inBody[at]! ^ 0x20;
    expect(verifyDkim(inBody, rsa.publicKey)).toMatchObject({ ok: false, problem: 'body hash mismatch' });
    // One letter of the subject changes case (it leads with the top paper's title, maybe encoded).
    const inSubject = Buffer.from(text.replace(/(\r\nSubject: [^A-Za-z\r]*)([A-Za-z])/, (_match, before: string, letter: string) => `${before}${letter === letter.toLowerCase() ? letter.toUpperCase() : letter.toLowerCase()}`), 'latin1');
    expect(inSubject.equals(raw)).toBe(false);
    expect(verifyDkim(inSubject, rsa.publicKey)).toMatchObject({ ok: false, problem: 'signature mismatch' });
    expect(verifyDkim(inSubject, ed25519.publicKey, 'ed25519-sha256')).toMatchObject({ ok: false, problem: 'signature mismatch' });
  });

  it('signs the confirmation email of a signup, Auto-Submitted included', async () => {
    smtp.messages.length = 0;
    app = await buildApp(test.runtime);
    const mailWorker = await startReaderMailWorker(test.runtime);
    try {
      const response = await app.inject({ method: 'POST', url: '/subscribe', payload: { email: 'new.reader@example.org' } });
      expect(response.statusCode).toBe(202);
      const [message] = await smtp.waitForMessages(1);
      expect(message!.parsed.subject).toBe('Confirm your Paperboy subscription');
      expect(expectSigned(message!)).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id', 'auto-submitted']));
    } finally {
      await mailWorker.close();
    }
  });
});
