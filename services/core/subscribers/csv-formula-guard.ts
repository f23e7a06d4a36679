/**
 * Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
 * formula (CSV injection). The export prefixes such a cell with a single quote, which makes a
 * spreadsheet show it as text (OWASP's advice); the import strips that quote again.
 *
 * To keep every value lossless, the rule is "any run of quotes, then a trigger": a value that
 * really starts with `'=` is exported as `''=` and read back as `'=`. A quote before anything
 * else is left alone both ways, so `'plain@example.org` stays as it is.
 */
const GUARDED = /^'*[=+\-@\t\r]/;
const STRIP = /^'+[=+\-@\t\r]/;

/** A cell safe to open in a spreadsheet. */
export const guardCell = (value: string): string => (GUARDED.test(value) ? `'${value}` : value);

/** The value a guarded cell stood for (a cell the export did not guard is returned as it is). */
export const unguardCell = (cell: string): string => (STRIP.test(cell) ? cell.slice(1) : cell);
