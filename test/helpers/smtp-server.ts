import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  /** MAIL FROM address of the SMTP envelope (the return path). */
  sender: string;
  /** RCPT TO addresses of the SMTP envelope. */
  recipients: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

/** Answer for one RCPT TO: undefined accepts, a code and text reject (451 transient, 550 permanent). */
export type RecipientPolicy = (address: string) => { code: number; message: string } | undefined;

export interface TestSmtpServer {
  port: number;
  /** An SMTP_URL pointing at this server. */
  url: string;
  messages: ReceivedMail[];
  /** Changes how recipients are answered from now on. */
  setRecipientPolicy(policy: RecipientPolicy | undefined): void;
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server in this process (nodemailer's smtp-server) that keeps parsed messages. */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  let policy: RecipientPolicy | undefined;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const verdict = policy?.(address.address);
      if (!verdict) return callback();
      const error = new Error(verdict.message) as Error & { responseCode: number };
      error.responseCode = verdict.code;
      return callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            messages.push({ sender, recipients: session.envelope.rcptTo.map((r) => r.address), raw, parsed });
            for (const wake of waiters.splice(0)) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  // A client killed mid-conversation (the crash tests do that) resets its socket: expected here.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    setRecipientPolicy(next) {
      policy = next;
    },
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
