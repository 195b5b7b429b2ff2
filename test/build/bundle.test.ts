/**
 * `npm run build` (build/bundle.ts) and the packaging configuration.
 *
 * The build runs once, into a temporary directory (`--outdir`), not into
 * the repository's dist/: build/sealpost.mjs prefers dist/cli when it
 * exists, and a build left there by a test would shadow the sources that
 * other tests run through that launcher.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(join(root, 'package.json'));
const scratch = mkdtempSync(join(tmpdir(), 'sealpost-build-'));
const out = join(scratch, 'dist');
let buildOutput = '';

before(() => {
  const run = spawnSync(process.execPath, [join(root, 'build/bundle.ts'), '--outdir', out], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  buildOutput = run.stdout;
  assert.equal(run.status, 0, `build failed:\n${run.stdout}\n${run.stderr}`);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

test('the build writes every entry and says what it built', () => {
  for (const entry of [
    'cli/sealpost.mjs',
    'cli/keyring-worker.mjs',
    'main/electron.mjs',
    'preload/preload.cjs',
    'keyring/utility.mjs',
    'renderer/index.html',
  ]) {
    assert.ok(existsSync(join(out, entry)), entry);
    assert.match(buildOutput, new RegExp(entry.replace('.', '\\.')), `listed: ${entry}`);
  }
  assert.match(buildOutput, /built \d+ files in [\d.]+ s/);
});

test('the bundled command line answers sop version and round-trips a key', () => {
  const cli = join(out, 'cli/sealpost.mjs');
  const version = spawnSync(process.execPath, [cli, 'sop', 'version'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^sealpost \S+\n$/);
  const key = execFileSync(process.execPath, [cli, 'sop', 'generate-key', 'Alice <alice@example.org>'], { timeout: 30_000 });
  assert.match(key.toString(), /BEGIN PGP PRIVATE KEY BLOCK/);
  const cert = execFileSync(process.execPath, [cli, 'sop', 'extract-cert'], { input: key, timeout: 30_000 });
  assert.match(cert.toString(), /BEGIN PGP PUBLIC KEY BLOCK/);
  assert.doesNotMatch(cert.toString(), /PRIVATE/);
});

test('electron stays external; the preload is CommonJS that requires electron only', () => {
  const main = readFileSync(join(out, 'main/electron.mjs'), 'utf8');
  assert.match(main, /from "electron"/);
  assert.doesNotMatch(main, /Downloading Electron binary/, 'the electron npm package (its download shim) must not be bundled');
  const preload = readFileSync(join(out, 'preload/preload.cjs'), 'utf8');
  assert.match(preload, /require\("electron"\)/);
  assert.deepEqual(
    [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]),
    ['electron'],
  );
  assert.doesNotMatch(preload, /^\s*(import|export)\s/m);
  assert.match(preload, /sealpost:call/);
  // The preload does not carry the schema library: it only needs channel and event names.
  assert.ok(preload.length < 10_000, `preload is ${preload.length} bytes`);
});

test('the utility-process keyring bundle loads in plain Node and waits for a parent port', async () => {
  await import(pathToFileURL(join(out, 'keyring/utility.mjs')).href);
});

test('the renderer is CSP-clean: external module script and stylesheet, relative URLs, nothing inline', () => {
  const html = readFileSync(join(out, 'renderer/index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs!, /type="module"/);
    assert.match(attrs!, /src="\.\/assets\/[^"]+\.js"/);
    assert.equal(body!.trim(), '', 'no inline script');
  }
  assert.doesNotMatch(html, /<style|style=/i, 'no inline style');
  assert.match(html, /<link rel="stylesheet"[^>]*href="\.\/assets\/[^"]+\.css"/);
  assert.doesNotMatch(html, /(src|href)="\//, 'no absolute URLs (base "./")');
  const assets = readdirSync(join(out, 'renderer/assets'));
  const js = assets
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(out, 'renderer/assets', f), 'utf8'))
    .join('\n');
  assert.doesNotMatch(js, /\beval\(|new Function\(/, 'nothing that needs unsafe-eval');
  assert.doesNotMatch(js, /data:(font|application\/javascript|text\/javascript)/, 'no inlined fonts or scripts');
  assert.match(js, /Lock keys now/);
});

test('electron-builder.yml: the repository as app directory, only dist/ and package.json, hardened fuses', async () => {
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
    appId: string;
    productName: string;
    directories: { app: string; buildResources: string; output: string };
    files: string[];
    extraMetadata: { main: string };
    electronFuses: Record<string, boolean>;
    asar: boolean;
    protocols: { name: string; schemes: string[] }[];
    linux: { target: string[]; category: string };
    win: { target: string[] };
    mac: { target: string[] };
  };
  assert.equal(config.appId, 'org.sealpost.app');
  assert.equal(config.productName, 'Sealpost');
  assert.deepEqual(config.directories, { app: '.', buildResources: 'build', output: 'release' });
  const included = config.files.filter((p) => !p.startsWith('!'));
  assert.deepEqual(included, ['dist/**/*', 'package.json']);
  assert.equal(config.extraMetadata.main, 'dist/main/electron.mjs');
  assert.ok(existsSync(join(out, 'main/electron.mjs')));
  assert.deepEqual(
    {
      runAsNode: config.electronFuses.runAsNode,
      enableCookieEncryption: config.electronFuses.enableCookieEncryption,
      enableNodeOptionsEnvironmentVariable: config.electronFuses.enableNodeOptionsEnvironmentVariable,
      enableNodeCliInspectArguments: config.electronFuses.enableNodeCliInspectArguments,
      enableEmbeddedAsarIntegrityValidation: config.electronFuses.enableEmbeddedAsarIntegrityValidation,
      onlyLoadAppFromAsar: config.electronFuses.onlyLoadAppFromAsar,
    },
    {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    },
  );
  // The renderer is served from app://, so file:// needs none of its old extra rights.
  assert.equal(config.electronFuses.grantFileProtocolExtraPrivileges, false);
  assert.equal(config.asar, true);
  // mailto: links reach the app (macOS Info.plist URL types, Linux desktop entry MimeType).
  assert.deepEqual(
    config.protocols.map((p) => p.schemes),
    [['mailto']],
  );
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.equal(config.linux.category, 'Network;Email');
  assert.deepEqual(config.win.target, ['nsis']);
  assert.deepEqual(config.mac.target, ['dmg']);

  // electron-builder's own schema check (offline, no Electron needed).
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
    validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  await validateConfiguration(config, { isEnabled: false, add() {} });

  // app/ must not look like an app directory to electron-builder.
  assert.equal(existsSync(join(root, 'app/package.json')), false);
});

