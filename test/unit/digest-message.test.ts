import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../services/core/platform/config/config.js';
import {
  createDigestMessageBuilder,
  digestSettings,
  fillDigestMessage,
  prepareDigestMessage,
} from '../../services/core/digest/digest-message.js';
import { toDigestCard } from '../../services/core/digest/digest-content.js';
import { fillDigestPlaceholders, readerCopyUrl, renderDigestVariant } from '../../services/core/digest/render-digest.js';
import { InvalidInputError } from '../../services/core/platform/errors.js';
import { fillMessage, prepareMessage, slotMarker } from '../../services/core/platform/mail/message-template.js';
import { createCopyToken, verifyCopyToken } from '../../services/core/platform/tokens/copy-token.js';
import { returnPathTokenOf, verifyReturnPathToken } from '../../services/core/platform/tokens/return-path.js';
import { verifyToken } from '../../services/core/platform/tokens/tokens.js';
import { DEFAULT_PREFERENCES, describeDigestChoices } from '../../services/core/subscribers/preferences.js';
import { readerLinks } from '../../services/core/subscribers/reader-links.js';
import { dailyEdition, fixturePapers, makePaper } from '../helpers/digest-fixtures.js';

const config = configFromEnv({
  PUBLIC_URL: 'https://news.example.org',
  MAIL_FROM: 'Paperboy <papers@example.org>',
  SECRET_KEY: 'unit-test-secret-key-unit-test-secret-key',
  MAIL_POSTAL_ADDRESS: 'Paperboy Ltd, 1 Main St, Springfield',
});
const INSTALLATION_ID = '5f0c2a4e8d1b4c3e';
const settings = digestSettings(config, INSTALLATION_ID);
const sentAt = new Date('2026-02-04T06:30:00Z');
const edition = dailyEdition('2026-02-03');
const papers = fixturePapers('2026-02-03');

function headerLine(mail: ParsedMail, name: string): string[] {
  return mail.headerLines.filter((line) => line.key === name.toLowerCase()).map((line) => line.line);
}

