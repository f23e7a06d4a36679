import { generateKeyPairSync } from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { createDigestMessageBuilder, digestSettings } from '../../services/core/digest/digest-message.js';
import { ConfigError, configFromEnv, parseConfig } from '../../services/core/platform/config/config.js';
import { createDkimSigner, prepareDkimSigning } from '../../services/core/platform/mail/dkim.js';
import { fillMessage, prepareMessage, slotMarker } from '../../services/core/platform/mail/message-template.js';
import { dailyEdition, fixturePapers } from '../helpers/digest-fixtures.js';
import { verifyDkim } from '../helpers/dkim-verify.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const ed25519 = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const config = configFromEnv({
  PUBLIC_URL: 'https://news.example.org',
  MAIL_FROM: 'Paperboy <papers@news.example.org>',
  SECRET_KEY: 'unit-test-secret-key-unit-test-secret-key',
  DKIM_DOMAIN: 'news.example.org',
  DKIM_SELECTOR: 'pb1',
  DKIM_PRIVATE_KEY: rsa.privateKey,
  DKIM_ED25519_SELECTOR: 'pb1ed',
  DKIM_ED25519_PRIVATE_KEY: ed25519.privateKey,
});
const sentAt = new Date('2026-02-04T06:30:00Z');
const papers = fixturePapers('2026-02-03');
const builder = createDigestMessageBuilder(dailyEdition('2026-02-03'), papers, digestSettings(config, '5f0c2a4e8d1b4c3e'));

/** The message below its DKIM-Signature fields, as it was before signing. */
function unsigned(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  return Buffer.from(text.replace(/^(?:DKIM-Signature:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*)+/, ''), 'latin1');
}

