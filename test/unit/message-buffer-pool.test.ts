import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../services/core/platform/config/config.js';
import { createDigestMessageBuilder, digestSettings } from '../../services/core/digest/digest-message.js';
import { createMessageBufferPool } from '../../services/core/platform/mail/message-template.js';
import { dailyEdition, fixturePapers } from '../helpers/digest-fixtures.js';

const settings = digestSettings(
  configFromEnv({
    PUBLIC_URL: 'https://news.example.org',
    MAIL_FROM: 'Paperboy <papers@example.org>',
    SECRET_KEY: 'unit-test-secret-key-unit-test-secret-key',
    MAIL_POSTAL_ADDRESS: 'Paperboy Ltd, 1 Main St, Springfield',
  }),
  '5f0c2a4e8d1b4c3e',
);
const sentAt = new Date('2026-02-04T06:30:00Z');
const papers = fixturePapers('2026-02-03');
const reader = (n: number) => ({ subscriberId: n, email: `reader-${n}@example.com`, deliveryId: 1000 + n });

describe('message buffer pool: filled messages written into reused buffers', () => {
  it('gives byte-for-byte the message a fresh buffer gets', async () => {
    const builder = createDigestMessageBuilder(dailyEdition('2026-02-03'), papers, settings);
    const ids = papers.map((p) => p.id);
    const pool = createMessageBufferPool();
    for (let n = 1; n <= 5; n++) {
      const fresh = await builder.build(ids, reader(n), sentAt);
      const pooled = await builder.build(ids, reader(n), sentAt, pool.allocate);
      expect(pooled.raw.equals(fresh.raw)).toBe(true);
      pool.release(pooled.raw);
    }
  });

  it('reuses a released buffer and never hands out one still in use', async () => {
    const builder = createDigestMessageBuilder(dailyEdition('2026-02-03'), papers, settings);
    const ids = papers.map((p) => p.id);
    const pool = createMessageBufferPool();
    const first = await builder.build(ids, reader(1), sentAt, pool.allocate);
    const second = await builder.build(ids, reader(2), sentAt, pool.allocate);
    expect(second.raw.buffer).not.toBe(first.raw.buffer);
    const firstBytes = Buffer.from(first.raw);

    pool.release(second.raw);
    pool.release(second.raw); // twice: still one free buffer
    const third = await builder.build(ids, reader(3), sentAt, pool.allocate);
    const fourth = await builder.build(ids, reader(4), sentAt, pool.allocate);
    expect(third.raw.buffer).toBe(second.raw.buffer);
    expect(fourth.raw.buffer).not.toBe(third.raw.buffer);
    expect(fourth.raw.buffer).not.toBe(first.raw.buffer);
    // The one never released is untouched by the later fills.
    expect(first.raw.equals(firstBytes)).toBe(true);
  });

  it('ignores buffers it did not allocate', () => {
    const pool = createMessageBufferPool({ minSize: 16 });
    pool.release(Buffer.alloc(1024 * 1024));
    expect(pool.allocate(100).length).toBe(16384);
  });
});
