import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../services/core/platform/config/config.js';
import { readSesNotification, type SesReading } from '../../services/core/bounces/providers/ses.js';
import { isSnsUrl, parseSnsMessage, snsStringToSign, verifySnsSignature, type SnsMessage } from '../../services/core/bounces/providers/sns-signature.js';
import { createReturnPathToken, returnPathAddress } from '../../services/core/platform/tokens/return-path.js';
import { sesBounce, sesComplaint, sesDelivery } from '../helpers/ses-notifications.js';

const SECRET = 'unit-test-secret-key-unit-test-secret-key';
const DOMAIN = 'bounces.paperboy.test';
const DELIVERY = { kind: 'delivery' as const, deliveryId: 4242 };
const RECEIVED_AT = new Date('2026-08-13T06:10:00Z');

describe('the SNS string to sign', () => {
  it('is the SNS developer guide\'s example for a Notification: name and value lines in byte order, Subject included when present', () => {
    const message = {
      Type: 'Notification',
      MessageId: '4d4dc071-ddbf-465d-bba8-08f81c89da64',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
      Subject: 'My subject',
      Message: 'My Test Message',
      Timestamp: '2019-01-31T04:37:04.321Z',
    } as SnsMessage;
    expect(snsStringToSign(message)).toBe(
      'Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\nSubject\nMy subject\nTimestamp\n2019-01-31T04:37:04.321Z\n' +
        'TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nNotification\n',
    );
    const { Subject: _subject, ...withoutSubject } = message;
    expect(snsStringToSign(withoutSubject as SnsMessage)).not.toContain('Subject');
  });

  it('is the guide\'s example for a SubscriptionConfirmation: SubscribeURL and Token signed, no Subject', () => {
    const message = {
      Type: 'SubscriptionConfirmation',
      MessageId: '3d891288-136d-417f-bc05-901c108273ee',
      Token: '233...',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
      Message: 'My Test Message',
      SubscribeURL: 'https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=233...',
      Timestamp: '2019-01-31T19:25:13.719Z',
      Subject: 'ignored for confirmations',
    } as SnsMessage;
    expect(snsStringToSign(message)).toBe(
      'Message\nMy Test Message\nMessageId\n3d891288-136d-417f-bc05-901c108273ee\n' +
        'SubscribeURL\nhttps://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=233...\n' +
        'Timestamp\n2019-01-31T19:25:13.719Z\nToken\n233...\nTopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nSubscriptionConfirmation\n',
    );
  });

  it.each(['1', '2'] as const)('verifies SignatureVersion %s and refuses any change to a signed field', (version) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const message = {
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses',
      Message: '{"notificationType":"Bounce"}',
      Timestamp: '2026-08-13T06:00:00.000Z',
      SignatureVersion: version,
      SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/x.pem',
      Signature: '',
    } as SnsMessage;
    message.Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(snsStringToSign(message)).sign(privateKey, 'base64');
    expect(verifySnsSignature(message, publicKey)).toBe(true);
    expect(verifySnsSignature({ ...message, Message: '{"notificationType":"Complaint"}' }, publicKey)).toBe(false);
    expect(verifySnsSignature({ ...message, TopicArn: 'arn:aws:sns:eu-west-1:123456789012:other' }, publicKey)).toBe(false);
    expect(verifySnsSignature({ ...message, SignatureVersion: version === '1' ? '2' : '1' }, publicKey)).toBe(false);
    expect(verifySnsSignature({ ...message, Signature: 'bm90IGEgc2lnbmF0dXJl' }, publicKey)).toBe(false);
  });
});

describe('SNS URLs', () => {
  it.each([
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
  ])('accepts the certificate URL %s', (url) => expect(isSnsUrl(url, 'pem')).toBe(true));

  it.each([
    ['http, not https', 'http://sns.us-east-1.amazonaws.com/cert.pem'],
    ['another host', 'https://evil.example.com/cert.pem'],
    ['a look-alike host', 'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem'],
    ['a subdomain trick', 'https://sns.us-east-1.amazonaws.com@evil.example/cert.pem'],
    ['another AWS service', 'https://s3.us-east-1.amazonaws.com/cert.pem'],
    ['another port', 'https://sns.us-east-1.amazonaws.com:8443/cert.pem'],
    ['not a .pem', 'https://sns.us-east-1.amazonaws.com/cert.txt'],
    ['not a URL', 'sns.us-east-1.amazonaws.com/cert.pem'],
  ])('refuses a certificate URL on %s', (_case, url) => expect(isSnsUrl(url, 'pem')).toBe(false));

  it('accepts a SubscribeURL on an SNS host whatever its path, and nothing else', () => {
    expect(isSnsUrl('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=1', 'any')).toBe(true);
    expect(isSnsUrl('https://attacker.example/?Action=ConfirmSubscription', 'any')).toBe(false);
  });
});

