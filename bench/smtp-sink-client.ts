import { startProcess, type BenchProcess } from './child-process.js';

/** The parent's handle on the SMTP sink process (bench/smtp-sink.ts). */

export interface SinkCounts {
  accepted: number;
  bytes: number;
  distinctRecipients: number;
  firstAt: number | null;
  lastAt: number | null;
}

export interface SmtpSink {
  port: number;
  url: string;
  process: BenchProcess;
  stats(): Promise<SinkCounts>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const proc = startProcess('bench/smtp-sink.ts', {}, { ipc: true });
  const { child } = proc;
  const waiters = new Map<string, Array<(message: any) => void>>();
  child.on('message', (message: { type: string }) => {
    const queue = waiters.get(message.type);
    queue?.shift()?.(message);
  });
  const ask = <T>(type: string, send = true) =>
    new Promise<T>((resolve, reject) => {
      const queue = waiters.get(type) ?? [];
      waiters.set(type, queue);
      queue.push(resolve);
      void proc.exited.then(() => reject(new Error(`SMTP sink exited:\n${proc.tail()}`)));
      if (send) child.send({ type });
    });
  const ready = await ask<{ port: number }>('ready', false);
  return {
    port: ready.port,
    url: `smtp://127.0.0.1:${ready.port}`,
    process: proc,
    async stats() {
      return (await ask<{ counts: SinkCounts }>('stats')).counts;
    },
    async reset() {
      await ask('reset');
    },
    async stop() {
      child.disconnect();
      await proc.stop();
    },
  };
}
