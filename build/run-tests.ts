/**
 * `npm test`: every test file under test/ in Node's test runner, two at a
 * time (the machines have two cores), then one closing line
 * "N passed, N failed" so that a run with no tests cannot look green.
 *
 * `npm test -- test/keyring` runs only the files under the given paths.
 *
 * First it builds dist/ (`build/bundle.ts`, a few seconds): the end-to-end
 * tests load the built renderer, as the app does, and must never test a
 * stale one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function collect(path: string, out: string[] = []): string[] {
  const stat = statSync(path);
  if (stat.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    collect(join(path, name), out);
  }
  return out;
}

const targets = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = (targets.length ? targets.map((t) => resolve(ROOT, t)) : [join(ROOT, 'test')]).flatMap((t) => collect(t));
if (files.length === 0) {
  console.log('0 passed, 0 failed');
  console.error('no test files found');
  process.exit(1);
}

const built = spawnSync(process.execPath, [join(ROOT, 'build', 'bundle.ts')], {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
  timeout: 300_000,
});
if (built.status !== 0) {
  console.log('0 passed, 1 failed');
  console.error('the build failed; no tests were run');
  process.exit(1);
}

const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files.map((f) => relative(ROOT, f))], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, SEALPOST_TEST: '1' },
});
let tail = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4000);
});
child.on('close', (code) => {
  const count = (label: string) => Number(new RegExp(`ℹ ${label} (\\d+)`).exec(tail)?.[1] ?? 'NaN');
  const passed = count('pass');
  const failed = count('fail');
  const cancelled = count('cancelled');
  const ok = code === 0 && Number.isFinite(passed) && passed > 0 && failed === 0 && !(cancelled > 0);
  console.log(`${Number.isFinite(passed) ? passed : 0} passed, ${Number.isFinite(failed) ? failed + (cancelled || 0) : 1} failed`);
  process.exit(ok ? 0 : 1);
});
