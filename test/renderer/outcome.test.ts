/**
 * Errors as the renderer receives them (renderer/src/lib/outcome.ts) and the
 * unlock prompt's keys (unlock.svelte.ts): the bridge side checks an error's
 * code and details against the registry, and the screens read the details,
 * never the message text.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { SealpostBridge } from '../../app/ipc/contract.ts';
import { loadLib, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

const FPR = 'A'.repeat(40);
const OTHER = 'B'.repeat(64);

/** A bridge whose every call answers with `error` as it is, valid or not. */
function answering(error: unknown): SealpostBridge {
  return { call: async () => ({ ok: false, error }), on: () => () => {} } as unknown as SealpostBridge;
}

const keys = [
  { fingerprint: FPR, keyId: FPR.slice(-16), userIds: ['Alice <alice@example.org>'], emails: ['alice@example.org'], hasSecret: true },
  {
    fingerprint: OTHER,
    keyId: OTHER.slice(0, 16),
    userIds: ['Alice <alice@work.example>'],
    emails: ['alice@work.example'],
    hasSecret: true,
  },
] as never[];

test('an error whose details match its code reaches the screen with them', async () => {
  const r = await lib.callBridge(
    answering({
      code: 'compose-no-key',
      message: 'No usable key to encrypt to',
      retryable: false,
      details: { addresses: ['bob@example.org'] },
    }),
    'keys.list',
    {},
  );
  assert.equal(r.ok, false);
  if (r.ok || r.error.code !== 'compose-no-key') throw new Error('expected compose-no-key');
  assert.deepEqual(r.error.details, { addresses: ['bob@example.org'] });
  assert.equal(r.error.summary, 'A recipient has no usable key, so the message cannot be encrypted.');
});

test('an error that does not match the registry is refused at the bridge, whatever its text says', async () => {
  const bad = [
    { code: 'key-passphrase-required', message: `for key ${FPR}`, retryable: false, details: { fingerprints: ['not a fingerprint'] } },
    { code: 'key-passphrase-required', message: `for key ${FPR}`, retryable: false },
    { code: 'key-passphrase-required', message: `for key ${FPR}`, retryable: false, details: { fingerprints: [FPR], extra: 1 } },
    { code: 'no-such-code', message: 'x', retryable: false, details: {} },
    { code: 'internal', message: 'x', retryable: 'no', details: {} },
    'a string',
  ];
  for (const error of bad) {
    const r = await lib.callBridge(answering(error), 'keys.list', {});
    assert.equal(r.ok, false);
    if (r.ok) continue;
    assert.equal(r.error.code, 'protocol-invalid', JSON.stringify(error));
    assert.deepEqual(r.error.details, {});
    assert.doesNotMatch(r.error.message, /AAAA/, 'nothing of the refused error is shown');
  }
});

test('the unlock prompt asks for the keys the details name, not for one found in the text', () => {
  assert.deepEqual(
    lib.lockedKeys({ fingerprints: [OTHER] }, keys, 'alice@example.org').map((k) => k.fingerprint),
    [OTHER],
    'named keys win over the address',
  );
  assert.deepEqual(
    lib.lockedKeys({ fingerprints: [FPR, OTHER] }, keys, null).map((k) => k.label),
    [`Alice <alice@example.org> (${FPR.slice(-16)})`, `Alice <alice@work.example> (${OTHER.slice(0, 16)})`],
  );
  assert.deepEqual(
    lib.lockedKeys({ fingerprints: ['C'.repeat(40)] }, keys, null),
    [{ fingerprint: 'C'.repeat(40), label: 'C'.repeat(40) }],
    'a key not in the list is named by its fingerprint',
  );
  // No key named (main could not tell which): the secret keys for the address, for the user to pick from.
  assert.deepEqual(
    lib.lockedKeys({ fingerprints: [] }, keys, 'alice@work.example').map((k) => k.fingerprint),
    [OTHER],
  );
  assert.equal(lib.lockedKeys({ fingerprints: [] }, keys, null).length, 2);
});
