/**
 * The tree is formatted by Prettier (`npm run format:check`), so that the
 * test command alone holds every check `npm run check` makes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('every file is as Prettier writes it', { timeout: 300_000 }, () => {
  const r = spawnSync(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 290_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});
