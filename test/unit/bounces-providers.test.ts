import { describe, expect, it } from 'vitest';
import { postmarkCredentialsMatch, readPostmarkRecord } from '../../services/core/bounces/providers/postmark.js';
import { parseMailgunWebhook, readMailgunEvent, verifyMailgunSignature, type MailgunWebhook } from '../../services/core/bounces/providers/mailgun.js';
import type { ProviderReading } from '../../services/core/bounces/providers/provider-reading.js';
import { readSendgridEvents, sendgridVerificationKey, verifySendgridSignature } from '../../services/core/bounces/providers/sendgrid.js';
import { createReturnPathToken, returnPathAddress } from '../../services/core/platform/tokens/return-path.js';
import {
  basicAuth,
  mailgunComplained,
  mailgunFailed,
  mailgunSignature,
  postmarkBounce,
  postmarkSpamComplaint,
  sendgridEvent,
  sendgridKeys,
  sendgridSignatureHeaders,
} from '../helpers/provider-webhooks.js';

const NOW = new Date('2026-08-14T07:10:00Z');
const MINUTE = 60_000;

function eventsOf(reading: ProviderReading) {
  if ('malformed' in reading) throw new Error(`expected events, got malformed: ${reading.malformed}`);
  return reading.events;
}

describe('Postmark', () => {
  const CREDENTIALS = 'paperboy:postmark-webhook-password';

  it('takes exactly the configured basic-auth credentials', () => {
    expect(postmarkCredentialsMatch(CREDENTIALS, basicAuth(CREDENTIALS))).toBe(true);
    expect(postmarkCredentialsMatch(CREDENTIALS, basicAuth('paperboy:postmark-webhook-passwore'))).toBe(false);
    expect(postmarkCredentialsMatch(CREDENTIALS, basicAuth('paperboy:postmark-webhook-password2'))).toBe(false);
    expect(postmarkCredentialsMatch(CREDENTIALS, basicAuth('intruder:postmark-webhook-password'))).toBe(false);
    expect(postmarkCredentialsMatch(CREDENTIALS, `Bearer ${CREDENTIALS}`)).toBe(false);
    expect(postmarkCredentialsMatch(CREDENTIALS, undefined)).toBe(false);
    expect(postmarkCredentialsMatch(CREDENTIALS, 'Basic !!!')).toBe(false);
  });

  it('reads a hard bounce as a hard bounce of the reader it names, its address kept out of the detail', () => {
    const [event] = eventsOf(readPostmarkRecord(postmarkBounce({ id: 42, email: 'reader@example.org' }), NOW));
    expect(event).toEqual({
      source: 'postmark',
      eventKey: '42@2026-08-14T07:05:54.9070259Z',
      kind: 'hard_bounce',
      recipient: 'reader@example.org',
      recipientVouched: true,
      detail: 'HardBounce smtp;550 5.1.1 The email account that you tried to reach does not exist: address',
      occurredAt: new Date('2026-08-14T07:05:54.907Z'),
    });
  });

  it("takes Postmark's 64-bit ids, past what JSON numbers hold exactly, keyed with the bounce time", () => {
    const [event] = eventsOf(readPostmarkRecord(postmarkBounce({ id: 4323372036854775807, email: 'r@example.org' }), NOW));
    expect(event!.eventKey).toBe('4323372036854776000@2026-08-14T07:05:54.9070259Z');
    expect(readPostmarkRecord(postmarkBounce({ id: 1.5, email: 'r@example.org' }), NOW)).toEqual({ malformed: expect.stringContaining('"ID" must be a whole number') });
  });

  it.each([
    ['HardBounce', 'hard_bounce'],
    ['BadEmailAddress', 'hard_bounce'],
    ['SoftBounce', 'soft_bounce'],
    ['DnsError', 'soft_bounce'],
  ])('takes bounce type %s as %s', (type, kind) => {
    expect(eventsOf(readPostmarkRecord(postmarkBounce({ id: 1, email: 'r@example.org', type }), NOW))[0]!.kind).toBe(kind);
  });

  it.each(['Transient', 'AutoResponder', 'Blocked', 'SpamNotification', 'DMARCPolicy', 'ManuallyDeactivated', 'Unknown'])(
    'does not act on bounce type %s (a delay, an auto-reply, or about our message)',
    (type) => {
      expect(readPostmarkRecord(postmarkBounce({ id: 1, email: 'r@example.org', type }), NOW)).toEqual({
        events: [],
        ignored: [expect.stringContaining(type)],
      });
    },
  );

  it('reads a spam complaint as a complaint', () => {
    const [event] = eventsOf(readPostmarkRecord(postmarkSpamComplaint({ id: 7, email: 'reader@example.org' }), NOW));
    expect(event).toMatchObject({ kind: 'complaint', eventKey: '7@2026-08-14T07:06:54Z', recipient: 'reader@example.org', recipientVouched: true });
  });

  it('ignores other record types and names what is wrong with a malformed record', () => {
    expect(readPostmarkRecord({ RecordType: 'Delivery', MessageID: 'x' }, NOW)).toEqual({ events: [], ignored: ['record type Delivery'] });
    expect(readPostmarkRecord([], NOW)).toEqual({ malformed: expect.stringContaining('RecordType') });
    expect(readPostmarkRecord({ ...postmarkBounce({ id: 1, email: 'r@example.org' }), Email: undefined }, NOW)).toEqual({
      malformed: expect.stringContaining('"Email"'),
    });
  });

  it('takes the time it arrived for a bounce dated in the future', () => {
    const [event] = eventsOf(readPostmarkRecord(postmarkBounce({ id: 1, email: 'r@example.org', bouncedAt: '2027-01-01T00:00:00Z' }), NOW));
    expect(event!.occurredAt).toEqual(NOW);
  });
});

