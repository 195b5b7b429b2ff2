/**
 * Every environment type-checks under its own tsconfig (`npm run typecheck`):
 * Node code without DOM types, app/ without Node or DOM, the renderer (its
 * .svelte files too, through svelte-check) without Node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const checks: [name: string, args: string[]][] = [
  ['tsconfig.json (Node)', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']],
  ['tsconfig.app.json (app/, no Node, no DOM)', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.app.json']],
  ['tsconfig.test-browser.json (renderer-driving tests)', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test-browser.json']],
  [
    'tsconfig.renderer.json (renderer/, svelte-check)',
    [
      'node_modules/svelte-check/bin/svelte-check',
      '--tsconfig',
      './tsconfig.renderer.json',
      '--threshold',
      'warning',
      '--fail-on-warnings',
    ],
  ],
];

for (const [name, args] of checks) {
  test(`${name} type-checks`, { timeout: 400_000 }, () => {
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 390_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });
}
