import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../../core/platform/paths.js';
import { plural } from '../../core/platform/plural.js';

/**
 * Server-rendered pages from `templates/pages/*.hbs`. Each page wraps itself in the layout
 * partial (`{{#> layout title="..."}} ... {{/layout}}`), so no template ever needs a
 * triple-stash: every value goes through Handlebars' `{{ }}` escaping.
 */
export interface PageRenderer {
  render(page: string, data: object): string;
}

/** Reads and compiles every page and partial once; call when the app is built, not at import. */
export async function createPageRenderer(pagesDir = path.join(TEMPLATES_DIR, 'pages')): Promise<PageRenderer> {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // {{plural count "comment" "comments"}}: "1 comment", "2 comments" (escaped like any value).
  handlebars.registerHelper('plural', (count: unknown, one: unknown, other: unknown) => plural(Number(count), String(one), String(other)));

  const partialsDir = path.join(pagesDir, 'partials');
  for (const file of await readdir(partialsDir)) {
    if (!file.endsWith('.hbs')) continue;
    handlebars.registerPartial(path.basename(file, '.hbs'), await readFile(path.join(partialsDir, file), 'utf8'));
  }
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of await readdir(pagesDir)) {
    if (!file.endsWith('.hbs')) continue;
    pages.set(path.basename(file, '.hbs'), handlebars.compile(await readFile(path.join(pagesDir, file), 'utf8')));
  }

  return {
    render(page, data) {
      const template = pages.get(page);
      if (!template) throw new Error(`no page template templates/pages/${page}.hbs`);
      return template(data);
    },
  };
}
