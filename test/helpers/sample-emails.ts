import MailComposer from 'nodemailer/lib/mail-composer';
import { createDigestMessageBuilder, digestSettings, type DigestReader } from '../../services/core/digest/digest-message.js';
import { selectPapersForReader } from '../../services/core/digest/reader-selection.js';
import { DEFAULT_PREFERENCES } from '../../services/core/subscribers/preferences.js';
import { configFromEnv } from '../../services/core/platform/config/config.js';
import { createReaderMailRenderer } from '../../services/core/reader-mail/reader-mail-renderer.js';
import { dailyEdition, fixturePapers } from './digest-fixtures.js';

/**
 * The three emails a reader gets, as complete RFC 5322 messages: the digest (built by the send
 * path's own builder) and the confirmation and links emails (rendered by the reader-mail
 * renderer and composed with the fields sendReaderMail passes). For checks that read the whole
 * message, such as a spam filter's.
 */

const config = configFromEnv({
  PUBLIC_URL: 'https://news.example.org',
  MAIL_FROM: 'Paperboy <papers@example.org>',
  SECRET_KEY: 'sample-emails-secret-key-sample-emails-secret',
  MAIL_POSTAL_ADDRESS: 'Paperboy Ltd, 1 Main Street, Springfield',
});
const sentAt = new Date('2026-08-14T06:30:00Z');

/** `digest-topics`: the digest of a reader with topics, grouped by them. */
export type SampleEmailKind = 'digest' | 'digest-topics' | 'confirmation' | 'manage-links';

/** A reader who chose three topics, in Berlin. */
export const SAMPLE_TOPICS_READER: DigestReader = { ...DEFAULT_PREFERENCES, timeZone: 'Europe/Berlin', topics: ['agent', 'diffusion', 'test-time'], images: true };

/**
 * The digest of the given recorded day with its first `papers` papers; for a `reader` with
 * topics, the papers the fan-out would pick for them (among all of the day's), grouped.
 */
export async function sampleDigestEmail(day: '2024-03-21' | '2026-02-03' | '2026-08-13' = '2026-08-13', papers = 10, reader?: DigestReader): Promise<Buffer> {
  const all = fixturePapers(day);
  const builder = createDigestMessageBuilder(dailyEdition(day), all, digestSettings(config, '5f0c2a4e8d1b4c3e'));
  const ids = reader
    ? selectPapersForReader(all, { topics: reader.topics, alreadySent: new Set(), maxPapers: reader.maxPapers }).paperIds
    : all.slice(0, papers).map((paper) => paper.id);
  const filled = await builder.build(ids, { subscriberId: 42, email: 'ada@example.com', deliveryId: 1001, ...(reader ? { reader } : {}) }, sentAt);
  return filled.raw;
}

const readerValues = {
  confirmation: {
    confirmUrl: 'https://news.example.org/confirm?token=c.42.1a2b3c.0123456789abcdef',
    schedule: 'daily at 07:00 (Europe/Berlin), up to 10 papers, all topics, from Hugging Face trending',
    validFor: '48 hours',
    postalAddress: config.mail.postalAddress,
  },
  'manage-links': {
    status: 'daily at 07:00 (Europe/Berlin), up to 10 papers, all topics, from Hugging Face trending',
    preferencesUrl: 'https://news.example.org/preferences?token=p.42.0123456789abcdef',
    unsubscribeUrl: 'https://news.example.org/unsubscribe?token=u.42.0123456789abcdef',
    postalAddress: config.mail.postalAddress,
  },
} as const;

export async function sampleReaderEmail(kind: 'confirmation' | 'manage-links'): Promise<Buffer> {
  const content = await createReaderMailRenderer({ validationLevel: 'strict' }).render(kind, readerValues[kind]);
  return new MailComposer({
    from: config.mail.from,
    to: 'ada@example.com',
    subject: content.subject,
    text: content.text,
    html: content.html,
    date: sentAt,
    messageId: `<${kind}.42.5f0c2a4e8d1b4c3e@example.org>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  })
    .compile()
    .build();
}

export async function sampleEmail(kind: SampleEmailKind): Promise<Buffer> {
  if (kind === 'digest') return sampleDigestEmail();
  if (kind === 'digest-topics') return sampleDigestEmail('2026-08-13', 10, SAMPLE_TOPICS_READER);
  return sampleReaderEmail(kind);
}
