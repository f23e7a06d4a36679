import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SERVICES = path.join(ROOT, 'services');

/**
 * The layers of services/, lowest first. A file may import its own layer and the layers below
 * it, never one above; the shells (api, worker, cli, bounces) never import each other.
 * - platform: plumbing (core/platform): db, queue, config, logging, mail transport, tokens...
 * - core: the domain, one folder a concept (core/papers, core/sending...)
 * - root: the composition root (runtime.ts), which builds every resource
 * - shell: api, worker, cli, bounces (the inbound bounce receiver's SMTP server)
 * - entry: the processes' entry points (main.ts, cli/main.ts), which compose the shells
 */
const LAYERS = ['platform', 'core', 'root', 'shell', 'entry'] as const;
type Layer = (typeof LAYERS)[number];

const ENTRY_POINTS = ['main.ts', path.join('cli', 'main.ts')];

function placeOf(file: string): { layer: Layer; shell?: string } {
  const relative = path.relative(SERVICES, file);
  if (ENTRY_POINTS.includes(relative)) return { layer: 'entry' };
  if (relative === 'runtime.ts') return { layer: 'root' };
  const [top, second] = relative.split(path.sep);
  if (top === 'core') return { layer: second === 'platform' ? 'platform' : 'core' };
  if (top === 'api' || top === 'worker' || top === 'cli' || top === 'bounces') return { layer: 'shell', shell: top };
  throw new Error(`${relative} is in no layer: put it under core/, api/, worker/, cli/ or bounces/`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports, type-only imports included. */
function specifiersOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...source.matchAll(pattern)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

function relativeImports(file: string): string[] {
  return specifiersOf(file)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'));
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Groups of files that import each other in a circle (Tarjan's strongly connected components). */
export function importCircles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1 || (graph.get(node) ?? []).includes(node)) circles.push(group.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return circles;
}

describe('import direction', () => {
  const files = sourceFiles(SERVICES);

  it('finds every layer it checks', () => {
    expect(new Set(files.map((file) => placeOf(file).layer))).toEqual(new Set(LAYERS));
  });

  it('imports only downwards, and keeps api, worker, cli and bounces apart', () => {
    const violations = files.flatMap((file) => {
      const from = placeOf(file);
      return relativeImports(file)
        .filter((target) => target.startsWith(SERVICES + path.sep))
        .flatMap((target) => {
          const to = placeOf(target);
          const upwards = LAYERS.indexOf(to.layer) > LAYERS.indexOf(from.layer);
          const acrossShells = from.layer === 'shell' && to.layer === 'shell' && from.shell !== to.shell;
          return upwards || acrossShells ? [`${path.relative(SERVICES, file)} imports ${path.relative(SERVICES, target)}`] : [];
        });
    });
    expect(violations).toEqual([]);
  });

  it('has no import circles between files', () => {
    const graph = new Map(files.map((file) => [file, relativeImports(file)]));
    const circles = importCircles(graph).map((group) => group.map((file) => path.relative(SERVICES, file)).join(' → '));
    expect(circles).toEqual([]);
  });

  it('keeps the core concepts depending one way (no two concept folders import each other, even through others)', () => {
    const conceptOf = (file: string) => {
      const [top, concept] = path.relative(SERVICES, file).split(path.sep);
      return top === 'core' && concept !== 'platform' && concept !== undefined && !concept.endsWith('.ts') ? concept : undefined;
    };
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const from = conceptOf(file);
      if (!from) continue;
      const targets = relativeImports(file).map(conceptOf).filter((to): to is string => to !== undefined && to !== from);
      graph.set(from, [...new Set([...(graph.get(from) ?? []), ...targets])]);
    }
    expect(graph.size).toBeGreaterThan(5);
    expect(importCircles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the check itself can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(importCircles(graph)).toEqual([['a', 'b', 'c']]);
    expect(importCircles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('ships only code whose packages are in dependencies (the image installs no devDependencies)', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const shipped = new Set(Object.keys(manifest.dependencies));
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const undeclared = files.flatMap((file) =>
      specifiersOf(file)
        .filter((specifier) => !specifier.startsWith('.') && !builtins.has(specifier))
        .map(packageOf)
        .filter((name) => !shipped.has(name))
        .map((name) => `${path.relative(SERVICES, file)} imports ${name}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('reads process.env only to parse the configuration, in the entry points', () => {
    const readers = files.flatMap((file) => {
      const relative = path.relative(SERVICES, file);
      const reads = readFileSync(file, 'utf8').match(/.{0,12}process\.env.?/g) ?? [];
      const allowed = ENTRY_POINTS.includes(relative) ? reads.filter((read) => !/parseConfig\(process\.env[,)]/.test(read)) : reads;
      return allowed.map((read) => `${relative}: ${read.trim()}`);
    });
    expect(readers).toEqual([]);
  });
});
