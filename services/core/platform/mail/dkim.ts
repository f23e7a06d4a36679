import { createHash, sign, type Hash, type KeyObject } from 'node:crypto';
import type { PreparedMessage } from './message-template.js';

/**
 * DKIM signing (RFC 6376, c=relaxed/relaxed), done by Paperboy itself rather than by nodemailer's
 * transport, which canonicalises and hashes every message in JavaScript streams (about 4 times
 * the cost of the RSA signature itself).
 *
 * A digest's message is prepared once per variant (message-template.ts): its body is static
 * chunks with a few per-reader slot values between them. `prepareDkimSigning` canonicalises the
 * static chunks once and keeps the SHA-256 state after the body's static start; per reader only
 * the slot values are canonicalised, the hash state is copied and fed the rest (native hashing),
 * and the few signed header fields are canonicalised. What remains per reader is the signature.
 *
 * Relaxed body canonicalisation, not simple: it survives a relay that re-wraps whitespace, and it
 * costs nothing per reader here, since the static chunks are canonicalised once. Relaxed header
 * canonicalisation is the only one that survives a relay refolding a long Subject.
 *
 * Every message gets an RSA-SHA256 signature; with an Ed25519 key too (RFC 8463), a second
 * signature with the same body hash: a receiver uses the one it understands.
 */

export interface DkimKey {
  selector: string;
  privateKey: KeyObject;
}

export interface DkimKeys {
  /** d=: the domain whose DNS publishes the keys, the MAIL_FROM domain for DMARC alignment. */
  domain: string;
  rsa: DkimKey;
  ed25519?: DkimKey;
}

/**
 * The header fields signed, in this order, each when the message has it. From, Subject, Date,
 * To, Message-ID and the MIME fields say what the message is; List-Unsubscribe and
 * List-Unsubscribe-Post must be signed for one-click unsubscribe to be honoured (RFC 8058).
 */
export const DKIM_SIGNED_HEADERS = [
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'auto-submitted',
] as const;

const SIGNED = new Set<string>(DKIM_SIGNED_HEADERS);

/** Relaxed lines (RFC 6376 3.4.4): runs of spaces and tabs become one space; none stays at a line's end. */
function relaxLines(text: string): string {
  return /[ \t]/.test(text) ? text.replace(/[ \t]+/g, ' ').replace(/ \r\n/g, '\r\n') : text;
}

/** The relaxed canonical form of a whole body: also no empty lines at the end, and a final CRLF. */
function relaxedBody(body: string): string {
  const relaxed = relaxLines(body).replace(/ $/, '').replace(/(?:\r\n)+$/, '');
  return relaxed === '' ? '' : `${relaxed}\r\n`;
}

/**
 * One header field (its folding included) in relaxed form, without the final CRLF. Only spaces
 * and tabs are whitespace here (not String.trim's): a UTF-8 byte read as latin1 may be U+00A0.
 */
