/**
 * `npm run fuzz`: every property test (test/**\/*.property.test.ts) with a
 * random seed and many more runs than the suite gives them. The seed is
 * printed first; SEALPOST_FUZZ_SEED=<seed> npm run fuzz runs the same inputs
 * again, and a failure's counterexample reruns in the suite with that seed.
 *
 *   npm run fuzz [-- --scale 50] [-- test/main/pgp-mime]
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function collect(path: string, out: string[] = []): string[] {
  if (statSync(path).isFile()) {
    if (path.endsWith('.property.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) if (name !== 'node_modules' && name !== 'fixtures') collect(join(path, name), out);
  return out;
}

const args = process.argv.slice(2);
const scaleAt = args.indexOf('--scale');
const scale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : 50;
const targets = args.filter((a, i) => !a.startsWith('-') && (scaleAt < 0 || i !== scaleAt + 1));
const files = (targets.length ? targets.map((t) => resolve(ROOT, t)) : [join(ROOT, 'test')]).flatMap((t) => collect(t));
if (files.length === 0 || !Number.isInteger(scale) || scale < 1) {
  console.error(files.length === 0 ? 'no property test files found' : '--scale takes a whole number from 1');
  process.exit(1);
}
const seed = Number(process.env.SEALPOST_FUZZ_SEED) || randomInt(1, 2 ** 31 - 1);
console.log(`fuzz: seed ${seed}, ${scale}x the suite's runs, ${files.length} files (rerun with SEALPOST_FUZZ_SEED=${seed})`);

const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=3600000', '--test-reporter=spec', ...files.map((f) => relative(ROOT, f))],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, SEALPOST_TEST: '1', SEALPOST_FUZZ_SEED: String(seed), SEALPOST_FUZZ_SCALE: String(scale) },
  },
);
child.on('close', (code) => {
  console.log(`fuzz: seed ${seed} ${code === 0 ? 'passed' : 'FAILED'}`);
  process.exit(code ?? 1);
});
