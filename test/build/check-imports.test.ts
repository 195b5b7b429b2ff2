import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, findViolations } from '../../build/check-imports.ts';

test('the import rules of the design hold', () => {
  const violations = findViolations();
  assert.deepEqual(violations, [], violations.map((v) => `${v.file}: ${v.specifier}: ${v.rule}`).join('\n'));
});

test('app/node/ is for keyring/ and main/ only, and imports only node:* and app/', () => {
  const root = '/repo';
  assert.equal(check('/repo/keyring/store.ts', '../app/node/file-lock.ts', false, root), null);
  assert.equal(check('/repo/main/accounts/secret-store.ts', '../../app/node/atomic-file.ts', false, root), null);
  assert.match(check('/repo/renderer/src/lib/x.ts', '../../../app/node/atomic-file.ts', false, root) ?? '', /only keyring\/ and main\//);
  assert.match(check('/repo/app/mail.ts', './node/atomic-file.ts', false, root) ?? '', /only keyring\/ and main\//);
  assert.equal(check('/repo/app/node/file-lock.ts', 'node:fs/promises', false, root), null);
  assert.equal(check('/repo/app/node/file-lock.ts', '../errors.ts', false, root), null);
  assert.match(check('/repo/app/node/file-lock.ts', 'openpgp', false, root) ?? '', /only node:\* and app\//);
  assert.match(check('/repo/app/node/file-lock.ts', '../../main/x.ts', false, root) ?? '', /only node:\* and app\//);
  assert.match(check('/repo/app/mail.ts', 'node:fs', false, root) ?? '', /app\/ imports only/);
});

test('main/ imports keyring/client.ts only where the keyring is started', () => {
  const root = '/repo';
  assert.equal(check('/repo/main/keyring-host/worker-keyring.ts', '../../keyring/client.ts', false, root), null);
  assert.equal(check('/repo/main/electron/keyring-process.ts', '../../keyring/client.ts', false, root), null);
  assert.match(check('/repo/main/services/mail-service.ts', '../../keyring/client.ts', true, root) ?? '', /app\/keyring-client\.ts/);
  assert.match(check('/repo/main/cli/keys-command.ts', '../../keyring/store.ts', false, root) ?? '', /composition roots/);
  assert.equal(check('/repo/main/cli/keys-command.ts', '../../app/keyring-client.ts', true, root), null);
});
