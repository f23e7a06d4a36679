import { createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { HttpGet } from '../../platform/http/http-get.js';

/**
 * Amazon SNS messages posted to an HTTPS subscription, and their signatures: SNS signs each
 * message with a certificate it serves from its own regional host, so a message is SNS's when its
 * signature verifies against the certificate at its SigningCertURL and that URL is on an SNS host.
 * Reference: "Verifying the signatures of Amazon SNS messages" (SNS developer guide).
 */

export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  /** SubscriptionConfirmation and UnsubscribeConfirmation only. */
  SubscribeURL?: string;
  Token?: string;
}

export type SnsParse = { ok: true; message: SnsMessage } | { ok: false; field: string; problem: string };

const REQUIRED = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

/** Reads a posted body as an SNS message: JSON with the fields its Type needs, as strings. Never throws. */
export function parseSnsMessage(body: string): SnsParse {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, field: 'body', problem: 'is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, field: 'body', problem: 'must be a JSON object (an SNS message)' };
  const fields = value as Record<string, unknown>;
  const required: readonly string[] = fields.Type === 'Notification' ? REQUIRED : [...REQUIRED, 'SubscribeURL', 'Token'];
  for (const name of required) {
    if (typeof fields[name] !== 'string' || fields[name] === '') return { ok: false, field: name, problem: 'is missing (must be a non-empty string)' };
  }
  for (const name of ['Subject', 'SubscribeURL', 'Token']) {
    if (fields[name] !== undefined && fields[name] !== null && typeof fields[name] !== 'string') return { ok: false, field: name, problem: 'must be a string' };
  }
  if (!(SNS_MESSAGE_TYPES as readonly unknown[]).includes(fields.Type)) {
    return { ok: false, field: 'Type', problem: `must be one of ${SNS_MESSAGE_TYPES.join(', ')}` };
  }
  if (fields.SignatureVersion !== '1' && fields.SignatureVersion !== '2') return { ok: false, field: 'SignatureVersion', problem: 'must be "1" or "2"' };
  if (Number.isNaN(Date.parse(fields.Timestamp as string))) return { ok: false, field: 'Timestamp', problem: 'must be an ISO 8601 time' };
  // Subject is null, not absent, on many notifications: it is then not part of the signed string.
  const { Subject, ...rest } = fields;
  return { ok: true, message: { ...(rest as unknown as SnsMessage), ...(typeof Subject === 'string' ? { Subject } : {}) } };
}

/**
 * The string SNS signed: `Name\nvalue\n` for each signed field, in byte order of the names.
 * Notification: Message, MessageId, Subject (when present), Timestamp, TopicArn, Type.
 * SubscriptionConfirmation and UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
 * Timestamp, Token, TopicArn, Type.
 */
export function snsStringToSign(message: SnsMessage): string {
  const names =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', ...(message.Subject !== undefined ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return names.map((name) => `${name}\n${message[name as keyof SnsMessage] ?? ''}\n`).join('');
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;

/**
 * True when `url` is https on an SNS regional host (`sns.<region>.amazonaws.com`, or `.com.cn`),
 * with no credentials or other port; `pem` also wants the path to end in `.pem` (a signing
 * certificate). Anything else is never fetched: a message could otherwise name its own certificate.
 */
export function isSnsUrl(url: string, kind: 'pem' | 'any'): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.port) return false;
  if (!SNS_HOST.test(parsed.hostname)) return false;
  return kind === 'any' || parsed.pathname.endsWith('.pem');
}

/** Whether `message`'s Signature verifies with `publicKey`: SHA1withRSA (version 1) or SHA256withRSA (version 2). */
export function verifySnsSignature(message: SnsMessage, publicKey: KeyObject): boolean {
  const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
  try {
    return createVerify(algorithm).update(snsStringToSign(message), 'utf8').verify(publicKey, message.Signature, 'base64');
  } catch {
    // A key of another type, a signature of the wrong length: it does not verify.
    return false;
  }
}

export type CertificateLookup = { ok: true; publicKey: KeyObject } | { ok: false; problem: 'not-found' | 'invalid' | 'expired' | 'unreachable'; detail: string };

export interface SnsCertificates {
  /** The public key of the certificate at `url` (an SNS .pem URL, checked by the caller), fetched once. */
  publicKeyAt(url: string, now: Date): Promise<CertificateLookup>;
}

/**
 * Signing certificates by URL, fetched through `httpGet` on first use and kept (at most
 * `maxEntries`, the oldest dropped first: SNS uses a handful, and a flood of made-up URLs on an
 * SNS host must not grow memory). Failures are not kept: the next message tries again.
 */
export function createSnsCertificates(httpGet: HttpGet, maxEntries = 32): SnsCertificates {
  const cache = new Map<string, X509Certificate>();
  return {
    async publicKeyAt(url, now) {
      let certificate = cache.get(url);
      if (!certificate) {
        let answer: { status: number; body: string };
        try {
          answer = await httpGet(url);
        } catch (error) {
          return { ok: false, problem: 'unreachable', detail: error instanceof Error ? error.message : String(error) };
        }
        if (answer.status !== 200) return { ok: false, problem: 'not-found', detail: `the certificate URL answered ${answer.status}` };
        try {
          certificate = new X509Certificate(answer.body);
        } catch {
          return { ok: false, problem: 'invalid', detail: 'the certificate URL did not serve a PEM certificate' };
        }
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(url, certificate);
      }
      if (now < new Date(certificate.validFrom) || now > new Date(certificate.validTo)) {
        return { ok: false, problem: 'expired', detail: `the signing certificate is valid from ${certificate.validFrom} to ${certificate.validTo}` };
      }
      return { ok: true, publicKey: certificate.publicKey };
    },
  };
}
