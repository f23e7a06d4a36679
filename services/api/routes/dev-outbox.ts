import { lstat, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { simpleParser, type AddressObject } from 'mailparser';
import { z } from 'zod';
import { NotFoundError } from '../../core/platform/errors.js';
import { escapeHtml } from '../../core/platform/html.js';
import type { Runtime } from '../../runtime.js';
import { requireAdminToken } from '../admin-auth.js';
import { wantsJson } from '../content-negotiation.js';

/**
 * `/dev/outbox`: the `.eml` files the outbox transport wrote (SMTP_URL unset), newest first,
 * and each one shown as the reader would see it. Registered outside production only.
 *
 * The email's HTML is never inlined into our page: it is served by its own route under a
 * CSP with `sandbox` and no script source, and framed with `<iframe sandbox>`. File names
 * are checked against a strict pattern and must be listed in the folder, so no path can
 * leave it. The pages are small and for developers, so they are written here rather than
 * in templates/pages.
 *
 * The listing holds every confirm and unsubscribe link, and the default HOST is 0.0.0.0, so
 * only a loopback client (request.ip: behind a trusted proxy, the proxy's client) is served
 * without the admin token.
 */

const LIST_LIMIT = 200;
/** Only the header block is read for the listing. */
const HEADER_BYTES = 16 * 1024;
const EML_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml$/;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
function isLoopback(ip: string): boolean {
  return ip === '::1' || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(ip);
}

const EMAIL_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox";

export interface OutboxEntry {
  file: string;
  subject: string;
  to: string;
  date: string | null;
  size: number;
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((entry) => entry.text).join(', ');
}

async function readHead(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    const text = buffer.subarray(0, bytesRead).toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    return end === -1 ? text : text.slice(0, end);
  } finally {
    await handle.close();
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Paperboy outbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#18181b}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e4e4e7;vertical-align:top;font-size:.9rem}th{white-space:nowrap}pre{white-space:pre-wrap;background:#f4f4f5;padding:1rem;font-size:.85rem}iframe{border:1px solid #d4d4d8;height:80vh;background:#fff}nav a{margin-right:1rem}</style></head><body>${body}</body></html>`;
}

export function devOutboxRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  const directory = path.resolve(runtime.config.mail.outboxDir);

  /** The outbox's `.eml` names, newest first (names start with the time they were written). */
  async function listFiles(): Promise<string[]> {
    try {
      const names = await readdir(directory);
      return names.filter((name) => EML_NAME.test(name)).sort().reverse();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** The absolute path of a listed message, or NotFoundError for anything else. */
  async function resolveMessage(file: string): Promise<string> {
    const notFound = () => new NotFoundError(`No message ${file} in the outbox`);
    if (!EML_NAME.test(file)) throw notFound();
    const full = path.join(directory, file);
    if (path.dirname(full) !== directory) throw notFound();
    const stats = await lstat(full).catch(() => undefined);
    if (!stats?.isFile()) throw notFound();
    return full;
  }

  async function describe(file: string): Promise<OutboxEntry> {
    const full = path.join(directory, file);
    const [head, stats] = await Promise.all([readHead(full), lstat(full)]);
    const parsed = await simpleParser(`${head}\r\n\r\n`, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
    return { file, subject: parsed.subject ?? '', to: addressText(parsed.to), date: parsed.date?.toISOString() ?? null, size: stats.size };
  }

  const fileParams = z.object({ file: z.string().max(300) });

  const requireAdmin = requireAdminToken(runtime.config.adminTokens);

  return async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (!isLoopback(request.ip)) return requireAdmin(request, reply);
    });

    app.get(
      '/dev/outbox',
      { schema: { tags: ['dev'], summary: 'Messages written to the local outbox, newest first (not in production)' } },
      async (request, reply) => {
        const files = (await listFiles()).slice(0, LIST_LIMIT);
        // A file deleted between listing and reading is simply left out.
        const entries = (await Promise.all(files.map((file) => describe(file).catch(() => undefined)))).filter(
          (entry): entry is OutboxEntry => entry !== undefined,
        );
        if (wantsJson(request)) return reply.send({ directory, messages: entries });
        const rows = entries
          .map(
            (entry) =>
              `<tr><td>${escapeHtml(entry.date ?? '')}</td><td>${escapeHtml(entry.to)}</td><td><a href="/dev/outbox/${encodeURIComponent(entry.file)}">${escapeHtml(entry.subject || '(no subject)')}</a></td><td>${Math.ceil(entry.size / 1024)} KB</td></tr>`,
          )
          .join('');
        const body = `<h1>Outbox</h1><p>${escapeHtml(directory)}</p>${
          entries.length ? `<table><thead><tr><th>Date</th><th>To</th><th>Subject</th><th>Size</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No messages yet.</p>'
        }`;
        return reply.type('text/html; charset=utf-8').send(page('Outbox', body));
      },
    );

    app.get(
      '/dev/outbox/:file',
      {
        schema: {
          tags: ['dev'],
          summary: 'One outbox message: headers, the HTML part (sandboxed) and the text part',
          params: fileParams,
          querystring: z.object({ width: z.coerce.number().int().min(280).max(1600).optional() }),
        },
      },
      async (request, reply) => {
        const { file } = request.params;
        const parsed = await simpleParser(await readFile(await resolveMessage(file)));
        const encoded = encodeURIComponent(file);
        const headers = parsed.headerLines
          .map((line) => {
            const colon = line.line.indexOf(':');
            return `<tr><th>${escapeHtml(line.line.slice(0, colon))}</th><td>${escapeHtml(line.line.slice(colon + 1).trim())}</td></tr>`;
          })
          .join('');
        const width = request.query.width;
        const body = `<nav><a href="/dev/outbox">← Outbox</a><a href="/dev/outbox/${encoded}/raw">Raw source</a></nav>
<h1>${escapeHtml(parsed.subject ?? '(no subject)')}</h1>
<table>${headers}</table>
<h2>HTML part</h2>${
          parsed.html
            ? `<nav><a href="/dev/outbox/${encoded}?width=390">Phone (390px)</a><a href="/dev/outbox/${encoded}?width=768">Tablet</a><a href="/dev/outbox/${encoded}">Full width</a></nav>
<iframe sandbox title="HTML part" src="/dev/outbox/${encoded}/html" style="width:${width ? `${width}px` : '100%'}"></iframe>`
            : '<p>No HTML part.</p>'
        }
<h2>Text part</h2>${parsed.text ? `<pre>${escapeHtml(parsed.text)}</pre>` : '<p>No text part.</p>'}`;
        return reply.type('text/html; charset=utf-8').send(page(parsed.subject ?? file, body));
      },
    );

    app.get(
      '/dev/outbox/:file/html',
      { schema: { tags: ['dev'], summary: "An outbox message's HTML part, under a sandboxing CSP", params: fileParams } },
      async (request, reply) => {
        const parsed = await simpleParser(await readFile(await resolveMessage(request.params.file)));
        if (!parsed.html) throw new NotFoundError(`Message ${request.params.file} has no HTML part`);
        return reply.header('content-security-policy', EMAIL_CSP).type('text/html; charset=utf-8').send(parsed.html);
      },
    );

    app.get(
      '/dev/outbox/:file/raw',
      { schema: { tags: ['dev'], summary: 'An outbox message as written (RFC 5322 source)', params: fileParams } },
      async (request, reply) => {
        const content = await readFile(await resolveMessage(request.params.file));
        return reply.header('content-security-policy', "default-src 'none'").type('text/plain; charset=utf-8').send(content);
      },
    );
  };
}
