import { describe, expect, it } from 'vitest';
import { softBounceStreakThrough } from '../../services/core/bounces/bounce-service.js';
import { classifyFailedRecipient, readInboundReport, type InboundReading } from '../../services/core/bounces/inbound-report.js';
import { createReturnPathToken, returnPathAddress } from '../../services/core/platform/tokens/return-path.js';
import { bounceFixture } from '../helpers/bounce-fixtures.js';

const SECRET = 'unit-test-secret-key-unit-test-secret-key';
const DOMAIN = 'bounces.paperboy.test';
const DELIVERY = { kind: 'delivery' as const, deliveryId: 4242 };
const RETURN_PATH = returnPathAddress(SECRET, DOMAIN, DELIVERY);
const TOKEN = createReturnPathToken(SECRET, DELIVERY);
const RECEIVED_AT = new Date('2026-08-13T06:10:00Z');

function read(name: string, recipients: string[] = [RETURN_PATH]): InboundReading {
  return readInboundReport(bounceFixture(name, { returnPath: RETURN_PATH, recipient: 'reader@example.com' }), {
    envelopeRecipients: recipients,
    bounceDomain: DOMAIN,
    receivedAt: RECEIVED_AT,
  });
}

function eventsOf(reading: InboundReading) {
  if (!('events' in reading)) throw new Error(`expected events, got ignored: ${reading.ignored}`);
  return reading.events;
}

describe('reading delivery status notifications (RFC 3464)', () => {
  it.each([
    ['postfix-user-unknown.eml', 'hard_bounce', '5.1.1'],
    ['exim-user-unknown.eml', 'hard_bounce', '5.0.0'],
    ['gmail-no-such-user.eml', 'hard_bounce', '5.1.1'],
    ['outlook-recipient-not-found.eml', 'hard_bounce', '5.1.10'],
    ['postfix-yahoo-no-account.eml', 'hard_bounce', '5.0.0'],
    ['postfix-mailbox-full.eml', 'soft_bounce', '5.2.2'],
    ['postfix-gmail-over-quota-expired.eml', 'soft_bounce', '4.2.2'],
    ['rfc3464-simple.eml', 'soft_bounce', '4.0.0'],
  ])('%s is one %s (%s) for the delivery its return path names', (file, kind, status) => {
    const [event, ...more] = eventsOf(read(file));
    expect(more).toEqual([]);
    expect(event).toMatchObject({ source: 'dsn', kind, verpToken: TOKEN, recipient: 'reader@example.com' });
    expect(event!.detail.startsWith(status)).toBe(true);
    // Stored and logged: the reader's address must not be in it.
    expect(event!.detail).not.toContain('reader@example.com');
    expect(event!.occurredAt.getTime()).toBeLessThanOrEqual(RECEIVED_AT.getTime());
    expect(event).not.toHaveProperty('messageId');
  });

  it('takes the one failed recipient that is about the address from the RFC 3464 multi-recipient example', () => {
    const events = eventsOf(read('rfc3464-multi-recipient.eml'));
    expect(events.map((e) => [e.kind, e.recipient])).toEqual([['hard_bounce', 'reader@example.com']]);
  });

  it('ignores a "delayed" notice: the server is still trying', () => {
    expect(read('rfc3464-delayed.eml')).toEqual({ ignored: 'delivery status report without a failed recipient (action: delayed)' });
  });

  it('does not count a refusal of our message (a blocklisted sending IP) against the reader', () => {
    expect(read('postfix-outlook-blocklisted.eml')).toMatchObject({ ignored: expect.stringMatching(/^refused for reasons of the message or the sender.*5\.7\.1/) });
  });

  it('gives the same event key to the same report received twice, a different one to another report', () => {
    const [first] = eventsOf(read('postfix-user-unknown.eml'));
    const [again] = eventsOf(read('postfix-user-unknown.eml'));
    const [other] = eventsOf(read('exim-user-unknown.eml'));
    expect(again!.eventKey).toBe(first!.eventKey);
    expect(other!.eventKey).not.toBe(first!.eventKey);
  });

  it('finds the return path in the report\'s To when the envelope does not carry it', () => {
    expect(eventsOf(read('postfix-user-unknown.eml', ['postmaster@bounces.paperboy.test']))[0]?.verpToken).toBe(TOKEN);
  });

  it('names no message when no address of ours carries a token', () => {
    const reading = readInboundReport(bounceFixture('postfix-user-unknown.eml', { returnPath: 'papers@paperboy.test' }), {
      envelopeRecipients: ['postmaster@bounces.paperboy.test'],
      bounceDomain: DOMAIN,
      receivedAt: RECEIVED_AT,
    });
    expect(reading).toMatchObject({ ignored: expect.stringContaining('names no message of ours') });
  });
});

