import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_SERVER } from '../helpers/database.js';
import { freePort, PROJECT_ROOT, startProcess, waitUntil } from '../helpers/processes.js';
import { deliverOverSmtp } from '../helpers/smtp-client.js';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueQueuePrefix } from '../helpers/redis.js';

const admin = postgres(`${TEST_POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => {} });
const databaseName = `pb_test_lifecycle_${randomBytes(4).toString('hex')}`;
const queuePrefix = uniqueQueuePrefix('lifecycle');

afterAll(async () => {
  await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
  await admin.end();
  await deleteQueueKeys(queuePrefix);
  await rm(`/tmp/${queuePrefix}-outbox`, { recursive: true, force: true });
});

async function databaseExists(name: string): Promise<boolean> {
  const rows = await admin`select 1 from pg_database where datname = ${name}`;
  return rows.length > 0;
}

async function get(url: string): Promise<number> {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
}

/** What a started Paperboy needs here; the HF API points at a closed local port (no network). */
function paperboyEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `${TEST_POSTGRES_SERVER}/${databaseName}`,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'warn',
    OUTBOX_DIR: `/tmp/${queuePrefix}-outbox`,
    HF_API_URL: 'http://127.0.0.1:9/api/daily_papers',
    ...extra,
  };
}

/** Every living process below `root` in the process tree (Linux /proc). */
async function descendants(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  for (const [pid] of parents) {
    for (let up = parents.get(pid); up !== undefined; up = parents.get(up)) {
      if (up === root) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('npm start', () => {
  it('creates its database, becomes ready, and exits 0 on SIGTERM', async () => {
    expect(await databaseExists(databaseName)).toBe(false);
    const port = await freePort();
    const app = startProcess('services/main.ts', [], paperboyEnv(port));
    await waitUntil('/readyz to answer 200', async () => (await get(`http://127.0.0.1:${port}/readyz`)) === 200);
    expect(await get(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    expect(await databaseExists(databaseName)).toBe(true);
    // Outside production an empty install starts with the sample papers on its signup page.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('From the latest edition');

    // The whole reader-mail path of one process: signup → outbox → the worker role's relay →
    // the transactional queue → the confirmation written to OUTBOX_DIR (no SMTP_URL here).
    const signup = await fetch(`http://127.0.0.1:${port}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'lifecycle-reader@example.org' }),
    });
    expect(signup.status).toBe(202);
    const outbox = `/tmp/${queuePrefix}-outbox`;
    const confirmations = async () => (await readdir(outbox).catch(() => [] as string[])).filter((name) => name.includes('confirmation'));
    await waitUntil('the confirmation in the outbox', async () => (await confirmations()).length === 1);
    const message = await readFile(path.join(outbox, (await confirmations())[0]!), 'utf8');
    expect(message).toMatch(/^To: lifecycle-reader@example\.org$/m);
    expect(message).toMatch(/^Subject: Confirm your Paperboy subscription$/m);

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.stderr()).toBe('');
  });

  it('says where it is and where mail goes in one start-up line, and keeps request logs below info', async () => {
    const port = await freePort();
    const app = startProcess('services/main.ts', [], paperboyEnv(port, { LOG_LEVEL: 'info' }));
    await waitUntil('/readyz to answer 200', async () => (await get(`http://127.0.0.1:${port}/readyz`)) === 200);
    await get(`http://127.0.0.1:${port}/healthz`);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const lines = app
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; url?: string; res?: unknown });
    // PUBLIC_URL is unset: links follow PORT.
    const startup = lines.filter((line) => line.msg.startsWith('Paperboy is up'));
    expect(startup).toHaveLength(1);
    expect(startup[0]!.msg).toBe(
      `Paperboy is up at http://localhost:${port}; mail goes to the folder /tmp/${queuePrefix}-outbox (no SMTP_URL: nothing reaches a reader)`,
    );
    expect(lines.filter((line) => line.res !== undefined)).toEqual([]);
  });

  it('runs the worker role alone, answering health checks but no public routes', async () => {
    const port = await freePort();
    const worker = startProcess('services/main.ts', [], paperboyEnv(port, { PAPERBOY_ROLE: 'worker' }));
    await waitUntil('the worker to answer /readyz', async () => (await get(`http://127.0.0.1:${port}/readyz`)) === 200);
    expect(await get(`http://127.0.0.1:${port}/`)).toBe(404);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('runs the bounce receiver alone: health checks on PORT, SMTP on BOUNCE_SMTP_PORT, exit 0 on SIGTERM', async () => {
    const port = await freePort();
    const smtpPort = await freePort();
    const receiver = startProcess('services/main.ts', [], paperboyEnv(port, { PAPERBOY_ROLE: 'bounces', BOUNCE_DOMAIN: 'bounces.paperboy.test', BOUNCE_SMTP_PORT: String(smtpPort) }));
    await waitUntil('the receiver to answer /readyz', async () => (await get(`http://127.0.0.1:${port}/readyz`)) === 200);
    expect(await get(`http://127.0.0.1:${port}/`)).toBe(404);
    const answer = await deliverOverSmtp(smtpPort, 'reader@example.org', 'Subject: relay me\r\n\r\nhi\r\n', 'someone@example.net');
    expect(answer).toMatchObject({ accepted: false, code: 550 });
    receiver.child.kill('SIGTERM');
    expect(await receiver.exited).toBe(0);
  });

  it.each([
    ['PORT', { PORT: 'abc' }, /^paperboy: configuration error: PORT: must be a whole number/],
    ['PAPERBOY_ROLE', { PAPERBOY_ROLE: 'bounces' }, /^paperboy: configuration error: PAPERBOY_ROLE: "bounces" needs BOUNCE_DOMAIN and BOUNCE_SMTP_PORT$/],
    ['DATABASE_URL', { DATABASE_URL: 'nonsense' }, /^paperboy: configuration error: DATABASE_URL: must be a Postgres URL/],
  ])('stops with one line naming %s when it is wrong', async (_name, env, line) => {
    const app = startProcess('services/main.ts', [], env);
    expect(await app.exited).not.toBe(0);
    const lines = app.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('refuses development secrets in production', async () => {
    const app = startProcess('services/main.ts', [], {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://papers.acme-research.org',
      MAIL_FROM: 'papers@acme-research.org',
      SMTP_URL: 'smtp://127.0.0.1:9',
      MAIL_POSTAL_ADDRESS: '1 Road',
    });
    expect(await app.exited).not.toBe(0);
    const lines = app.stderr().trim().split('\n');
    expect(lines.map((l) => l.replace('paperboy: configuration error: ', '').split(':')[0]).sort()).toEqual(['ADMIN_TOKEN', 'SECRET_KEY']);
  });

  it('names Postgres when it cannot reach it', async () => {
    const closedPort = await freePort();
    const app = startProcess('services/main.ts', [], { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/paperboy` });
    expect(await app.exited).toBe(1);
    expect(app.stderr().trim()).toBe(
      `paperboy: cannot start: Postgres at 127.0.0.1:${closedPort}/paperboy is not reachable (ECONNREFUSED); start Postgres or fix DATABASE_URL`,
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops whole on %s to npm: no process left, the port free', async (signal) => {
    const port = await freePort();
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...paperboyEnv(port) },
      stdio: 'ignore',
    });
    const exited = new Promise<number | string>((resolve) => npm.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
    await waitUntil('/readyz to answer 200', async () => (await get(`http://127.0.0.1:${port}/readyz`)) === 200);
    const tree = await descendants(npm.pid!);
    expect(tree.length).toBeGreaterThan(0);

    npm.kill(signal);
    expect(await exited).toBe(0);
    await waitUntil('every process npm started to stop', () => tree.every((pid) => !isAlive(pid)));
    expect(await portIsFree(port)).toBe(true);
  }, 60_000);
});
