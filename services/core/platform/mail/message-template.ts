import MailComposer, { type MailComposerOptions } from 'nodemailer/lib/mail-composer';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/**
 * A complete MIME message built once by nodemailer's MailComposer, with slots for the few
 * values that differ per recipient. Filling the slots is string concatenation (microseconds),
 * where composing a message costs about 1.4 ms.
 *
 * A slot is a marker string placed in the composer's input. After composing, each marker is
 * found again in the output: in the top-level header block it is replaced verbatim (values
 * are checked to be one line of printable ASCII); in a body part it is replaced by the value
 * quoted-printable encoded between two soft line breaks, so lines stay within 76 characters
 * and an `=` in a URL becomes `=3D`. That is why both text parts are forced to
 * quoted-printable: base64 would hide the markers, and 7bit/8bit would allow neither.
 * MailComposer may soft-wrap a marker across lines (`%%PB_UNSUB=\r\nSCRIBE%%`); the search
 * allows a soft line break between any two characters of a marker.
 *
 * A header slot named in `utf8HeaderSlots` also takes a UTF-8 value (RFC 6532: an address with
 * a non-ASCII local part in To:), written as UTF-8 bytes. Such a message may only be sent with
 * SMTPUTF8; the transport sees the same address in the envelope and sees to that.
 */

export interface MessageGap {
  slot: string;
  where: 'header' | 'body';
}

export interface PreparedMessage {
  /** Literal pieces: chunks[0], gap[0], chunks[1], ..., chunks[n]. */
  readonly chunks: readonly Buffer[];
  readonly gaps: readonly MessageGap[];
  /** Bytes of the literal pieces (the message without its slot values). */
  readonly size: number;
  /** Header slots whose value may be UTF-8 rather than ASCII. */
  readonly utf8HeaderSlots: ReadonlySet<string>;
}

/** The marker for a slot in text: `%%PB_NAME%%`. Names are upper-case letters, digits, `_`. */
export function slotMarker(slot: string): string {
  if (!/^[A-Z0-9_]+$/.test(slot)) throw new Error(`slot name "${slot}" must be A-Z, 0-9 or _`);
  return `%%PB_${slot}%%`;
}

/** A marker usable where an address must parse (To, Cc): `%%PB_NAME%%@slot.invalid`. */
export function addressSlotMarker(slot: string): string {
  return `${slotMarker(slot)}@slot.invalid`;
}

/** A text and an HTML part and nothing else: every line of the body is headers, a boundary or quoted-printable. */
export type PreparableMessage = Omit<MailComposerOptions, 'text' | 'html' | 'newline' | 'raw' | 'attachments' | 'alternatives' | 'watchHtml' | 'amp' | 'icalEvent'> & {
  text: string;
  html: string;
};

/** The longest quoted-printable line (RFC 2045 6.7), the soft line break's "=" included. */
const QP_LINE_LENGTH = 76;

/**
 * Quoted-printable text in which no line starts with ".": such a dot is written `=2E`, which
 * decodes to the same ".". SMTP doubles a line-leading dot on the wire (RFC 5321 4.5.2), and
 * nodemailer does that by scanning and copying every message it sends; a digest's CSS has
 * a dozen lines starting with "." (`.pb-card ...`). Escaped here once per variant (and in
 * the few slot values), the transport finds nothing to stuff. `startsLine`: the text begins
 * a line. A line is still at most 75 characters before its line break (a slot's soft line
 * break may follow a chunk's last line); a longer one is wrapped again, its dots all escaped
 * so that no new line starts with one.
 */