describe('SendGrid', () => {
  const keys = sendgridKeys();
  const key = sendgridVerificationKey(keys.publicKeyBase64);
  const body = Buffer.from(JSON.stringify([sendgridEvent.bounce({ email: 'reader@example.org', smtpId: '<a@paperboy.test>', eventId: 'ev-1' })]));
  const headersOf = (signed: Record<string, string>) => ({
    signature: signed['x-twilio-email-event-webhook-signature'],
    timestamp: signed['x-twilio-email-event-webhook-timestamp'],
  });

  it('verifies a signature over the timestamp and the exact bytes of the body', () => {
    expect(verifySendgridSignature(key, headersOf(sendgridSignatureHeaders(keys, body, NOW)), body, NOW)).toEqual({ ok: true });
  });

  it('refuses a changed body, another key, a missing header, garbage, and a timestamp outside 10 minutes', () => {
    const signed = headersOf(sendgridSignatureHeaders(keys, body, NOW));
    const changed = Buffer.from(body.toString().replace('5.0.0', '4.0.0'));
    expect(verifySendgridSignature(key, signed, changed, NOW)).toEqual({ ok: false, problem: 'forged' });
    expect(verifySendgridSignature(key, headersOf(sendgridSignatureHeaders(sendgridKeys(), body, NOW)), body, NOW)).toEqual({ ok: false, problem: 'forged' });
    expect(verifySendgridSignature(key, { ...signed, signature: undefined }, body, NOW)).toEqual({ ok: false, problem: 'missing' });
    expect(verifySendgridSignature(key, { ...signed, signature: 'bm90IGEgc2lnbmF0dXJl' }, body, NOW)).toEqual({ ok: false, problem: 'forged' });
    expect(verifySendgridSignature(key, { ...signed, timestamp: `${signed.timestamp}0` }, body, NOW)).toEqual({ ok: false, problem: 'forged' });
    const old = headersOf(sendgridSignatureHeaders(keys, body, new Date(NOW.getTime() - 11 * MINUTE)));
    expect(verifySendgridSignature(key, old, body, NOW)).toEqual({ ok: false, problem: 'stale' });
    const ahead = headersOf(sendgridSignatureHeaders(keys, body, new Date(NOW.getTime() + 11 * MINUTE)));
    expect(verifySendgridSignature(key, ahead, body, NOW)).toEqual({ ok: false, problem: 'stale' });
    const nineMinutesOld = headersOf(sendgridSignatureHeaders(keys, body, new Date(NOW.getTime() - 9 * MINUTE)));
    expect(verifySendgridSignature(key, nineMinutesOld, body, NOW)).toEqual({ ok: true });
  });

  it('maps bounce, blocked, spamreport and dropped events, and passes over the rest', () => {
    const batch = [
      sendgridEvent.other('processed', { email: 'a@example.org', smtpId: '<a@p.test>', eventId: 'e0' }),
      sendgridEvent.bounce({ email: 'a@example.org', smtpId: '<a@p.test>', eventId: 'e1' }),
      sendgridEvent.bounce({ email: 'b@example.org', smtpId: '<b@p.test>', eventId: 'e2', type: 'blocked', status: '4.2.2', reason: '452 4.2.2 mailbox full' }),
      sendgridEvent.bounce({ email: 'c@example.org', smtpId: '<c@p.test>', eventId: 'e3', type: 'blocked', status: '5.7.1', reason: '550 5.7.1 blocked by Spamhaus' }),
      sendgridEvent.spamreport({ email: 'd@example.org', smtpId: '<d@p.test>', eventId: 'e4' }),
      sendgridEvent.other('dropped', { email: 'e@example.org', smtpId: '<e@p.test>', eventId: 'e5' }),
      sendgridEvent.other('dropped', { email: 'f@example.org', smtpId: '<f@p.test>', eventId: 'e6', reason: 'Unsubscribed Address' }),
      sendgridEvent.other('deferred', { email: 'g@example.org', smtpId: '<g@p.test>', eventId: 'e7' }),
    ];
    const reading = readSendgridEvents(Buffer.from(JSON.stringify(batch)), NOW);
    expect(eventsOf(reading).map((event) => [event.eventKey, event.kind, event.messageId])).toEqual([
      ['e1', 'hard_bounce', '<a@p.test>'],
      ['e2', 'soft_bounce', '<b@p.test>'],
      ['e4', 'complaint', '<d@p.test>'],
      ['e5', 'hard_bounce', '<e@p.test>'],
    ]);
    expect(eventsOf(reading)[0]).toMatchObject({ source: 'sendgrid', recipient: 'a@example.org', recipientVouched: true, occurredAt: new Date(1786691154 * 1000) });
    expect(eventsOf(reading)[0]!.detail).toBe('bounce 5.0.0 500 unknown recipient');
    expect(!('malformed' in reading) && reading.ignored).toEqual([
      'processed event',
      'blocked for our message or sending: 5.7.1 550 5.7.1 blocked by Spamhaus',
      'dropped (Unsubscribed Address)',
      'deferred event',
    ]);
  });

  it('passes over an unreadable event or one without its id, and refuses a body that is not a JSON array', () => {
    const withoutId = { ...sendgridEvent.spamreport({ email: 'd@example.org', smtpId: '<d@p.test>', eventId: 'x' }), sg_event_id: undefined };
    const reading = readSendgridEvents(Buffer.from(JSON.stringify([{ event: 42 }, withoutId])), NOW);
    expect(reading).toEqual({ events: [], ignored: [expect.stringContaining('unreadable'), expect.stringContaining('no sg_event_id')] });
    expect(readSendgridEvents(Buffer.from('{"event":"bounce"}'), NOW)).toEqual({ malformed: 'the body must be a JSON array of events' });
    expect(readSendgridEvents(Buffer.from('[{'), NOW)).toEqual({ malformed: 'the body is not valid JSON' });
  });
});