describe('reading a posted SNS message', () => {
  const valid = {
    Type: 'Notification',
    MessageId: 'm',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses',
    Message: '{}',
    Timestamp: '2026-08-13T06:00:00.000Z',
    SignatureVersion: '1',
    Signature: 'c2ln',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/x.pem',
  };

  it('names what is wrong', () => {
    expect(parseSnsMessage('{nope')).toEqual({ ok: false, field: 'body', problem: 'is not valid JSON' });
    expect(parseSnsMessage('[1]')).toMatchObject({ ok: false, field: 'body' });
    expect(parseSnsMessage(JSON.stringify({ ...valid, Signature: undefined }))).toMatchObject({ ok: false, field: 'Signature' });
    expect(parseSnsMessage(JSON.stringify({ ...valid, Type: 'Other' }))).toMatchObject({ ok: false, field: 'SubscribeURL' });
    expect(parseSnsMessage(JSON.stringify({ ...valid, SignatureVersion: '3' }))).toMatchObject({ ok: false, field: 'SignatureVersion' });
    expect(parseSnsMessage(JSON.stringify({ ...valid, Timestamp: 'yesterday' }))).toMatchObject({ ok: false, field: 'Timestamp' });
    expect(parseSnsMessage(JSON.stringify({ ...valid, Type: 'SubscriptionConfirmation' }))).toMatchObject({ ok: false, field: 'SubscribeURL' });
  });

  it('takes a null Subject as absent, so it is not signed', () => {
    const parsed = parseSnsMessage(JSON.stringify({ ...valid, Subject: null }));
    expect(parsed.ok && 'Subject' in parsed.message).toBe(false);
  });
});

