import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropDatabase, TEST_POSTGRES_SERVER } from '../test/helpers/database.js';
import { freePort, PROJECT_ROOT, waitUntil } from '../test/helpers/processes.js';
import { deleteQueueKeys, TEST_REDIS_URL } from '../test/helpers/redis.js';
import { startTestSmtpServer } from '../test/helpers/smtp-server.js';

/**
 * `node --import tsx docker/replay-image.ts`: the runtime stage of docker/Dockerfile, replayed
 * without Docker. Compiles with the dev install, then lays out a folder as the image does
 * (production dependencies only, compiled code, migrations, templates and data), starts
 * `node dist/services/main.js` with NODE_ENV=production, waits for /readyz 200, sends SIGTERM
 * and wants exit 0. It catches what reading the Dockerfile cannot: a shipped import of a
 * devDependency, a file the compiled code needs but the image does not copy, a production
 * configuration that refuses to start. Uses a private database and queue prefix and removes both.
 * Prints one summary line; exits non-zero naming the step that failed.
 */

const READY_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 20_000;

class StepError extends Error {}

function run(step: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new StepError(`${step}: \`${command} ${args.join(' ')}\` exited ${result.status ?? result.signal}\n${(result.stdout + result.stderr).trim().split('\n').slice(-20).join('\n')}`);
  }
}

/** The first line an SMTP server sends, or what went wrong instead. */
function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (line: string) => {
      socket.destroy();
      resolve(line);
    };
    socket.setTimeout(5000, () => done('no answer within 5 s'));
    socket.on('error', (error) => done(error.message));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) done(received.slice(0, received.indexOf('\r\n')));
    });
  });
}

async function main(): Promise<string> {
  const started = Date.now();
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
  const work = mkdtempSync(path.join(tmpdir(), 'paperboy-image-'));
  const app = path.join(work, 'app');
  const database = `pb_replay_${randomBytes(4).toString('hex')}`;
  const queuePrefix = `pbreplay-${randomBytes(4).toString('hex')}`;
  const smtp = await startTestSmtpServer();
  try {
    // Build stage: the dev install compiles services/ (into this folder, so no stale file in the
    // project's dist/ can stand in for a missing one).
    run('build', 'npm', ['run', 'build', '--silent', '--', '--outDir', path.join(work, 'build')], PROJECT_ROOT);

    // Runtime stage, in the Dockerfile's order.
    for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(PROJECT_ROOT, file), path.join(app, file));
    run('npm ci --omit=dev', 'npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app, { ...process.env, NODE_ENV: 'production' });
    const packages = readdirSync(path.join(app, 'node_modules')).filter((name) => !name.startsWith('.')).length;
    cpSync(path.join(work, 'build/services'), path.join(app, 'dist/services'), { recursive: true });
    for (const folder of ['migrations', 'templates', 'data']) {
      cpSync(path.join(PROJECT_ROOT, folder), path.join(app, 'dist', folder), { recursive: true });
    }

    const port = await freePort();
    const bouncePort = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `${TEST_POSTGRES_SERVER}/${database}`,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'https://papers.acme-research.org',
      MAIL_FROM: 'Paperboy <papers@acme-research.org>',
      MAIL_POSTAL_ADDRESS: 'Paperboy, 1 Replay Street, Imagetown',
      SECRET_KEY: randomBytes(32).toString('hex'),
      ADMIN_TOKEN: randomBytes(16).toString('hex'),
      LOG_LEVEL: 'warn',
      // Role all with BOUNCE_SMTP_PORT also runs the bounce receiver (smtp-server must ship).
      BOUNCE_DOMAIN: 'bounces.acme-research.org',
      BOUNCE_SMTP_PORT: String(bouncePort),
    };
    const bootStarted = Date.now();
    const child = spawn(process.execPath, ['dist/services/main.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    let exitCode: number | string | undefined;
    void exited.then((code) => (exitCode = code));
    const tail = () => output.trim().split('\n').slice(-15).join('\n');

    try {
      await waitUntil('/readyz 200', async () => {
        if (exitCode !== undefined) throw new StepError(`start: node dist/services/main.js exited ${exitCode} before /readyz answered 200\n${tail()}`);
        const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return response?.status === 200;
      }, READY_TIMEOUT_MS);
    } catch (error) {
      child.kill('SIGKILL');
      if (error instanceof StepError) throw error;
      throw new StepError(`readyz: no 200 from /readyz within ${READY_TIMEOUT_MS / 1000} s\n${tail()}`);
    }
    const bootSeconds = seconds(bootStarted);
    const greeting = await smtpGreeting(bouncePort);
    if (!greeting.startsWith('220 ')) {
      child.kill('SIGKILL');
      throw new StepError(`bounces: the bounce receiver on port ${bouncePort} did not greet with 220 (got "${greeting}")\n${tail()}`);
    }

    const stopStarted = Date.now();
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
    const stopped = await Promise.race([exited, timeout]);
    if (stopped === 'timeout') {
      child.kill('SIGKILL');
      throw new StepError(`SIGTERM: still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM\n${tail()}`);
    }
    if (stopped !== 0) throw new StepError(`SIGTERM: exited ${stopped}, not 0\n${tail()}`);

    return `replay-image: ok: ${packages} production packages, /readyz 200 ${bootSeconds} s after start (NODE_ENV=production, role all), bounce receiver greets 220, SIGTERM exit 0 in ${seconds(stopStarted)} s; ${seconds(started)} s in all`;
  } finally {
    await smtp.close();
    await dropDatabase(TEST_POSTGRES_SERVER, database);
    await deleteQueueKeys(queuePrefix);
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (summary) => console.log(summary),
  (error: unknown) => {
    console.error(`replay-image: FAILED at ${error instanceof StepError ? error.message : (error as Error).stack}`);
    process.exit(1);
  },
);