/** nodemailer's own DKIM signer (relaxed/relaxed) over the same bytes: an implementation apart from Paperboy's. */
async function nodemailerSigned(raw: Buffer): Promise<Buffer> {
  const signer = new DKIM({ domainName: 'news.example.org', keySelector: 'pb1', privateKey: rsa.privateKey });
  const chunks: Buffer[] = [];
  for await (const chunk of signer.sign(raw)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const tag = (raw: Buffer, name: string) => new RegExp(`[;\\s]${name}=([^;]+);`).exec(raw.toString('latin1').replace(/\r\n[ \t]/g, ' '))?.[1]?.replace(/\s+/g, '');

describe('DKIM signing of digests', () => {
  it('signs each copy with RSA and Ed25519, verified by an independent verifier, List-Unsubscribe-Post included', async () => {
    const filled = await builder.build(papers.map((p) => p.id), { subscriberId: 4242, email: "o'brien+news&more@example.com", deliveryId: 987654 }, sentAt);
    const rsaCheck = verifyDkim(filled.raw, rsa.publicKey);
    expect(rsaCheck).toMatchObject({ ok: true, domain: 'news.example.org', selector: 'pb1' });
    expect(rsaCheck.signedHeaders).toEqual([
      'from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post',
    ]);
    expect(verifyDkim(filled.raw, ed25519.publicKey, 'ed25519-sha256')).toMatchObject({ ok: true, selector: 'pb1ed' });
    // Each key verifies only its own signature.
    expect(verifyDkim(filled.raw, rsa.publicKey, 'ed25519-sha256').ok).toBe(false);
  });

  it('computes the same body hash as nodemailer\'s signer for every reader\'s copy, UTF-8 address included', async () => {
    for (const [index, email] of ['ada@example.com', 'jürgen@bücher.example', 'x'.repeat(60) + '@example.com'].entries()) {
      const filled = await builder.build(papers.slice(index, index + 5).map((p) => p.id), { subscriberId: index + 1, email, deliveryId: 100 + index }, sentAt);
      const theirs = await nodemailerSigned(unsigned(filled.raw));
      expect(tag(filled.raw, 'bh')).toBe(tag(theirs, 'bh'));
      // The verifier is sound apart from Paperboy's signer: it accepts nodemailer's signature too.
      expect(verifyDkim(theirs, rsa.publicKey)).toMatchObject({ ok: true });
    }
  });

  it('fails verification when one byte of the body or of a signed header changes', async () => {
    const filled = await builder.build([papers[0]!.id], { subscriberId: 1, email: 'reader@example.com', deliveryId: 1 }, sentAt);
    const text = filled.raw.toString('latin1');
    const bodyByte = Buffer.from(filled.raw);
    bodyByte[text.lastIndexOf('arxiv.org')] = 'A'.charCodeAt(0);
    expect(verifyDkim(bodyByte, rsa.publicKey)).toMatchObject({ ok: false, problem: 'body hash mismatch' });
    expect(verifyDkim(bodyByte, ed25519.publicKey, 'ed25519-sha256')).toMatchObject({ ok: false, problem: 'body hash mismatch' });
    const otherReader = Buffer.from(text.replace('To: reader@example.com', 'To: reader@example.net'), 'latin1');
    expect(verifyDkim(otherReader, rsa.publicKey)).toMatchObject({ ok: false, problem: 'signature mismatch' });
    const oneClick = Buffer.from(text.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: List-Unsubscribe=One-Clack'), 'latin1');
    expect(verifyDkim(oneClick, ed25519.publicKey, 'ed25519-sha256')).toMatchObject({ ok: false, problem: 'signature mismatch' });
  });

  it('canonicalises whitespace around slots, at line ends and trailing blank lines as a verifier does', async () => {
    const markers = { A: slotMarker('A'), B: slotMarker('B') };
    const prepared = await prepareMessage(
      {
        from: 'Paperboy <papers@news.example.org>',
        to: 'reader@example.com',
        subject: 'Whitespace',
        text: `Tabs\tand   spaces   ${markers.A}   after\n  indented line ${markers.B}\n\n\n`,
        html: `<p>  two  spaces ${markers.A}</p>\t\n\n`,
      },
      markers,
    );
    const signer = createDkimSigner(config.mail.dkim!);
    const sign = prepareDkimSigning(signer, prepared);
    const raw = fillMessage(prepared, { A: 'https://news.example.org/u?t=a b', B: 'tail value   ' }, undefined, (parts) => sign(parts, sentAt));
    expect(verifyDkim(raw, rsa.publicKey)).toMatchObject({ ok: true });
    expect(tag(raw, 'bh')).toBe(tag(await nodemailerSigned(unsigned(raw)), 'bh'));
  });
  it('signs a header slot value ending in "à" (UTF-8 C3 A0, whose A0 is no whitespace) and one with a double space inside', async () => {
    const subject = slotMarker('S');
    const prepared = await prepareMessage(
      { from: 'Paperboy <papers@news.example.org>', to: 'reader@example.com', subject: `Digest ${subject}`, text: 'Body\n', html: '<p>Body</p>' },
      { S: subject },
      { utf8HeaderSlots: ['S'] },
    );
    const sign = prepareDkimSigning(createDkimSigner(config.mail.dkim!), prepared);
    for (const value of ['voilà', 'two  spaces inside', 'à']) {
      const raw = fillMessage(prepared, { S: value }, undefined, (parts) => sign(parts, sentAt));
      expect(raw.includes(Buffer.from(`Subject: Digest ${value}\r\n`, 'utf8'))).toBe(true);
      expect(verifyDkim(raw, rsa.publicKey), value).toMatchObject({ ok: true });
      expect(verifyDkim(raw, ed25519.publicKey, 'ed25519-sha256'), value).toMatchObject({ ok: true });
    }
  });
  it('signs a copy whose line-leading dots were escaped, in static parts and slot values, as a verifier reads it', async () => {
    const marker = slotMarker('A');
    const prepared = await prepareMessage(
      {
        from: 'Paperboy <papers@news.example.org>',
        to: 'reader@example.com',
        subject: 'Dots',
        text: `.first\n${'x'.repeat(70)} ${marker}.\n. spaced   out\n`,
        html: `<style>\n.pb-card a { color: red; }\n.${'c'.repeat(90)} {}\n</style><p>${marker}</p>`,
      },
      { A: marker },
    );
    const signer = createDkimSigner(config.mail.dkim!);
    const sign = prepareDkimSigning(signer, prepared);
    const raw = fillMessage(prepared, { A: `https://news.example.org/${'.'.repeat(120)}` }, undefined, (parts) => sign(parts, sentAt));
    expect(raw.toString('latin1').split('\r\n').filter((line) => line.startsWith('.'))).toEqual([]);
    expect(verifyDkim(raw, rsa.publicKey)).toMatchObject({ ok: true });
    expect(verifyDkim(raw, ed25519.publicKey, 'ed25519-sha256')).toMatchObject({ ok: true });
    expect(tag(raw, 'bh')).toBe(tag(await nodemailerSigned(unsigned(raw)), 'bh'));
  });
});

describe('DKIM signing of transactional mail', () => {
  it('signs a composed message whole, with its Auto-Submitted field', async () => {
    const raw = await new MailComposer({
      from: 'Paperboy <papers@news.example.org>',
      to: 'reader@example.com',
      subject: 'Confirm your Paperboy subscription, with a subject long enough to be folded by the composer',
      text: 'Confirm:  https://news.example.org/confirm?token=abc   \n\n\n',
      html: '<p>Confirm</p>',
      headers: { 'Auto-Submitted': 'auto-generated' },
      newline: 'windows',
    })
      .compile()
      .build();
    const signed = createDkimSigner(config.mail.dkim!).sign(raw, sentAt);
    expect(verifyDkim(signed, rsa.publicKey)).toMatchObject({ ok: true });
    expect(verifyDkim(signed, rsa.publicKey).signedHeaders).toContain('auto-submitted');
    expect(verifyDkim(signed, ed25519.publicKey, 'ed25519-sha256')).toMatchObject({ ok: true });
    expect(tag(signed, 'bh')).toBe(tag(await nodemailerSigned(raw), 'bh'));
  });
});

describe('DKIM configuration', () => {
  const base = { PUBLIC_URL: 'https://news.example.org', DKIM_DOMAIN: 'news.example.org', DKIM_SELECTOR: 'pb1', DKIM_PRIVATE_KEY: rsa.privateKey };
  const problems = (env: Record<string, string>) => {
    try {
      parseConfig(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('refuses a key that is not a usable private key of its kind, naming the variable', () => {
    expect(problems({ ...base, DKIM_PRIVATE_KEY: ed25519.privateKey })[0]).toMatch(/^DKIM_PRIVATE_KEY: must be a PEM RSA private key/);
    const small = generateKeyPairSync('rsa', { modulusLength: 768, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(problems({ ...base, DKIM_PRIVATE_KEY: small.privateKey })[0]).toMatch(/^DKIM_PRIVATE_KEY: .*1024 bits/);
    expect(problems({ ...base, DKIM_ED25519_SELECTOR: 'ed', DKIM_ED25519_PRIVATE_KEY: rsa.privateKey })[0]).toMatch(/^DKIM_ED25519_PRIVATE_KEY: must be a PEM Ed25519/);
  });

  it('wants the Ed25519 pair together, and the RSA key beside it', () => {
    expect(problems({ ...base, DKIM_ED25519_SELECTOR: 'ed' })[0]).toMatch(/^DKIM_ED25519_SELECTOR: /);
    expect(problems({ PUBLIC_URL: base.PUBLIC_URL, DKIM_ED25519_SELECTOR: 'ed', DKIM_ED25519_PRIVATE_KEY: ed25519.privateKey })[0]).toMatch(
      /^DKIM_ED25519_PRIVATE_KEY: needs the RSA key too/,
    );
    expect(config.mail.dkim).toMatchObject({ domain: 'news.example.org', rsa: { selector: 'pb1' }, ed25519: { selector: 'pb1ed' } });
  });
});
