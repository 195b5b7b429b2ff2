import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractGlobals } from '../../../main/cli/args.ts';

test('--passphrase-file and --store-passphrase-file are two flags, each taken from anywhere on the line', () => {
  const { globals, rest } = extractGlobals([
    'account',
    '--store-passphrase-file',
    'store.txt',
    'add',
    '--passphrase-file=key.txt',
    '--json',
  ]);
  assert.deepEqual(globals, { home: null, json: true, passphraseFile: 'key.txt', storePassphraseFile: 'store.txt' });
  assert.deepEqual(rest, ['account', 'add']);
  const only = extractGlobals(['--store-passphrase-file=s', 'sync']);
  assert.equal(only.globals.passphraseFile, null);
  assert.equal(only.globals.storePassphraseFile, 's');
  assert.throws(() => extractGlobals(['sync', '--store-passphrase-file']), {
    code: 'usage',
    message: /--store-passphrase-file needs a value/,
  });
});
