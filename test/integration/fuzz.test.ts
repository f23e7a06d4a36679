import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { errorSchema } from '../../services/api/error-schema.js';
import { assembleEdition } from '../../services/core/editions/edition-service.js';
import { createToken, type TokenPurpose } from '../../services/core/platform/tokens/tokens.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { seededRandom, type Random } from '../helpers/fuzz.js';
import { readHfFixture, startHfReplayServer, type HfReplayServer } from '../helpers/hf-replay-server.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Hostile input at every public and admin route: generated addresses, JSON shapes, link tokens,
 * query strings, sizes and content types, from a seeded generator (FUZZ_SEED=n replays another
 * sequence, FUZZ_REQUESTS=n sends more, FUZZ_TRACE=1 prints each request before it goes). Every
 * answer must be below 500; every 4xx must carry the API's error shape (JSON
 * `{ error, details }`, or an HTML page) and leave every table exactly as it was.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20260413);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1500);
const ADMIN_TOKEN = 'fuzz-admin-token';
const FIXTURE_DAY = '2026-02-03';

interface FuzzRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

let test: TestRuntime;
let app: App;
let hf: HfReplayServer;
const clock = { now: new Date('2026-02-04T09:00:00Z') };
/** Readers that exist when the fuzzing starts: confirmed, pending, unsubscribed. */
let readerIds: number[] = [];

beforeAll(async () => {
  hf = await startHfReplayServer();
  test = await createTestRuntime(
    'fuzz',
    { ADMIN_TOKEN, SIGNUP_RATE_LIMIT: '100000', HF_API_URL: hf.url, INGEST_DAYS: '1' },
    { clock: () => clock.now },
  );
  app = await buildApp(test.runtime);
  await importFixtureDay(test.runtime, FIXTURE_DAY);
  await assembleEdition(test.runtime, FIXTURE_DAY);
  // The HF stand-in serves the recorded day, and today with items Postgres would refuse (left out).
  hf.days.set(FIXTURE_DAY, readHfFixture(FIXTURE_DAY));
  const today = readHfFixture(FIXTURE_DAY) as Array<{ paper: Record<string, unknown> }>;
  today[0]!.paper.title = 'a\u0000b';
  today[1]!.paper.upvotes = 2 ** 40;
  hf.days.set('2026-02-04', today);
  const { sql } = test.runtime.database;
  readerIds = [
    ...(await insertReaders(sql, 3, { status: 'confirmed' }, 1)),
    ...(await insertReaders(sql, 2, { status: 'pending' }, 10)),
    ...(await insertReaders(sql, 1, { status: 'unsubscribed' }, 20)),
  ];
});

afterAll(async () => {
  await app?.close();
  await test?.cleanup();
  await hf?.close();
});

// ---------------------------------------------------------------------------------------------
// Generators

const FORMULA = ['=', '+', '-', '@', '\t', '\r'];
const TRICKY_CHARS = [
  '\u0000', '\r\n', '\n', '\r', '\t', '\u200b', '\u200d', '\u202e', '\u2066', '\ufeff', '\ufffd', '\uff0e', '\u3002', '\uff20',
  '\u0301', 'ü', 'u\u0301', '用户', '例子', '🙂', '\ud800', '\udfff', '"', "'", '\\', '<', '>', '&', '%', '%00', '%0d%0a', '..', '/',
  ';', ',', ' ', '=', '+', '#', '?', '$', '`', '{', '}', '[', ']', '|',
];
const STRINGS = [
  '', ' ', 'a', '0', '-1', '1e400', 'NaN', 'null', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype',
  "' OR 1=1 --", "'; drop table subscribers; --", '$(reboot)', '<script>alert(1)</script>', '{{7*7}}', '${7*7}', '../../../etc/passwd',
  '%s%s%s%n', '\u0000', 'a\u0000b', '\r\nBcc: victim@example.org', '=cmd|\' /C calc\'!A0', '2026-02-03', '2026-W06', '9999-12-31',
  '0000-01-01', '2026-02-30', 'daily', 'weekly', 'UTC', 'Europe/Berlin', 'Mars/Olympus', 'failed', 'all', 'true', 'false',
];

