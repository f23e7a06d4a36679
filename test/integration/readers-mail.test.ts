import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { subscribers, suppressions } from '../../services/core/platform/db/schema.js';
import { createReaderMailRenderer, type ReaderMailValues } from '../../services/core/reader-mail/reader-mail-renderer.js';
import type { ReaderMailKind } from '../../services/core/platform/db/schema.js';
import { suppressionHash } from '../../services/core/suppression/suppression-repo.js';
import { CONFIRMATION_TOKEN_TTL_SECONDS, verifyToken } from '../../services/core/platform/tokens/tokens.js';
import { readerMailOutboxBacklog } from '../../services/core/reader-mail/reader-mail-outbox.js';
import { startReaderMailWorker } from '../helpers/readers.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

/** The double opt-in email, end to end: API → Postgres outbox → relay → BullMQ job → worker → real SMTP server. */

const now = new Date('2026-03-02T09:00:00Z');
let smtp: TestSmtpServer;
let test: TestRuntime;
let app: App;
let worker: { close(): Promise<void> };

function messagesTo(address: string): ReceivedMail[] {
  return smtp.messages.filter((message) => message.recipients.includes(address));
}

async function waitForMessageTo(address: string): Promise<ReceivedMail> {
  for (let seen = smtp.messages.length; ; seen += 1) {
    await smtp.waitForMessages(Math.max(seen, 1));
    const found = messagesTo(address)[0];
    if (found) return found;
  }
}

