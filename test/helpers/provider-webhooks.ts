import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * Webhook payloads as Postmark, SendGrid and Mailgun document them (their examples, with the
 * fields a test sets), and their signatures made with keys the test generates.
 */

// ---------------------------------------------------------------- Postmark

/** Postmark's bounce webhook example (postmarkapp.com/developer/webhooks/bounce-webhook). */
export function postmarkBounce(fields: { id: number; email: string; type?: string; typeCode?: number; bouncedAt?: string; details?: string }) {
  return {
    RecordType: 'Bounce',
    MessageStream: 'outbound',
    ID: fields.id,
    Type: fields.type ?? 'HardBounce',
    TypeCode: fields.typeCode ?? 1,
    Name: 'Hard bounce',
    Tag: 'Test',
    MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
    Metadata: { a_key: 'a_value', b_key: 'b_value' },
    ServerID: 23,
    Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
    Details: fields.details ?? `smtp;550 5.1.1 The email account that you tried to reach does not exist: ${fields.email}`,
    Email: fields.email,
    From: 'papers@paperboy.test',
    BouncedAt: fields.bouncedAt ?? '2026-08-14T07:05:54.9070259Z',
    DumpAvailable: true,
    Inactive: true,
    CanActivate: true,
    Subject: 'Trending papers',
    Content: '<Full dump of bounce>',
  };
}

/** Postmark's spam complaint webhook example (postmarkapp.com/developer/webhooks/spam-complaint-webhook). */
export function postmarkSpamComplaint(fields: { id: number; email: string; bouncedAt?: string }) {
  return {
    RecordType: 'SpamComplaint',
    MessageStream: 'outbound',
    ID: fields.id,
    Type: 'SpamComplaint',
    TypeCode: 100001,
    Name: 'Spam complaint',
    Tag: 'Test',
    MessageID: '00000000-0000-0000-0000-000000000000',
    Metadata: { a_key: 'a_value', b_key: 'b_value' },
    ServerID: 1234,
    Description: '',
    Details: 'Test spam complaint details',
    Email: fields.email,
    From: 'papers@paperboy.test',
    BouncedAt: fields.bouncedAt ?? '2026-08-14T07:06:54Z',
    DumpAvailable: true,
    Inactive: true,
    CanActivate: false,
    Subject: 'Trending papers',
    Content: '<Abuse report dump>',
  };
}

export function basicAuth(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

// ---------------------------------------------------------------- SendGrid

export interface SendgridKeys {
  /** What SENDGRID_WEBHOOK_PUBLIC_KEY holds: the base64 DER key SendGrid shows. */
  publicKeyBase64: string;
  privateKey: KeyObject;
}

export function sendgridKeys(): SendgridKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { publicKeyBase64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), privateKey };
}

/** The signature headers SendGrid sends with `body`, signed at `at`. */
export function sendgridSignatureHeaders(keys: SendgridKeys, body: string | Buffer, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), keys.privateKey).toString('base64');
  return {
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': timestamp,
  };
}

/** SendGrid's event examples (twilio.com/docs/sendgrid/for-developers/tracking-events/event). */
export const sendgridEvent = {
  bounce: (fields: { email: string; smtpId: string; eventId: string; timestamp?: number; type?: 'bounce' | 'blocked'; status?: string; reason?: string }) => ({
    email: fields.email,
    timestamp: fields.timestamp ?? 1786691154,
    'smtp-id': fields.smtpId,
    event: 'bounce',
    category: 'cat facts',
    sg_event_id: fields.eventId,
    sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
    reason: fields.reason ?? '500 unknown recipient',
    status: fields.status ?? '5.0.0',
    type: fields.type ?? 'bounce',
  }),
  spamreport: (fields: { email: string; smtpId: string; eventId: string; timestamp?: number }) => ({
    email: fields.email,
    timestamp: fields.timestamp ?? 1786691154,
    'smtp-id': fields.smtpId,
    event: 'spamreport',
    category: 'cat facts',
    sg_event_id: fields.eventId,
    sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
  }),
  other: (event: 'processed' | 'deferred' | 'delivered' | 'open' | 'dropped', fields: { email: string; smtpId: string; eventId: string; reason?: string }) => ({
    email: fields.email,
    timestamp: 1786691154,
    'smtp-id': fields.smtpId,
    event,
    category: 'cat facts',
    sg_event_id: fields.eventId,
    sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
    ...(event === 'deferred' ? { response: '400 try again later', attempt: '5' } : {}),
    ...(event === 'dropped' ? { reason: fields.reason ?? 'Bounced Address', status: '5.0.0' } : {}),
  }),
};

// ---------------------------------------------------------------- Mailgun

/** Mailgun's signature block for `at`, signed with `signingKey` (a fresh random token unless given). */
export function mailgunSignature(signingKey: string, at: Date, token = randomBytes(25).toString('hex')) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { token, timestamp, signature: createHmac('sha256', signingKey).update(timestamp + token).digest('hex') };
}

/** Mailgun's "failed" (permanent) webhook payload example, event-data part. */
export function mailgunFailed(fields: {
  id: string;
  recipient: string;
  messageId: string;
  sender?: string;
  severity?: 'permanent' | 'temporary';
  reason?: string;
  code?: number;
  message?: string;
  timestamp?: number;
}) {
  return {
    event: 'failed',
    id: fields.id,
    timestamp: fields.timestamp ?? 1786691154.375624,
    'log-level': 'error',
    severity: fields.severity ?? 'permanent',
    reason: fields.reason ?? 'bounce',
    envelope: { sender: fields.sender ?? 'papers@paperboy.test', transport: 'smtp', targets: fields.recipient },
    flags: { 'is-routed': false, 'is-authenticated': true, 'is-system-test': false, 'is-test-mode': false },
    'delivery-status': {
      'attempt-no': 1,
      message: fields.message ?? '5.1.1 The email account that you tried to reach does not exist.',
      code: fields.code ?? 550,
      description: '',
      'session-seconds': 0.4,
    },
    message: {
      headers: { to: fields.recipient, 'message-id': fields.messageId, from: 'Paperboy <papers@paperboy.test>', subject: 'Trending papers' },
      attachments: [],
      size: 111,
    },
    recipient: fields.recipient,
    'recipient-domain': fields.recipient.split('@')[1],
    storage: { url: 'https://se.api.mailgun.net/v3/domains/paperboy.test/messages/message_key', key: 'message_key' },
    campaigns: [],
    tags: ['digest'],
    'user-variables': {},
  };
}

/** Mailgun's "complained" webhook payload example, event-data part. */
export function mailgunComplained(fields: { id: string; recipient: string; messageId: string; timestamp?: number }) {
  return {
    event: 'complained',
    id: fields.id,
    timestamp: fields.timestamp ?? 1786691160.501324,
    'log-level': 'warn',
    envelope: { 'sending-ip': '173.193.210.33' },
    flags: { 'is-test-mode': false },
    message: {
      headers: { to: fields.recipient, 'message-id': fields.messageId, from: 'Paperboy <papers@paperboy.test>', subject: 'Trending papers' },
      attachments: [],
      size: 111,
    },
    recipient: fields.recipient,
    campaigns: [],
    tags: ['digest'],
    'user-variables': {},
  };
}