function trickyString(r: Random, maxLength = 60): string {
  const parts: string[] = [];
  const count = r.int(0, 6);
  for (let i = 0; i < count; i += 1) {
    parts.push(r.chance(0.5) ? r.pick(TRICKY_CHARS) : r.pick(STRINGS));
    if (r.chance(0.3)) parts.push('x'.repeat(r.int(1, maxLength)));
  }
  return parts.join('');
}

function hugeString(r: Random): string {
  return r.pick(['a', 'é', '\u0000', '🙂', '%', '0']).repeat(r.pick([101, 255, 1000, 5000, 20_000]));
}

function anyString(r: Random): string {
  const roll = r.next();
  if (roll < 0.05) return hugeString(r);
  if (roll < 0.4) return r.pick(STRINGS);
  return trickyString(r);
}

const DOMAINS = [
  'example.org', 'EXAMPLE.ORG', 'bücher.example', 'xn--bcher-kva.example', 'ex\uff0eample.com', 'ex\u3002ample.com', '例子.广告', 'localhost',
  '[127.0.0.1]', '[IPv6:::1]', '127.0.0.1', 'example', '-bad-.example', 'a..b.example', '.example.org', 'example.org.', 'exa mple.org',
  `${'a'.repeat(64)}.example`, `${'a.'.repeat(130)}org`, 'xn--.example', 'xn--zz.example', 'example.org\r\nBcc: x@evil.example',
];
const LOCAL_PARTS = [
  'reader', 'Reader.Name', 'reader+tag', '"quoted local"', '"a\\"b"', '"a@b"', 'a..b', '.a', 'a.', 'josé', 'üser', '用户', 'u\u0301ser',
  'a\u200bb', 'a\u202eb', 'a\ufffdb', ...FORMULA.map((f) => `${f}1+1`), "=cmd|'/Ccalc'!A0", 'a'.repeat(64), 'a'.repeat(65), '', ' ',
  'reader-1', 'reader-10', 'a\u0000b', 'a\r\nb', 'a b', '<a>', 'a(comment)', 'a;b', 'a,b',
];

function address(r: Random): unknown {
  const roll = r.next();
  if (roll < 0.08) return r.pick([null, 0, 1e308, -1, true, false, [], {}, ['a@example.org'], { email: 'a@example.org' }]);
  if (roll < 0.12) return anyString(r);
  if (roll < 0.15) return `${'a'.repeat(r.int(60, 300))}@${'b'.repeat(r.int(60, 300))}.example`;
  const at = r.pick(['@', '@', '@', '@@', '\uff20', '']);
  const text = `${r.pick(LOCAL_PARTS)}${r.chance(0.2) ? trickyString(r, 5) : ''}${at}${r.pick(DOMAINS)}`;
  return r.chance(0.15) ? ` ${text}\t` : text;
}

const NUMBERS = [0, -0, -1, 1, 1.5, 7, 23, 24, 25, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e308, -1e308, 1e-320];

/** Any JSON value, up to `depth` levels of containers. */
function jsonValue(r: Random, depth = 3): unknown {
  const roll = r.next();
  if (roll < 0.2) return r.pick(NUMBERS);
  if (roll < 0.45) return anyString(r);
  if (roll < 0.55) return r.pick([true, false, null]);
  if (depth <= 0 || roll < 0.6) return r.pick(['', 0, null]);
  if (roll < 0.8) return Array.from({ length: r.int(0, 4) }, () => jsonValue(r, depth - 1));
  const object: Record<string, unknown> = {};
  for (let i = 0; i < r.int(0, 4); i += 1) object[anyString(r).slice(0, 40)] = jsonValue(r, depth - 1);
  return object;
}

