import type { Config } from '../platform/config/config.js';
import { escapeHtml } from '../platform/html.js';
import { bareAddress, headerSafeAddress, mailboxDomain } from '../platform/mail/address.js';
import { digestMessageId } from '../platform/mail/digest-message-id.js';
import { createDkimSigner, prepareDkimSigning, type DkimSigner, type PreparedDkimSigning } from '../platform/mail/dkim.js';
import { addressSlotMarker, fillMessage, prepareMessage, slotMarker, type MessageAllocator, type PreparedMessage } from '../platform/mail/message-template.js';
import { createCopyToken } from '../platform/tokens/copy-token.js';
import { returnPathAddress } from '../platform/tokens/return-path.js';
import { DEFAULT_PREFERENCES, describeDigestChoices, type Preferences } from '../subscribers/preferences.js';
import { readerLinks } from '../subscribers/reader-links.js';
import type { DigestEdition, DigestPaper } from './digest-types.js';
import {
  createDigestRenderer,
  DIGEST_PLACEHOLDERS,
  readerCopyUrl,
  type DigestRenderSettings,
  type DigestVariant,
  type DigestVariantOptions,
  type RenderedDigest,
} from './render-digest.js';
import { createVariantCache } from './variant-cache.js';

/**
 * The digest as a complete MIME message, built once per variant (paper selection) and
 * filled in per reader: To, Date, Message-ID and the reader's unsubscribe and preference
 * links, in the headers and in both parts. Filling costs microseconds; composing with
 * nodemailer costs about 1.4 ms and compiling MJML about 10 ms, once per variant.
 *
 * With DKIM keys, each copy is signed here, as it is filled: the variant's static parts are
 * canonicalised and hashed once (see prepareDkimSigning), so a copy costs its slot values and
 * one signature. The transport sends the result as it is.
 */

export interface DigestMailSettings {
  /** MAIL_FROM, e.g. "Paperboy <papers@example.org>". */
  from: string;
  publicUrl: string;
  secretKey: string;
  /** The database's installation id, which Message-IDs carry beside the delivery id. */
  installationId: string;
  /** BOUNCE_DOMAIN: when set, each copy's envelope sender is its own signed bounce address (VERP). */
  bounceDomain: string | undefined;
  /** Signs every copy when DKIM keys are set. */
  dkim: DkimSigner | undefined;
}

export type DigestSettings = DigestMailSettings & DigestRenderSettings;

export function digestSettings(config: Pick<Config, 'publicUrl' | 'mail' | 'secretKey'>, installationId: string): DigestSettings {
  return {
    from: config.mail.from,
    publicUrl: config.publicUrl,
    secretKey: config.secretKey,
    postalAddress: config.mail.postalAddress,
    installationId,
    bounceDomain: config.mail.bounceDomain,
    dkim: config.mail.dkim ? createDkimSigner(config.mail.dkim) : undefined,
  };
}

export interface PreparedDigestMessage {
  variantKey: string;
  paperIds: readonly string[];
  subject: string;
  message: PreparedMessage;
  /** SMTP MAIL FROM without BOUNCE_DOMAIN: the bare address of MAIL_FROM. */
  envelopeFrom: string;
  bounceDomain: string | undefined;
  messageIdDomain: string;
  installationId: string;
  settings: Pick<DigestMailSettings, 'publicUrl' | 'secretKey'>;
  /** The edition, whose page each copy's "view in browser" link opens. */
  editionKey: string;
  /** The DKIM signing of this variant's copies, its static parts hashed once; undefined without DKIM. */
  dkim: PreparedDkimSigning | undefined;
}

/** A reader's settings as they shape their copy. */
export type DigestReader = Preferences & { images: boolean };

export interface DigestRecipient {
  subscriberId: number;
  /** The address as stored; refused (InvalidInputError) if it could break the header. */
  email: string;
  deliveryId: number;
  /**
   * The reader's settings at send time: their topics group the papers (part of the variant),
   * images on or off (part of the variant), and the footer says them (a slot). Absent: the
   * default settings (no topics, images on).
   */
  reader?: DigestReader;
  /** The section of each paper of a copy in sections (its variant's); absent or null: an all-trending copy. */
  sections?: readonly string[] | null;
}

