import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import { TEMPLATES_DIR } from '../platform/paths.js';
import type { ReaderMailKind } from '../platform/db/schema.js';

/**
 * Renders transactional reader emails from `templates/emails/<kind>.mjml` and `<kind>.txt`.
 * MJML is compiled once per process and kind; per reader only the placeholders are filled in,
 * by Handlebars, which HTML-escapes every value in the HTML part.
 */

export interface ReaderMailContent {
  subject: string;
  html: string;
  text: string;
}

export type ReaderMailValues = Record<string, string>;

const SUBJECTS: Record<ReaderMailKind, string> = {
  confirmation: 'Confirm your Paperboy subscription',
  'manage-links': 'Your Paperboy links',
};

export interface ReaderMailRendererOptions {
  templatesDir?: string;
  /** `strict` in tests makes a broken template fail loudly; `soft` at runtime. */
  validationLevel?: 'strict' | 'soft' | 'skip';
}

interface CompiledMail {
  html: Handlebars.TemplateDelegate<ReaderMailValues>;
  text: Handlebars.TemplateDelegate<ReaderMailValues>;
}

export function createReaderMailRenderer(options: ReaderMailRendererOptions = {}) {
  const handlebars = Handlebars.create();
  const compiled = new Map<ReaderMailKind, Promise<CompiledMail>>();

  async function compile(kind: ReaderMailKind): Promise<CompiledMail> {
    const dir = path.join(options.templatesDir ?? TEMPLATES_DIR, 'emails');
    const [mjmlSource, textSource] = await Promise.all([
      readFile(path.join(dir, `${kind}.mjml`), 'utf8'),
      readFile(path.join(dir, `${kind}.txt`), 'utf8'),
    ]);
    const result = await mjml2html(mjmlSource, { validationLevel: options.validationLevel ?? 'soft', fonts: {}, keepComments: false });
    // `strict` has thrown on any error already; `soft` renders what MJML could make of it.
    return {
      html: handlebars.compile<ReaderMailValues>(result.html, { strict: true }),
      // Plain text is not HTML: nothing to escape, and an "&" in a URL must stay an "&".
      text: handlebars.compile<ReaderMailValues>(textSource, { strict: true, noEscape: true }),
    };
  }

  return {
    async render(kind: ReaderMailKind, values: ReaderMailValues): Promise<ReaderMailContent> {
      let template = compiled.get(kind);
      if (!template) {
        template = compile(kind);
        compiled.set(kind, template);
        // A failed compile (a missing file) must not be cached for the life of the process.
        template.catch(() => compiled.delete(kind));
      }
      const { html, text } = await template;
      return { subject: SUBJECTS[kind], html: html(values), text: text(values) };
    },
  };
}

export type ReaderMailRenderer = ReturnType<typeof createReaderMailRenderer>;