/** JSON text of an object with `fields` set to hostile values (and sometimes a __proto__ key). */
function jsonObjectText(r: Random, fields: Record<string, () => unknown>): string {
  const entries: string[] = [];
  for (const [name, make] of Object.entries(fields)) {
    if (r.chance(0.7)) entries.push(`${JSON.stringify(name)}:${JSON.stringify(r.chance(0.6) ? make() : jsonValue(r)) ?? 'null'}`);
  }
  if (r.chance(0.15)) entries.push(`"__proto__":${JSON.stringify(jsonValue(r, 1)) ?? '{}'}`);
  if (r.chance(0.1)) entries.push(`"constructor":{"prototype":{"polluted":true}}`);
  return `{${entries.join(',')}}`;
}

function deepNesting(r: Random, maxBytes: number): string {
  const depth = r.int(100, Math.floor(maxBytes / 2) - 10);
  return r.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth / 3)}1${'}'.repeat(depth / 3)}`;
}

/** Bodies that are not what the route expects at all: broken JSON, wrong types, sizes. */
function oddBody(r: Random, maxBytes: number): { payload: string | Buffer; contentType?: string } {
  const json = 'application/json';
  const options: Array<() => { payload: string | Buffer; contentType?: string }> = [
    () => ({ payload: '', contentType: json }),
    () => ({ payload: '{', contentType: json }),
    () => ({ payload: '{"email": "a@example.org",}', contentType: json }),
    () => ({ payload: JSON.stringify(jsonValue(r)) ?? 'null', contentType: json }),
    () => ({ payload: 'null', contentType: json }),
    () => ({ payload: '"just a string"', contentType: json }),
    () => ({ payload: '12345678901234567890123456789', contentType: json }),
    () => ({ payload: deepNesting(r, Math.min(maxBytes, 200_000)), contentType: json }),
    () => ({ payload: `{"a":"${'x'.repeat(maxBytes + r.int(1, 1000))}"}`, contentType: json }),
    () => ({ payload: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28]), contentType: json }),
    () => ({ payload: '{"email":"a@example.org"}', contentType: 'application/json; charset=utf-16' }),
    () => ({ payload: '{"email":"a@example.org"}', contentType: 'text/plain' }),
    () => ({ payload: 'email=a%40example.org&email=b%40example.org', contentType: 'application/x-www-form-urlencoded' }),
    () => ({ payload: `email=${encode(String(address(r)))}&topics=%00&maxPapers=1e9`, contentType: 'application/x-www-form-urlencoded' }),
    () => ({ payload: 'email=%E0%A4%A&x=%ZZ', contentType: 'application/x-www-form-urlencoded' }),
    () => ({ payload: '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nx@example.org\r\n--b--\r\n', contentType: 'multipart/form-data; boundary=b' }),
    () => ({ payload: 'a,b,c\n1,2,3', contentType: 'text/csv' }),
    () => ({ payload: '<xml/>', contentType: 'application/xml' }),
    () => ({ payload: 'whatever', contentType: r.pick(['', 'application/json-patch+json', 'application/x-www-form-urlencoded; charset=latin1', '*/*', 'json']) }),
    () => ({ payload: 'x'.repeat(r.int(1, 3000)) }),
  ];
  return r.pick(options)();
}

const TOKEN_PURPOSES: TokenPurpose[] = ['confirm', 'unsubscribe', 'preferences'];

function linkToken(r: Random): string | undefined {
  const secret = test.config.secretKey;
  const id = r.chance(0.7) ? r.pick(readerIds) : r.pick([0, 1, 999_999, 2 ** 31, 2 ** 53 - 1, Number.MAX_SAFE_INTEGER]);
  const valid = createToken(secret, {
    subscriberId: id,
    purpose: r.pick(TOKEN_PURPOSES),
    ...(r.chance(0.2) ? { expiresAt: new Date(clock.now.getTime() + r.int(-100_000, 100_000) * 1000) } : {}),
  });
  const options: Array<() => string | undefined> = [
    () => valid,
    () => valid,
    () => undefined,
    () => '',
    () => valid.slice(0, r.int(0, valid.length - 1)),
    () => {
      const at = r.int(0, valid.length - 1);
      return `${valid.slice(0, at)}${valid[at] === 'a' ? 'b' : 'a'}${valid.slice(at + 1)}`;
    },
    () => `${valid}${anyString(r)}`,
    () => valid.replace(/^(\w)\.(\w+)\./, `$1.${r.pick(['zzzzzzzzzzzzz', '0', '-1', 'ZZ', '1e10', ''])}.`),
    () => `c.${r.pick(['zzzzzzzzzzzzz', '3w5e11264sgsf', '1y2p0ij32e8e7'])}.0.${'A'.repeat(24)}`,
    () => anyString(r),
    () => hugeString(r),
    () => `${valid}.${valid}`,
  ];
  return r.pick(options)();
}

/** encodeURIComponent, with lone surrogates (which no UTF-8 URL can carry) as U+FFFD. */
const encode = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

/** A query string: the wanted parameters (hostile or not), repeated ones, junk, broken escapes. */
function queryString(r: Random, params: Record<string, () => string | undefined>): string {
  const parts: string[] = [];
  for (const [name, make] of Object.entries(params)) {
    if (!r.chance(0.85)) continue;
    const value = make();
    if (value === undefined) continue;
    const times = r.chance(0.08) ? 2 : 1;
    for (let i = 0; i < times; i += 1) parts.push(`${name}=${r.chance(0.05) ? value : encode(value)}`);
  }
  if (r.chance(0.1)) parts.push(r.pick(['%', '%E0%A4%A', 'a=%00', '%00=%00', '&&&', '=', '__proto__[x]=1', 'constructor=1', `x=${'y'.repeat(20_000)}`]));
  if (r.chance(0.05)) parts.push(`${anyString(r).replace(/[#\s]/g, '')}=${encode(anyString(r))}`);
  const text = parts.join('&');
  return text ? `?${text}` : '';
}

const editionKey = (r: Random) =>
  r.chance(0.5) ? r.pick([FIXTURE_DAY, '2026-02-02', '2026-W05', '2026-W06', '2026-W07', '2019-12-31', '9999-12-31', '2026-02-05']) : r.pick(STRINGS);

function pathSegment(r: Random, make: () => string): string {
  const roll = r.next();
  if (roll < 0.06) return 'x'.repeat(r.pick([99, 100, 101, 150, 1000, 8000]));
  if (roll < 0.1) return r.pick(['%', '%E0%A4%A', '%00', '%2F', '..', '%2e%2e', '', ' ']);
  return encode(make());
}

function adminHeaders(r: Random): Record<string, string> {
  const roll = r.next();
  if (roll < 0.82) return { authorization: `Bearer ${ADMIN_TOKEN}` };
  return r.pick<Record<string, string>>([
    {},
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: `Bearer ${ADMIN_TOKEN}x` },
    { authorization: `bearer ${ADMIN_TOKEN.slice(0, -1)}` },
    { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
    { authorization: `Bearer ${'a'.repeat(8000)}` },
    { authorization: `Bearer  ${ADMIN_TOKEN}` },
    { cookie: 'paperboy_admin=YWRtaW4.9999999999.forged' },
  ]);
}

function publicHeaders(r: Random): Record<string, string> {
  const headers: Record<string, string> = {};
  if (r.chance(0.4)) headers.accept = r.pick(['application/json', 'text/html', '*/*', 'application/json, text/html;q=0.1', 'image/png']);
  if (r.chance(0.05)) headers['user-agent'] = r.pick(['', 'x'.repeat(5000), 'Mozilla/5.0 ü']);
  if (r.chance(0.03)) headers['x-forwarded-for'] = r.pick(['1.2.3.4, 5.6.7.8', 'not-an-ip', '::1', '999.999.999.999']);
  return headers;
}

/** Fills in a POST's body: usually the route's own fields with hostile values, sometimes anything at all. */
function withBody(r: Random, request: FuzzRequest, fields: Record<string, () => unknown>, maxBytes: number, form = true): FuzzRequest {
  const roll = r.next();
  if (roll < 0.25) {
    const odd = oddBody(r, maxBytes);
    return { ...request, payload: odd.payload, headers: { ...request.headers, ...(odd.contentType ? { 'content-type': odd.contentType } : {}) } };
  }
  if (form && roll < 0.55) {
    const params = new URLSearchParams();
    for (const [name, make] of Object.entries(fields)) {
      if (!r.chance(0.75)) continue;
      const value = make();
      params.append(name, typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
      if (r.chance(0.05)) params.append(name, anyString(r));
    }
    return { ...request, payload: params.toString(), headers: { ...request.headers, 'content-type': 'application/x-www-form-urlencoded' } };
  }
  if (roll < 0.95) return { ...request, payload: jsonObjectText(r, fields), headers: { ...request.headers, 'content-type': 'application/json' } };
  return request;
}

const preferenceValues = (r: Random) => ({
  frequency: () => r.pick(['daily', 'weekly', 'DAILY', 'monthly', '', anyString(r)]),
  weekday: () => r.pick([0, 1, 7, 8, -1, '3', '1e2', 2 ** 53, anyString(r)]),
  sendHour: () => r.pick([0, 23, 24, -1, '6', '6.5', 2 ** 31, anyString(r)]),
  timeZone: () => r.pick(['UTC', 'Europe/Berlin', 'America/Argentina/ComodRivadavia', 'Etc/GMT+14', 'Mars/Base', '../../etc/localtime', anyString(r)]),
  topics: () => r.pick(['LLM, diffusion', '', ',,,', ['a', 'b'], [1, null, {}], 'x'.repeat(5000), Array.from({ length: 500 }, (_, i) => `t${i}`).join(','), anyString(r)]),
  maxPapers: () => r.pick([1, 10, 0, 51, -5, '5', 1e9, 2 ** 63, anyString(r)]),
});

type Generator = (r: Random) => FuzzRequest;

const publicRoutes: Generator[] = [
  (r) => ({ method: 'GET', url: `/${queryString(r, { x: () => anyString(r) })}`, headers: publicHeaders(r) }),
  (r) =>
    withBody(r, { method: 'POST', url: '/subscribe', headers: publicHeaders(r) }, { email: () => address(r), ...preferenceValues(r), website: () => r.pick(['', '', 'http://spam.example', anyString(r)]) }, 16 * 1024),
  ...(['/confirm', '/unsubscribe', '/preferences', '/preferences/export'] as const).map(
    (path): Generator =>
      (r) => ({ method: 'GET', url: `${path}${queryString(r, { token: () => linkToken(r), saved: () => anyString(r) })}`, headers: publicHeaders(r) }),
  ),
  ...(['/confirm', '/unsubscribe', '/resubscribe'] as const).map(
    (path): Generator =>
      (r) =>
        withBody(
          r,
          { method: 'POST', url: `${path}${queryString(r, { token: () => linkToken(r) })}`, headers: publicHeaders(r) },
          { 'List-Unsubscribe': () => r.pick(['One-Click', anyString(r)]), frequency: () => r.pick(['weekly', 'daily', anyString(r)]) },
          8 * 1024,
        ),
  ),
  (r) => withBody(r, { method: 'POST', url: `/preferences${queryString(r, { token: () => linkToken(r) })}`, headers: publicHeaders(r) }, preferenceValues(r), 16 * 1024),
  (r) => withBody(r, { method: 'POST', url: '/links/resend', headers: publicHeaders(r) }, { email: () => address(r), website: () => r.pick(['', anyString(r)]) }, 8 * 1024),
  (r) => ({ method: 'GET', url: `/editions${queryString(r, { before: () => editionKey(r) })}`, headers: publicHeaders(r) }),
  (r) => ({ method: 'GET', url: `/editions/${pathSegment(r, () => editionKey(r))}`, headers: publicHeaders(r) }),
  (r) => ({ method: 'GET', url: `/feed.xml${queryString(r, { x: () => anyString(r) })}`, headers: publicHeaders(r) }),
  (r) => ({ method: 'GET', url: r.pick(['/healthz', '/readyz', '/metrics', '/links/resend', '/assets/timezone.js', '/dev/outbox']), headers: publicHeaders(r) }),
  (r) => ({ method: 'GET', url: `/dev/outbox/${pathSegment(r, () => r.pick(['x.eml', '../package.json', '..%2Fpackage.json', anyString(r)]))}${r.pick(['', '/html', '/raw'])}`, headers: publicHeaders(r) }),
  (r) => ({
    method: r.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'GET', 'POST'] as const),
    url: r.pick([`/${pathSegment(r, () => anyString(r))}`, `/${'a/'.repeat(r.int(1, 2000))}`, '//subscribe', '/subscribe/', '/SUBSCRIBE', '/%2e%2e/admin/papers']),
    headers: publicHeaders(r),
  }),
];

function admin(r: Random, method: FuzzRequest['method'], url: string): FuzzRequest {
  return { method, url: `/admin${url}`, headers: adminHeaders(r) };
}

let fixtureItems: unknown[] | undefined;

const paperItem = (r: Random) => {
  fixtureItems ??= readHfFixture(FIXTURE_DAY);
  const item = structuredClone(r.pick(fixtureItems)) as { paper: Record<string, unknown>; [key: string]: unknown };
  const field = r.pick(['id', 'title', 'summary', 'authors', 'publishedAt', 'upvotes', 'submittedOnDailyAt', 'ai_keywords', 'githubStars', 'projectPage']);
  item.paper[field] = r.chance(0.8) ? jsonValue(r) : r.pick([2 ** 40, 'a\u0000b', '0000-01-01T00:00:00Z', '9999-12-31T00:00:00Z', -1, [{ name: 'a\u0000' }]]);
  if (r.chance(0.2)) item.numComments = r.pick(NUMBERS);
  return item;
};

const adminRoutes: Generator[] = [
  (r) => {
    const request = admin(r, 'POST', `/papers${queryString(r, { date: () => editionKey(r) })}`);
    if (r.chance(0.3)) return { ...request, ...withBody(r, request, {}, 32 * 1024 * 1024, false) };
    const items = Array.from({ length: r.int(0, 3) }, () => (r.chance(0.8) ? paperItem(r) : jsonValue(r)));
    return { ...request, payload: JSON.stringify(r.chance(0.9) ? items : { items }), headers: { ...request.headers, 'content-type': 'application/json' } };
  },
  (r) => admin(r, 'GET', `/papers${queryString(r, { date: () => editionKey(r) })}`),
  (r) => withBody(r, admin(r, 'POST', '/ingest'), { date: () => editionKey(r), wait: () => r.pick([true, true, false, 'false', 0, null]) }, 1024 * 1024, false),
  (r) => admin(r, 'GET', `/editions${queryString(r, { limit: () => r.pick(['1', '0', '201', '-1', '1e3', '2.5', 'abc', String(2 ** 63)]), before: () => editionKey(r) })}`),
  (r) => admin(r, 'GET', `/editions/${pathSegment(r, () => editionKey(r))}`),
  (r) => admin(r, 'POST', `/editions/${pathSegment(r, () => editionKey(r))}/assemble`),
  (r) => admin(r, 'POST', `/editions/${pathSegment(r, () => editionKey(r))}/send`),
  (r) =>
    withBody(
      r,
      {
        ...admin(r, 'POST', `/editions/${pathSegment(r, () => editionKey(r))}/resend${queryString(r, { dryRun: () => r.pick(['true', 'false', 'yes', anyString(r)]) })}`),
        ...(r.chance(0.3) ? { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'idempotency-key': r.pick(['k1', 'k1', '', 'x'.repeat(300), 'ü']) } } : {}),
      },
      { to: () => r.pick(['failed', 'all', 'none', [], ['reader-1@example.org'], [address(r), address(r)], Array.from({ length: r.int(0, 1200) }, () => 'a@example.org'), [1, null]]) },
      1024 * 1024,
      false,
    ),
  (r) => admin(r, 'GET', `/editions/${pathSegment(r, () => editionKey(r))}/preview${queryString(r, { format: () => r.pick(['html', 'text', 'pdf', anyString(r)]) })}`),
  (r) =>
    admin(r, 'GET', `/subscribers${queryString(r, { query: () => (r.chance(0.5) ? String(address(r)) : anyString(r)), status: () => r.pick(['pending', 'confirmed', 'x']), limit: () => r.pick(['1', '500', '501', '0', '-1', 'a', '1e9']), after: () => r.pick(['0', '-1', String(2 ** 63), '1.5', 'z', String(2 ** 53)]) })}`),
  (r) => admin(r, 'DELETE', `/subscribers/${pathSegment(r, () => r.pick(['0', '-1', '1.5', '1e3', String(2 ** 31), String(2 ** 63), '99999999999999999999', 'abc', '0x10', ' 1', String(r.pick(readerIds))]))}`),
  (r) => admin(r, 'GET', `/subscribers/export${queryString(r, { x: () => anyString(r) })}`),
  (r) => {
    const request = admin(r, 'POST', `/subscribers/import${queryString(r, { consentConfirmed: () => r.pick(['true', 'false', 'yes']), format: () => r.pick(['csv', 'json', 'xml']) })}`);
    const rows = Array.from({ length: r.int(0, 4) }, () => ({ email: address(r), status: r.pick(['confirmed', 'pending', 'unsubscribed', 'x', 1]), frequency: r.pick(['daily', 7]), send_hour: r.pick([7, 99, '2']), consent_at: r.pick(['2026-01-01', '0000-01-01', 'x', 2 ** 40]) }));
    const csv = () => ['email,status,send_hour,consent_at', ...rows.map((row) => [row.email, row.status, row.send_hour, row.consent_at].map((v) => `"${String(v).replace(/"/g, '""')}"`).join(','))].join('\n');
    const body = r.pick([
      () => ({ payload: JSON.stringify(rows), contentType: 'application/json' }),
      () => ({ payload: csv(), contentType: 'text/csv' }),
      () => ({ payload: rows.map((row) => JSON.stringify(row)).join('\n'), contentType: 'application/x-ndjson' }),
      () => oddBody(r, 1024 * 1024),
      () => ({ payload: `email\n${'a'.repeat(100_000)}@example.org`, contentType: 'text/csv' }),
      () => ({ payload: '"unterminated,quote\n', contentType: 'text/csv' }),
      () => ({ payload: '[{"email":', contentType: 'application/json' }),
    ])();
    return { ...request, payload: body.payload, headers: { ...request.headers, ...(body.contentType ? { 'content-type': body.contentType } : {}) } };
  },
  (r) => admin(r, r.pick(['GET', 'POST', 'DELETE', 'PUT'] as const), r.pick(['', '/', '/nope', `/${pathSegment(r, () => anyString(r))}`, '/runs/1/pause', '/suppressions', `/subscribers/${'9'.repeat(30)}`])),
];

