/**
 * The design's import rules ("Folders") are the ESLint rule `layers/imports`
 * of eslint.config.js: each planted import below must be reported, each
 * allowed one must not, and the whole tree must lint clean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Only the layer rule: the planted files are not in any tsconfig, so no type-aware rule can run on them.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [{ languageOptions: { parserOptions: { project: null, projectService: false } } }],
  ruleFilter: ({ ruleId }) => ruleId === 'layers/imports',
});

async function layerMessages(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${root}${file}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

const violations: [file: string, source: string][] = [
  ['app/planted.ts', "import { x } from '../main/store/database.ts';"],
  ['app/ipc/planted.ts', "import { x } from '../node/atomic-file.ts';"],
  ['app/planted.ts', "import { readFileSync } from 'node:fs';"],
  ['app/planted.ts', "import DOMPurify from 'dompurify';"],
  ['app/node/planted.ts', "import { x } from '../../keyring/store.ts';"],
  ['app/node/planted.ts', "import openpgp from 'openpgp';"],
  ['keyring/planted.ts', "import { x } from '../main/store/database.ts';"],
  ['keyring/planted.ts', "import { ImapFlow } from 'imapflow';"],
  ['keyring/planted.ts', "import { z } from 'zod';"],
  ['keyring/planted.ts', "const m = await import('../renderer/src/lib/bridge.ts');"],
  ['main/sync/planted.ts', "import { x } from '../../keyring/store.ts';"],
  ['main/sync/planted.ts', "import type { x } from '../../keyring/operations.ts';"],
  ['main/sync/planted.ts', "export { x } from '../../renderer/src/lib/format.ts';"],
  ['main/sync/planted.ts', "import { x } from '../../test/support/peers.ts';"],
  ['main/sync/planted.ts', "import { app } from 'electron';"],
  ['main/services/planted.ts', "import type { PortKeyringClient } from '../../keyring/client.ts';"],
  ['main/electron/planted.ts', "import { PortKeyringClient } from '../../keyring/client.ts';"],
  ['main/cli/planted.ts', "const { app } = require('electron');"],
  ['renderer/src/lib/planted.ts', "import { x } from '../../../app/node/atomic-file.ts';"],
  ['renderer/src/lib/planted.ts', "import { x } from '../../../main/ipc/handlers.ts';"],
  ['renderer/src/lib/planted.ts', "import { readFileSync } from 'node:fs';"],
  ['renderer/src/lib/planted.ts', "import { ipcRenderer } from 'electron';"],
  ['renderer/src/components/Planted.svelte', '<script lang="ts">\n  import { x } from \'../../../keyring/client.ts\';\n</script>\n'],
];

const allowed: [file: string, source: string][] = [
  ['app/ipc/planted.ts', "import { z } from 'zod';\nimport { x } from '../errors.ts';"],
  ['app/node/planted.ts', "import { rename } from 'node:fs/promises';\nimport { x } from '../errors.ts';"],
  ['keyring/planted.ts', "import openpgp from 'openpgp';\nimport type { z } from 'zod';\nimport { x } from '../app/node/lock.ts';"],
  [
    'main/sync/planted.ts',
    "import { ImapFlow } from 'imapflow';\nimport type { KeyringClient } from '../../app/node/keyring-client.ts';\nimport { y } from '../../app/node/lock.ts';",
  ],
  ['main/keyring-host/planted.ts', "import { PortKeyringClient } from '../../keyring/client.ts';"],
  ['main/electron/keyring-process.ts', "import { PortKeyringClient } from '../../keyring/client.ts';"],
  ['main/electron/planted.ts', "import { app } from 'electron';\nimport { x } from '../ipc/handlers.ts';"],
  ['main/preload/planted.ts', "import { contextBridge } from 'electron';"],
  [
    'renderer/src/lib/planted.ts',
    "import DOMPurify from 'dompurify';\nimport { mount } from 'svelte';\nimport { x } from '../../../app/errors.ts';",
  ],
  ['test/main/planted.test.ts', "import { app } from 'electron';\nimport { x } from '../../keyring/store.ts';"],
];

for (const [file, source] of violations) {
  const statement = source
    .split('\n')
    .find((line) => /import|require|export/.test(line))!
    .trim();
  test(`layers: ${file} may not ${statement}`, async () => {
    const messages = await layerMessages(file, source);
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /^layers\/imports: /);
  });
}

for (const [file, source] of allowed) {
  test(`layers: ${file} may import what the design allows it`, async () => {
    assert.deepEqual(await layerMessages(file, source), []);
  });
}

// Type-aware linting of the whole tree takes under a minute on an idle two-core machine, several on a busy one.
test('the whole tree lints clean, the import rules included', { timeout: 600_000 }, () => {
  const r = spawnSync(process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings', '0', '.'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 590_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});
