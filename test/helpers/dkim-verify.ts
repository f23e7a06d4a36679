import { createHash, createVerify, verify } from 'node:crypto';

/**
 * A small offline DKIM verifier (RFC 6376, relaxed/relaxed only; rsa-sha256, and ed25519-sha256
 * of RFC 8463) with the public key given, for tests: mailauth would do this but needs Node 22.
 * It checks both the body hash (`bh=`) and the signature (`b=`) over the headers named in `h=`.
 * Written from the RFCs, apart from Paperboy's signer (services/core/platform/mail/dkim.ts):
 * a test that verified with the signer's own canonicalisation could not fail.
 */

export interface DkimCheck {
  ok: boolean;
  problem?: string;
  domain?: string;
  selector?: string;
  signedHeaders: string[];
}

function splitMessage(raw: string): { headers: string[]; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 4);
  // Unfolded header fields, each with its original text (folding kept for canonicalization).
  const headers: string[] = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1] += `\r\n${line}`;
    else headers.push(line);
  }
  return { headers, body };
}

/** RFC 6376 whitespace is only spaces and tabs: String.trim would also strip U+00A0, the latin1 reading of UTF-8's second byte of "à". */
const trimWsp = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, '');

function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  const name = trimWsp(field.slice(0, colon)).toLowerCase();
  const value = trimWsp(
    field
      .slice(colon + 1)
      .replace(/\r\n/g, '')
      .replace(/[ \t]+/g, ' '),
  );
  return `${name}:${value}`;
}

function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}

function tags(value: string): Map<string, string> {
  return new Map(
    value
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const eq = part.indexOf('=');
        return [part.slice(0, eq).trim(), part.slice(eq + 1).replace(/\s+/g, '')] as [string, string];
      }),
  );
}

type Algorithm = 'rsa-sha256' | 'ed25519-sha256';

/** Verifies the message's DKIM-Signature of `algorithm` (rsa-sha256 unless said) with the public key (PEM, SPKI). */
export function verifyDkim(rawMessage: Buffer | string, publicKeyPem: string, algorithm: Algorithm = 'rsa-sha256'): DkimCheck {
  const raw = typeof rawMessage === 'string' ? rawMessage : rawMessage.toString('latin1');
  const { headers, body } = splitMessage(raw);
  const signatures = headers
    .filter((field) => /^dkim-signature:/i.test(field))
    .map((field) => ({ field, t: tags(field.slice(field.indexOf(':') + 1).replace(/\r\n/g, '')) }));
  if (signatures.length === 0) return { ok: false, problem: 'no DKIM-Signature', signedHeaders: [] };
  const found = signatures.find(({ t: found }) => found.get('a') === algorithm);
  if (!found) return { ok: false, problem: `no ${algorithm} DKIM-Signature`, signedHeaders: [] };
  const { field: signatureField, t } = found;
  const signedHeaders = (t.get('h') ?? '').split(':').map((name) => name.trim().toLowerCase());
  const result = { domain: t.get('d'), selector: t.get('s'), signedHeaders };
  if (t.get('c') !== 'relaxed/relaxed') return { ok: false, problem: 'unsupported c=', ...result };

  const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
  if (bodyHash !== t.get('bh')) return { ok: false, problem: 'body hash mismatch', ...result };

  // Each name in h= takes the last not yet used instance of that header, bottom-up (RFC 6376 5.4.2).
  const used = new Set<number>();
  const signedText = signedHeaders
    .map((name) => {
      for (let i = headers.length - 1; i >= 0; i--) {
        if (!used.has(i) && headers[i]!.slice(0, headers[i]!.indexOf(':')).trim().toLowerCase() === name) {
          used.add(i);
          return `${relaxedHeader(headers[i]!)}\r\n`;
        }
      }
      return '';
    })
    .join('');
  const unsignedSignature = relaxedHeader(signatureField).replace(/([;:\s]b=)[^;]*/, '$1');
  const signedData = Buffer.from(signedText + unsignedSignature, 'latin1');
  const b = Buffer.from(t.get('b') ?? '', 'base64');
  let ok: boolean;
  if (algorithm === 'rsa-sha256') {
    const verifier = createVerify('RSA-SHA256');
    verifier.update(signedData);
    ok = verifier.verify(publicKeyPem, b);
  } else {
    // RFC 8463 section 3: Ed25519 (PureEdDSA) over the SHA-256 hash of the signed data.
    ok = verify(null, createHash('sha256').update(signedData).digest(), publicKeyPem, b);
  }
  return ok ? { ok, ...result } : { ok, problem: 'signature mismatch', ...result };
}
