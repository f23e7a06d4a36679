import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  /** MAIL FROM address of the SMTP envelope (the return path). */
  sender: string;
  /** RCPT TO addresses of the SMTP envelope. */
  recipients: string[];
  /** The parameters the client gave on MAIL FROM, e.g. { SMTPUTF8: true, BODY: '8BITMIME' }. */
  mailFromArgs: Record<string, string | true>;
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

export interface TestSmtpServerOptions {
  /**
   * Advertise SMTPUTF8 in the EHLO answer (the default, as smtp-server does). Either way the
   * server behaves as a conforming one: a non-ASCII local part in a transaction that did not ask
   * for SMTPUTF8 on MAIL FROM is refused with 553 5.6.7 (RFC 6531 §3.7.4.1).
   */
  smtpUtf8?: boolean;
}

/** A real SMTP server in this process (nodemailer's smtp-server) that keeps parsed messages. */
export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  let policy: RecipientPolicy | undefined;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    hideSMTPUTF8: options.smtpUtf8 === false,
    onRcptTo(address: SMTPServerAddress, session, callback) {
      // The local part only: smtp-server shows an xn-- domain in Unicode, so a Unicode domain here
      // may have been sent as ASCII.
      const local = address.address.slice(0, address.address.lastIndexOf('@'));
      if (/[^\u0000-\u007f]/.test(local) && !session.envelope.smtpUtf8) {
        return callback(Object.assign(new Error('5.6.7 Non-ASCII address requires SMTPUTF8'), { responseCode: 553 }));
      }
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
            const mailFrom = session.envelope.mailFrom;
            messages.push({
              sender: mailFrom ? mailFrom.address : '',
              recipients: session.envelope.rcptTo.map((r) => r.address),
              mailFromArgs: (mailFrom && mailFrom.args) || {},
              raw,
              parsed,
            });
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
