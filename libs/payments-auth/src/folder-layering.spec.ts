import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * The library's folders form layers: each may import only from folders below it, so no two folders import each
 * other, directly or around a loop. The package's entry points and the module (files at the top of src/) sit
 * above everything and are imported by nothing inside. Jest runs from the repository root.
 */
const SRC = path.join(process.cwd(), 'libs', 'payments-auth', 'src');
const TOP = '(top)';
/** The layers, top first: a folder may import only from folders after it. */
const LAYERS = [
  TOP,
  'testing',
  'health',
  'http',
  'providers',
  'tenants',
  'engine',
  'coordination',
  'renewal',
  'observability',
  'options',
  'stores',
  'errors',
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    // Spec helpers inside a layer (engine/testing/) are not shipped; the testing entry point's src/testing/ is.
    if (entry.isDirectory()) return entry.name === 'testing' && dir !== SRC ? [] : sourceFiles(full); // spec helpers, not shipped
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

const folderOf = (file: string) =>
  path.dirname(path.relative(SRC, file)).split(path.sep)[0] === '.' ? TOP : path.relative(SRC, file).split(path.sep)[0];

function folderImports(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    for (const match of fs.readFileSync(file, 'utf8').matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
      const to = folderOf(path.resolve(path.dirname(file), match[1]));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

/** A loop in the folder graph, as `a -> b -> a`, or undefined. Depth-first, bounded by the number of folders. */
function findLoop(edges: Map<string, Set<string>>): string | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (folder: string): string | undefined => {
    if (state.get(folder) === 'done') return undefined;
    if (state.get(folder) === 'open') return [...trail.slice(trail.indexOf(folder)), folder].join(' -> ');
    state.set(folder, 'open');
    trail.push(folder);
    for (const next of edges.get(folder) ?? []) {
      const loop = visit(next);
      if (loop !== undefined) return loop;
    }
    trail.pop();
    state.set(folder, 'done');
    return undefined;
  };
  for (const folder of edges.keys()) {
    const loop = visit(folder);
    if (loop !== undefined) return loop;
  }
  return undefined;
}

// README § Layout
describe('folder layering', () => {
  it('finds the imports it checks', () => {
    const edges = folderImports();
    expect(edges.get('engine')).toContain('stores');
    expect(edges.get(TOP)).toContain('engine');
    // A new folder must be given its place among the layers.
    const folders = new Set([...edges.keys(), ...[...edges.values()].flatMap((targets) => [...targets])]);
    expect([...folders].filter((folder) => !LAYERS.includes(folder))).toEqual([]);
  });

  it('has no folders that import each other, directly or around a loop', () => {
    expect(findLoop(folderImports())).toBeUndefined();
  });

  it('imports only downwards, in the documented order of layers', () => {
    const upward: string[] = [];
    for (const [from, targets] of folderImports()) {
      for (const to of targets) if (!(LAYERS.indexOf(from) < LAYERS.indexOf(to))) upward.push(`${from} -> ${to}`);
    }
    expect(upward).toEqual([]);
  });

  it("never imports spec helpers (a layer's testing/) from shipped code", () => {
    const offenders = sourceFiles(SRC).filter((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)].some((match) => {
        const target = path.relative(SRC, path.resolve(path.dirname(file), match[1])).split(path.sep);
        return target.indexOf('testing') > 0; // src/testing/ is the testing entry point's, and shipped
      }),
    );
    expect(offenders.map((file) => path.relative(SRC, file))).toEqual([]);
  });

  it('reports a loop when there is one', () => {
    expect(
      findLoop(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['c'])],
          ['c', new Set(['a'])],
        ]),
      ),
    ).toBe('a -> b -> c -> a');
  });
});
