import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config } from '../config/config.js';
import { needsSmtpUtf8 } from './address.js';
import { createDkimSigner, type DkimSigner } from './dkim.js';
import { createSmtpUtf8Support, probeSmtpUtf8, smtpUtf8SendError, type SmtpUtf8Answer } from './smtputf8.js';

export interface SentMail {
  messageId: string;
  /** The server's final reply, or the outbox file the message was written to. */
  response: string;
}

/**
 * Where email goes: pooled SMTP when SMTP_URL is set, otherwise `.eml` files in the outbox folder
 * (so a local run never needs a mail server). One transport per process, reused for every message.
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  /** Composes, DKIM-signs when DKIM is set, and sends one message (transactional mail: confirmations, fresh links). */
  send(message: SendMailOptions): Promise<SentMail>;
  /**
   * Sends a message that is already a complete RFC 5322 text (the digest pipeline builds those),
   * as it is: the digest pipeline signs its messages itself (see prepareDkimSigning).
   */
  sendRaw(envelope: { from: string; to: string }, raw: Buffer | string, messageId: string): Promise<SentMail>;
  /**
   * Whether mail to an address with a non-ASCII local part can go out now: the SMTP server
   * offers SMTPUTF8 (asked once, then kept for a while), or mail goes to the outbox folder,
   * whose `.eml` files take any address. A message with such an address in its envelope is
   * sent with SMTPUTF8 on MAIL FROM, or not at all (see smtpUtf8SendError).
   */
  smtpUtf8(): Promise<SmtpUtf8Answer>;
  close(): Promise<void>;
}

type MailSettings = Config['mail'];

/**
 * Where mail goes, for the start-up line: the SMTP host and port (never the credentials in
 * SMTP_URL), or the outbox folder.
 */
export function describeMailDestination(settings: MailSettings): string {
  if (!settings.smtpUrl) return `the folder ${path.resolve(settings.outboxDir)} (no SMTP_URL: nothing reaches a reader)`;
  const url = new URL(settings.smtpUrl);
  const secure = url.protocol === 'smtps:';
  return `${secure ? 'SMTPS' : 'SMTP'} ${url.hostname}:${url.port || (secure ? 465 : 587)}`;
}

export function createMailTransport(settings: MailSettings): MailTransport {
  const signer = settings.dkim ? createDkimSigner(settings.dkim) : undefined;
  return settings.smtpUrl ? createSmtpTransport(settings, settings.smtpUrl, signer) : createOutboxTransport(settings, signer);
}

interface ComposedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId: string;
}

/**
 * Composes a message as nodemailer's sendMail would, then signs it with Paperboy's own DKIM
 * signer, so one signer (and one list of signed fields) serves all mail; the result is sent raw.
 */
async function composeSigned(message: SendMailOptions, signer: DkimSigner): Promise<ComposedMail> {
  const node = new MailComposer({ ...message, newline: 'windows' }).compile();
  const envelope = node.getEnvelope();
  const messageId = node.messageId();
  const raw = await node.build();
  return { envelope: { from: envelope.from || '', to: envelope.to }, raw: signer.sign(raw, new Date()), messageId };
}

function createSmtpTransport(settings: MailSettings, smtpUrl: string, signer: DkimSigner | undefined): MailTransport {
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: settings.poolSize,
    maxMessages: 1000,
    // The global rate across workers is enforced by the deliver queue's limiter, not here.
    // No `dkim` option: Paperboy signs (see dkim.ts), at a quarter of nodemailer's cost.
  });
  const smtpUtf8 = createSmtpUtf8Support(() => probeSmtpUtf8(smtpUrl));
  // Every message passes here once composed, its envelope final: one without SMTPUTF8 to carry
  // a non-ASCII address is stopped before MAIL FROM (nodemailer would send the address anyway,
  // just without the keyword). ASCII envelopes, nearly all mail, never wait for the probe.
  transporter.use('stream', (mail, done) => {
    const envelope = mail.message.getEnvelope();
    if (![envelope.from || '', ...envelope.to].some(needsSmtpUtf8)) return done();
    smtpUtf8().then(
      (answer) => done(answer.support === 'offered' ? null : smtpUtf8SendError(answer)),
      (error: Error) => done(error),
    );
  });
  return {
    kind: 'smtp',
    async send(message) {
      if (signer) {
        const composed = await composeSigned(message, signer);
        const info = await transporter.sendMail(composed);
        return { messageId: composed.messageId, response: info.response ?? '' };
      }
      const info = await transporter.sendMail(message);
      return { messageId: info.messageId, response: info.response ?? '' };
    },
    async sendRaw(envelope, raw, messageId) {
      const info = await transporter.sendMail({ envelope, raw, messageId });
      return { messageId, response: info.response ?? '' };
    },
    smtpUtf8,
    async close() {
      transporter.close();
    },
  };
}

/** Writes each message as `<outbox>/<time>-<message id>.eml`; /dev/outbox lists them. */
function createOutboxTransport(settings: MailSettings, signer: DkimSigner | undefined): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const directory = path.resolve(settings.outboxDir);
  const write = async (messageId: string, content: Buffer | string) => {
    await mkdir(directory, { recursive: true });
    const safeId = messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
    const file = path.join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${safeId}.eml`);
    await writeFile(file, content);
    return file;
  };
  return {
    kind: 'outbox',
    async send(message) {
      if (signer) {
        const composed = await composeSigned(message, signer);
        return { messageId: composed.messageId, response: await write(composed.messageId, composed.raw) };
      }
      const info = await composer.sendMail(message);
      const file = await write(info.messageId, info.message as Buffer);
      return { messageId: info.messageId, response: file };
    },
    async sendRaw(_envelope, raw, messageId) {
      const file = await write(messageId, raw);
      return { messageId, response: file };
    },
    // No server to refuse anything: the file holds the message as it would be sent with SMTPUTF8.
    async smtpUtf8() {
      return { support: 'offered' };
    },
    async close() {
      composer.close();
    },
  };
}
