/**
 * `npm test`: every test file under test/ in Node's test runner, two at a
 * time (the machines have two cores), then one closing line
 * "N passed, N failed" so that a run with no tests cannot look green.
 *
 * `npm test -- test/keyring` runs only the files under the given paths.
 *
 * First it builds dist/ (`build/bundle.ts`, a few seconds): the end-to-end
 * tests load the built renderer, as the app does, and the command-line tests
 * run the built command line (SEALPOST_TEST_CLI=dist, test/support/cli.ts);
 * neither must ever test a stale one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';

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
  // The command line is run from the bundle just built (test/support/cli.ts).
  env: { ...process.env, SEALPOST_TEST: '1', SEALPOST_TEST_CLI: 'dist' },
});
// The summary ("ℹ pass N", "ℹ fail N", ...) comes before the list of failing
// tests, which can be long: the last value of each label is kept as the
// lines go by, not looked for in a tail of the output.
const summary = new Map<string, number>();
let partial = '';
const decoder = new StringDecoder('utf8'); // a chunk can end inside a character
const SUMMARY_LINE = /^ℹ (pass|fail|cancelled) (\d+)$/;
function readLines(text: string): void {
  const lines = (partial + text).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    const m = SUMMARY_LINE.exec(line.trimEnd());
    if (m) summary.set(m[1]!, Number(m[2]));
  }
}
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  readLines(decoder.write(chunk));
});
child.on('close', (code) => {
  readLines(decoder.end() + '\n');
  const passed = summary.get('pass');
  const failed = summary.get('fail');
  const cancelled = summary.get('cancelled') ?? 0;
  const ok = code === 0 && passed !== undefined && passed > 0 && failed === 0 && cancelled === 0;
  console.log(`${passed ?? 0} passed, ${failed === undefined ? 1 : failed + cancelled} failed`);
  process.exit(ok ? 0 : 1);
});