function relaxedField(field: string): string {
  const colon = field.indexOf(':');
  const value = field.slice(colon + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ');
  return `${field.slice(0, colon).replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase()}:${value.replace(/^ | $/g, '')}`;
}

/**
 * A value that relaxing leaves as it is wherever it stands between non-blank text: not empty,
 * no tab or line break, no space at either end or next to another. Put into the relaxed form of
 * a field with a marker in its place, it gives the relaxed form of the filled field.
 */
const RELAX_STABLE = /^(?!.* {2})[^ \t\r\n](?:[^\t\r\n]*[^ \t\r\n])?$/s;

/** Whether the relaxed form of body text differs from the text: runs of blanks, a tab, a blank at a line's end. */
function changedByRelaxing(text: Buffer): boolean {
  return text.includes(9) || text.includes('  ') || text.includes(' \r\n');
}

/** The header fields a signature covers: their names for h=, and the fields relaxed, each ended by CRLF. */
export interface SignedHeaders {
  names: readonly string[];
  text: string;
}

/** The fields of a header block to sign, by name: the last instance of each, which a verifier takes first (RFC 6376 5.4.2). */
function fieldsToSign(headerBlock: string): { names: string[]; fields: string[] } {
  const last = new Map<string, string>();
  for (const field of headerBlock.split(/\r\n(?![ \t])/)) {
    const name = field.slice(0, field.indexOf(':')).trim().toLowerCase();
    if (SIGNED.has(name)) last.set(name, field);
  }
  const names = DKIM_SIGNED_HEADERS.filter((name) => last.has(name));
  return { names, fields: names.map((name) => last.get(name)!) };
}

/** `items` joined by `separator` on lines of at most ~76 characters, continued by CRLF + space. */
function fold(items: readonly string[], separator: string, firstLineUsed: number): string {
  let line = firstLineUsed;
  let out = '';
  items.forEach((item, index) => {
    const piece = index === 0 ? item : `${separator}${item}`;
    if (index > 0 && line + piece.length > 76) {
      out += `\r\n `;
      line = 1;
    }
    out += piece;
    line += piece.length;
  });
  return out;
}

export interface DkimSigner {
  readonly domain: string;
  /**
   * The DKIM-Signature field(s) for a message with these signed header fields and this body hash
   * (SHA-256 of the relaxed body), to put on top of the message.
   */
  signatureFields(headers: SignedHeaders, bodyHash: Buffer, signedAt: Date): Buffer;
  /** Signs a complete message (transactional mail): returns it with its DKIM-Signature field(s) on top. */
  sign(message: Buffer, signedAt: Date): Buffer;
}

/** A signature's base64 on lines of 72 characters; folding inside b= is allowed, a verifier drops its whitespace. */
function foldBase64(b: string): string {
  let out = b.slice(0, 72);
  for (let at = 72; at < b.length; at += 72) out += `\r\n ${b.slice(at, at + 72)}`;
  return out;
}

export function createDkimSigner(keys: DkimKeys): DkimSigner {
  const signers = [
    { algorithm: 'rsa-sha256', key: keys.rsa, sign: (data: Buffer) => sign('sha256', data, keys.rsa.privateKey) },
    // RFC 8463: Ed25519 signs the SHA-256 hash of the data (PureEdDSA over the 32 bytes).
    ...(keys.ed25519
      ? [{ algorithm: 'ed25519-sha256', key: keys.ed25519, sign: (data: Buffer) => sign(null, createHash('sha256').update(data).digest(), keys.ed25519!.privateKey) }]
      : []),
  ].map((signer) => {
    const tags = `v=1; a=${signer.algorithm}; c=relaxed/relaxed; d=${keys.domain}; s=${signer.key.selector};`;
    return { ...signer, tags, relaxedTags: tags.replace(/[ \t]+/g, ' ') };
  });

  // The h= tag folded, and unfolded as relaxing reads it, per list of names: a prepared message
  // passes the same list for every copy, so it is folded once.
  const hTags = new WeakMap<readonly string[], { folded: string; relaxed: string }>();
  const hTag = (names: readonly string[]) => {
    let tag = hTags.get(names);
    if (!tag) {
      const folded = fold(names, ':', 17);
      tag = { folded, relaxed: folded.replaceAll('\r\n', '') };
      hTags.set(names, tag);
    }
    return tag;
  };

  function signatureFields({ names, text }: SignedHeaders, bodyHash: Buffer, signedAt: Date): Buffer {
    const bh = bodyHash.toString('base64');
    const t = Math.floor(signedAt.getTime() / 1000);
    const h = hTag(names);
    let fields = '';
    for (const { tags, relaxedTags, sign: signData } of signers) {
      // Signed last, the field itself in relaxed form with b= empty (RFC 6376 3.7): written here
      // as relaxedField would make it of the field below (unfolded, blanks single, no name case).
      const b = signData(Buffer.from(`${text}dkim-signature:${relaxedTags} t=${t}; h=${h.relaxed}; bh=${bh}; b=`, 'latin1')).toString('base64');
      fields += `DKIM-Signature: ${tags}\r\n t=${t}; h=${h.folded};\r\n bh=${bh};\r\n b=${foldBase64(b)}\r\n`;
    }
    return Buffer.from(fields, 'latin1');
  }

  return {
    domain: keys.domain,
    signatureFields,
    sign(message, signedAt) {
      // latin1 keeps every byte as one character: UTF-8 header bytes are signed as they are.
      const source = message.toString('latin1');
      const end = source.indexOf('\r\n\r\n');
      const headerBlock = end === -1 ? source : source.slice(0, end);
      const body = end === -1 ? '' : source.slice(end + 4);
      const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest();
      const { names, fields } = fieldsToSign(headerBlock);
      const text = fields.map((field) => `${relaxedField(field)}\r\n`).join('');
      return Buffer.concat([signatureFields({ names, text }, bodyHash, signedAt), message]);
    },
  };
}

/**
 * Signs the filled copies of one prepared message; built once per variant. `parts` is what
 * fillMessage joins: chunks[0], value of gap 0, chunks[1], ...
 */
export type PreparedDkimSigning = (parts: readonly Buffer[], signedAt: Date) => Buffer;

export function prepareDkimSigning(signer: DkimSigner, message: PreparedMessage): PreparedDkimSigning {
  const { chunks, gaps } = message;
  // Chunk `bodyChunk` (the one before the first body slot) holds the end of the header block.
  const first = gaps.findIndex((gap) => gap.where === 'body');
  const bodyChunk = first === -1 ? chunks.length - 1 : first;
  if (gaps.slice(bodyChunk).some((gap) => gap.where !== 'body')) throw new Error('a header slot follows a body slot');
  const boundary = chunks[bodyChunk]!.toString('latin1');
  const headerEnd = boundary.indexOf('\r\n\r\n');
  if (headerEnd === -1) throw new Error('the prepared message has no end of header');
  const last = chunks.length - 1;

  // The signed header fields, relaxed once. A field with slots (To, Date...) is relaxed with a
  // marker for each (NUL never occurs in a header) and kept as text between gap numbers; per
  // reader the values go in between, or, for a value relaxing would change, the filled field is
  // relaxed whole.
  let headerTemplate = '';
  for (let index = 0; index < bodyChunk; index++) headerTemplate += `${chunks[index]!.toString('latin1')}\0${index}\0`;
  headerTemplate += boundary.slice(0, headerEnd);
  const signed = fieldsToSign(headerTemplate);
  const headerPieces = signed.fields.map((field) => {
    const relaxed = `${relaxedField(field)}\r\n`;
    if (!field.includes('\0')) return relaxed;
    const between = relaxed.split(/\0(\d+)\0/);
    return { field, texts: between.filter((_, i) => i % 2 === 0), gaps: between.filter((_, i) => i % 2 === 1).map(Number) };
  });

  // Each body slot value starts with "=" (see fillMessage) and ends with CRLF: a static chunk
  // before one is followed by a non-space, so its last spaces are kept (as one); the chunk after
  // starts a line. Only the last chunk ends the body.
  const relaxChunk = (text: string, index: number) => (index === last ? relaxedBody(text) : relaxLines(`${text}=`).slice(0, -1));
  const prefix = createHash('sha256').update(relaxChunk(boundary.slice(headerEnd + 4), bodyChunk), 'latin1');
  const staticChunks = chunks.map((chunk, index) => (index > bodyChunk ? Buffer.from(relaxChunk(chunk.toString('latin1'), index), 'latin1') : undefined));

  const withValues = (field: string, parts: readonly Buffer[]) =>
    `${relaxedField(field.replace(/\0(\d+)\0/g, (_, gap: string) => parts[2 * Number(gap) + 1]!.toString('latin1')))}\r\n`;

  const filledField = ({ field, texts, gaps: fieldGaps }: { field: string; texts: string[]; gaps: number[] }, parts: readonly Buffer[]) => {
    let out = texts[0]!;
    for (let i = 0; i < fieldGaps.length; i++) {
      const value = parts[2 * fieldGaps[i]! + 1]!.toString('latin1');
      if (!RELAX_STABLE.test(value)) return withValues(field, parts);
      out += value + texts[i + 1]!;
    }
    return out;
  };

  return (parts, signedAt) => {
    let text = '';
    for (const piece of headerPieces) text += typeof piece === 'string' ? piece : filledField(piece, parts);
    const hash: Hash = prefix.copy();
    for (let index = bodyChunk + 1; index <= last; index++) {
      const value = parts[2 * index - 1]!;
      if (changedByRelaxing(value)) hash.update(relaxLines(value.toString('latin1')), 'latin1');
      else hash.update(value);
      hash.update(staticChunks[index]!);
    }
    return signer.signatureFields({ names: signed.names, text }, hash.digest(), signedAt);
  };
}
