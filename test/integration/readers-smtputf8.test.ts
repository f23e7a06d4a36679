import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { reportSendRun } from '../../services/core/sending/send-report.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { acceptJson, form, startReaderMailWorker } from '../helpers/readers.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/**
 * Readers whose address has a non-ASCII local part (RFC 6531/6532), end to end against a real
 * SMTP server that offers SMTPUTF8 or does not: signup, confirmation, import and the digest.
 */

const DATE = '2026-08-13';
const ADMIN = { authorization: 'Bearer smtputf8-admin-token' };
const INTERNATIONAL = ['josé@exämple.com', 'üser@example.org', '用户@例子.广告'];
const REFUSAL = /^Our mail server cannot send to an address with non-ASCII characters \("."\) before the @; use an address with only ASCII letters, digits and \. _ \+ - there$/;

interface Installation {
  test: TestRuntime;
  app: App;
  close(): Promise<void>;
}

/** A runtime and app mailing through `smtpUrl`. */
async function startInstallation(label: string, smtpUrl: string): Promise<Installation> {
  const clock = () => new Date('2026-08-14T07:00:00Z');
  const test = await createTestRuntime(
    label,
    { SMTP_URL: smtpUrl, MAIL_FROM: 'Paperboy <papers@paperboy.test>', SIGNUP_RATE_LIMIT: '10000', ADMIN_TOKEN: 'ops:smtputf8-admin-token' },
    { clock },
  );
  const app = await buildApp(test.runtime);
  return {
    test,
    app,
    async close() {
      await app.close();
      await test.cleanup();
    },
  };
}

async function sendEdition(test: TestRuntime) {
  const { runtime } = test;
  const workers: WorkerHost = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  try {
    const run = await startManualSend(runtime, DATE, 'test');
    await waitUntil(`run ${run.id} to complete`, async () => (await findSendRun(runtime.database.sql, run.id))?.status === 'completed', 60_000);
    return await reportSendRun(runtime, (await findSendRun(runtime.database.sql, run.id))!);
  } finally {
    await workers.close(5000);
  }
}

function importCsv(app: App, csv: string) {
  return app.inject({ method: 'POST', url: '/admin/subscribers/import?consentConfirmed=true', headers: { ...ADMIN, 'content-type': 'text/csv' }, payload: csv });
}

/** The raw header lines of a received message, decoded as UTF-8 (RFC 6532). */
function rawHeader(mail: ReceivedMail, name: string): string[] {
  const head = mail.raw.toString('utf8').split('\r\n\r\n')[0]!;
  return head.split('\r\n').filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));
}

describe('a mail server that offers SMTPUTF8', () => {
  let smtp: TestSmtpServer;
  let site: Installation;
  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    site = await startInstallation('smtputf8-offered', smtp.url);
    await importFixtureDay(site.test.runtime, DATE);
  });
  afterAll(async () => {
    await site?.close();
    await smtp?.close();
  });

  it('signs up, confirms and sends the digest to non-ASCII local parts with SMTPUTF8 and a UTF-8 To:, and ASCII readers as before', async () => {
    const { app, test } = site;
    const { sql } = test.runtime.database;
    const mailWorker = await startReaderMailWorker(test.runtime);
    try {
      // JSON for two, the form for the third; an ASCII reader beside them.
      for (const email of INTERNATIONAL.slice(0, 2)) {
        const response = await app.inject({ method: 'POST', url: '/subscribe', headers: acceptJson, payload: { email } });
        expect(response.statusCode, email).toBe(202);
      }
      const viaForm = await app.inject({ method: 'POST', url: '/subscribe', ...form({ email: INTERNATIONAL[2]! }) });
      expect(viaForm.statusCode).toBe(200);
      expect(viaForm.body).toContain('Check your inbox');
      expect((await app.inject({ method: 'POST', url: '/subscribe', headers: acceptJson, payload: { email: 'ascii@example.org' } })).statusCode).toBe(202);

      const confirmations = await smtp.waitForMessages(4);
      for (const email of INTERNATIONAL) {
        const mail = confirmations.find((m) => m.recipients[0] === email);
        expect(mail, email).toBeDefined();
        expect(mail!.mailFromArgs.SMTPUTF8, email).toBe(true);
        expect(rawHeader(mail!, 'To'), email).toEqual([`To: ${email}`]);
        const token = /http:\/\/paperboy\.test\/confirm\?token=([A-Za-z0-9._%-]+)/.exec(mail!.parsed.text ?? '')![1];
        const confirmed = await app.inject({ method: 'POST', url: `/confirm?token=${token}`, headers: acceptJson });
        expect(confirmed.json(), email).toMatchObject({ status: 'confirmed', outcome: 'confirmed' });
      }
      const ascii = confirmations.find((m) => m.recipients[0] === 'ascii@example.org')!;
      expect(ascii.mailFromArgs.SMTPUTF8).toBeUndefined();
      await sql`update subscribers set status = 'confirmed', confirmed_at = now() where email = 'ascii@example.org'`;
    } finally {
      await mailWorker.close();
    }

    smtp.messages.length = 0;
    const done = await sendEdition(test);
    expect(done.deliveries).toMatchObject({ sent: 4, failed: 0 });
    expect(smtp.messages.map((m) => m.recipients[0]).sort()).toEqual(['ascii@example.org', ...INTERNATIONAL].sort());
    const installationId = await test.runtime.database.installationId();
    for (const mail of smtp.messages) {
      const to = mail.recipients[0]!;
      const international = INTERNATIONAL.includes(to);
      expect(mail.mailFromArgs.SMTPUTF8, to).toBe(international ? true : undefined);
      expect(rawHeader(mail, 'To'), to).toEqual([`To: ${to}`]);
      // Everything else as for any reader.
      expect(mail.parsed.messageId, to).toMatch(new RegExp(`^<digest\\.\\d+\\.${installationId}@paperboy\\.test>$`));
      expect(rawHeader(mail, 'List-Unsubscribe')[0], to).toMatch(/^List-Unsubscribe: <http:\/\/paperboy\.test\/unsubscribe\?token=u\.[a-z0-9]+\./);
      expect(rawHeader(mail, 'List-Unsubscribe-Post'), to).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    }
  });

  it('imports a non-ASCII local part', async () => {
    const response = await importCsv(site.app, 'email\nmüller@example.org\nplain@example.org\n');
    expect(response.json()).toMatchObject({ created: 2, invalid: 0 });
  });
});

