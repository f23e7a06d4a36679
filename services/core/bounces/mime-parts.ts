/**
 * Just enough MIME to read a report (RFC 3462 multipart/report and its parts): header fields,
 * content types, multipart bodies, base64 and quoted-printable. Pure and bounded (nesting depth,
 * number of parts): it reads input from anyone on the internet, and a malformed message yields
 * fewer parts, never an exception.
 */

export interface MimePart {
  /** Lowercased field name → its values, unfolded, in order. */
  headers: Map<string, string[]>;
  /** Lowercased `type/subtype`; `text/plain` when absent. */
  contentType: string;
  /** Content-Type parameters, names lowercased. */
  params: Record<string, string>;
  /** The decoded body (UTF-8, or Latin-1 bytes where UTF-8 does not fit). */
  body: string;
  /** Parts of a multipart, or the enclosed message of a message/rfc822. */
  parts: MimePart[];
}

const MAX_DEPTH = 4;
const MAX_PARTS = 32;

/** The first value of a field, or undefined. */
export function headerOf(part: MimePart, name: string): string | undefined {
  return part.headers.get(name.toLowerCase())?.[0];
}

/** Header fields of a block of `Name: value` lines (continuation lines unfolded). */
export function parseFields(block: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let current: { name: string; value: string } | undefined;
  const flush = () => {
    if (!current) return;
    const values = fields.get(current.name) ?? [];
    values.push(current.value.replace(/\s+/g, ' ').trim());
    fields.set(current.name, values);
    current = undefined;
  };
  for (const line of block.split('\n')) {
    if (/^[ \t]/.test(line) && current) {
      current.value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    current = { name, value: line.slice(colon + 1) };
  }
  flush();
  return fields;
}

/** `type/subtype; a=b; c="d"` → the lowercased type and its parameters. */
export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const [type = '', ...rest] = splitOutsideQuotes(value, ';');
  const params: Record<string, string> = {};
  for (const piece of rest) {
    const equals = piece.indexOf('=');
    if (equals <= 0) continue;
    const name = piece.slice(0, equals).trim().toLowerCase();
    let param = piece.slice(equals + 1).trim();
    if (param.startsWith('"') && param.endsWith('"') && param.length >= 2) param = param.slice(1, -1).replace(/\\(.)/g, '$1');
    params[name] = param;
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const pieces: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (char === separator && !quoted) {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(value.slice(start));
  return pieces;
}

function decodeBytes(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.includes('\ufffd') ? bytes.toString('latin1') : text;
}

function decodeQuotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const char = soft.charCodeAt(i);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(char & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeBody(body: string, encoding: string | undefined): string {
  const kind = encoding?.trim().toLowerCase();
  if (kind === 'base64') return decodeBytes(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  if (kind === 'quoted-printable') return decodeBytes(decodeQuotedPrintable(body));
  return body;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?Automatic_reply?=`) in a header value, as text. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (whole, charset: string, kind: string, text: string) => {
      const bytes = kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text.replace(/_/g, ' '));
      const name = charset.toLowerCase().split('*')[0];
      if (name === 'utf-8' || name === 'utf8') return bytes.toString('utf8');
      if (name === 'iso-8859-1' || name === 'us-ascii' || name === 'latin1' || name === 'windows-1252') return bytes.toString('latin1');
      return whole;
    });
}

function splitHeaderAndBody(text: string): { header: string; body: string } {
  const end = text.indexOf('\n\n');
  if (end < 0) return { header: text, body: '' };
  return { header: text.slice(0, end), body: text.slice(end + 2) };
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split('\n')) {
    const trimmed = line.trimEnd();
    if (trimmed === `${delimiter}--`) break;
    if (trimmed === delimiter) {
      if (current) parts.push(current.join('\n'));
      if (parts.length >= MAX_PARTS) return parts;
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

function parseEntity(text: string, depth: number): MimePart {
  const { header, body } = splitHeaderAndBody(text);
  const headers = parseFields(header);
  const { type, params } = parseContentType(headers.get('content-type')?.[0]);
  const part: MimePart = { headers, contentType: type, params, body: '', parts: [] };
  if (depth >= MAX_DEPTH) return part;
  if (type.startsWith('multipart/') && params.boundary) {
    part.parts = splitMultipart(body, params.boundary).map((child) => parseEntity(child, depth + 1));
    return part;
  }
  part.body = decodeBody(body, headers.get('content-transfer-encoding')?.[0]);
  if (type === 'message/rfc822' || type === 'message/global' || type === 'text/rfc822-headers') {
    part.parts = [parseEntity(type === 'text/rfc822-headers' ? `${part.body.trimEnd()}\n\n` : part.body, depth + 1)];
  }
  return part;
}

/** Reads a whole message. Line ends are normalised to LF; bytes that are not UTF-8 read as Latin-1. */
export function parseMimeMessage(raw: Buffer | string): MimePart {
  const text = typeof raw === 'string' ? raw : decodeBytes(raw);
  return parseEntity(text.replace(/\r\n?/g, '\n'), 0);
}

/** Every part, depth first, the message itself included. */
export function allParts(part: MimePart): MimePart[] {
  return [part, ...part.parts.flatMap(allParts)];
}

/**
 * The blocks of a report body such as message/delivery-status: groups of `Name: value` fields
 * separated by blank lines (RFC 3464 section 2.1: one per-message block, then one per recipient).
 */
export function parseFieldBlocks(body: string): Array<Map<string, string[]>> {
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => parseFields(block.trim()))
    .filter((fields) => fields.size > 0);
}