describe('Mailgun', () => {
  const KEY = 'mailgun-signing-key-0123456789abcdef';
  const SECRET = 'unit-test-secret-key-unit-test-secret-key';
  const DOMAIN = 'bounces.paperboy.test';
  const webhook = (eventData: object, signature = mailgunSignature(KEY, NOW)): MailgunWebhook => {
    const parsed = parseMailgunWebhook({ signature, 'event-data': eventData });
    if ('malformed' in parsed) throw new Error(parsed.malformed);
    return parsed.webhook;
  };
  const failed = (fields: Partial<Parameters<typeof mailgunFailed>[0]> = {}) =>
    mailgunFailed({ id: 'G9Bn5sl1TC6nu79C8C0bwg', recipient: 'reader@example.org', messageId: '20260814.1@paperboy.test', ...fields });
  const read = (eventData: object) => readMailgunEvent(webhook(eventData)['event-data'], { bounceDomain: DOMAIN, receivedAt: NOW });

  it('verifies the HMAC of timestamp and token, in the window', () => {
    expect(verifyMailgunSignature(KEY, webhook(failed()).signature, NOW)).toEqual({ ok: true });
    expect(verifyMailgunSignature('another-key-0123456789abcdef', webhook(failed()).signature, NOW)).toEqual({ ok: false, problem: 'forged' });
    const signature = mailgunSignature(KEY, NOW);
    expect(verifyMailgunSignature(KEY, { ...signature, token: `${signature.token}0` }, NOW)).toEqual({ ok: false, problem: 'forged' });
    expect(verifyMailgunSignature(KEY, { ...signature, signature: 'zz' }, NOW)).toEqual({ ok: false, problem: 'forged' });
    expect(verifyMailgunSignature(KEY, mailgunSignature(KEY, new Date(NOW.getTime() - 11 * MINUTE)), NOW)).toEqual({ ok: false, problem: 'stale' });
    expect(verifyMailgunSignature(KEY, mailgunSignature(KEY, new Date(NOW.getTime() + 11 * MINUTE)), NOW)).toEqual({ ok: false, problem: 'stale' });
  });

  it('takes a subaccount event signed with the parent account key', () => {
    const own = mailgunSignature('subaccount-key-0123456789abcdef', NOW);
    const parent = mailgunSignature(KEY, NOW, own.token);
    expect(verifyMailgunSignature(KEY, { ...own, 'parent-signature': parent.signature }, NOW)).toEqual({ ok: true });
  });

  it('reads a permanent failure about the address as a hard bounce, tied by Message-ID and recipient', () => {
    expect(eventsOf(read(failed()))).toEqual([
      {
        source: 'mailgun',
        eventKey: 'G9Bn5sl1TC6nu79C8C0bwg@1786691154.375624',
        kind: 'hard_bounce',
        messageId: '20260814.1@paperboy.test',
        recipient: 'reader@example.org',
        recipientVouched: true,
        detail: 'failed bounce 550 5.1.1 The email account that you tried to reach does not exist.',
        occurredAt: new Date(1786691154375.624),
      },
    ]);
  });

  it('names the delivery by the VERP token of the envelope sender when there is one', () => {
    const subject = { kind: 'delivery' as const, deliveryId: 77 };
    const [event] = eventsOf(read(failed({ sender: returnPathAddress(SECRET, DOMAIN, subject) })));
    expect(event!.verpToken).toBe(createReturnPathToken(SECRET, subject));
  });

  it('classifies permanent failures like DSNs, ignores temporary ones, and takes complaints', () => {
    expect(eventsOf(read(failed({ code: 552, message: '5.2.2 mailbox full', reason: 'old' })))[0]!.kind).toBe('soft_bounce');
    expect(eventsOf(read(failed({ code: 605, message: 'Not delivering to previously bounced address', reason: 'suppress-bounce' })))[0]!.kind).toBe('hard_bounce');
    expect(read(failed({ code: 554, message: '5.7.1 Message rejected as spam' }))).toEqual({ events: [], ignored: [expect.stringContaining('our message or sending')] });
    expect(read(failed({ severity: 'temporary', code: 421, message: '4.4.2 connection dropped', reason: 'generic' }))).toEqual({
      events: [],
      ignored: ['temporary failure: Mailgun retries it'],
    });
    const [complaint] = eventsOf(read(mailgunComplained({ id: '-Agny091SquKnsrW2NEKUA', recipient: 'reader@example.org', messageId: 'm@p.test' })));
    expect(complaint).toMatchObject({ kind: 'complaint', messageId: 'm@p.test', recipient: 'reader@example.org', recipientVouched: true });
    expect(read({ event: 'delivered', id: 'x' })).toEqual({ events: [], ignored: ['delivered event'] });
  });

  it('names what is missing from a body that is not a signed Mailgun event', () => {
    expect(parseMailgunWebhook({ 'event-data': failed() })).toEqual({ malformed: expect.stringContaining('"signature"') });
    expect(parseMailgunWebhook({ signature: mailgunSignature(KEY, NOW) })).toEqual({ malformed: expect.stringContaining('"event-data"') });
    expect(parseMailgunWebhook({ signature: { ...mailgunSignature(KEY, NOW), timestamp: 'yesterday' }, 'event-data': failed() })).toEqual({
      malformed: expect.stringContaining('"signature.timestamp" must be Unix seconds'),
    });
    expect(parseMailgunWebhook('timestamp=1&token=2')).toEqual({ malformed: expect.stringContaining('a Mailgun webhook is a JSON object') });
  });
});
