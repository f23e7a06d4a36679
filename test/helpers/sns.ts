import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HttpGet } from '../../services/core/platform/http/http-get.js';
import { snsStringToSign, type SnsMessage } from '../../services/core/bounces/providers/sns-signature.js';

/**
 * A stand-in for Amazon SNS: an RSA key and a self-signed certificate made here with the openssl
 * CLI, messages signed the way SNS signs them, and an HttpGet that serves the certificate at a
 * URL on an SNS host (and answers SubscribeURLs; a URL containing "unreachable" times out),
 * recording every URL it was asked for.
 */

export const TEST_CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000test.pem';

export interface FakeSns {
  certificatePem: string;
  privateKeyPem: string;
  /** Every URL the HttpGet was asked for, in order. */
  requests: string[];
  httpGet: HttpGet;
  /** A complete SNS message with the given fields, signed (SignatureVersion 2 unless told). */
  sign(fields: Partial<SnsMessage> & Pick<SnsMessage, 'Type' | 'TopicArn' | 'Message'>, privateKeyPem?: string): SnsMessage;
}

/** A key and certificate from the openssl CLI, valid from now for `days`. */
export function selfSignedCertificate(commonName = 'sns.amazonaws.com', days = 30): { certificatePem: string; privateKeyPem: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'paperboy-sns-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', String(days), '-subj', `/CN=${commonName}`], { stdio: 'ignore' });
    return { certificatePem: readFileSync(cert, 'utf8'), privateKeyPem: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createFakeSns(): FakeSns {
  const { certificatePem, privateKeyPem } = selfSignedCertificate();
  const requests: string[] = [];
  return {
    certificatePem,
    privateKeyPem,
    requests,
    async httpGet(url) {
      requests.push(url);
      if (url === TEST_CERT_URL) return { status: 200, body: certificatePem };
      if (url.includes('unreachable')) throw new Error('connect ETIMEDOUT');
      if (url.includes('Action=ConfirmSubscription')) return { status: 200, body: '<ConfirmSubscriptionResponse/>' };
      return { status: 404, body: 'not found' };
    },
    sign(fields, key = privateKeyPem) {
      const message: SnsMessage = {
        MessageId: randomUUID(),
        Timestamp: new Date().toISOString(),
        SignatureVersion: '2',
        SigningCertURL: TEST_CERT_URL,
        Signature: '',
        ...fields,
      };
      const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
      message.Signature = createSign(algorithm).update(snsStringToSign(message), 'utf8').sign(key, 'base64');
      return message;
    },
  };
}
