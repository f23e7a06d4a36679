import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the files read at run time live. This module is services/core/platform/paths.ts in the
 * source tree (run by tsx) and dist/services/core/platform/paths.js in a build; either way
 * templates/, migrations/ and data/ sit beside services/ (the Docker image copies them beside
 * dist/services), so one fixed step up from here finds them.
 */
const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** MJML emails (`emails/`) and server-rendered pages (`pages/`). */
export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates');

/** drizzle-kit SQL migrations. */
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

/** Data shipped with Paperboy (the sample Daily Papers day). */
export const DATA_DIR = path.join(PROJECT_ROOT, 'data');
