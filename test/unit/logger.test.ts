import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../services/core/platform/logging/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('logging', () => {
  it('masks tokens in URLs and email addresses in text', () => {
    expect(scrubSecrets('GET /unsubscribe?token=u.1.0.abcdef&x=1 for ada@example.org')).toBe(
      'GET /unsubscribe?token=[redacted]&x=1 for [email]',
    );
  });

  it('keeps addresses and tokens out of every kind of log call', () => {
    const { lines, logger } = capture();
    logger.info('sent to ada@example.org');
    logger.info({ email: 'bob@example.org', subscriber: { email: 'eve@example.org' } }, 'subscribed');
    logger.info({ req: { method: 'GET', url: '/confirm?token=c.5.abc.SIGNATURE', id: '1' } }, 'incoming request');
    logger.error({ err: new Error('550 5.1.1 <carol@example.org>: user unknown') }, 'send failed');
    const output = lines.join('');
    expect(output).not.toMatch(/@example\.org/);
    expect(output).not.toContain('SIGNATURE');
    expect(output).toContain('user unknown');
    expect(lines).toHaveLength(4);
  });
});
