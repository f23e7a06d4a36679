import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { buildApp, type App } from '../../services/api/app.js';
import { readerMailOutboxBacklog } from '../../services/core/reader-mail/reader-mail-outbox.js';
import { insertReaders } from '../helpers/factories.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const ADMIN = { authorization: 'Bearer ops-subscribers-token' };

describe('operators: subscriber look-up, import, export and erasure', () => {
  let test: TestRuntime;
  let app: App;

  beforeAll(async () => {
    test = await createTestRuntime('ops-subscribers', { ADMIN_TOKEN: 'ops:ops-subscribers-token' });
    app = await buildApp(test.runtime);
  });
  beforeEach(async () => {
    await test.runtime.database.sql`truncate subscribers, deliveries, suppressions, admin_audit_log cascade`;
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  /** Transactional emails owed (no worker relays them here, so every one stays in the outbox). */
  const queuedMail = async () => (await readerMailOutboxBacklog(test.runtime.database.sql)).count;
  const importCsv = (csv: string, query = '') =>
    app.inject({ method: 'POST', url: `/admin/subscribers/import${query}`, headers: { ...ADMIN, 'content-type': 'text/csv' }, payload: csv });
  const rows = () =>
    test.runtime.database.sql<{ email: string; status: string; frequency: string; topics: string[]; max_papers: number; consent_source: string }[]>`
      select email, status, frequency, topics, max_papers, consent_source from subscribers order by email`;

  const CSV = [
    'email,status,frequency,send_hour,time_zone,topics,max_papers',
    'ada@example.org,confirmed,daily,7,Europe/Berlin,diffusion;agents,5', // line 2
    'not-an-address,confirmed,daily,7,UTC,,5', // line 3: bad address
    'bo@example.org,,weekly,8,UTC,,10', // line 4
    'cy@example.org,confirmed,daily,25,UTC,,5', // line 5: bad hour
    'di@example.org,unsubscribed,daily,7,UTC,,5', // line 6
    'ed@example.org,confirmed,hourly,7,Mars/Olympus,,5', // line 7: bad frequency and zone
    'ADA@example.org,confirmed,daily,7,Europe/Berlin,diffusion;agents,5', // line 8: repeats line 2
    '"fi@example.org,confirmed', // line 9: broken quoting
  ].join('\n');

  it('imports the good lines of a CSV, names the bad ones, and is idempotent on re-import', async () => {
    const first = await importCsv(CSV, '?consentConfirmed=true');
    expect(first.statusCode).toBe(200);
    const report = first.json();
    expect(report).toMatchObject({ created: 3, updated: 0, unchanged: 0, duplicates: 1, suppressed: 0 });
    const badLines = (report.problems as Array<{ line: number; message: string }>).map((problem) => problem.line).sort((a, b) => a - b);
    expect(badLines).toEqual([3, 5, 7, 9]);
    expect(report.problems.find((p: { line: number }) => p.line === 3).message).toMatch(/^email:/);
    expect(report.problems.find((p: { line: number }) => p.line === 5).message).toMatch(/sendHour/);
    expect(report.problems.find((p: { line: number }) => p.line === 7).message).toMatch(/frequency/i);

    expect(await rows()).toEqual([
      { email: 'ADA@example.org', status: 'confirmed', frequency: 'daily', topics: ['diffusion', 'agents'], max_papers: 5, consent_source: 'import' },
      { email: 'bo@example.org', status: 'confirmed', frequency: 'weekly', topics: [], max_papers: 10, consent_source: 'import' },
      { email: 'di@example.org', status: 'unsubscribed', frequency: 'daily', topics: [], max_papers: 5, consent_source: 'import' },
    ]);

    const again = await importCsv(CSV, '?consentConfirmed=true');
    expect(again.json()).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await rows()).toHaveLength(3);
    const audit = await test.runtime.database.sql`select actor, action, params from admin_audit_log where action = 'subscribers.import'`;
    expect(audit).toHaveLength(2);
    expect(audit[0]!.actor).toBe('ops');
  });

  it('reads a quote inside an unquoted cell as text, however many there are, and names the field it breaks', async () => {
    const csv = ['email,time_zone,topics', 'ada@example.org,UTC,the "attention" papers', `bo@example.org,UTC,${'{"a":'.repeat(40_000)}`, 'cy@example.org,UTC,'];
    const response = await importCsv(csv.join('\n'));
    expect(response.statusCode).toBe(200);
    const report = response.json();
    expect(report).toMatchObject({ created: 1, invalid: 2 });
    // Each line is judged by its cells (a topic cannot hold quotes), not refused as broken CSV.
    expect(report.problems.map((p: { line: number; message: string }) => [p.line, /topic/i.test(p.message)])).toEqual([[2, true], [3, true]]);
  });

  it('imports as pending without stated consent, never resubscribes an unsubscribed reader, and confirms pending ones later', async () => {
    await insertReaders(test.runtime.database.sql, 1, { status: 'unsubscribed' }); // reader-1@example.org
    const pending = await importCsv('email\nnew@example.org\nreader-1@example.org\n');
    expect(pending.json()).toMatchObject({ created: 1, unchanged: 1 });
    expect((await rows()).map((r) => [r.email, r.status])).toEqual([
      ['new@example.org', 'pending'],
      ['reader-1@example.org', 'unsubscribed'],
    ]);
    // Consent stated now: the pending reader is confirmed; the unsubscribed one stays so.
    const confirmed = await importCsv('email\nnew@example.org\nreader-1@example.org\n', '?consentConfirmed=true');
    expect(confirmed.json()).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect((await rows()).map((r) => r.status)).toEqual(['confirmed', 'unsubscribed']);
    // No confirmation email is queued by an import.
    expect(await queuedMail()).toBe(0);
  });

  it('imports JSON (an array, or NDJSON) streamed, and refuses a broken body with nothing imported', async () => {
    const array = await app.inject({
      method: 'POST',
      url: '/admin/subscribers/import?consentConfirmed=true',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      payload: JSON.stringify([{ email: 'json-1@example.org', topics: ['llm'], maxPapers: 3 }, { email: 'bad' }, { email: 'json-2@example.org', frequency: 'weekly' }]),
    });
    expect(array.statusCode).toBe(200);
    expect(array.json()).toMatchObject({ created: 2, invalid: 1, problems: [{ line: 2 }] });
    const ndjson = await app.inject({
      method: 'POST',
      url: '/admin/subscribers/import',
      headers: { ...ADMIN, 'content-type': 'application/x-ndjson' },
      payload: '{"email":"json-3@example.org"}\n{"email":"json-1@example.org"}\n',
    });
    expect(ndjson.json()).toMatchObject({ created: 1, unchanged: 1 });
    const broken = await app.inject({
      method: 'POST',
      url: '/admin/subscribers/import',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      payload: '[{"email":"json-4@example.org"}, {"email": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatch(/nothing was imported/);
    expect((await rows()).map((r) => r.email)).toEqual(['json-1@example.org', 'json-2@example.org', 'json-3@example.org']);
    const noEmailColumn = await importCsv('name,status\nAda,confirmed\n');
    expect(noEmailColumn.statusCode).toBe(400);
    expect(JSON.stringify(noEmailColumn.json())).toMatch(/email column/);
    // Any other type is refused as such, naming the ones accepted: plain text is not taken for CSV.
    for (const [type, payload] of [['application/xml', '<x/>'], ['text/plain', 'email\nplain@example.org\n']]) {
      const wrongType = await app.inject({ method: 'POST', url: '/admin/subscribers/import', headers: { ...ADMIN, 'content-type': type! }, payload });
      expect(wrongType.statusCode, type).toBe(415);
      expect(wrongType.json().error).toMatch(/text\/csv.*application\/json.*application\/x-ndjson/);
      expect(wrongType.json().details).toEqual([{ field: 'content-type', message: `"${type}" is not one of them` }]);
    }
    // The format stated in the query string overrides the type.
    const stated = await app.inject({ method: 'POST', url: '/admin/subscribers/import?format=csv', headers: { ...ADMIN, 'content-type': 'text/plain' }, payload: 'email\nplain@example.org\n' });
    expect(stated.json()).toMatchObject({ created: 1 });
  });

  it('imports JSON whose objects carry "__proto__" or "constructor" keys, naming them as ignored', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/admin/subscribers/import',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      payload: '[{"email":"proto@example.org","__proto__":{"status":"confirmed"},"constructor":{"prototype":{"polluted":true}}}]',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ created: 1, invalid: 0 });
    expect(response.json().ignoredColumns.sort()).toEqual(['__proto__', 'constructor']);
    expect((await rows()).map((r) => [r.email, r.status])).toEqual([['proto@example.org', 'pending']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('exports every reader as CSV that imports back to the same readers', async () => {
    await importCsv(CSV, '?consentConfirmed=true');
    await insertReaders(test.runtime.database.sql, 2500, {}, 1, 'bulk.example.org'); // more than one cursor batch
    await test.runtime.database.sql`update subscribers set paused_until = '2026-09-01T07:00:00Z', images = false where email = 'reader-1@bulk.example.org'`;
    await insertReaders(test.runtime.database.sql, 1, { trending: false, arxivCategories: ['cs.CL', 'hep-th'] }, 1, 'arxiv.example.org');
    const sources = () => test.runtime.database.sql`select email, trending, arxiv_categories from subscribers where trending is false or arxiv_categories <> '{}' order by email`;
    const before = await rows();
    const sourcesBefore = await sources();
    expect(sourcesBefore).toEqual([{ email: 'reader-1@arxiv.example.org', trending: false, arxiv_categories: ['cs.CL', 'hep-th'] }]);
    const exported = await app.inject({ method: 'GET', url: '/admin/subscribers/export', headers: ADMIN });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('text/csv');
    const records = parse(exported.body, { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(2504);
    expect(records.find((record) => record.email === 'reader-1@arxiv.example.org')).toMatchObject({ trending: 'false', arxiv_categories: 'cs.CL;hep-th' });
    expect(records.find((record) => record.email === 'ADA@example.org')).toMatchObject({ status: 'confirmed', topics: 'diffusion;agents', time_zone: 'Europe/Berlin', paused_until: '', images: 'true' });
    expect(records.find((record) => record.email === 'reader-1@bulk.example.org')).toMatchObject({ paused_until: '2026-09-01T07:00:00.000Z', images: 'false' });

    await test.runtime.database.sql`truncate subscribers, deliveries cascade`;
    const back = await importCsv(exported.body, '?consentConfirmed=true');
    expect(back.json()).toMatchObject({ created: 2504, invalid: 0, ignoredColumns: [] });
    expect(await rows()).toEqual(before);
    expect(await sources()).toEqual(sourcesBefore);
  });

  it('exports no cell a spreadsheet runs as a formula, and imports the export back to the same readers', async () => {
    const sql = test.runtime.database.sql;
    const signup = await app.inject({ method: 'POST', url: '/subscribe', payload: { email: '=2+3@example.org' } });
    expect(signup.statusCode).toBe(202);
    // Formula triggers, and addresses that really start with a quote (before a trigger or not).
    const addresses = ["=cmd|'/Ccalc'!A0@example.org", '+1+1@example.org', '-1+1@example.org', "'=quoted@example.org", "''+twice@example.org", "'plain@example.org"];
    const imported = await app.inject({
      method: 'POST',
      url: '/admin/subscribers/import?consentConfirmed=true',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      payload: JSON.stringify(addresses.map((email, i) => ({ email, frequency: i % 2 ? 'weekly' : 'daily', weekday: i + 1, topics: ['llm'], consentAt: '2026-01-02T03:04:05.000Z' }))),
    });
    expect(imported.json()).toMatchObject({ created: addresses.length, invalid: 0 });
    // Every field an import carries (the consent source then says "import", by design).
    const everyField = () =>
      sql`select email, email_normalized, status, frequency, weekday, send_hour, time_zone, topics, max_papers, consent_at from subscribers order by email`;
    const before = await everyField();
    expect(before.map((row) => row.email).sort()).toEqual([...addresses, '=2+3@example.org'].sort());

    const exported = await app.inject({ method: 'GET', url: '/admin/subscribers/export', headers: ADMIN });
    const cells = (parse(exported.body) as string[][]).flat();
    expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    expect(cells).toContain("'plain@example.org"); // a quote before no trigger is left alone

    await sql`truncate subscribers, deliveries cascade`;
    const back = await importCsv(exported.body, '?consentConfirmed=true');
    expect(back.json()).toMatchObject({ created: addresses.length + 1, invalid: 0 });
    expect(await everyField()).toEqual(before);
  });

  it('looks readers up by address and status, in keyset pages', async () => {
    await insertReaders(test.runtime.database.sql, 5);
    await insertReaders(test.runtime.database.sql, 2, { status: 'pending' }, 6);
    const page1 = await app.inject({ method: 'GET', url: '/admin/subscribers?query=READER-&status=confirmed&limit=3', headers: ADMIN });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().subscribers.map((s: { email: string }) => s.email)).toEqual(['reader-1@example.org', 'reader-2@example.org', 'reader-3@example.org']);
    // A reader's pause and image choice are there for the operator too.
    expect(page1.json().subscribers[0]).toMatchObject({ pausedUntil: null, images: true });
    const page2 = await app.inject({ method: 'GET', url: `/admin/subscribers?query=reader-&status=confirmed&limit=3&after=${page1.json().next}`, headers: ADMIN });
    expect(page2.json().subscribers.map((s: { email: string }) => s.email)).toEqual(['reader-4@example.org', 'reader-5@example.org']);
    expect(page2.json().next).toBeNull();
    const pending = await app.inject({ method: 'GET', url: '/admin/subscribers?status=pending', headers: ADMIN });
    expect(pending.json().subscribers).toHaveLength(2);
    const bad = await app.inject({ method: 'GET', url: '/admin/subscribers?status=gone', headers: ADMIN });
    expect(bad.statusCode).toBe(400);
    const nul = await app.inject({ method: 'GET', url: '/admin/subscribers?query=reader%00', headers: ADMIN });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().details[0].field).toBe('query');
  });

  it('erases a reader with their history, keeping a suppression that blocks a new signup and an import', async () => {
    const sql = test.runtime.database.sql;
    const [id] = await insertReaders(sql, 1, {}, 1, 'erase.example.org'); // reader-1@erase.example.org
    const [edition] = await sql<{ id: string }[]>`
      insert into editions (kind, key, period_start, period_end) values ('daily', '2026-09-01', '2026-09-01', '2026-09-01') returning id`;
    const [variant] = await sql<{ id: number }[]>`insert into edition_variants (edition_id, paper_ids) values (${edition!.id}, '{2609.00001}') returning id`;
    await sql`insert into sent_papers (subscriber_id, edition_id, variant_id) values (${id!}, ${edition!.id}, ${variant!.id})`;
    const [other] = await insertReaders(sql, 1, {}, 1, 'kept.example.org');
    for (const reader of [id!, other!]) {
      await sql`insert into deliveries (send_run_id, edition_id, subscriber_id, status, variant_id, sent_at)
                values (1, ${edition!.id}, ${reader}, 'sent', ${variant!.id}, now())`;
    }
    const erased = await app.inject({ method: 'DELETE', url: `/admin/subscribers/${id}`, headers: ADMIN });
    expect(erased.statusCode).toBe(204);
    expect(await sql`select 1 from subscribers where id = ${id!}`).toHaveLength(0);
    expect(await sql`select 1 from sent_papers where subscriber_id = ${id!}`).toHaveLength(0);
    // Their ledger rows go too (no foreign key does it), and only theirs.
    expect(await sql`select subscriber_id from deliveries where edition_id = ${edition!.id}`).toEqual([{ subscriber_id: String(other!) }]);
    const [suppression] = await sql<{ email_hash: string; reason: string }[]>`select email_hash, reason from suppressions`;
    expect(suppression!.reason).toBe('erased');
    expect(suppression!.email_hash).toMatch(/^[0-9a-f]{64}$/);
    const audit = await sql`select actor, action, target, params::text as params from admin_audit_log where action = 'subscribers.erase'`;
    expect(audit).toEqual([{ actor: 'ops', action: 'subscribers.erase', target: String(id), params: '{}' }]);
    expect((await app.inject({ method: 'DELETE', url: `/admin/subscribers/${id}`, headers: ADMIN })).statusCode).toBe(404);

    const jobsBefore = await queuedMail();
    const signup = await app.inject({ method: 'POST', url: '/subscribe', payload: { email: 'Reader-1@erase.example.org' } });
    expect(signup.statusCode).toBe(202);
    expect(await sql`select 1 from subscribers where email_normalized = 'reader-1@erase.example.org'`).toHaveLength(0);
    expect(await queuedMail()).toBe(jobsBefore);
    // The same request for an address never erased does create a reader and queue its mail.
    await app.inject({ method: 'POST', url: '/subscribe', payload: { email: 'reader-2@erase.example.org' } });
    expect(await sql`select 1 from subscribers where email_normalized = 'reader-2@erase.example.org'`).toHaveLength(1);
    expect(await queuedMail()).toBe(jobsBefore + 1);

    const imported = await importCsv('email\nreader-1@erase.example.org\n', '?consentConfirmed=true');
    expect(imported.json()).toMatchObject({ created: 0, suppressed: 1, problems: [{ line: 2 }] });
    expect(await sql`select 1 from subscribers where email_normalized = 'reader-1@erase.example.org'`).toHaveLength(0);
  });
});