// ---------------------------------------------------------------------------------------------
// Checks

let tables: Array<{ name: string }> | undefined;

/** Every table's row count and a checksum of its rows: equal before and after means nothing was written. */
async function snapshotTables(): Promise<string> {
  const { sql } = test.runtime.database;
  tables ??= await sql<{ name: string }[]>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like '%drizzle%' order by 1`;
  const parts: string[] = [];
  for (const { name } of tables) {
    const [row] = await sql<{ rows: string; sum: string | null }[]>`
      select count(*)::text as rows, md5(string_agg(t::text, '|' order by t::text)) as sum from ${sql(name)} t`;
    parts.push(`${name}:${row!.rows}:${row!.sum ?? ''}`);
  }
  return parts.join(' ');
}

function describeRequest(request: FuzzRequest): string {
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text);
  const payload = request.payload === undefined ? '' : ` body=${cut(JSON.stringify(request.payload.toString()))}`;
  return `${request.method} ${cut(request.url)} headers=${cut(JSON.stringify(request.headers))}${payload}`;
}

/** What is wrong with an answer, or undefined when it is a good one. */
function problemWith(status: number, contentType: string, body: string): string | undefined {
  if (status >= 500) return `answered ${status}`;
  if (/\bat .+\.(?:ts|js):\d+:\d+/.test(body)) return 'leaks a stack trace';
  if (status < 400) return undefined;
  if (contentType.includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `${status} with a JSON type but no JSON body`;
    }
    return errorSchema.safeParse(parsed).success ? undefined : `${status} body is not { error, details: [{ field, message }] }`;
  }
  if (contentType.includes('text/html')) return /<html[\s>]/i.test(body) ? undefined : `${status} HTML without a page`;
  return `${status} with content type "${contentType}"`;
}

describe('answers the router gives before any route runs', () => {
  it('a path parameter over 100 characters: 414 with the error shape, JSON for admin and programs, a page for browsers', async () => {
    const long = 'x'.repeat(101);
    for (const [url, headers, type] of [
      [`/admin/editions/${long}`, { authorization: `Bearer ${ADMIN_TOKEN}` }, 'application/json'],
      [`/editions/${long}`, { accept: 'application/json' }, 'application/json'],
      [`/editions/${long}`, {}, 'text/html'],
    ] as const) {
      const response = await app.inject({ method: 'GET', url, headers });
      expect(response.statusCode, url).toBe(414);
      expect(response.headers['content-type']).toContain(type);
      if (type === 'application/json') {
        expect(response.json()).toEqual({ error: 'The request path is too long', details: [{ field: 'path', message: 'a path segment must be at most 100 characters' }] });
      } else {
        expect(response.body).toContain('The request path is too long');
      }
    }
    // A parameter of exactly 100 characters reaches its route, which names the field.
    const atLimit = await app.inject({ method: 'GET', url: `/admin/editions/${'x'.repeat(100)}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(atLimit.statusCode).toBe(400);
    expect(atLimit.json().details[0].field).toBe('date');
  });

  it('a path with a broken %-escape: 400 with the error shape, not Fastify\'s own body', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/editions/%E0%A4%A/preview', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'The request path is not a valid URL', details: [{ field: 'path', message: 'has a "%" that is not followed by two hex digits of UTF-8' }] });
  });
});

