import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVICES = path.resolve(import.meta.dirname, '../../services');

/** Which top-level folder of services/ a file belongs to: api, worker, cli, shared or main. */
function layerOf(file: string): string {
  const relative = path.relative(SERVICES, file);
  return relative.includes(path.sep) ? (relative.split(path.sep)[0] as string) : 'main';
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

function relativeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] as string);
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier));
}

/** The layers each layer must never import: api and worker are shells over shared, never each other. */
const FORBIDDEN: Record<string, string[]> = {
  shared: ['api', 'worker', 'cli', 'main'],
  api: ['worker', 'cli', 'main'],
  worker: ['api', 'cli', 'main'],
  cli: ['api', 'main'],
};

describe('import direction', () => {
  const files = sourceFiles(SERVICES);

  it('finds the layers it checks', () => {
    const layers = new Set(files.map(layerOf));
    expect([...layers].sort()).toEqual(expect.arrayContaining(['api', 'cli', 'main', 'shared', 'worker']));
  });

  it('keeps shared code free of api, worker and cli, and api and worker apart', () => {
    const violations = files.flatMap((file) => {
      const from = layerOf(file);
      return relativeImports(file)
        .filter((target) => target.startsWith(SERVICES))
        .map((target) => layerOf(target))
        .filter((to) => FORBIDDEN[from]?.includes(to))
        .map((to) => `${path.relative(SERVICES, file)} imports ${to}`);
    });
    expect(violations).toEqual([]);
  });

  it('reads process.env only in the entry points', () => {
    const readers = files
      .filter((file) => /process\.env/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SERVICES, file))
      .sort();
    expect(readers.filter((file) => file !== 'main.ts' && file !== path.join('cli', 'main.ts'))).toEqual([]);
  });
});
