import nodemailer from 'nodemailer';
import type { SmtpSink } from './smtp-sink-client.js';

/**
 * The send baseline: a plain pooled nodemailer client (same pool size as the worker) sending one
 * finished message (`raw`) to the sink as fast as it can, timed the same way as the send (first
 * sendMail to the last message the sink accepted). This is what SMTP from Node costs on this
 * machine, with nothing else to do: the ceiling the pipeline is compared to.
 */

export interface CeilingFigures {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  messageBytes: number;
  /** CPU of the sending process (this one) per message, microseconds. */
  clientCpuUsPerMessage: number;
}

export async function measureSmtpCeiling(options: {
  sink: SmtpSink;
  raw: Buffer;
  envelopeFrom: string;
  messages: number;
  poolSize: number;
  log: (line: string) => void;
}): Promise<CeilingFigures> {
  const { sink, raw, messages, log } = options;
  const transporter = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: options.poolSize, maxMessages: 1000 });
  try {
    // Warm-up: open the pool's connections before timing.
    await Promise.all(Array.from({ length: options.poolSize }, (_, i) => transporter.sendMail({ envelope: { from: options.envelopeFrom, to: `warm-${i}@example.org` }, raw })));
    await sink.reset();
    const inFlight = options.poolSize * 4;
    let next = 0;
    let done = 0;
    const startedAt = Date.now();
    const cpuBefore = process.cpuUsage();
    const ticker = setInterval(() => log(`  ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s  sent ${done.toLocaleString('en-US')} / ${messages.toLocaleString('en-US')}`), 2000);
    try {
      const lane = async () => {
        while (next < messages) {
          const n = next++;
          await transporter.sendMail({ envelope: { from: options.envelopeFrom, to: `ceiling-${n}@example.org` }, raw });
          done += 1;
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    } finally {
      clearInterval(ticker);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const stats = await sink.stats();
    const seconds = ((stats.lastAt ?? Date.now()) - startedAt) / 1000;
    return {
      messages: stats.accepted,
      seconds,
      messagesPerSecond: stats.accepted / seconds,
      messageBytes: raw.length,
      clientCpuUsPerMessage: (cpu.user + cpu.system) / Math.max(1, stats.accepted),
    };
  } finally {
    transporter.close();
  }
}