describe('fuzzing the public and admin routes', () => {
  it(`answers ${REQUESTS} hostile requests (seed ${SEED}) with no 5xx, the error shape on every 4xx, and no write on a refusal`, async () => {
    const r = seededRandom(SEED);
    const byClass: Record<string, number> = {};
    const failures: string[] = [];
    let before = await snapshotTables();
    for (let i = 0; i < REQUESTS; i += 1) {
      const request = r.chance(0.6) ? r.pick(publicRoutes)(r) : r.pick(adminRoutes)(r);
      const started = performance.now();
      if (process.env.FUZZ_TRACE) console.log(`#${i} ${describeRequest(request).slice(0, 200)}`);
      // Each request from its own network, so the signup limit never answers for the fuzzer.
      const response = await app.inject({ ...request, remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
      if (process.env.FUZZ_TRACE) console.log(`#${i} ${response.statusCode} in ${Math.round(performance.now() - started)} ms`);
      const statusClass = `${Math.floor(response.statusCode / 100)}xx`;
      byClass[statusClass] = (byClass[statusClass] ?? 0) + 1;
      const contentType = String(response.headers['content-type'] ?? '');
      let problem = request.method === 'HEAD' ? (response.statusCode >= 500 ? `answered ${response.statusCode}` : undefined) : problemWith(response.statusCode, contentType, response.body);
      const after = await snapshotTables();
      if (!problem && response.statusCode >= 400 && after !== before) problem = `${response.statusCode} but the database changed`;
      before = after;
      if (problem) failures.push(`#${i} ${problem}: ${describeRequest(request)} -> ${response.body.slice(0, 400)}`);
    }
    const summary = Object.entries(byClass).sort().map(([name, n]) => `${name}=${n}`).join(' ');
    console.log(`fuzz seed=${SEED} requests=${REQUESTS} ${summary} failures=${failures.length}`);
    expect(failures.slice(0, 15), `${failures.length} bad answers (replay: FUZZ_SEED=${SEED})`).toEqual([]);
  }, 600_000);
});
