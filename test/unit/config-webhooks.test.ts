import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../services/core/platform/config/config.js';
import { PRODUCTION_ENV } from '../helpers/runtime.js';
import { sendgridKeys } from '../helpers/provider-webhooks.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('provider webhook configuration', () => {
  it('leaves every webhook unconfigured by default', () => {
    expect(parseConfig({ NODE_ENV: 'test' }).webhooks).toEqual({ postmarkCredentials: undefined, sendgridPublicKey: undefined, mailgunSigningKey: undefined });
  });

  it('takes SendGrid key as SendGrid shows it, bare or in PEM armour', () => {
    const { publicKeyBase64 } = sendgridKeys();
    expect(parseConfig({ NODE_ENV: 'test', SENDGRID_WEBHOOK_PUBLIC_KEY: publicKeyBase64 }).webhooks.sendgridPublicKey).toBe(publicKeyBase64);
    const pem = `-----BEGIN PUBLIC KEY-----\n${publicKeyBase64.slice(0, 64)}\n${publicKeyBase64.slice(64)}\n-----END PUBLIC KEY-----`;
    expect(parseConfig({ NODE_ENV: 'test', SENDGRID_WEBHOOK_PUBLIC_KEY: pem }).webhooks.sendgridPublicKey).toBe(publicKeyBase64);
  });

  it('stops with one line naming the variable for a malformed value, without echoing secrets', () => {
    expect(problemsOf({ NODE_ENV: 'test', SENDGRID_WEBHOOK_PUBLIC_KEY: 'not-a-key' })).toEqual([
      expect.stringMatching(/^SENDGRID_WEBHOOK_PUBLIC_KEY: must be the base64 ECDSA P-256 verification key/),
    ]);
    const problems = problemsOf({ NODE_ENV: 'test', POSTMARK_WEBHOOK_CREDENTIALS: 'no-colon-secret' });
    expect(problems).toEqual([expect.stringMatching(/^POSTMARK_WEBHOOK_CREDENTIALS: must be "user:password"/)]);
    expect(problems[0]).not.toContain('no-colon-secret');
  });

  it('refuses short webhook secrets in production', () => {
    expect(problemsOf({ ...PRODUCTION_ENV, POSTMARK_WEBHOOK_CREDENTIALS: 'postmark:short', MAILGUN_WEBHOOK_SIGNING_KEY: 'key-short' })).toEqual([
      'POSTMARK_WEBHOOK_CREDENTIALS: the password must be at least 16 characters in production',
      'MAILGUN_WEBHOOK_SIGNING_KEY: must be at least 16 characters in production (copy the HTTP webhook signing key Mailgun shows)',
    ]);
    const config = parseConfig({
      ...PRODUCTION_ENV,
      POSTMARK_WEBHOOK_CREDENTIALS: 'postmark:a-long-random-password',
      MAILGUN_WEBHOOK_SIGNING_KEY: 'key-0123456789abcdef0123456789abcdef',
    });
    expect(config.webhooks).toMatchObject({ postmarkCredentials: 'postmark:a-long-random-password', mailgunSigningKey: 'key-0123456789abcdef0123456789abcdef' });
  });
});