describe('reading SES notifications', () => {
  const returnPath = returnPathAddress(SECRET, DOMAIN, DELIVERY);
  const token = createReturnPathToken(SECRET, DELIVERY);
  const read = (notification: Record<string, unknown>, options: { bounceDomain?: string } = { bounceDomain: DOMAIN }): SesReading =>
    readSesNotification(JSON.stringify(notification), { snsMessageId: 'sns-1', bounceDomain: options.bounceDomain, receivedAt: RECEIVED_AT });
  const eventsOf = (reading: SesReading) => {
    if (!('events' in reading)) throw new Error(`expected events, got ignored: ${reading.ignored}`);
    return reading.events;
  };

  it('takes a permanent bounce as a hard bounce, by the VERP token of the envelope sender, keyed by SES feedback id and recipient', () => {
    const [event, ...rest] = eventsOf(read(sesBounce({ source: returnPath, messageId: '<abc@paperboy.test>', recipient: 'Reader@Example.org' })));
    expect(rest).toEqual([]);
    expect(event).toEqual({
      source: 'ses',
      eventKey: '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000/reader@example.org',
      kind: 'hard_bounce',
      verpToken: token,
      recipient: 'Reader@Example.org',
      detail: '5.1.1 550 5.1.1 <address>... User (SES Permanent/General)',
      occurredAt: new Date('2016-01-27T14:59:38.237Z'),
    });
  });

  it('names the message by our Message-ID when the envelope sender is not our bounce address, never by SES\'s own id', () => {
    const [byHeader] = eventsOf(read(sesBounce({ messageId: '<abc@paperboy.test>' })));
    expect(byHeader).toMatchObject({ messageId: 'abc@paperboy.test' });
    expect(byHeader).not.toHaveProperty('verpToken');
    // BOUNCE_DOMAIN unset here: the bounce address is not recognised, the Message-ID is used.
    expect(eventsOf(read(sesBounce({ source: returnPath, messageId: '<abc@paperboy.test>' }), {}))[0]).toMatchObject({ messageId: 'abc@paperboy.test' });
    // Without the original headers nothing names our message: the event names none (unknown-message later).
    const [bare] = eventsOf(read(sesBounce({ withoutHeaders: true })));
    expect(bare).not.toHaveProperty('messageId');
    expect(bare).not.toHaveProperty('verpToken');
    // Event publishing's commonHeaders.messageId is SES's id when SES made the Message-ID.
    const sesOwn = sesBounce({ eventPublishing: true, messageId: '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000' });
    expect(eventsOf(read(sesOwn))[0]).not.toHaveProperty('messageId');
  });

  it.each([
    ['Transient', 'General', 'soft_bounce'],
    ['Transient', 'MailboxFull', 'soft_bounce'],
    ['Undetermined', 'Undetermined', 'soft_bounce'],
    ['Permanent', 'NoEmail', 'hard_bounce'],
    ['Permanent', 'OnAccountSuppressionList', 'hard_bounce'],
  ] as const)('takes a %s/%s bounce as %s, from notifications and event publishing alike', (bounceType, bounceSubType, kind) => {
    expect(eventsOf(read(sesBounce({ bounceType, bounceSubType, source: returnPath })))[0]?.kind).toBe(kind);
    expect(eventsOf(read(sesBounce({ bounceType, bounceSubType, source: returnPath, eventPublishing: true })))[0]?.kind).toBe(kind);
  });

  it.each(['ContentRejected', 'AttachmentRejected', 'MessageTooLarge'])('ignores a transient %s bounce: it is about our message, not the address', (bounceSubType) => {
    expect(read(sesBounce({ bounceType: 'Transient', bounceSubType, source: returnPath }))).toEqual({ ignored: expect.stringContaining(bounceSubType) });
  });

  it('takes a complaint as a complaint per recipient, but not a not-spam report', () => {
    const [event] = eventsOf(read(sesComplaint({ source: returnPath })));
    expect(event).toMatchObject({ kind: 'complaint', verpToken: token, detail: 'feedback-type abuse (AnyCompany Feedback Loop (V0.01))' });
    expect(eventsOf(read(sesComplaint({ source: returnPath, complaintFeedbackType: null })))[0]).toMatchObject({ kind: 'complaint', detail: expect.stringContaining('unspecified') });
    expect(read(sesComplaint({ source: returnPath, complaintFeedbackType: 'not-spam' }))).toEqual({ ignored: expect.stringContaining('not-spam') });
  });

  it('ignores deliveries, other event types, and messages that are not SES notifications', () => {
    expect(read(sesDelivery({ source: returnPath }))).toEqual({ ignored: expect.stringContaining('Delivery') });
    expect(read({ eventType: 'Open', mail: {} })).toEqual({ ignored: expect.stringContaining('Open') });
    expect(readSesNotification('Successfully validated SNS topic for Amazon SES event publishing.', { snsMessageId: 's', bounceDomain: DOMAIN, receivedAt: RECEIVED_AT })).toEqual({
      ignored: expect.stringContaining('not JSON'),
    });
    expect(read({ notificationType: 'Bounce', bounce: { bounceType: 'Permanent' } })).toEqual({ ignored: expect.stringContaining('bounce.bouncedRecipients') });
  });

  it('keys an event by the SNS message id when SES gives no feedback id, and never stores a future time', () => {
    const notification = sesBounce({ source: returnPath, recipient: 'r@example.org', timestamp: '2030-01-01T00:00:00Z' }) as { bounce: Record<string, unknown> };
    delete notification.bounce.feedbackId;
    const [event] = eventsOf(read(notification));
    expect(event).toMatchObject({ eventKey: 'sns:sns-1/r@example.org', occurredAt: RECEIVED_AT });
  });
});

describe('SES_SNS_TOPIC_ARNS', () => {
  it('turns the route on with a list of topic ARNs, and stops start-up naming the variable on anything else', () => {
    expect(parseConfig({}).webhooks.ses).toBeUndefined();
    expect(parseConfig({ SES_SNS_TOPIC_ARNS: ' arn:aws:sns:eu-west-1:123456789012:ses-bounces , arn:aws-cn:sns:cn-north-1:123456789012:b' }).webhooks.ses).toEqual({
      topicArns: ['arn:aws:sns:eu-west-1:123456789012:ses-bounces', 'arn:aws-cn:sns:cn-north-1:123456789012:b'],
    });
    for (const value of ['ses-bounces', 'arn:aws:sqs:eu-west-1:123456789012:q', ',']) {
      expect(() => parseConfig({ SES_SNS_TOPIC_ARNS: value }), value).toThrow(ConfigError);
      try {
        parseConfig({ SES_SNS_TOPIC_ARNS: value });
      } catch (error) {
        expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^SES_SNS_TOPIC_ARNS: /)]);
      }
    }
  });
});
