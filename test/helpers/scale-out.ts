import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './processes.js';

/**
 * Servers a scale-out test starts for itself and stops: a local Redis Cluster and a PgBouncer.
 * Both run on free ports from a temporary folder; nothing touches the shared Redis or Postgres
 * configuration.
 */

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export interface LocalRedisCluster {
  /** REDIS_CLUSTER_NODES for it: `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`. */
  nodes: string;
  /** Every key of every node. */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Three Redis masters (no replicas) joined into a cluster that covers every slot. */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map((port) =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
        '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(servers.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitUntil(`Redis on ${port} to listen`, () => canConnect(port), 10_000);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await waitUntil('the cluster to be ok on every node', async () => {
      const states = await Promise.all(ports.map((port) => onNode(port, (redis) => redis.cluster('INFO'))));
      return states.every((info) => /cluster_state:ok/.test(String(info)));
    }, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    async keys() {
      const perNode = await Promise.all(ports.map((port) => onNode(port, (redis) => redis.keys('*'))));
      return perNode.flat();
    },
    stop,
  };
}

async function onNode<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export interface LocalPgBouncer {
  port: number;
  /** A database URL through the bouncer, for a database of the Postgres behind it. */
  urlFor(databaseUrl: string): string;
  /** What PgBouncer logged (its logins and errors). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer (in transaction mode unless told otherwise) in front of the Postgres at
 * `postgresPort`, trusting every local client as the shared test Postgres does; it lets through
 * the startup parameters postgres.js sends and those in `ignoreStartupParameters`. PgBouncer will
 * not run as root: under root it runs as the `postgres` user.
 */
export async function startPgBouncer(
  postgresPort: number,
  options: { poolMode?: 'transaction' | 'session'; ignoreStartupParameters?: readonly string[] } = {},
): Promise<LocalPgBouncer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-pgbouncer-'));
  const port = await freePort();
  const config = path.join(dir, 'pgbouncer.ini');
  writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
  writeFileSync(
    config,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${postgresPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      'default_pool_size = 2',
      'max_client_conn = 200',
      `ignore_startup_parameters = ${['extra_float_digits', 'options', ...(options.ignoreStartupParameters ?? [])].join(',')}`,
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o755);
  const asUser = process.getuid?.() === 0 ? postgresUser() : {};
  const child = spawn('pgbouncer', [config], { stdio: ['ignore', 'ignore', 'pipe'], ...asUser });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('PgBouncer to listen', () => {
      if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${log}`);
      return canConnect(port);
    }, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.port = String(port);
      return url.toString();
    },
    log: () => log,
    stop,
  };
}

function postgresUser(): { uid: number; gid: number } {
  const found = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (found.status !== 0 || group.status !== 0) throw new Error('no postgres user to run PgBouncer as');
  return { uid: Number(found.stdout.trim()), gid: Number(group.stdout.trim()) };
}
