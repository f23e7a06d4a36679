import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);
const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A Postgres server of a test's own, on a free port, for tests that restart or stop it: never
 * the shared one. Its data lives in a temporary folder (fsync off: nothing here must survive a
 * power cut: the operating system keeps what was written through a Postgres crash). Commits stay
 * synchronous, as in production: with synchronous_commit off, a commit Postgres acknowledged may be
 * undone by `restartImmediate`, which would fake lost "sent" marks. Postgres refuses to run as
 * root, so when the tests run as root it runs as the `postgres` user.
 */
export interface PrivatePostgres {
  /** Server address without a database, e.g. postgres://postgres@127.0.0.1:54321 */
  server: string;
  port: number;
  /** `pg_ctl restart -m immediate`: every connection is dropped at once, as in a crash. */
  restartImmediate(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
}

async function asPostgresUser(command: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  await run(file, argv, { maxBuffer: 16 * 1024 * 1024 });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'paperboy-pg-'));
  await chmod(dir, 0o777);
  const data = path.join(dir, 'data');
  const port = await freePort();
  await asPostgresUser(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const pgCtl = (args: string[]) => asPostgresUser(path.join(PG_BIN, 'pg_ctl'), ['-D', data, '-w', '-t', '60', ...args]);
  const start = () => pgCtl(['-o', options, '-l', path.join(dir, 'log'), 'start']);
  await start();
  let running = true;
  return {
    server: `postgres://postgres@127.0.0.1:${port}`,
    port,
    start: async () => {
      await start();
      running = true;
    },
    stop: async (mode = 'fast') => {
      await pgCtl(['-m', mode, 'stop']);
      running = false;
    },
    restartImmediate: async () => {
      await pgCtl(['-m', 'immediate', '-o', options, '-l', path.join(dir, 'log'), 'restart']);
      running = true;
    },
    destroy: async () => {
      if (running) await pgCtl(['-m', 'immediate', 'stop']).catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
