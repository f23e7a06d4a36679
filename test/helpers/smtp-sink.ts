import { SMTPServer } from 'smtp-server';

/** One message the sink accepted: its envelope recipients and when its DATA ended (Date.now()). */
export interface SinkArrival {
  recipients: string[];
  at: number;
}

export interface RecordingSmtpSink {
  url: string;
  arrivals: SinkArrival[];
  close(): Promise<void>;
}

/**
 * An SMTP server in this process that accepts everything and keeps only who each message was for
 * and when it arrived: cheap enough for sends of thousands, where the test SMTP server's parsing
 * would be the bottleneck and blur the arrival times a rate test measures.
 */
export async function startRecordingSmtpSink(): Promise<RecordingSmtpSink> {
  const arrivals: SinkArrival[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    maxClients: 1000,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        arrivals.push({ recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address), at: Date.now() });
        callback();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, arrivals, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The most arrivals inside any window of `windowMs` (sliding: every arrival starts a window). */
export function busiestWindow(arrivals: SinkArrival[], windowMs = 1000): { count: number; startsAt: number } {
  const times = arrivals.map((arrival) => arrival.at).sort((a, b) => a - b);
  let best = { count: 0, startsAt: times[0] ?? 0 };
  let end = 0;
  for (let start = 0; start < times.length; start += 1) {
    while (end < times.length && (times[end] as number) < (times[start] as number) + windowMs) end += 1;
    if (end - start > best.count) best = { count: end - start, startsAt: times[start] as number };
  }
  return best;
}
