/**
 * `npm run build`: every bundle the app and the command line run from.
 *
 *   dist/cli/sealpost.mjs          the command line (main/cli/sealpost.ts)
 *   dist/cli/keyring-worker.mjs    its keyring worker thread (keyring/worker.ts)
 *   dist/main/electron.mjs         the Electron main process (main/electron/main.ts)
 *   dist/preload/preload.cjs       the sandboxed preload, CommonJS (main/preload/preload.ts)
 *   dist/keyring/utility.mjs       the keyring as an Electron utilityProcess (keyring/utility-entry.ts)
 *   dist/renderer/                 the Svelte renderer (Vite, renderer/vite.config.ts)
 *
 * Dependencies are bundled (the packaged app ships dist/ only); `electron`
 * is left to the runtime. Nothing here needs or starts Electron.
 *
 *   node build/bundle.ts [--outdir DIR]    (default: dist/ in the repository)
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { build as viteBuild } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = resolve(values.outdir ?? join(root, 'dist'));

/** Lets bundled CommonJS dependencies `require()` (Node built-ins) from an ES module. */
const ESM_BANNER = [
  "import { createRequire as __sealpostCreateRequire } from 'node:module';",
  'const require = __sealpostCreateRequire(import.meta.url);',
].join('\n');

interface Entry {
  from: string;
  to: string;
  format: 'esm' | 'cjs';
}

const entries: Entry[] = [
  { from: 'main/cli/sealpost.ts', to: 'cli/sealpost.mjs', format: 'esm' },
  { from: 'keyring/worker.ts', to: 'cli/keyring-worker.mjs', format: 'esm' },
  { from: 'main/electron/main.ts', to: 'main/electron.mjs', format: 'esm' },
  { from: 'keyring/utility-entry.ts', to: 'keyring/utility.mjs', format: 'esm' },
  { from: 'main/preload/preload.ts', to: 'preload/preload.cjs', format: 'cjs' },
];

function bundleNode(entry: Entry) {
  return esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, entry.from)],
    outfile: join(outdir, entry.to),
    bundle: true,
    platform: 'node',
    format: entry.format,
    target: 'node24',
    external: ['electron'],
    banner: entry.format === 'esm' ? { js: ESM_BANNER } : {},
    // Sandboxed preloads run in the renderer: only `electron` (and a few web-safe modules) can be required there.
    ...(entry.format === 'cjs' ? { platform: 'browser' as const, target: 'chrome140' } : {}),
    legalComments: 'eof',
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

/** A path as printed: relative to the repository when inside it. */
function shown(file: string): string {
  const rel = relative(root, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const started = performance.now();
  rmSync(outdir, { recursive: true, force: true });

  const node = Promise.all(entries.map(bundleNode));
  const renderer = viteBuild({
    configFile: join(root, 'renderer/vite.config.ts'),
    configLoader: 'native', // Node strips the types itself: no temporary config bundle in the source tree
    build: { outDir: join(outdir, 'renderer'), emptyOutDir: true },
    logLevel: 'warn',
  });
  const results = await Promise.all([node, renderer]);
  for (const result of results[0]) {
    if (result.errors.length > 0) throw new Error('esbuild reported errors');
  }

  const rows = filesUnder(outdir)
    .sort()
    .map((f) => [shown(f), size(statSync(f).size)] as const);
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, bytes] of rows) process.stdout.write(`  ${name.padEnd(width)}  ${bytes.padStart(10)}\n`);
  process.stdout.write(`built ${rows.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