const DEFAULT_READER: DigestReader = { ...DEFAULT_PREFERENCES, images: true };

export interface FilledDigestMessage {
  raw: Buffer;
  /** With angle brackets: `<digest.42.{installation id}@example.org>`. */
  messageId: string;
  envelope: { from: string; to: string };
}

const SLOT = {
  to: 'TO',
  date: 'DATE',
  deliveryId: 'DELIVERY_ID',
  headerUnsubscribe: 'UNSUBSCRIBE_URL',
  htmlUnsubscribe: 'HTML_UNSUBSCRIBE_URL',
  htmlPreferences: 'HTML_PREFERENCES_URL',
  textUnsubscribe: 'TEXT_UNSUBSCRIBE_URL',
  textPreferences: 'TEXT_PREFERENCES_URL',
  htmlStopTopic: 'HTML_STOP_TOPIC_URL',
  textStopTopic: 'TEXT_STOP_TOPIC_URL',
  htmlChoices: 'HTML_READER_CHOICES',
  textChoices: 'TEXT_READER_CHOICES',
  htmlWebCopy: 'HTML_WEB_COPY_URL',
  textWebCopy: 'TEXT_WEB_COPY_URL',
} as const;

/** Slots only a grouped variant has: an ungrouped one has no stop-topic link to fill. */
const GROUPED_ONLY_SLOTS: ReadonlySet<string> = new Set([SLOT.htmlStopTopic, SLOT.textStopTopic]);

/** `"Paperboy daily digest" <paperboy-daily.news.example.org>` (RFC 2919), one list per frequency. */
function digestListId(publicUrl: string, kind: DigestEdition['kind']): string {
  return `"Paperboy ${kind} digest" <paperboy-${kind}.${new URL(publicUrl).hostname}>`;
}

/** RFC 5322 date, as nodemailer writes it. */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * rfc5322Date, written once a second: the field has whole seconds, and hundreds of copies a
 * second share it (formatting a date costs more than the rest of a header fill).
 */
function createDateField(): (date: Date) => string {
  let second = Number.NaN;
  let field = '';
  return (date) => {
    const now = Math.floor(date.getTime() / 1000);
    if (now !== second) {
      second = now;
      field = rfc5322Date(date);
    }
    return field;
  };
}

const dateField = createDateField();

