import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../platform/paths.js';

/**
 * The digest's two templates, `templates/emails/digest.mjml` (Handlebars over MJML) and
 * `digest.txt`, read and compiled on first use and kept for the life of the process.
 *
 * In the MJML template every `{{ }}` is HTML-escaped by Handlebars: that, not MJML, is what
 * keeps a title like `<script>` text. The text template is compiled without escaping.
 */

export interface DigestTemplates {
  /** Produces MJML source from the view. */
  mjml: (view: object) => string;
  /** Produces the plain-text part from the view. */
  text: (view: object) => string;
  /** Absolute path of the MJML file (MJML wants a real `filePath`). */
  mjmlPath: string;
}

let loading: Promise<DigestTemplates> | undefined;

async function load(templatesDir: string): Promise<DigestTemplates> {
  const mjmlPath = path.join(templatesDir, 'emails', 'digest.mjml');
  const [mjmlSource, textSource] = await Promise.all([
    readFile(mjmlPath, 'utf8'),
    readFile(path.join(templatesDir, 'emails', 'digest.txt'), 'utf8'),
  ]);
  // A private instance: helpers registered elsewhere never change what the digest renders.
  const handlebars = Handlebars.create();
  return {
    mjml: handlebars.compile(mjmlSource, { strict: true }),
    text: handlebars.compile(textSource, { strict: true, noEscape: true }),
    mjmlPath,
  };
}

/** The compiled templates; the first call reads the files, later calls share the result. */
export function loadDigestTemplates(templatesDir?: string): Promise<DigestTemplates> {
  if (templatesDir) return load(templatesDir);
  loading ??= load(TEMPLATES_DIR).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
