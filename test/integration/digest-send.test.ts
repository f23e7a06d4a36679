import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDigestMessageBuilder, digestSettings, type DigestMessageBuilder } from '../../services/core/digest/digest-message.js';
import { classifySmtpFailure } from '../../services/core/platform/mail/smtp-failure.js';
import { verifyToken } from '../../services/core/platform/tokens/tokens.js';
import { dailyEdition, fixturePapers } from '../helpers/digest-fixtures.js';
import { verifyDkim } from '../helpers/dkim-verify.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const DAY = '2026-08-13';
const sentAt = new Date('2026-08-14T07:00:00Z');

describe('a filled digest sent as a raw message over SMTP', () => {
  let smtp: TestSmtpServer;
  let test: TestRuntime;
  let builder: DigestMessageBuilder;
  const papers = fixturePapers(DAY);
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    test = await createTestRuntime('digest_send', {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Paperboy <papers@paperboy.test>',
      DKIM_DOMAIN: 'paperboy.test',
      DKIM_SELECTOR: 'pb2026',
      DKIM_PRIVATE_KEY: keys.privateKey,
    });
    builder = createDigestMessageBuilder(dailyEdition(DAY), papers, digestSettings(test.config, await test.runtime.database.installationId()));
  });
  afterAll(async () => {
    await test?.cleanup();
    await smtp?.close();
  });

  it('arrives once per reader with both parts, the contract headers and that reader\'s own links', async () => {
    const ids = papers.slice(0, 8).map((paper) => paper.id);
    const readers = [
      { subscriberId: 101, email: 'ada@example.com', deliveryId: 5001 },
      { subscriberId: 102, email: 'grace@example.com', deliveryId: 5002 },
    ];
    for (const reader of readers) {
      const filled = await builder.build(ids, reader, sentAt);
      const sent = await test.runtime.mail.sendRaw(filled.envelope, filled.raw, filled.messageId);
      expect(sent.messageId).toBe(filled.messageId);
    }
    await smtp.waitForMessages(2);
    expect(builder.cachedVariants).toBe(1);

    for (const reader of readers) {
      const received = smtp.messages.filter((message) => message.recipients.includes(reader.email));
      expect(received).toHaveLength(1);
      const { parsed } = received[0]!;
      expect(parsed.messageId).toBe(`<digest.${reader.deliveryId}.${await test.runtime.database.installationId()}@paperboy.test>`);
      expect(parsed.from?.value).toEqual([{ address: 'papers@paperboy.test', name: 'Paperboy' }]);
      expect((parsed.to as { text: string }).text).toBe(reader.email);
      expect(parsed.subject).toMatch(/^.+ and 7 more$/);
      expect(parsed.subject!.length).toBeLessThanOrEqual(70);
      expect(parsed.html).toContain('Trending papers, 13 Aug 2026');
      const lines = (key: string) => parsed.headerLines.filter((line) => line.key === key).map((line) => line.line);
      expect(lines('list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
      expect(lines('list-id')).toEqual(['List-ID: "Paperboy daily digest" <paperboy-daily.paperboy.test>']);
      const [listUnsubscribe] = lines('list-unsubscribe');
      const url = /^List-Unsubscribe: <(http:\/\/paperboy\.test\/unsubscribe\?token=([^>]+))>$/.exec(listUnsubscribe ?? '');
      expect(url).not.toBeNull();
      expect(verifyToken(test.config.secretKey, url![2], 'unsubscribe', sentAt)).toMatchObject({ ok: true, subscriberId: reader.subscriberId });
      expect(parsed.html).toContain(`href="${url![1]}"`);
      expect(parsed.text).toContain(url![1]);
      for (const paper of papers.slice(0, 8)) expect(parsed.text).toContain(`https://arxiv.org/abs/${paper.id}`);
      expect(`${parsed.html}${parsed.text}`).not.toContain('%%');
    }
  });

  it.each(['dkim@example.com', 'dkïm@exämple.com'])(
    'is DKIM-signed as it is filled, List-Unsubscribe-Post included, and verifies after transit (to %s)',
    async (email) => {
      const before = smtp.messages.length;
      const filled = await builder.build([papers[0]!.id], { subscriberId: 7, email, deliveryId: 77 }, sentAt);
      await test.runtime.mail.sendRaw(filled.envelope, filled.raw, filled.messageId);
      const [message] = (await smtp.waitForMessages(before + 1)).slice(before);
      // The signature covers the To: line's bytes, UTF-8 ones included.
      const check = verifyDkim(message!.raw, keys.publicKey);
      expect(check).toMatchObject({ ok: true, domain: 'paperboy.test', selector: 'pb2026' });
      expect(check.signedHeaders).toEqual(
        expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']),
      );
    },
  );

  it('reports a 550 for an unknown mailbox as a permanent recipient failure', async () => {
    smtp.setRecipientPolicy((address) => (address === 'gone@example.com' ? { code: 550, message: '5.1.1 User unknown' } : undefined));
    try {
      const filled = await builder.build([papers[0]!.id], { subscriberId: 9, email: 'gone@example.com', deliveryId: 99 }, sentAt);
      const error = await test.runtime.mail.sendRaw(filled.envelope, filled.raw, filled.messageId).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeDefined();
      expect(classifySmtpFailure(error)).toMatchObject({ kind: 'permanent-recipient', responseCode: 550, enhancedStatus: '5.1.1' });
    } finally {
      smtp.setRecipientPolicy(undefined);
    }
  });

  it('reports a 451 as transient', async () => {
    smtp.setRecipientPolicy(() => ({ code: 451, message: '4.7.1 Greylisted, come back later' }));
    try {
      const filled = await builder.build([papers[0]!.id], { subscriberId: 10, email: 'later@example.com', deliveryId: 100 }, sentAt);
      const error = await test.runtime.mail.sendRaw(filled.envelope, filled.raw, filled.messageId).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(classifySmtpFailure(error)).toMatchObject({ kind: 'transient', responseCode: 451 });
    } finally {
      smtp.setRecipientPolicy(undefined);
    }
  });
});