/** Builds the variant's message once; per-reader parts are slots. */
export async function prepareDigestMessage(
  rendered: RenderedDigest,
  edition: Pick<DigestEdition, 'kind' | 'key'>,
  settings: DigestMailSettings,
): Promise<PreparedDigestMessage> {
  const domain = mailboxDomain(settings.from);
  const swap = (source: string, slots: { unsubscribe: string; preferences: string; stopTopic: string; choices: string; webCopy: string }) =>
    source
      .replaceAll(DIGEST_PLACEHOLDERS.unsubscribeUrl, slotMarker(slots.unsubscribe))
      .replaceAll(DIGEST_PLACEHOLDERS.preferencesUrl, slotMarker(slots.preferences))
      .replaceAll(DIGEST_PLACEHOLDERS.stopTopicUrl, slotMarker(slots.stopTopic))
      .replaceAll(DIGEST_PLACEHOLDERS.readerChoices, slotMarker(slots.choices))
      .replaceAll(DIGEST_PLACEHOLDERS.webCopyUrl, slotMarker(slots.webCopy));
  const grouped = rendered.html.includes(DIGEST_PLACEHOLDERS.stopTopicUrl);
  const markers: Record<string, string> = Object.fromEntries(
    Object.values(SLOT)
      .filter((slot) => grouped || !GROUPED_ONLY_SLOTS.has(slot))
      .map((slot) => [slot, slotMarker(slot)]),
  );
  markers[SLOT.to] = addressSlotMarker(SLOT.to);

  const message = await prepareMessage(
    {
      from: settings.from,
      to: markers[SLOT.to],
      subject: rendered.subject,
      date: slotMarker(SLOT.date),
      messageId: `<digest.${slotMarker(SLOT.deliveryId)}.${settings.installationId}@${domain}>`,
      headers: {
        // Prepared: written as given. Values are ASCII without line breaks (config checks MAIL_FROM
        // and PUBLIC_URL), and nodemailer would otherwise encode the quotes of List-Id.
        'List-Id': { prepared: true, value: digestListId(settings.publicUrl, edition.kind) },
        'List-Unsubscribe': { prepared: true, value: `<${slotMarker(SLOT.headerUnsubscribe)}>` },
        'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
      },
      text: swap(rendered.text, { unsubscribe: SLOT.textUnsubscribe, preferences: SLOT.textPreferences, stopTopic: SLOT.textStopTopic, choices: SLOT.textChoices, webCopy: SLOT.textWebCopy }),
      html: swap(rendered.html, { unsubscribe: SLOT.htmlUnsubscribe, preferences: SLOT.htmlPreferences, stopTopic: SLOT.htmlStopTopic, choices: SLOT.htmlChoices, webCopy: SLOT.htmlWebCopy }),
    },
    markers,
    // A reader whose local part is not ASCII gets an RFC 6532 To:, sent with SMTPUTF8.
    { utf8HeaderSlots: [SLOT.to] },
  );
  return {
    variantKey: rendered.variantKey,
    paperIds: rendered.paperIds,
    subject: rendered.subject,
    message,
    envelopeFrom: bareAddress(settings.from),
    bounceDomain: settings.bounceDomain,
    messageIdDomain: domain,
    installationId: settings.installationId,
    settings: { publicUrl: settings.publicUrl, secretKey: settings.secretKey },
    editionKey: edition.key,
    dkim: settings.dkim ? prepareDkimSigning(settings.dkim, message) : undefined,
  };
}

/**
 * One reader's copy. Throws InvalidInputError when the address could break the header
 * (CR/LF, brackets, spaces...): the caller marks that delivery failed. An address with a
 * non-ASCII local part goes into To: and the envelope as UTF-8; the transport sends it with
 * SMTPUTF8 or refuses it.
 */
export function fillDigestMessage(prepared: PreparedDigestMessage, recipient: DigestRecipient, sentAt: Date, allocate?: MessageAllocator): FilledDigestMessage {
  const to = headerSafeAddress(recipient.email);
  const messageId = digestMessageId(recipient.deliveryId, prepared.installationId, prepared.messageIdDomain);
  const links = readerLinks(prepared.settings, recipient.subscriberId);
  const choices = describeDigestChoices(recipient.reader ?? DEFAULT_READER);
  // "View in browser" opens this reader's copy: its token names the delivery (one more HMAC a copy).
  const webCopyUrl = readerCopyUrl(prepared.settings.publicUrl, { key: prepared.editionKey }, createCopyToken(prepared.settings.secretKey, recipient.deliveryId));
  // Values for slots the variant lacks (the stop-topic link of an ungrouped copy) are not used.
  const raw = fillMessage(prepared.message, {
    [SLOT.to]: to,
    [SLOT.date]: dateField(sentAt),
    [SLOT.deliveryId]: String(recipient.deliveryId),
    [SLOT.headerUnsubscribe]: links.unsubscribeUrl,
    [SLOT.htmlUnsubscribe]: escapeHtml(links.unsubscribeUrl),
    [SLOT.htmlPreferences]: escapeHtml(links.preferencesUrl),
    [SLOT.textUnsubscribe]: links.unsubscribeUrl,
    [SLOT.textPreferences]: links.preferencesUrl,
    [SLOT.htmlStopTopic]: escapeHtml(links.stopTopicUrl),
    [SLOT.textStopTopic]: links.stopTopicUrl,
    [SLOT.htmlChoices]: escapeHtml(choices),
    [SLOT.textChoices]: choices,
    [SLOT.htmlWebCopy]: escapeHtml(webCopyUrl),
    [SLOT.textWebCopy]: webCopyUrl,
  }, allocate, prepared.dkim && ((parts) => prepared.dkim!(parts, sentAt)));
  // The envelope is not part of the message bytes: a per-reader return path costs one HMAC.
  const from = prepared.bounceDomain
    ? returnPathAddress(prepared.settings.secretKey, prepared.bounceDomain, { kind: 'delivery', deliveryId: recipient.deliveryId })
    : prepared.envelopeFrom;
  return { raw, messageId, envelope: { from, to } };
}

