/**
 * No import circle among the sources of main/, keyring/ and app/: a circle
 * makes the order of module evaluation decide which binding is still
 * undefined, and says that two modules are one concern cut in the wrong place.
 *
 * The graph is made of the relative specifiers of `import` and `export ...
 * from` (type-only ones included: they too tie the modules together), and a
 * depth-first search reports each circle once, as the list of files on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules') sourceFiles(path, out);
    } else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative specifiers of a module's static imports and re-exports (comments removed first). */
function relativeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('.')) found.push(spec);
  }
  return found;
}

/** Every circle in the import graph of the files under `roots`, each as its files relative to `base`, starting at the smallest. */
function findCycles(base: string, roots: string[]): string[][] {
  const files = roots.flatMap((r) => sourceFiles(join(base, r)));
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const f of files) {
    edges.set(
      f,
      relativeImports(readFileSync(f, 'utf8'))
        .map((s) => resolve(dirname(f), s))
        .filter((t) => known.has(t)),
    );
  }
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of edges.get(f)!) {
      if (state.get(t) === 'open') {
        const ring = stack.slice(stack.indexOf(t)).map((p) => relative(base, p));
        const start = ring.indexOf([...ring].sort()[0]!);
        const canonical = [...ring.slice(start), ...ring.slice(0, start)];
        cycles.set(canonical.join(' -> '), canonical);
      } else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return [...cycles.values()];
}

test('no import circle among main/, keyring/ and app/', () => {
  const cycles = findCycles(ROOT, ['main', 'keyring', 'app']);
  assert.deepEqual(cycles, [], cycles.map((c) => [...c, c[0]].join(' -> ')).join('\n'));
});

test('a planted circle is found, with the files on it, and a diamond is not one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-cycles-'));
  try {
    mkdirSync(join(dir, 'src/sub'), { recursive: true });
    writeFileSync(join(dir, 'src/a.ts'), "import { b } from './sub/b.ts';\nimport { d } from './d.ts';\nexport const a = b + d;\n");
    writeFileSync(
      join(dir, 'src/sub/b.ts'),
      "// import { nothing } from '../d.ts';\nexport type { C } from './c.ts';\nexport const b = 1;\n",
    );
    writeFileSync(join(dir, 'src/sub/c.ts'), "import type { A } from '../a.ts';\nexport type C = A;\n");
    writeFileSync(join(dir, 'src/d.ts'), "import { b } from './sub/b.ts';\nimport 'node:fs';\nexport const d = b;\n");
    assert.deepEqual(findCycles(dir, ['src']), [['src/a.ts', 'src/sub/b.ts', 'src/sub/c.ts']]);
    // Without the closing edge c -> a, the diamond a -> b, a -> d -> b is no circle.
    writeFileSync(join(dir, 'src/sub/c.ts'), 'export type C = number;\n');
    assert.deepEqual(findCycles(dir, ['src']), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