function escapeLineLeadingDots(qp: string, startsLine: boolean): string {
  const pattern = startsLine ? /(^|\r\n)\.([^\r\n]*)/g : /(\r\n)\.([^\r\n]*)/g;
  if (!(startsLine && qp.startsWith('.')) && !qp.includes('\r\n.')) return qp;
  return qp.replace(pattern, (_match, lineBreak: string, rest: string) => {
    const line = `=2E${rest}`;
    if (line.length < QP_LINE_LENGTH) return `${lineBreak}${line}`;
    const soft = rest.endsWith('=');
    const content = (soft ? line.slice(0, -1) : line).replaceAll('.', '=2E');
    return `${lineBreak}${qpWrap(content, QP_LINE_LENGTH - 1)}${soft ? '=' : ''}`;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Composes the message once. `markers` maps each slot name to the marker string used for it
 * in `message`; every slot must be found at least once, or the build is refused (a template
 * that lost its unsubscribe link must not be sent).
 */
export async function prepareMessage(
  message: PreparableMessage,
  markers: Readonly<Record<string, string>>,
  options: { utf8HeaderSlots?: readonly string[] } = {},
): Promise<PreparedMessage> {
  const composed = await new MailComposer({
    ...message,
    newline: 'windows',
    text: { content: message.text, contentTransferEncoding: 'quoted-printable' },
    html: { content: message.html, contentTransferEncoding: 'quoted-printable' },
  })
    .compile()
    .build();
  // Everything MailComposer emits is 7-bit (headers are encoded words, bodies quoted-printable).
  const source = composed.toString('latin1');
  const headerEnd = source.indexOf('\r\n\r\n');

  const slotByMarker = new Map(Object.entries(markers).map(([slot, marker]) => [marker, slot]));
  const pattern = new RegExp(
    [...slotByMarker.keys()]
      .sort((a, b) => b.length - a.length)
      .map((marker) => [...marker].map(escapeRegExp).join('(?:=\\r\\n)?'))
      .join('|'),
    'g',
  );

  const chunks: Buffer[] = [];
  const gaps: MessageGap[] = [];
  const found = new Set<string>();
  let last = 0;
  // A chunk's text: its body part with line-leading dots escaped. A chunk after a body slot starts
  // a line (the slot value ends with a soft line break); the body starts a line after the header.
  const chunk = (start: number, end: number) => {
    if (end <= headerEnd) return Buffer.from(source.slice(start, end), 'latin1');
    const bodyStart = Math.max(start, headerEnd + 4);
    const body = escapeLineLeadingDots(source.slice(bodyStart, end), bodyStart === headerEnd + 4 || gaps.at(-1)?.where === 'body');
    return Buffer.from(source.slice(start, bodyStart) + body, 'latin1');
  };
  for (const match of source.matchAll(pattern)) {
    const slot = slotByMarker.get(match[0].replaceAll('=\r\n', ''))!;
    chunks.push(chunk(last, match.index));
    gaps.push({ slot, where: match.index < headerEnd ? 'header' : 'body' });
    found.add(slot);
    last = match.index + match[0].length;
  }
  chunks.push(chunk(last, source.length));

  const missing = Object.keys(markers).filter((slot) => !found.has(slot));
  if (missing.length > 0) throw new Error(`message template lost its slot(s) ${missing.join(', ')} while composing`);
  return { chunks, gaps, size: chunks.reduce((sum, chunk) => sum + chunk.length, 0), utf8HeaderSlots: new Set(options.utf8HeaderSlots) };
}

/** Thrown when a value cannot go into a header slot without changing the message's structure. */
class UnsafeHeaderValueError extends Error {
  constructor(readonly slot: string, utf8: boolean) {
    super(`value for header slot ${slot} must be one line of printable ${utf8 ? 'UTF-8' : 'ASCII'}`);
    this.name = 'UnsafeHeaderValueError';
  }
}

/** Printable ASCII and space only: no CR/LF (header injection), no NUL, no 8-bit bytes. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;
/** Printable ASCII and non-ASCII characters, without C1 controls, line and paragraph separators or lone surrogates. */
const UTF8_HEADER_SAFE = /^[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\u{10ffff}]*$/u;

/** Gives a buffer of at least `size` bytes to write a filled message into. */
export type MessageAllocator = (size: number) => Buffer;

/**
 * The message with every slot filled. Every slot of the message needs a value. `allocate`
 * lets a sender write into a reused buffer (see createMessageBufferPool) instead of a new one
 * per message; the result is then a view of that buffer. `fieldsOnTop` makes header fields to
 * put above the message from its parts (chunks[0], value of gap 0, chunks[1], ...): the DKIM
 * signature (see prepareDkimSigning), written into the same buffer.
 */
export function fillMessage(
  prepared: PreparedMessage,
  values: Readonly<Record<string, string>>,
  allocate: MessageAllocator = Buffer.allocUnsafe,
  fieldsOnTop?: (parts: readonly Buffer[]) => Buffer,
): Buffer {
  const encoded = new Map<string, Buffer>();
  const parts: Buffer[] = [prepared.chunks[0]!];
  let size = prepared.size;
  prepared.gaps.forEach((gap, index) => {
    const key = `${gap.where}:${gap.slot}`;
    let piece = encoded.get(key);
    if (!piece) {
      const value = values[gap.slot];
      if (value === undefined) throw new Error(`no value for message slot ${gap.slot}`);
      if (gap.where === 'header') {
        if (HEADER_SAFE.test(value)) piece = Buffer.from(value, 'latin1');
        else if (prepared.utf8HeaderSlots.has(gap.slot) && UTF8_HEADER_SAFE.test(value)) piece = Buffer.from(value, 'utf8');
        else throw new UnsafeHeaderValueError(gap.slot, prepared.utf8HeaderSlots.has(gap.slot));
      } else {
        piece = Buffer.from(`=\r\n${escapeLineLeadingDots(qpWrap(qpEncode(value), QP_LINE_LENGTH - 1), true)}=\r\n`, 'latin1');
      }
      encoded.set(key, piece);
    }
    size += piece.length;
    parts.push(piece, prepared.chunks[index + 1]!);
  });
  const top = fieldsOnTop?.(parts);
  if (top) size += top.length;
  const target = allocate(size);
  let offset = top ? top.copy(target, 0) : 0;
  for (const part of parts) offset += part.copy(target, offset);
  return target.length === size ? target : target.subarray(0, size);
}

export interface MessageBufferPool {
  allocate: MessageAllocator;
  /** Hands a buffer from `allocate` back once the message in it is fully sent. */
  release(buffer: Buffer): void;
}

/**
 * Reuses message buffers across sends. A sender fills hundreds of 30-100 KB messages a
 * second; each lives only until the SMTP server's answer, but that is long enough for V8 to
 * promote it to the old generation, where such garbage piles up until a full collection
 * (a worker's RSS then grows by 100+ MB between collections). A buffer handed back is reused;
 * one that is never handed back (a failed send) is simply left to the GC.
 */
export function createMessageBufferPool(options: { maxFree?: number; minSize?: number } = {}): MessageBufferPool {
  const maxFree = options.maxFree ?? 64;
  const minSize = options.minSize ?? 64 * 1024;
  const free: Buffer[] = [];
  const owned = new WeakSet<ArrayBuffer>();
  return {
    allocate(size) {
      for (let i = free.length - 1; i >= 0; i--) {
        const buffer = free[i]!;
        if (buffer.length >= size) {
          free.splice(i, 1);
          return buffer;
        }
      }
      // Own ArrayBuffers (not Node's shared 8 KB pool), rounded up so sizes settle quickly.
      const buffer = Buffer.allocUnsafeSlow(Math.max(minSize, Math.ceil(size / 16384) * 16384));
      owned.add(buffer.buffer as ArrayBuffer);
      return buffer;
    },
    release(buffer) {
      if (!owned.has(buffer.buffer as ArrayBuffer) || free.length >= maxFree) return;
      const whole = Buffer.from(buffer.buffer as ArrayBuffer);
      if (!free.some((b) => b.buffer === whole.buffer)) free.push(whole);
    },
  };
}
