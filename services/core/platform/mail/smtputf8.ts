import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl } from 'nodemailer/lib/shared';

/**
 * Whether the configured SMTP server offers SMTPUTF8 (RFC 6531), which mail to an address with a
 * non-ASCII local part needs. `unknown`: the server could not be asked (down, refused the
 * connection, timed out); such addresses are refused then, as when it is `not-offered`.
 */
export type SmtpUtf8Support = 'offered' | 'not-offered' | 'unknown';

export interface SmtpUtf8Answer {
  support: SmtpUtf8Support;
  /** Why it is `unknown`: the probe's error. */
  problem?: string;
}

const PROBE_TIMEOUT_MS = 5000;

/**
 * Asks the server once: connects as the pool does (STARTTLS when offered, whose EHLO is the one
 * that counts), reads the extensions of its EHLO answer, and quits without logging in.
 *
 * The extensions are read from nodemailer's own list (`_supportedExtensions`, not part of its
 * typed API) because that list, and nothing else, decides whether nodemailer puts SMTPUTF8 on
 * MAIL FROM (smtp-connection `_setEnvelope` in nodemailer 10.6.1: it adds the keyword when an
 * envelope address is not ASCII and the list has it). Should a nodemailer version drop the
 * list, the probe fails, and such addresses are refused rather than sent without the keyword.
 */
export function probeSmtpUtf8(smtpUrl: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const { auth: _notNeeded, ...options } = parseConnectionUrl(smtpUrl);
  const connection = new SMTPConnection({ ...options, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    // Errors after the answer (a server that drops the connection at QUIT) do not matter.
    connection.on('error', (error: Error) => {
      if (settled) return;
      settled = true;
      connection.close();
      reject(error);
    });
    connection.connect(() => {
      if (settled) return;
      settled = true;
      const extensions = (connection as unknown as { _supportedExtensions?: unknown })._supportedExtensions;
      connection.quit();
      if (!Array.isArray(extensions)) reject(new Error('this nodemailer version does not show the EHLO extensions (_supportedExtensions)'));
      else resolve(extensions.includes('SMTPUTF8'));
    });
  });
}

export interface SmtpUtf8SupportOptions {
  /** How long a yes or no is trusted; a server's extensions change only with its configuration. */
  knownForMs?: number;
  /** How long `unknown` stands before the next question: short, a restarting server is soon back. */
  unknownForMs?: number;
  now?: () => number;
}

/**
 * The server's answer, asked lazily and kept: callers (a signup, an import, a send to such an
 * address) share one probe in flight and its answer until it expires. Mail to ASCII addresses
 * never asks, so an installation without such readers never probes at all.
 */
export function createSmtpUtf8Support(probe: () => Promise<boolean>, options: SmtpUtf8SupportOptions = {}): () => Promise<SmtpUtf8Answer> {
  const knownForMs = options.knownForMs ?? 10 * 60 * 1000;
  const unknownForMs = options.unknownForMs ?? 30 * 1000;
  const now = options.now ?? (() => performance.now());
  let cached: { answer: SmtpUtf8Answer; until: number } | undefined;
  let asking: Promise<SmtpUtf8Answer> | undefined;
  return () => {
    if (cached && now() < cached.until) return Promise.resolve(cached.answer);
    asking ??= probe()
      .then(
        (offered): SmtpUtf8Answer => ({ support: offered ? 'offered' : 'not-offered' }),
        (error: unknown): SmtpUtf8Answer => ({ support: 'unknown', problem: error instanceof Error ? error.message : String(error) }),
      )
      .then((answer) => {
        cached = { answer, until: now() + (answer.support === 'unknown' ? unknownForMs : knownForMs) };
        asking = undefined;
        return answer;
      });
    return asking;
  };
}

/**
 * The error a send to a non-ASCII address fails with when SMTPUTF8 is not there to carry it,
 * shaped like nodemailer's SMTP errors so the usual classification applies. Not offered: a
 * permanent refusal with the status a server gives for it (553 5.6.7, RFC 6531 "non-ASCII
 * addresses not permitted for that recipient"), so the reader is suppressed after this one
 * failure. Unknown: a connection problem, retried like any other. Neither names the address:
 * errors reach logs and job records, addresses must not.
 */
export function smtpUtf8SendError(answer: SmtpUtf8Answer): Error {
  if (answer.support === 'unknown') {
    const error = new Error(`not sent: could not ask the mail server whether it offers SMTPUTF8, which a non-ASCII local part needs (${answer.problem ?? 'no answer'})`);
    return Object.assign(error, { code: 'ECONNECTION' });
  }
  const response = '553 5.6.7 not sent: the mail server does not offer SMTPUTF8, which a non-ASCII local part needs';
  return Object.assign(new Error(response), { code: 'EENVELOPE', command: 'MAIL FROM', response, responseCode: 553, permanent: true });
}