test('electron-builder packs exactly the built output and package.json: no sources, tests or node_modules', () => {
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const { minimatch } = require('minimatch') as { minimatch(path: string, pattern: string, options?: { dot?: boolean }): boolean };
  const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as { files: string[] };
  const packed = (path: string) => {
    // electron-builder's rule: a file is taken when an include pattern matches and no exclusion ("!") does.
    const included = config.files.filter((p) => !p.startsWith('!')).some((p) => minimatch(path, p, { dot: true }));
    const excluded = config.files.filter((p) => p.startsWith('!')).some((p) => minimatch(path, p.slice(1), { dot: true }));
    return included && !excluded;
  };
  const walk = (dir: string, prefix: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      if (d.name === 'node_modules' || d.name === '.git' || d.name === 'dist' || d.name === 'release') return [];
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      return d.isDirectory() ? walk(join(dir, d.name), rel) : [rel];
    });
  const repository = walk(root, '');
  const built = walk(out, '').map((f) => `dist/${f}`);
  const taken = [...repository, ...built].filter(packed);
  assert.deepEqual(
    taken.filter((f) => f !== 'package.json' && !f.startsWith('dist/')),
    [],
    'only dist/ and package.json',
  );
  assert.deepEqual(
    built.filter((f) => !packed(f)),
    [],
    'every built file is packed',
  );
  assert.ok(taken.includes('package.json'));
  for (const source of [
    'main/electron/main.ts',
    'keyring/client.ts',
    'app/ipc/contract.ts',
    'renderer/index.html',
    'build/bundle.ts',
    'test/build/bundle.test.ts',
    'electron-builder.yml',
    'tsconfig.json',
  ]) {
    assert.equal(packed(source), false, source);
  }
  assert.equal(packed('dist/main/electron.mjs.map'), false, 'no source maps');
  // Everything the app runs is bundled into dist/: no runtime dependency for electron-builder to copy from node_modules.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; dependencies?: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
  assert.equal(pkg.main, 'dist/main/electron.mjs');
});

test('build/icon.png is a 512x512 PNG', () => {
  const png = readFileSync(join(root, 'build/icon.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [512, 512]);
});