describe('a mail server that does not offer SMTPUTF8', () => {
  let smtp: TestSmtpServer;
  let site: Installation;
  beforeAll(async () => {
    smtp = await startTestSmtpServer({ smtpUtf8: false });
    site = await startInstallation('smtputf8-missing', smtp.url);
    await importFixtureDay(site.test.runtime, DATE);
  });
  afterAll(async () => {
    await site?.close();
    await smtp?.close();
  });

  it('refuses the signup of a non-ASCII local part with a message saying so, JSON and form, and stores nothing; an ASCII one with an international domain is taken', async () => {
    for (const email of INTERNATIONAL) {
      const viaJson = await site.app.inject({ method: 'POST', url: '/subscribe', headers: acceptJson, payload: { email } });
      expect(viaJson.statusCode, email).toBe(400);
      expect(viaJson.json().error, email).toMatch(REFUSAL);
      expect(viaJson.json().details, email).toEqual([{ field: 'email', message: expect.stringMatching(REFUSAL) }]);

      const viaForm = await site.app.inject({ method: 'POST', url: '/subscribe', ...form({ email }) });
      expect(viaForm.statusCode, email).toBe(400);
      expect(viaForm.body).toContain('id="email-error"');
      expect(viaForm.body).toContain('Our mail server cannot send to an address with non-ASCII characters');
    }
    expect(await site.test.runtime.database.sql`select 1 from subscribers`).toHaveLength(0);
    // "Send me a fresh link" says the same (nothing could be mailed to such an address).
    const freshLink = await site.app.inject({ method: 'POST', url: '/links/resend', headers: acceptJson, payload: { email: INTERNATIONAL[0] } });
    expect(freshLink.statusCode).toBe(400);
    expect(freshLink.json().error).toMatch(REFUSAL);
    const ascii = await site.app.inject({ method: 'POST', url: '/subscribe', headers: acceptJson, payload: { email: 'jose@exämple.com' } });
    expect(ascii.statusCode).toBe(202);
  });

  it('imports the other rows and names each refused one', async () => {
    const response = await importCsv(site.app, 'email\njosé@exämple.com\nascii-import@example.org\n用户@例子.广告\n');
    expect(response.json()).toMatchObject({
      created: 1,
      invalid: 2,
      problems: [
        { line: 2, message: 'email: the part before the @ has non-ASCII characters, which only mail sent with SMTPUTF8 can reach, and the mail server (SMTP_URL) does not offer SMTPUTF8; not imported' },
        { line: 4, message: expect.stringMatching(/^email: the part before the @ has non-ASCII characters/) },
      ],
    });
  });

  it('fails a reader stored before (a non-ASCII local part) once, suppresses them, and completes the run for everyone else', async () => {
    const { sql } = site.test.runtime.database;
    await sql`truncate subscribers, send_runs, deliveries, suppressions cascade`;
    const [, earlier] = await insertReaders(sql, 3);
    await sql`update subscribers set email = 'josé@example.org', email_normalized = 'josé@example.org' where id = ${earlier!}`;
    smtp.messages.length = 0;

    const done = await sendEdition(site.test);
    expect(done.deliveries).toMatchObject({ sent: 2, failed: 1, queued: 0, claimed: 0 });
    expect(smtp.messages.map((m) => m.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-3@example.org']);
    const [delivery] = await sql<{ status: string; attempts: number; last_error: string }[]>`
      select status, attempts, last_error from deliveries where subscriber_id = ${earlier!}`;
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('553 5.6.7') });
    const suppressed = await sql`select reason, detail from suppressions where email_hash = encode(sha256(convert_to('josé@example.org', 'UTF8')), 'hex')`;
    expect(suppressed).toEqual([{ reason: 'hard_bounce', detail: expect.stringContaining('does not offer SMTPUTF8') }]);
    expect(JSON.stringify([delivery, suppressed])).not.toContain('josé');
  });
});

describe('a mail server that cannot be asked', () => {
  it('refuses non-ASCII local parts, and takes ASCII signups as ever', async () => {
    // A port nobody listens on: the probe's connection is refused.
    const site = await startInstallation('smtputf8-unknown', `smtp://127.0.0.1:${await freePort()}`);
    try {
      const refused = await site.app.inject({ method: 'POST', url: '/subscribe', headers: acceptJson, payload: { email: 'üser@example.org' } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatch(REFUSAL);
      const ascii = await site.app.inject({ method: 'POST', url: '/subscribe', headers: acceptJson, payload: { email: 'user@example.org' } });
      expect(ascii.statusCode).toBe(202);
    } finally {
      await site.close();
    }
  });
});