describe('reading feedback reports (ARF, RFC 5965)', () => {
  it.each(['arf-rfc5965.eml', 'yahoo-arf-complaint.eml', 'outlook-jmrp-complaint.eml'])('%s is a complaint about the message its return path names', (file) => {
    const events = eventsOf(read(file, ['fbl@bounces.paperboy.test']));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'arf', kind: 'complaint', verpToken: TOKEN, detail: expect.stringContaining('feedback-type abuse') });
  });

  it('ignores a report that is not a complaint', () => {
    const raw = bounceFixture('arf-rfc5965.eml', { returnPath: RETURN_PATH }).toString('latin1').replace('Feedback-Type: abuse', 'Feedback-Type: not-spam');
    expect(readInboundReport(raw, { envelopeRecipients: [], bounceDomain: DOMAIN, receivedAt: RECEIVED_AT })).toEqual({
      ignored: 'feedback report of type not-spam: not a complaint',
    });
  });
});

describe('ignoring what is neither', () => {
  it.each([
    ['gmail-vacation.eml', 'auto-reply (Auto-Submitted: auto-replied)'],
    ['outlook-automatic-reply.eml', 'auto-reply (Auto-Submitted: auto-generated)'],
    ['zimbra-autoreply-encoded-subject.eml', 'auto-reply (x-autoreply)'],
    ['human-reply.eml', 'neither a delivery status notification nor a feedback report'],
    ['malformed-mime.eml', 'neither a delivery status notification nor a feedback report'],
  ])('%s: %s', (file, reason) => {
    expect(read(file)).toEqual({ ignored: reason });
  });

  it('reads an auto-reply by its subject alone, RFC 2047 encoded or not', () => {
    const raw = `From: r@example.com\r\nSubject: =?utf-8?B?${Buffer.from('Réponse automatique: papers').toString('base64')}?=\r\n\r\nabsent\r\n`;
    expect(readInboundReport(raw, { envelopeRecipients: [RETURN_PATH], bounceDomain: DOMAIN, receivedAt: RECEIVED_AT })).toEqual({
      ignored: 'auto-reply (subject "Réponse automatique: papers")',
    });
  });

  it.each([
    ['empty', ''],
    ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['endless nesting', `Content-Type: multipart/report; boundary=a\r\n\r\n${'--a\r\nContent-Type: multipart/report; boundary=a\r\n\r\n'.repeat(200)}`],
    ['a thousand parts', `Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n${'--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'.repeat(1000)}--b--\r\n`],
    ['a status part without fields', 'Content-Type: multipart/report; report-type=delivery-status; boundary=c\r\n\r\n--c\r\nContent-Type: message/delivery-status\r\n\r\n\r\n--c--\r\n'],
  ])('never throws on %s input', (_name, raw) => {
    expect(readInboundReport(raw, { envelopeRecipients: [RETURN_PATH], bounceDomain: DOMAIN, receivedAt: RECEIVED_AT })).toHaveProperty('ignored');
  });
});

describe('classifying a failed recipient', () => {
  it.each([
    ['5.1.1', '550 5.1.1 user unknown', 'hard'],
    ['5.1.2', 'bad destination system', 'hard'],
    ['5.2.1', '550 5.2.1 The email account that you tried to reach is disabled', 'hard'],
    ['5.0.0', '550 5.1.1 <address>: Recipient address rejected: User unknown', 'hard'],
    ['5.0.0', '550 user unknown', 'hard'],
    ['5.2.2', '552 5.2.2 Mailbox full', 'soft'],
    ['5.2.0', '554 5.2.0 mailbox over quota', 'soft'],
    ['4.4.7', 'delivery time expired', 'soft'],
    ['5.4.4', 'Host or domain name not found', 'soft'],
    ['5.7.1', '550 5.7.1 Message rejected as spam', 'message'],
    ['5.7.26', '550 5.7.26 Unauthenticated email is not accepted (DMARC)', 'message'],
    ['5.1.8', '553 5.1.8 sender address domain does not exist', 'message'],
    ['5.2.3', '552 5.2.3 message too large', 'message'],
    ['5.0.0', '550 5.0.0 relay access denied', 'message'],
    ['5.0.0', '550 rejected: user unknown in policy block', 'message'],
    [undefined, '550 No such user here', 'hard'],
    [undefined, '421 try again later', 'soft'],
  ] as const)('%s %s → %s', (status, diagnostic, expected) => {
    expect(classifyFailedRecipient(status, diagnostic)).toBe(expected);
  });
});

describe('soft bounces in a row', () => {
  const ledger = (...soft: boolean[]) => soft.map((softBounced, i) => ({ deliveryId: (i + 1) * 10, softBounced }));

  it('counts the row through the bounced delivery both ways, whatever order the reports came in', () => {
    expect(softBounceStreakThrough(ledger(true, true, true), 20)).toBe(3);
    expect(softBounceStreakThrough(ledger(true, true, true), 10)).toBe(3);
    expect(softBounceStreakThrough(ledger(false, true, true, false), 30)).toBe(2);
  });

  it('is broken by a digest that went through', () => {
    expect(softBounceStreakThrough(ledger(true, false, true), 30)).toBe(1);
    expect(softBounceStreakThrough(ledger(true, false, true), 20)).toBe(0);
    expect(softBounceStreakThrough(ledger(), 10)).toBe(0);
  });
});
