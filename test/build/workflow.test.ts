import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The GitHub Actions workflow cannot run here, so it is checked against the
 * workflow schema by action-validator (WebAssembly, offline), and the
 * validator is shown to reject a broken workflow, so that a pass means
 * something.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const WORKFLOW = join(root, '.github/workflows/ci.yml');
const scratch = mkdtempSync(join(tmpdir(), 'sealpost-workflow-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function validate(file: string) {
  return spawnSync(process.execPath, [join(root, 'node_modules/@action-validator/cli/cli.mjs'), file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('the CI workflow passes action-validator without an error', () => {
  const r = validate(WORKFLOW);
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.stdout.trim(), '');
});

test('action-validator rejects a planted broken workflow, naming the fault', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  // A job with a misspelt key, and a step that both uses an action and runs a command.
  const broken = text.replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    step:\n      - run: echo misspelt\n');
  assert.notEqual(broken, text);
  const file = join(scratch, 'broken.yml');
  writeFileSync(file, broken);
  const r = validate(file);
  assert.notEqual(r.status, 0, 'the broken workflow was accepted');
  assert.match(`${r.stdout}${r.stderr}`, /Additional property 'step' is not allowed/);

  writeFileSync(
    file,
    'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        run: echo both\n',
  );
  assert.notEqual(validate(file).status, 0, 'a step with both uses and run was accepted');
});

test('the workflow has the jobs the project relies on, with actions pinned by major version and Node 24', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  for (const job of ['test', 'smoke', 'dist']) assert.match(text, new RegExp(`^  ${job}:$`, 'm'), job);
  assert.match(text, /run: \.ci\/run$/m);
  assert.match(text, /xvfb-run --auto-servernum npm run smoke$/m);
  assert.match(text, /^\s+run: npm run smoke$/m);
  assert.match(text, /os: \[ubuntu-latest, macos-latest, windows-latest\]/);
  assert.match(text, /npm run dist/);
  assert.match(text, /uses: actions\/upload-artifact@v4/);
  for (const uses of text.matchAll(/uses: ([^\s]+)/g)) assert.match(uses[1]!, /^actions\/[a-z-]+@v\d+$/, uses[1]);
  for (const version of text.matchAll(/node-version: (\S+)/g)) assert.equal(version[1], '24');
  assert.doesNotMatch(text, /--no-sandbox/);
});