describe('digest message: built once per variant, filled per reader', () => {
  it('with BOUNCE_DOMAIN, sends each copy from its own signed bounce address; the message itself does not show it', async () => {
    const verp = digestSettings(configFromEnv({ PUBLIC_URL: config.publicUrl, MAIL_FROM: config.mail.from, SECRET_KEY: config.secretKey, BOUNCE_DOMAIN: 'Bounces.Example.org' }), INSTALLATION_ID);
    const recipient = { subscriberId: 4242, email: 'ada@example.com', deliveryId: 987654 };
    const filled = await createDigestMessageBuilder(edition, papers, verp).build([papers[0]!.id], recipient, sentAt);
    expect(filled.envelope.from).toMatch(/^bounces\+d[0-9a-z]+-[0-9a-f]{16}@bounces\.example\.org$/);
    expect(verifyReturnPathToken(config.secretKey, returnPathTokenOf(filled.envelope.from, 'bounces.example.org'))).toEqual({
      ok: true,
      subject: { kind: 'delivery', deliveryId: 987654 },
    });
    expect(filled.raw.toString('latin1')).not.toContain('bounces+');
    expect((await simpleParser(filled.raw)).from?.value).toEqual([{ address: 'papers@example.org', name: 'Paperboy' }]);
  });

  it('fills a complete message that parses, with every header of the contract', async () => {
    const builder = createDigestMessageBuilder(edition, papers, settings);
    const filled = await builder.build(papers.map((p) => p.id), { subscriberId: 4242, email: 'Ada@Example.com', deliveryId: 987654 }, sentAt);
    const mail = await simpleParser(filled.raw);

    expect(filled.messageId).toBe(`<digest.987654.${INSTALLATION_ID}@example.org>`);
    expect(filled.envelope).toEqual({ from: 'papers@example.org', to: 'Ada@example.com' });
    expect(mail.messageId).toBe(`<digest.987654.${INSTALLATION_ID}@example.org>`);
    expect(mail.from?.value).toEqual([{ address: 'papers@example.org', name: 'Paperboy' }]);
    expect((mail.to as { text: string }).text).toBe('Ada@example.com');
    expect(mail.subject).toBe('Kimi K2.5: Visual Agentic Intelligence and 43 more');
    expect(mail.date?.toISOString()).toBe(sentAt.toISOString());
    expect(headerLine(mail, 'List-Id')).toEqual(['List-ID: "Paperboy daily digest" <paperboy-daily.news.example.org>']);
    expect(headerLine(mail, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    expect(headerLine(mail, 'MIME-Version')).toEqual(['MIME-Version: 1.0']);
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    for (const name of ['From', 'To', 'Subject', 'Message-ID', 'Date', 'List-Unsubscribe']) expect(headerLine(mail, name)).toHaveLength(1);

    const [unsubscribeLine] = headerLine(mail, 'List-Unsubscribe');
    const unsubscribeUrl = /^List-Unsubscribe: <(https:\/\/news\.example\.org\/unsubscribe\?token=([^>]+))>$/.exec(unsubscribeLine!);
    expect(unsubscribeUrl).not.toBeNull();
    const token = unsubscribeUrl![2]!;
    expect(verifyToken(config.secretKey, token, 'unsubscribe', sentAt)).toMatchObject({ ok: true, subscriberId: 4242, expiresAt: undefined });

    const html = mail.html as string;
    expect(html).toContain(`href="${unsubscribeUrl![1]}"`);
    expect(mail.text).toContain(`Unsubscribe:     ${unsubscribeUrl![1]}`);
    const preferences = /https:\/\/news\.example\.org\/preferences\?token=([A-Za-z0-9._-]+)/.exec(mail.text!)!;
    expect(verifyToken(config.secretKey, preferences[1], 'preferences', sentAt)).toMatchObject({ ok: true, subscriberId: 4242 });
    expect(html).toContain(`href="${preferences[0]}"`);
    for (const part of [html, mail.text!, filled.raw.toString('latin1')]) {
      expect(part).not.toContain('%%');
      expect(part).not.toContain('slot.invalid');
    }
    expect(html).toContain('Paperboy Ltd, 1 Main St, Springfield');
    expect(Buffer.byteLength(html)).toBeLessThan(100 * 1024);
  });

  it('keeps every line of the message within the limits (76 in the QP bodies, CRLF only)', async () => {
    const builder = createDigestMessageBuilder(edition, papers, settings);
    const longAddress = `${'a'.repeat(60)}@${'sub.'.repeat(20)}example.org`;
    const filled = await builder.build(papers.map((p) => p.id), { subscriberId: 2 ** 40, email: longAddress, deliveryId: 1 }, sentAt);
    const source = filled.raw.toString('latin1');
    expect(source).not.toMatch(/[^\r]\n/);
    expect(source).not.toMatch(/[^\x09\x0a\x0d\x20-\x7e]/);
    const bodyLines = source.slice(source.indexOf('\r\n\r\n')).split('\r\n');
    expect(bodyLines.filter((line) => line.length > 76)).toEqual([]);
    const mail = await simpleParser(filled.raw);
    expect((mail.to as { text: string }).text).toBe(longAddress);
  });

  it('gives two readers of one variant their own links from one prepared message', async () => {
    const builder = createDigestMessageBuilder(edition, papers, settings);
    const ids = papers.slice(0, 10).map((p) => p.id);
    const prepared = await builder.prepare(ids);
    expect(await builder.prepare([...ids].reverse())).toBe(prepared);
    expect(builder.cachedVariants).toBe(1);

    const one = await simpleParser(fillDigestMessage(prepared, { subscriberId: 1, email: 'one@example.com', deliveryId: 11 }, sentAt).raw);
    const two = await simpleParser(fillDigestMessage(prepared, { subscriberId: 2, email: 'two@example.com', deliveryId: 12 }, sentAt).raw);
    const linksOf = (mail: ParsedMail) => ({
      header: headerLine(mail, 'List-Unsubscribe')[0],
      html: (mail.html as string).match(/href="https:\/\/news\.example\.org\/(?:unsubscribe|preferences)\?token=[^"]+"/g),
      text: mail.text!.match(/https:\/\/news\.example\.org\/(?:unsubscribe|preferences)\?token=\S+/g),
    });
    const a = linksOf(one);
    const b = linksOf(two);
    expect(a.header).not.toBe(b.header);
    expect(a.html).toHaveLength(4);
    expect(a.text).toHaveLength(2);
    expect(a.html).not.toEqual(b.html);
    expect(a.text).not.toEqual(b.text);
    expect(one.messageId).toBe(`<digest.11.${INSTALLATION_ID}@example.org>`);
    expect(two.messageId).toBe(`<digest.12.${INSTALLATION_ID}@example.org>`);
    expect(one.subject).toBe(two.subject);
    // "View in browser" opens each reader's own copy: a token naming their delivery.
    for (const [mail, deliveryId] of [[one, 11], [two, 12]] as const) {
      const copy = /<a href="https:\/\/news\.example\.org\/editions\/[^"?]+\?copy=([^"]+)"[^>]*>View in browser<\/a>/.exec(mail.html as string)?.[1];
      expect(verifyCopyToken(settings.secretKey, copy)).toEqual({ ok: true, deliveryId });
      expect(mail.text).toContain(`View in browser: https://news.example.org/editions/${edition.key}?copy=${copy}`);
    }
    // Apart from the reader's own parts, the two messages are the same bytes.
    const strip = (mail: ParsedMail) => (mail.html as string).replace(/(token|copy)=[^"]+/g, '$1=T');
    expect(strip(one)).toBe(strip(two));
  });

  it('gives readers of one selection array their own topics and images, and each copy its own second', async () => {
    const builder = createDigestMessageBuilder(edition, papers, settings);
    // The send path hands every reader of a selection in a batch the same array.
    const ids = papers.slice(0, 10).map((p) => p.id);
    const reader = (topics: string[], images: boolean) => ({ frequency: 'daily' as const, weekday: 1, sendHour: 7, timeZone: 'UTC', topics, maxPapers: 10, trending: true, arxivCategories: [], images });
    const copy = async (deliveryId: number, topics: string[], images: boolean, at: Date) =>
      simpleParser((await builder.build(ids, { subscriberId: deliveryId, email: `r${deliveryId}@example.com`, deliveryId, reader: reader(topics, images) }, at)).raw);

    const plain = await copy(1, [], true, sentAt);
    const grouped = await copy(2, ['agent'], false, new Date(sentAt.getTime() + 1500));
    const plainAgain = await copy(3, [], true, new Date(sentAt.getTime() + 999));
    expect(plain.html).not.toContain('/topics/stop');
    expect(plain.html).toContain('<img ');
    expect(grouped.html).toContain('/topics/stop');
    expect(grouped.html).not.toContain('<img ');
    expect(grouped.text).toContain('topics: agent');
    expect(plainAgain.html).not.toContain('/topics/stop');
    expect(plainAgain.html).toContain('<img ');
    expect(builder.cachedVariants).toBe(2);
    expect(plain.date?.toISOString()).toBe(sentAt.toISOString());
    expect(grouped.date?.toISOString()).toBe('2026-02-04T06:30:01.000Z');
    expect(plainAgain.date?.toISOString()).toBe(sentAt.toISOString());
  });

  it('refuses addresses that could break the header instead of emitting them', async () => {
    const prepared = await createDigestMessageBuilder(edition, papers, settings).prepare([papers[0]!.id]);
    const fill = (email: string) => () => fillDigestMessage(prepared, { subscriberId: 1, email, deliveryId: 1 }, sentAt);
    expect(fill('victim@example.com\r\nBcc: everyone@example.com')).toThrow(InvalidInputError);
    expect(fill('victim@example.com\nX-Evil: 1')).toThrow(InvalidInputError);
    expect(fill('"Evil" <victim@example.com>')).toThrow(InvalidInputError);
    expect(fill('a@example.com, b@example.com')).toThrow(InvalidInputError);
    expect(fill('no-at-sign')).toThrow(InvalidInputError);
    expect(fill('nul\u0000@example.com')).toThrow(InvalidInputError);
    // An international domain is sent in its ASCII form.
    const filled = fillDigestMessage(prepared, { subscriberId: 1, email: 'leser@bücher.example', deliveryId: 1 }, sentAt);
    expect(filled.envelope.to).toBe('leser@xn--bcher-kva.example');
  });

  it('writes a non-ASCII local part into To: and the envelope as UTF-8 (RFC 6532), the rest of the message unchanged', async () => {
    const prepared = await createDigestMessageBuilder(edition, papers, settings).prepare([papers[0]!.id]);
    const ascii = fillDigestMessage(prepared, { subscriberId: 7, email: 'jose@xn--exmple-cua.com', deliveryId: 70 }, sentAt);
    const filled = fillDigestMessage(prepared, { subscriberId: 7, email: 'josé@xn--exmple-cua.com', deliveryId: 70 }, sentAt);
    expect(filled.envelope).toEqual({ from: 'papers@example.org', to: 'josé@exämple.com' });
    expect(filled.raw.toString('utf8')).toMatch(/\r\nTo: josé@exämple\.com\r\n/);
    const mail = await simpleParser(filled.raw);
    expect((mail.to as { value: Array<{ address: string }> }).value).toEqual([{ address: 'josé@exämple.com', name: '' }]);
    // Byte for byte the ASCII reader's copy but for the To: line.
    const withoutTo = (raw: Buffer) => raw.toString('utf8').replace(/\r\nTo: [^\r]*/, '');
    expect(withoutTo(filled.raw)).toBe(withoutTo(ascii.raw));
  });

  it('starts no line with "." (SMTP would stuff it), and the parts decode to exactly the rendered html and text', async () => {
    const rendered = await renderDigestVariant(edition, papers.slice(0, 10).map((paper, index) => toDigestCard(paper, index + 1)), settings);
    // The digest's CSS starts lines with "." (`.pb-card a ...`): there is something to escape.
    expect(rendered.html.split('\n').filter((line) => line.startsWith('.')).length).toBeGreaterThan(5);
    const prepared = await prepareDigestMessage(rendered, edition, settings);
    const raw = fillDigestMessage(prepared, { subscriberId: 7, email: 'dots@example.com', deliveryId: 77 }, sentAt).raw;
    const body = raw.toString('latin1').slice(raw.indexOf('\r\n\r\n'));
    expect(body.split('\r\n').filter((line) => line.startsWith('.'))).toEqual([]);
    expect(body).toContain('\r\n=2E');
    const mail = await simpleParser(raw);
    const expected = fillDigestPlaceholders(rendered, {
      ...readerLinks(settings, 7),
      readerChoices: describeDigestChoices(DEFAULT_PREFERENCES),
      webCopyUrl: readerCopyUrl(settings.publicUrl, edition, createCopyToken(settings.secretKey, 77)),
    });
    expect(mail.html).toBe(expected.html);
    expect(mail.text).toBe(expected.text);
  });

  it('refuses a template that lost its unsubscribe link', async () => {
    const rendered = await renderDigestVariant(edition, [toDigestCard(makePaper(), 1)], settings);
    const broken = { ...rendered, html: rendered.html.replaceAll('%%UNSUBSCRIBE_URL%%', 'https://example.org/') };
    await expect(prepareDigestMessage(broken, edition, settings)).rejects.toThrow(/HTML_UNSUBSCRIBE_URL/);
  });
});

describe('prepared message slots', () => {
  it('finds a marker that quoted-printable wrapped across lines, and fills it with valid QP', async () => {
    // Put the marker where the 76-column wrap must cut through it, at every offset.
    for (let offset = 55; offset < 76; offset++) {
      const html = `<p>${'x'.repeat(offset)}<a href="${slotMarker('LINK')}">link</a> ${'y'.repeat(50)}</p>`;
      const prepared = await prepareMessage(
        { from: 'a@example.org', to: 'b@example.org', subject: 'wrap', text: `${'t'.repeat(offset)} ${slotMarker('LINK')}`, html },
        { LINK: slotMarker('LINK') },
      );
      const value = 'https://example.org/u?token=abc.def&x=1';
      const raw = fillMessage(prepared, { LINK: value });
      expect(raw.toString('latin1').split('\r\n').filter((line) => line.length > 76)).toEqual([]);
      const mail = await simpleParser(raw);
      expect(mail.html).toBe(`<p>${'x'.repeat(offset)}<a href="${value}">link</a> ${'y'.repeat(50)}</p>`);
      expect(mail.text).toBe(`${'t'.repeat(offset)} ${value}`);
    }
  });

  it('escapes every line-leading "." of the QP parts and slot values as =2E, within 76 columns, decoding to the same text', async () => {
    const marker = slotMarker('V');
    const text = ['.', '..', `.${'a'.repeat(90)}`, `${'b'.repeat(74)}${'.'.repeat(80)}`, `x ${marker}.after`, `.${marker}`, '. end'].join('\n');
    const html = `<style>\n.a { color: red; }\n.${'c'.repeat(100)} {}\n</style><p>${marker}. Next ${'d'.repeat(60)}.${'.'.repeat(70)}</p>`;
    const prepared = await prepareMessage({ from: 'a@example.org', to: 'b@example.org', subject: 'dots', text, html }, { V: marker });
    for (const value of ['.leading', `https://example.org/${'.'.repeat(150)}/x`, `${'x'.repeat(73)}.y`, 'plain']) {
      const raw = fillMessage(prepared, { V: value });
      const lines = raw.toString('latin1').split('\r\n');
      expect(lines.filter((line) => line.startsWith('.')), value).toEqual([]);
      expect(lines.filter((line) => line.length > 76), value).toEqual([]);
      const mail = await simpleParser(raw);
      expect(mail.text, value).toBe(text.replaceAll(marker, value));
      expect(mail.html, value).toBe(html.replaceAll(marker, value));
    }
  });

  it('fills header slots verbatim but never with a line break', async () => {
    const prepared = await prepareMessage(
      { from: 'a@example.org', to: 'b@example.org', subject: 's', headers: { 'X-Slot': { prepared: true, value: slotMarker('H') } }, text: 't', html: '<p>h</p>' },
      { H: slotMarker('H') },
    );
    expect(fillMessage(prepared, { H: 'value 1' }).toString('latin1')).toMatch(/(?:^|\r\n)X-Slot: value 1\r\n/);
    expect(() => fillMessage(prepared, { H: 'x\r\nBcc: y@example.org' })).toThrow(/printable ASCII/);
    expect(() => fillMessage(prepared, {})).toThrow(/no value for message slot H/);
    // UTF-8 only where the template allows it.
    expect(() => fillMessage(prepared, { H: 'josé' })).toThrow(/printable ASCII/);
  });

  it('fills a header slot declared UTF-8 with UTF-8 bytes, still never with a line break or a control character', async () => {
    const prepared = await prepareMessage(
      { from: 'a@example.org', to: 'b@example.org', subject: 's', headers: { 'X-Slot': { prepared: true, value: slotMarker('H') } }, text: 't', html: '<p>h</p>' },
      { H: slotMarker('H') },
      { utf8HeaderSlots: ['H'] },
    );
    const raw = fillMessage(prepared, { H: '用户@例子.广告' });
    expect(raw.toString('utf8')).toMatch(/(?:^|\r\n)X-Slot: 用户@例子\.广告\r\n/);
    expect(raw.length).toBe(prepared.size + Buffer.byteLength('用户@例子.广告'));
    for (const bad of ['jos\u00e9\r\nBcc: y@example.org', 'jos\u0085\u00e9', 'a\u2028b', 'nul\u0000\u00e9']) {
      expect(() => fillMessage(prepared, { H: bad }), JSON.stringify(bad)).toThrow(/printable UTF-8/);
    }
  });
});
