import { SMTPServer } from 'smtp-server';

/**
 * The bench's SMTP sink, run as its own process (`startSmtpSink` in smtp-sink-client.ts): accepts
 * every message, counts messages, bytes and distinct recipients, and answers the parent's
 * questions over the IPC channel. Nothing is parsed or stored; that is the point of a sink.
 */

interface Counts {
  accepted: number;
  bytes: number;
  distinctRecipients: number;
  /** Date.now() of the first and the last message accepted since the last reset. */
  firstAt: number | null;
  lastAt: number | null;
}

let counts: Counts = { accepted: 0, bytes: 0, distinctRecipients: 0, firstAt: null, lastAt: null };
let recipients = new Set<string>();

const server = new SMTPServer({
  disableReverseLookup: true,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 0,
  maxClients: 1000,
  onData(stream, session, callback) {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => {
      const now = Date.now();
      counts.accepted += 1;
      counts.bytes += bytes;
      counts.firstAt ??= now;
      counts.lastAt = now;
      for (const rcpt of session.envelope.rcptTo) recipients.add(rcpt.address);
      counts.distinctRecipients = recipients.size;
      callback(null, 'Accepted');
    });
  },
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') process.send?.({ type: 'stats', counts });
  if (message.type === 'reset') {
    counts = { accepted: 0, bytes: 0, distinctRecipients: 0, firstAt: null, lastAt: null };
    recipients = new Set();
    process.send?.({ type: 'reset' });
  }
});
process.on('disconnect', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