/** Bounded poll until the outbox is empty and the transactional queue has nothing waiting, delayed or running. */
async function waitForIdleQueue(): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    // The outbox first: the relay commits its delete only after the job is on the queue, so an
    // empty outbox read before the queue means the queue read sees every job the relay moved.
    const owed = (await readerMailOutboxBacklog(test.runtime.database.sql)).count;
    const counts = await test.runtime.queues.transactional.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    if (owed === 0 && Object.values(counts).every((n) => n === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('transactional queue did not drain');
}

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  test = await createTestRuntime('readers-mail', { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>', SIGNUP_RATE_LIMIT: '1000' }, { clock: () => now });
  app = await buildApp(test.runtime);
  worker = await startReaderMailWorker(test.runtime);
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
  await test?.cleanup();
  await smtp?.close();
});

describe('reader email templates', () => {
  const renderer = createReaderMailRenderer({ validationLevel: 'strict' });
  const postalAddress = '1 Example Street';
  // Both mails show the reader's schedule, topics included: reader input, so it carries markup here.
  const schedule = 'daily, about r&d, <b>bold</b>';

  it.each<{ kind: ReaderMailKind; values: ReaderMailValues; subject: string; link: string }>([
    {
      kind: 'confirmation',
      values: { confirmUrl: 'https://paperboy.test/confirm?token=c.1.a.sig&x=1', schedule, validFor: '48 hours', postalAddress },
      subject: 'Confirm your Paperboy subscription',
      link: 'https://paperboy.test/confirm?token=c.1.a.sig&x=1',
    },
    {
      kind: 'manage-links',
      values: { status: schedule, preferencesUrl: 'https://paperboy.test/preferences?token=p', unsubscribeUrl: 'https://paperboy.test/unsubscribe?token=u', postalAddress },
      subject: 'Your Paperboy links',
      link: 'https://paperboy.test/unsubscribe?token=u',
    },
  ])('$kind compiles under MJML strict validation and escapes every value in the HTML part', async ({ kind, values, subject, link }) => {
    const mail = await renderer.render(kind, values);
    expect(mail.subject).toBe(subject);
    expect(mail.html).toContain('r&amp;d, &lt;b&gt;bold&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>bold</b>');
    expect(mail.text).toContain(link);
    expect(mail.html).not.toContain('fonts.googleapis.com');
  });
});

describe('confirmation email', () => {
  it('arrives as multipart/alternative from MAIL_FROM with a signed, expiring link that confirms', async () => {
    const email = 'Mail.Reader@example.org';
    const response = await app.inject({ method: 'POST', url: '/subscribe', payload: { email, topics: 'R&D, agents', sendHour: 6, timeZone: 'Asia/Tokyo' } });
    expect(response.statusCode).toBe(202);

    const mail = await waitForMessageTo(email);
    const [row] = await test.runtime.database.db.select().from(subscribers).where(eq(subscribers.emailNormalized, email.toLowerCase()));
    expect(mail.parsed.from?.value).toEqual([{ name: 'Paperboy', address: 'papers@paperboy.test' }]);
    expect(mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.text : '').toBe(email);
    expect(mail.parsed.subject).toBe('Confirm your Paperboy subscription');
    expect(mail.raw.toString('utf8')).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail.parsed.messageId).toMatch(new RegExp(`^<confirmation-\\d+-[0-9a-z]+-1\\.${await test.runtime.database.installationId()}@paperboy\\.test>$`));
    expect(mail.parsed.text).toContain('daily at 06:00 (Asia/Tokyo), up to 10 papers, about r&d, agents');
    expect(mail.parsed.html).toContain('about r&amp;d, agents');
    // Opening the link confirms nothing (link scanners open links): the reader is told to click.
    for (const part of [mail.parsed.text ?? '', mail.parsed.html || '']) expect(part.replace(/\s+/g, ' ')).toContain('one click on the button on the page that opens');

    const link = /http:\/\/paperboy\.test\/confirm\?token=([A-Za-z0-9._%-]+)/.exec(mail.parsed.text ?? '');
    expect(link).not.toBeNull();
    const token = decodeURIComponent(link![1]!);
    const check = verifyToken(test.config.secretKey, token, 'confirm', now);
    expect(check).toMatchObject({ ok: true, subscriberId: row!.id, purpose: 'confirm' });
    expect(check.ok && check.expiresAt?.getTime()).toBe(now.getTime() + CONFIRMATION_TOKEN_TTL_SECONDS * 1000);
    expect(mail.parsed.html).toContain(`href="http://paperboy.test/confirm?token&#x3D;${link![1]}"`);

    const confirmed = await app.inject({ method: 'POST', url: `/confirm?token=${link![1]}` });
    expect(confirmed.statusCode).toBe(200);
    const [after] = await test.runtime.database.db.select().from(subscribers).where(eq(subscribers.id, row!.id));
    expect(after?.status).toBe('confirmed');
  });

  it('sends nothing to a suppressed address, and keeps no row for it', async () => {
    const suppressed = 'gone-for-good@example.org';
    await test.runtime.database.db.insert(suppressions).values({ emailHash: suppressionHash(suppressed), reason: 'erased' });
    const first = await app.inject({ method: 'POST', url: '/subscribe', payload: { email: suppressed } });
    const control = 'control-reader@example.org';
    const second = await app.inject({ method: 'POST', url: '/subscribe', payload: { email: control } });
    expect(first.statusCode).toBe(202);
    expect(first.body).toBe(second.body);

    await waitForMessageTo(control);
    await waitForIdleQueue();
    expect(messagesTo(suppressed)).toEqual([]);
    const rows = await test.runtime.database.db.select({ id: subscribers.id }).from(subscribers);
    const jobs = await test.runtime.queues.transactional.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(rows.map((row) => row.id)).toContain(job.data.subscriberId);
    expect(await test.runtime.database.db.select().from(subscribers).where(eq(subscribers.emailNormalized, suppressed))).toEqual([]);
  });

  it('skips a queued confirmation when the reader confirmed meanwhile, and refuses a malformed job', async () => {
    const email = 'already-confirmed@example.org';
    await app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
    const first = await waitForMessageTo(email);
    await app.inject({ method: 'POST', url: `/confirm?token=${/\/confirm\?token=(\S+)/.exec(first.parsed.text ?? '')![1]}` });
    const [row] = await test.runtime.database.db.select().from(subscribers).where(eq(subscribers.emailNormalized, email));

    const queue = test.runtime.queues.transactional;
    const late = await queue.add('confirmation', { subscriberId: row!.id }, { jobId: `confirmation-${row!.id}-late`, attempts: 1 });
    const bad = await queue.add('confirmation', { email }, { jobId: 'confirmation-malformed', attempts: 1 });
    await waitForIdleQueue();
    expect(await late.getState()).toBe('completed');
    expect((await queue.getJob(late.id!))?.returnvalue).toEqual({ sent: false, skipped: 'subscriber is confirmed' });
    expect(await bad.getState()).toBe('failed');
    expect(messagesTo(email)).toHaveLength(1);
  });

  it('sends a fresh-links email with working preference and unsubscribe links', async () => {
    const email = 'links-reader@example.org';
    await app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
    const confirmation = await waitForMessageTo(email);
    const confirmLink = /\/confirm\?token=([^\s]+)/.exec(confirmation.parsed.text ?? '')![1]!;
    await app.inject({ method: 'POST', url: `/confirm?token=${confirmLink}` });

    const total = smtp.messages.length;
    const answer = await app.inject({ method: 'POST', url: '/links/resend', headers: { accept: 'application/json' }, payload: { email } });
    expect(answer.statusCode).toBe(202);
    await smtp.waitForMessages(total + 1);
    const links = messagesTo(email).at(-1)!;
    expect(links.parsed.subject).toBe('Your Paperboy links');
    const preferences = /http:\/\/paperboy\.test(\/preferences\?token=[^\s]+)/.exec(links.parsed.text ?? '')![1]!;
    const page = await app.inject({ method: 'GET', url: preferences });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(email);
    const unsubscribe = /http:\/\/paperboy\.test(\/unsubscribe\?token=[^\s]+)/.exec(links.parsed.text ?? '')![1]!;
    expect((await app.inject({ method: 'POST', url: unsubscribe })).statusCode).toBe(200);
  });

  it('suppresses an address whose mailbox does not exist (550 5.1.1), without retrying', async () => {
    const email = 'no-such-mailbox@example.org';
    smtp.setRecipientPolicy((address) => (address === email ? { code: 550, message: '5.1.1 No such user here' } : undefined));
    try {
      await app.inject({ method: 'POST', url: '/subscribe', payload: { email } });
      await waitForIdleQueue();
    } finally {
      smtp.setRecipientPolicy(undefined);
    }
    const [suppressed] = await test.runtime.database.db.select().from(suppressions).where(eq(suppressions.emailHash, suppressionHash(email)));
    expect(suppressed).toMatchObject({ reason: 'hard_bounce' });
    expect(suppressed!.detail).toContain('5.1.1');
    expect(messagesTo(email)).toHaveLength(0);
  });
});
