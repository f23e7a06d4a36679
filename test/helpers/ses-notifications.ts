/**
 * Amazon SES notifications shaped as the SES developer guide's examples ("Amazon SNS notification
 * examples for Amazon SES" and the event publishing examples), with the parts a test varies
 * (envelope sender, Message-ID, recipient, bounce type) given by the test.
 */

export interface SesMailFields {
  /** mail.source: the envelope sender Paperboy gave SES. */
  source?: string;
  /** Our Message-ID as the original headers carry it (with angle brackets, as sent). */
  messageId?: string;
  recipient?: string;
  /** Leave the original headers out, as SES does unless "include original headers" is on. */
  withoutHeaders?: boolean;
}

const SES_MESSAGE_ID = '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000';

function mailObject({ source = 'john@example.com', messageId = 'custom-message-ID', recipient = 'jane@example.com', withoutHeaders = false }: SesMailFields) {
  return {
    timestamp: '2016-01-27T14:59:38.237Z',
    source,
    sourceArn: 'arn:aws:ses:us-east-1:888888888888:identity/example.com',
    sourceIp: '127.0.3.0',
    sendingAccountId: '123456789012',
    callerIdentity: 'IAM_user_or_role_name',
    messageId: SES_MESSAGE_ID,
    destination: [recipient],
    ...(withoutHeaders
      ? {}
      : {
          headersTruncated: false,
          headers: [
            { name: 'From', value: '"John Doe" <john@example.com>' },
            { name: 'To', value: `<${recipient}>` },
            { name: 'Message-ID', value: messageId },
            { name: 'Subject', value: 'Hello' },
            { name: 'Content-Type', value: 'text/plain; charset="UTF-8"' },
            { name: 'Content-Transfer-Encoding', value: 'base64' },
            { name: 'Date', value: 'Wed, 27 Jan 2016 14:05:45 +0000' },
          ],
          commonHeaders: {
            from: ['John Doe <john@example.com>'],
            date: 'Wed, 27 Jan 2016 14:05:45 +0000',
            to: [`<${recipient}>`],
            messageId,
            subject: 'Hello',
          },
        }),
  };
}

export interface SesBounceFields extends SesMailFields {
  bounceType?: 'Permanent' | 'Transient' | 'Undetermined';
  bounceSubType?: string;
  feedbackId?: string;
  status?: string;
  diagnosticCode?: string;
  /** Event publishing (`eventType`) instead of an identity notification (`notificationType`). */
  eventPublishing?: boolean;
  timestamp?: string;
}

/** "Bounce notification with a DSN". */
export function sesBounce(fields: SesBounceFields = {}): Record<string, unknown> {
  const recipient = fields.recipient ?? 'jane@example.com';
  return {
    [fields.eventPublishing ? 'eventType' : 'notificationType']: 'Bounce',
    bounce: {
      bounceType: fields.bounceType ?? 'Permanent',
      reportingMTA: 'dns; email.example.com',
      bouncedRecipients: [
        {
          emailAddress: recipient,
          status: fields.status ?? '5.1.1',
          action: 'failed',
          diagnosticCode: fields.diagnosticCode ?? `smtp; 550 5.1.1 <${recipient}>... User`,
        },
      ],
      bounceSubType: fields.bounceSubType ?? 'General',
      timestamp: fields.timestamp ?? '2016-01-27T14:59:38.237Z',
      feedbackId: fields.feedbackId ?? '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000',
      remoteMtaIp: '127.0.2.0',
    },
    mail: mailObject(fields),
  };
}

export interface SesComplaintFields extends SesMailFields {
  complaintFeedbackType?: string | null;
  feedbackId?: string;
  eventPublishing?: boolean;
}

/** "Complaint notification with a feedback report". */
export function sesComplaint(fields: SesComplaintFields = {}): Record<string, unknown> {
  const recipient = fields.recipient ?? 'richard@example.com';
  return {
    [fields.eventPublishing ? 'eventType' : 'notificationType']: 'Complaint',
    complaint: {
      userAgent: 'AnyCompany Feedback Loop (V0.01)',
      complainedRecipients: [{ emailAddress: recipient }],
      complaintFeedbackType: fields.complaintFeedbackType === undefined ? 'abuse' : fields.complaintFeedbackType,
      arrivalDate: '2016-01-27T14:59:38.237Z',
      timestamp: '2016-01-27T14:59:38.237Z',
      feedbackId: fields.feedbackId ?? '000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000',
    },
    mail: mailObject({ ...fields, recipient }),
  };
}

/** "Delivery notification". */
export function sesDelivery(fields: SesMailFields = {}): Record<string, unknown> {
  return {
    notificationType: 'Delivery',
    mail: mailObject(fields),
    delivery: {
      timestamp: '2016-01-27T14:59:38.237Z',
      recipients: [fields.recipient ?? 'jane@example.com'],
      processingTimeMillis: 546,
      reportingMTA: 'a8-70.smtp-out.amazonses.com',
      smtpResponse: '250 ok:  Message 64111812 accepted',
      remoteMtaIp: '127.0.2.0',
    },
  };
}
