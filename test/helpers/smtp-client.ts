import nodemailer from 'nodemailer';

export interface SmtpAnswer {
  accepted: boolean;
  /** The server's reply code: 250 when accepted, the refusal's code otherwise. */
  code: number | undefined;
  response: string;
}

/**
 * Delivers `raw` over SMTP as another mail server would (one connection, no TLS, no login);
 * resolves with the server's answer, refusals included. `from` defaults to the null sender `<>`,
 * which delivery status notifications use.
 */
export async function deliverOverSmtp(port: number, to: string | string[], raw: Buffer | string, from = ''): Promise<SmtpAnswer> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, disableFileAccess: true, disableUrlAccess: true });
  try {
    const info = await transport.sendMail({ envelope: { from, to }, raw });
    return { accepted: true, code: Number(/^\d{3}/.exec(info.response ?? '')?.[0]), response: info.response ?? '' };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { accepted: false, code: e.responseCode, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}
