import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../services/api/app.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';
import { findAlreadySentPapers } from '../../services/core/sending/fanout-repo.js';
import { reportSendRun } from '../../services/core/sending/send-report.js';
import { findSendRun } from '../../services/core/sending/send-run-repo.js';
import { startManualSend, startScheduledRuns } from '../../services/core/sending/send-service.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor } from '../../services/worker/processors/sending.js';
import { startWorkers, type WorkerHost } from '../../services/worker/worker-host.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { waitUntil } from '../helpers/processes.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DATE = '2026-08-13';

describe('sending an edition', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let workers: WorkerHost | undefined;
  let clockNow = new Date('2026-08-14T07:00:00Z');

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('sending', { SMTP_URL: smtp.url, MAIL_FROM: 'Paperboy <papers@paperboy.test>' }, { clock: () => clockNow });
    await importFixtureDay(test.runtime, DATE);
  });
  afterEach(async () => {
    await workers?.close(5000);
    workers = undefined;
    smtp.messages.length = 0;
    smtp.setRecipientPolicy(undefined);
    await test.runtime.database.sql`truncate subscribers, send_runs, deliveries, suppressions cascade`;
  });
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
  });

  async function startSendingWorkers() {
    const runtime = test.runtime;
    workers = await startWorkers(runtime, [fanoutProcessor(runtime), deliverProcessor(runtime), maintenanceProcessor(runtime)], []);
  }

  async function waitForRun(runId: number) {
    await waitUntil(`run ${runId} to complete`, async () => (await findSendRun(test.runtime.database.sql, runId))?.status === 'completed', 60_000);
    return reportSendRun(test.runtime, (await findSendRun(test.runtime.database.sql, runId))!);
  }

  /** Sends the edition now, as an operator would, and waits for the run's report. */
  async function sendNow() {
    return waitForRun((await startManualSend(test.runtime, DATE, 'test')).id);
  }

  /** Sends to `readers` new readers while `refused`'s mailbox answers every message with `reply`. */
  async function sendWithOneRefusal(readers: number, refused: string, reply: { code: number; message: string }) {
    await insertReaders(test.runtime.database.sql, readers);
    smtp.setRecipientPolicy((address) => (address === refused ? reply : undefined));
    await startSendingWorkers();
    return sendNow();
  }

  it('sends a run for one reader to that reader only, whoever else is confirmed', async () => {
    const [, second] = await insertReaders(test.runtime.database.sql, 3);
    await startSendingWorkers();
    const run = await startManualSend(test.runtime, DATE, 'test', { onlySubscriberId: second! });
    const done = await waitForRun(run.id);
    expect(done.deliveries).toMatchObject({ sent: 1, failed: 0, skipped: 0, queued: 0, claimed: 0 });
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-2@example.org']);
  });

  it('drops a delivery whose reader was erased after the fan-out wrote it, and the run completes', async () => {
    const sql = test.runtime.database.sql;
    const [, erased] = await insertReaders(sql, 3);
    // Only the fan-out runs: its deliveries wait in the queue.
    workers = await startWorkers(test.runtime, [fanoutProcessor(test.runtime)], []);
    const run = await startManualSend(test.runtime, DATE, 'test');
    await waitUntil('the fan-out to write 3 deliveries', async () => (await sql`select 1 from deliveries where send_run_id = ${run.id}`).length === 3);
    await workers.close(5000);
    // As when a fan-out read the reader just before an erasure and wrote their delivery after it.
    await sql`delete from subscribers where id = ${erased!}`;

    await startSendingWorkers();
    const done = await waitForRun(run.id);
    expect(done.deliveries).toMatchObject({ sent: 2, skipped: 0, queued: 0, claimed: 0 });
    expect(smtp.messages.map((m) => m.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-3@example.org']);
    // Erasure leaves no history: the delivery is gone, not kept as skipped.
    expect(await sql`select 1 from deliveries where subscriber_id = ${erased!}`).toHaveLength(0);
  });

  it('skips what is left of a cancelled run when its deliveries come back queued (a retry released after the cancel)', async () => {
    const sql = test.runtime.database.sql;
    await insertReaders(sql, 3);
    workers = await startWorkers(test.runtime, [fanoutProcessor(test.runtime)], []);
    const run = await startManualSend(test.runtime, DATE, 'test');
    await waitUntil('the fan-out to write 3 deliveries', async () => (await sql`select 1 from deliveries where send_run_id = ${run.id}`).length === 3);
    await workers.close(5000);
    // The cancel skipped what was queued then; these were claimed, failed for a while and were released afterwards.
    await sql`update send_runs set status = 'cancelled', completed_at = now() where id = ${run.id}`;

    await startSendingWorkers();
    await waitUntil(
      'the cancelled run to settle',
      async () => (await sql`select 1 from deliveries where send_run_id = ${run.id} and status in ('queued', 'claimed')`).length === 0,
      30_000,
    );
    const rows = await sql`select status, last_error from deliveries where send_run_id = ${run.id}`;
    expect(rows).toEqual(Array(3).fill({ status: 'skipped', last_error: 'the run was cancelled' }));
    expect(smtp.messages).toHaveLength(0);
  });

  it('sends each confirmed reader exactly one digest with both parts and the list headers', async () => {
    const [first] = await insertReaders(test.runtime.database.sql, 3);
    await insertReaders(test.runtime.database.sql, 1, { status: 'pending' }, 100);
    await startSendingWorkers();
    const done = await sendNow();

    expect(done.deliveries).toMatchObject({ sent: 3, failed: 0, skipped: 0, queued: 0, claimed: 0 });
    expect(smtp.messages.map((m) => m.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-2@example.org', 'reader-3@example.org']);
    const mail = smtp.messages.find((m) => m.recipients[0] === 'reader-1@example.org')!;
    expect(mail.parsed.html).toBeTruthy();
    expect(mail.parsed.text).toBeTruthy();
    expect(mail.parsed.messageId).toMatch(new RegExp(`^<digest\\.\\d+\\.${await test.runtime.database.installationId()}@paperboy\\.test>$`));
    const header = (name: string) => mail.parsed.headerLines.filter((line) => line.key === name).map((line) => line.line);
    expect(header('list-unsubscribe')).toHaveLength(1);
    expect(header('list-unsubscribe')[0]).toMatch(new RegExp(`^List-Unsubscribe: <http://paperboy\\.test/unsubscribe\\?token=u\\.${first!.toString(36)}\\.`));
    expect(header('list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    expect(header('list-id')).toHaveLength(1);

    // The one-click target works as a mailbox provider uses it (RFC 8058: a POST, no cookies).
    const oneClick = /<([^>]+)>/.exec(header('list-unsubscribe')[0]!)![1]!.replace('http://paperboy.test', '');
    const app = await buildApp(test.runtime);
    try {
      const response = await app.inject({
        method: 'POST',
        url: oneClick,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const [reader] = await test.runtime.database.sql`select status from subscribers where id = ${first!}`;
    expect(reader!.status).toBe('unsubscribed');

    // Sending again gives nobody a second copy.
    expect((await sendNow()).deliveries).toMatchObject({ sent: 0, queued: 0 });
    expect(smtp.messages).toHaveLength(3);
  });

  it('narrows to topics, leaves out papers already sent, caps, and skips readers with nothing left', async () => {
    const sql = test.runtime.database.sql;
    const edition = await assembleEdition(test.runtime, DATE);
    const topicWord = edition.papers[0]!.title.split(/\s+/).find((word) => word.length > 6)!.toLowerCase().replace(/[^a-z0-9]/g, '');
    const [capped] = await insertReaders(sql, 1, { maxPapers: 2 }, 1);
    const [topical] = await insertReaders(sql, 1, { topics: [topicWord] }, 2);
    const [nothing] = await insertReaders(sql, 1, { topics: ['zzzunmatchedtopic'] }, 3);
    const [hadSome] = await insertReaders(sql, 1, { maxPapers: 3 }, 4);
    const top = edition.papers.slice(0, 2).map((p) => p.id);
    // As retention leaves it once a delivery partition is dropped: the reader and the variant sent.
    const [sentBefore] = await sql<{ id: number }[]>`insert into edition_variants (edition_id, paper_ids) values (${edition.edition.id}, ${top}::text[]) returning id`;
    await sql`insert into sent_papers (subscriber_id, edition_id, variant_id) values (${hadSome!}, ${edition.edition.id}, ${sentBefore!.id})`;

    await startSendingWorkers();
    const done = await sendNow();
    expect(done.deliveries).toMatchObject({ sent: 3, skipped: 1 });

    const rows = await sql<{ subscriber_id: string; status: string; paper_ids: string[] }[]>`
      select d.subscriber_id, d.status, coalesce(v.paper_ids, '{}') as paper_ids
      from deliveries d left join edition_variants v on v.id = d.variant_id where d.send_run_id = ${done.run.id}`;
    const of = (id: number) => rows.find((row) => Number(row.subscriber_id) === id)!;
    expect(of(capped!).paper_ids).toEqual(top);
    expect(of(nothing!)).toMatchObject({ status: 'skipped', paper_ids: [] });
    expect(of(hadSome!).paper_ids).toEqual(edition.papers.slice(2, 5).map((p) => p.id));
    expect(of(topical!).paper_ids.length).toBeGreaterThan(0);
    expect(of(topical!).paper_ids.length).toBeLessThan(edition.papers.length);
    // Sent papers are remembered (the sent delivery says them) so no reader sees them twice.
    const remembered = await findAlreadySentPapers(sql, [capped!], edition.papers.map((p) => p.id));
    expect([...(remembered.get(capped!) ?? [])].sort()).toEqual([...top].sort());
    expect(smtp.messages.map((m) => m.recipients[0])).not.toContain('reader-3@example.org');
  });

  it('groups a reader\'s papers under the topics they matched, with a stop link per topic that works, says their choices, and leaves images out for a text-only reader', async () => {
    const sql = test.runtime.database.sql;
    const edition = await assembleEdition(test.runtime, DATE);
    const topicWord = edition.papers[0]!.title.split(/\s+/).find((word) => word.length > 6)!.toLowerCase().replace(/[^a-z0-9]/g, '');
    const [topical] = await insertReaders(sql, 1, { topics: [topicWord, 'zzzunmatchedtopic'], timeZone: 'Europe/Berlin' }, 1);
    const [textOnly] = await insertReaders(sql, 1, {}, 2);
    await sql`update subscribers set images = false where id = ${textOnly!}`;
    await startSendingWorkers();
    expect((await sendNow()).deliveries).toMatchObject({ sent: 2 });

    const grouped = smtp.messages.find((m) => m.recipients[0] === 'reader-1@example.org')!;
    const html = grouped.parsed.html as string;
    const text = grouped.parsed.text as string;
    expect(html).toContain(`Matched: ${topicWord}`);
    expect(html).toContain(`Matched “${topicWord}” in the `);
    expect(text).toContain(`== Matched: ${topicWord} ==`);
    expect(html).not.toContain('Matched: zzzunmatchedtopic');
    expect(text).toContain(`You chose: daily at 07:00 Europe/Berlin, topics: ${topicWord}, zzzunmatchedtopic, 10 papers, from Hugging Face trending.`);
    expect(html).toContain(`You chose: daily at 07:00 Europe/Berlin, topics: ${topicWord}, zzzunmatchedtopic, 10 papers, from Hugging Face trending.`);
    const plain = smtp.messages.find((m) => m.recipients[0] === 'reader-2@example.org')!;
    expect(plain.parsed.html).not.toContain('Matched');
    expect(plain.parsed.text).toContain('You chose: daily at 07:00 UTC, all topics, 10 papers, from Hugging Face trending.');
    // Images follow each reader's choice.
    expect(html).toContain('<img ');
    expect(plain.parsed.html).not.toContain('<img ');

    // The stop link in the email is the reader's: following it (and pressing the button) drops that topic.
    const stopLink = new RegExp(`Stop this topic: (http://paperboy\\.test/topics/stop\\?token=[^&\\s]+&topic=${topicWord})`).exec(text)![1]!;
    expect(html).toContain(`href="${stopLink.replace('&', '&amp;')}"`);
    const app = await buildApp(test.runtime);
    try {
      const url = stopLink.replace('http://paperboy.test', '');
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      expect((await sql`select topics from subscribers where id = ${topical!}`)[0]!.topics).toEqual([topicWord, 'zzzunmatchedtopic']);
      expect((await app.inject({ method: 'POST', url })).statusCode).toBe(200);
      expect((await sql`select topics from subscribers where id = ${topical!}`)[0]!.topics).toEqual(['zzzunmatchedtopic']);
    } finally {
      await app.close();
    }
  });

  it('leaves a paused reader out until the pause ends, then sends them the edition', async () => {
    const sql = test.runtime.database.sql;
    const [, paused] = await insertReaders(sql, 2);
    await sql`update subscribers set paused_until = now() + interval '7 days' where id = ${paused!}`;
    await startSendingWorkers();
    expect((await sendNow()).deliveries).toMatchObject({ sent: 1, skipped: 0 });
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-1@example.org']);

    // The pause ran out: the next send reaches them (and nobody twice).
    await sql`update subscribers set paused_until = now() - interval '1 minute' where id = ${paused!}`;
    expect((await sendNow()).deliveries).toMatchObject({ sent: 1 });
    expect(smtp.messages.map((m) => m.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-2@example.org']);
  });

  it('gives readers in other time zones their copy at their own hour', async () => {
    const sql = test.runtime.database.sql;
    const edition = await assembleEdition(test.runtime, DATE);
    await sql`update editions set assembled_at = '2026-08-14T06:00:00Z' where id = ${edition.edition.id}`;
    await insertReaders(sql, 1, { sendHour: 7, timeZone: 'UTC' }, 1);
    await insertReaders(sql, 1, { sendHour: 7, timeZone: 'America/New_York' }, 2);
    await startSendingWorkers();

    clockNow = new Date('2026-08-14T07:00:00Z');
    const [atSeven] = await startScheduledRuns(test.runtime);
    expect((await waitForRun(atSeven!.id)).deliveries.sent).toBe(1);
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-1@example.org']);

    clockNow = new Date('2026-08-14T11:00:00Z'); // 07:00 in New York (EDT)
    const [inNewYork] = await startScheduledRuns(test.runtime);
    expect((await waitForRun(inNewYork!.id)).deliveries.sent).toBe(1);
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-1@example.org', 'reader-2@example.org']);

    // An hour later nobody is due: the run finds nobody and leaves no trace.
    clockNow = new Date('2026-08-14T12:00:00Z');
    const [later] = await startScheduledRuns(test.runtime);
    await waitUntil('the empty run to disappear', async () => !(await findSendRun(sql, later!.id)));
    expect(smtp.messages).toHaveLength(2);
  });

  it('mails nobody a stale edition on schedule (a week past its day), while an operator can still send it', async () => {
    const sql = test.runtime.database.sql;
    const edition = await assembleEdition(test.runtime, DATE);
    await sql`update editions set assembled_at = '2026-08-14T06:00:00Z' where id = ${edition.edition.id}`;
    await insertReaders(sql, 1, { sendHour: 7, timeZone: 'UTC' }, 1);
    await startSendingWorkers();

    clockNow = new Date('2026-08-21T07:00:00Z'); // 2026-08-13 ended 7 days and 7 hours ago
    expect(await startScheduledRuns(test.runtime)).toEqual([]);
    expect(await sql`select id from deliveries`).toHaveLength(0);

    expect((await sendNow()).deliveries).toMatchObject({ sent: 1 });
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-1@example.org']);
  });

  it('retries a 451 until the server accepts, and everything arrives once', async () => {
    await insertReaders(test.runtime.database.sql, 5);
    let refusals = 0;
    smtp.setRecipientPolicy(() => (refusals++ < 4 ? { code: 451, message: '4.3.0 Try again later' } : undefined));
    await startSendingWorkers();
    const done = await sendNow();
    expect(done.deliveries).toMatchObject({ sent: 5, failed: 0 });
    expect(refusals).toBeGreaterThanOrEqual(4);
    const recipients = smtp.messages.map((m) => m.recipients[0]);
    expect(new Set(recipients).size).toBe(5);
    expect(recipients).toHaveLength(5);
  });

  it('fails and suppresses an unknown mailbox (550 5.1.1) and delivers the rest', async () => {
    const sql = test.runtime.database.sql;
    const done = await sendWithOneRefusal(4, 'reader-2@example.org', { code: 550, message: '5.1.1 No such user' });
    expect(done.deliveries).toMatchObject({ sent: 3, failed: 1 });
    const [failed] = await sql`select d.last_error from deliveries d join subscribers s on s.id = d.subscriber_id where s.email = 'reader-2@example.org'`;
    expect(failed!.last_error).toContain('5.1.1');
    const suppressed = await sql`select reason from suppressions where email_hash = encode(sha256(convert_to('reader-2@example.org', 'UTF8')), 'hex')`;
    expect(suppressed.map((r) => r.reason)).toEqual(['hard_bounce']);
  });

  it('fails and suppresses a reader whose stored address cannot go into a header (a space, from before signups were checked)', async () => {
    const sql = test.runtime.database.sql;
    const [, legacy] = await insertReaders(sql, 3);
    await sql`update subscribers set email = 'two words@example.org', email_normalized = 'two words@example.org' where id = ${legacy!}`;
    await startSendingWorkers();
    const done = await sendNow();
    expect(done.deliveries).toMatchObject({ sent: 2, failed: 1 });
    const suppressed = await sql`select reason, detail from suppressions where email_hash = encode(sha256(convert_to('two words@example.org', 'UTF8')), 'hex')`;
    expect(suppressed).toEqual([{ reason: 'hard_bounce', detail: expect.stringContaining('local part') }]);
  });

  it('fails a policy rejection (550 5.7.1) without suppressing the reader', async () => {
    const done = await sendWithOneRefusal(2, 'reader-1@example.org', { code: 550, message: '5.7.1 Message refused by policy' });
    expect(done.deliveries).toMatchObject({ sent: 1, failed: 1 });
    expect(await test.runtime.database.sql`select 1 from suppressions`).toHaveLength(0);
  });

  it('does not send to a reader who unsubscribed after the fan-out', async () => {
    const sql = test.runtime.database.sql;
    const [leaver] = await insertReaders(sql, 2);
    // No deliver worker yet: the fan-out writes the ledger, then the reader leaves.
    workers = await startWorkers(test.runtime, [fanoutProcessor(test.runtime)], []);
    const run = await startManualSend(test.runtime, DATE, 'test');
    await waitUntil('the fan-out', async () => (await findSendRun(sql, run.id))?.status === 'sending');
    await sql`update subscribers set status = 'unsubscribed' where id = ${leaver!}`;
    await workers.close(5000);
    await startSendingWorkers();
    const done = await waitForRun(run.id);
    expect(done.deliveries).toMatchObject({ sent: 1, skipped: 1 });
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-2@example.org']);
  });

  it('sends a weekly edition by hand (POST /admin/editions/YYYY-Www/send) to the weekly readers', async () => {
    const sql = test.runtime.database.sql;
    clockNow = new Date('2026-08-17T07:00:00Z'); // the Monday after 2026-W33
    await assembleEdition(test.runtime, DATE);
    await insertReaders(sql, 1, { frequency: 'weekly' }, 1);
    await insertReaders(sql, 1, { frequency: 'daily' }, 2);
    await startSendingWorkers();
    const app = await buildApp(test.runtime);
    try {
      const response = await app.inject({ method: 'POST', url: '/admin/editions/2026-W33/send', headers: { authorization: 'Bearer dev-admin-token' } });
      expect(response.statusCode).toBe(202);
      expect(response.json().run).toMatchObject({ editionKey: '2026-W33', kind: 'manual', audience: { kind: 'everyone', frequency: 'weekly' } });
      expect(response.json().watch).toBe('/admin/editions/2026-W33');
      expect((await waitForRun(response.json().run.id)).deliveries).toMatchObject({ sent: 1, failed: 0 });
    } finally {
      await app.close();
    }
    expect(smtp.messages.map((m) => m.recipients[0])).toEqual(['reader-1@example.org']);
  });

  it('resumes the unfinished manual run of an edition when it is sent again (POST /admin/editions/D/send), with readers who signed up since', async () => {
    const sql = test.runtime.database.sql;
    const admin = { authorization: 'Bearer dev-admin-token' };
    await insertReaders(sql, 2, {}, 1);
    const app = await buildApp(test.runtime);
    try {
      // Nobody works the queues yet: the first run stays unfinished, as when its sender died.
      const first = await app.inject({ method: 'POST', url: `/admin/editions/${DATE}/send`, headers: admin });
      expect(first.statusCode).toBe(202);
      expect(first.json()).toMatchObject({ resumed: false, run: { status: 'fanning_out' } });
      await insertReaders(sql, 1, {}, 3);
      const again = await app.inject({ method: 'POST', url: `/admin/editions/${DATE}/send`, headers: admin });
      expect(again.statusCode).toBe(202);
      expect(again.json()).toMatchObject({ resumed: true, run: { id: first.json().run.id } });
      await startSendingWorkers();
      expect((await waitForRun(first.json().run.id)).deliveries).toMatchObject({ sent: 3, failed: 0, queued: 0, claimed: 0 });
    } finally {
      await app.close();
    }
    expect(await sql`select count(*)::int as runs from send_runs`).toEqual([{ runs: 1 }]);
    expect(smtp.messages.map((m) => m.recipients[0]).sort()).toEqual(['reader-1@example.org', 'reader-2@example.org', 'reader-3@example.org']);
  });

  it("never sends a missed day's edition on schedule (the newest edition only); an operator's send of it reaches every reader who has not had it", async () => {
    const sql = test.runtime.database.sql;
    clockNow = new Date('2026-08-14T07:00:00Z');
    await insertReaders(sql, 2, {}, 1);
    await startSendingWorkers();
    expect((await sendNow()).deliveries).toMatchObject({ sent: 2 });

    // 2026-02-03 was missed and is frozen late; a newcomer has had no edition yet.
    await importFixtureDay(test.runtime, '2026-02-03');
    await assembleEdition(test.runtime, '2026-02-03');
    await insertReaders(sql, 1, {}, 3);

    // The schedule sends the newest edition only: the newcomer gets 2026-08-13, nobody gets 2026-02-03.
    const runs = await startScheduledRuns(test.runtime);
    expect(runs.map((run) => run.editionKey)).not.toContain('2026-02-03');
    const daily = runs.find((run) => run.editionKey === DATE)!;
    expect((await waitForRun(daily.id)).deliveries).toMatchObject({ sent: 1 });
    // An operator who sends the late day on purpose reaches every reader who has not had it.
    const manual = await waitForRun((await startManualSend(test.runtime, '2026-02-03', 'test')).id);
    expect(manual.deliveries).toMatchObject({ sent: 3, failed: 0 });
    const copies = await sql<{ email: string; key: string }[]>`
      select s.email, e.key from deliveries d join subscribers s on s.id = d.subscriber_id join editions e on e.id = d.edition_id
      order by s.email, e.key`;
    expect(copies).toEqual([
      { email: 'reader-1@example.org', key: '2026-02-03' },
      { email: 'reader-1@example.org', key: DATE },
      { email: 'reader-2@example.org', key: '2026-02-03' },
      { email: 'reader-2@example.org', key: DATE },
      { email: 'reader-3@example.org', key: '2026-02-03' },
      { email: 'reader-3@example.org', key: DATE },
    ]);
  });
});
