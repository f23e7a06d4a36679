import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../test/helpers/processes.js';

/** Starting the bench's helper processes and reading what the kernel knows about them. */

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export { freePort };

export interface BenchProcess {
  child: ChildProcess;
  pid: number;
  /** The last lines of stderr and stdout, for error messages. */
  tail(): string;
  exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/**
 * Runs an entry of this project: a `.ts` file as `node --import tsx ENTRY`, a built `.js` file
 * (dist/) with plain node, as the Docker image runs it. The pid is node's own, so /proc
 * figures are the process's. `ipc` adds an IPC channel. Output is kept only as a
 * short tail, so a chatty process cannot grow the bench's memory.
 */
/** Every child still running, so an interrupted bench (Ctrl-C) can stop them before it cleans up. */
const running = new Set<BenchProcess>();

export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop()));
}

export function startProcess(entry: string, env: Record<string, string>, options: { ipc?: boolean; nodeArgs?: string[] } = {}): BenchProcess {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, entry], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  // BENCH_CHILD_LOG_DIR keeps each child's whole output (e.g. with --worker-flags --trace-gc).
  const logFile = process.env.BENCH_CHILD_LOG_DIR ? path.join(process.env.BENCH_CHILD_LOG_DIR, `${path.basename(entry, '.ts')}-${child.pid}.log`) : undefined;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    if (logFile) appendFileSync(logFile, chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const proc: BenchProcess = {
    child,
    pid: child.pid!,
    tail: () => tail,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until GET url answers 200 (a process's /healthz). */
export async function waitForHttp(url: string, proc: BenchProcess, timeoutMs = 60_000): Promise<void> {
  let dead = false;
  void proc.exited.then(() => (dead = true));
  await waitUntil(
    url,
    async () => {
      if (dead) throw new Error(`process exited before answering ${url}:\n${proc.tail()}`);
      try {
        return (await fetch(url)).ok;
      } catch {
        return false;
      }
    },
    timeoutMs,
    200,
  );
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Memory of a process from /proc/<pid>/status, in MB: current RSS and its high-water mark. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * CPU seconds used by every process whose command name is `name` (postgres, redis-server), plus
 * what their exited children used (the postmaster's cutime/cstime holds the backends that ended),
 * so connections closing during a measurement do not make its CPU vanish.
 */
export function cpuSecondsByName(name: string): number {
  const found: Array<{ pid: string; ppid: string; own: number; children: number }> = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (command !== name && !command.startsWith(`${name}:`)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.push({
        pid: entry,
        ppid: fields[1]!,
        own: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
        children: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
      });
    } catch {
      // The process ended between listing and reading.
    }
  }
  const pids = new Set(found.map((p) => p.pid));
  return found.reduce((sum, p) => sum + p.own + (pids.has(p.ppid) ? 0 : p.children), 0);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Compiles services/ to dist/ (`npm run build`), so the bench measures the JavaScript the Docker
 * image runs (`node dist/services/main.js`), not tsx compiling on the fly. Type errors elsewhere
 * in the tree do not stop tsc from emitting; a missing entry does.
 */
export function buildDist(): string {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  const entry = path.join(PROJECT_ROOT, 'dist/services/main.js');
  // As the Dockerfile lays it out: migrations/, templates/ and data/ beside dist/services.
  const dist = path.join(PROJECT_ROOT, 'dist');
  for (const folder of ['migrations', 'templates', 'data']) {
    cpSync(path.join(PROJECT_ROOT, folder), path.join(dist, folder), { recursive: true });
  }
  if (!existsSync(entry)) throw new Error(`npm run build did not produce ${entry}:\n${result.stdout}${result.stderr}`);
  return entry;
}