export interface DigestMessageBuilder {
  /** The prepared message of a selection (for a reader with these options), rendered and composed once per variant. */
  prepare(paperIds: readonly string[], options?: DigestVariantOptions): Promise<PreparedDigestMessage>;
  /**
   * A reader's complete message for a selection, grouped by the recipient's topics; `allocate`
   * gives the buffer to write it into.
   */
  build(paperIds: readonly string[], recipient: DigestRecipient, sentAt: Date, allocate?: MessageAllocator): Promise<FilledDigestMessage>;
  readonly cachedVariants: number;
}

/** Options (topics, images) remembered per selection array; see readerVariant. */
const MAX_VARIANTS_PER_SELECTION = 64;

/**
 * Everything one edition's send needs: keeps at most `maxCachedVariants` prepared messages
 * (least recently used dropped first), so memory stays bounded however many selections a
 * run has; grouping deliveries by variant keeps the hit rate high.
 */
export function createDigestMessageBuilder(
  edition: DigestEdition,
  rankedPapers: readonly DigestPaper[],
  settings: DigestSettings,
  options: { maxCachedVariants?: number } = {},
): DigestMessageBuilder {
  // The prepared messages are the cache that matters (they hold the html and text); the
  // renderer's own cache only needs to be big enough not to matter.
  const renderer = createDigestRenderer(edition, rankedPapers, settings, { maxCachedVariants: 1 });
  const cache = createVariantCache<PreparedDigestMessage>(options.maxCachedVariants ?? 256);
  const prepareVariant = (variant: DigestVariant) =>
    cache.get(variant.key, async () => prepareDigestMessage(await renderer.renderVariant(variant), edition, settings));
  // A reader's variant (the selection sorted, grouped by their topics, its key hashed) is the same
  // for every reader of the selection with the same topics and images. The readers of one
  // selection in a batch share its paperIds array (claimDeliveries), so it is worked out once
  // per array and options instead of once per copy.
  const variantsBySelection = new WeakMap<readonly string[], Map<string, DigestVariant>>();
  const readerVariant = (paperIds: readonly string[], reader: DigestReader, sections: readonly string[] | null | undefined): DigestVariant => {
    // A copy in sections is not grouped by topic, so its sections stand where the topics would.
    const shape = sections ? `sections:${sections.join(',')}` : reader.topics.length === 0 ? '' : JSON.stringify(reader.topics);
    const optionsKey = `${reader.images ? 'images' : 'no-images'}:${shape}`;
    let byOptions = variantsBySelection.get(paperIds);
    if (!byOptions) variantsBySelection.set(paperIds, (byOptions = new Map()));
    let variant = byOptions.get(optionsKey);
    if (!variant) {
      variant = renderer.variant(paperIds, { topics: reader.topics, images: reader.images, sections });
      // A long-lived array (an empty selection is one shared array) meets many readers' options.
      if (byOptions.size >= MAX_VARIANTS_PER_SELECTION) byOptions.clear();
      byOptions.set(optionsKey, variant);
    }
    return variant;
  };
  return {
    prepare: async (paperIds, options) => prepareVariant(renderer.variant(paperIds, options)),
    async build(paperIds, recipient, sentAt, allocate) {
      const prepared = await prepareVariant(readerVariant(paperIds, recipient.reader ?? DEFAULT_READER, recipient.sections));
      return fillDigestMessage(prepared, recipient, sentAt, allocate);
    },
    get cachedVariants() {
      return cache.size;
    },
  };
}
