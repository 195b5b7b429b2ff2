/**
 * The Setup Message use case (main/usecases/setup-message.ts) over the real
 * keyring worker: a key imported from a setup message is the user's own as a
 * generated one is (Autocrypt Level 1, 4.4.4), and a whole mail is taken only
 * when it says it is a setup message and goes from one address to itself
 * (4.4.3); the saved attachment alone stays accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import type { ErrorDetails } from '../../../app/errors.ts';
import { SealpostError } from '../../../app/errors.ts';
import { MAX_SETUP_MESSAGE_BYTES } from '../../../main/pgp-mime/read/setup-message.ts';
import { startKeyringWorker } from '../../../main/keyring-host/worker-keyring.ts';
import { checkSetupMessageMail, createSetupMessage, importSetupMessage } from '../../../main/usecases/setup-message.ts';
import { keyringSnapshot, tempHome } from '../../support/keyring.ts';

const SPEC = readFileSync(new URL('../../fixtures/autocrypt/example-setup-message.eml', import.meta.url));
const SPEC_CODE = '1742-0185-6197-1303-7016-8412-3581-4441-0597';
const SPEC_FPR = 'EB85BB5FA33A75E15E944E63F231550C4F47E38E';
const SPEC_ADDRESS = 'alice@autocrypt.example';

/** The specification's message with its header fields replaced (name to value; null removes the field). */
function withFields(fields: Record<string, string | null>): Buffer {
  const text = SPEC.toString('latin1');
  const split = text.search(/\r?\n\r?\n/);
  let head = text.slice(0, split);
  for (const [name, value] of Object.entries(fields)) {
    const line = new RegExp(`^${name}:.*$`, 'mi');
    head = value === null ? head.replace(new RegExp(`^${name}:.*(?:\\r?\\n|$)`, 'mi'), '') : head.replace(line, `${name}: ${value}`);
  }
  return Buffer.from(head + text.slice(split), 'latin1');
}

function refusedFor(reason: ErrorDetails<'setup-message-invalid'>['reason']) {
  return (e: unknown) => {
    assert.ok(e instanceof SealpostError, String(e));
    assert.ok(e.is('setup-message-invalid'), `${e.code}: ${e.message}`);
    assert.equal(e.details.reason, reason);
    return true;
  };
}

test('a key from a setup message is the user own as a generated key is: verified, and in use for its address over a key seen first', async () => {
  const { home, cleanup } = tempHome();
  const keyring = startKeyringWorker(home);
  try {
    // Someone else's key for the address came first (a keyserver, an attachment): it is the one in use, unverified.
    const { publicKey } = await openpgp.generateKey({ userIDs: [{ email: SPEC_ADDRESS }], type: 'curve25519', format: 'object' });
    const other = publicKey.getFingerprint().toUpperCase();
    await keyring.client.call('keys.import', { data: publicKey.write(), source: 'file' });
    assert.equal((await keyring.client.call('keys.addressState', { address: SPEC_ADDRESS })).accepted?.fingerprint, other);

    const outcome = await importSetupMessage(keyring.client, { data: SPEC, code: SPEC_CODE, passphrase: 'device two' });
    assert.deepEqual(
      outcome.changed.map((k) => [k.fingerprint, k.hasSecret, k.trust, k.sources, k.verification]),
      [[SPEC_FPR, true, 'verified', ['setup-message'], undefined]],
    );
    const state = await keyring.client.call('keys.addressState', { address: SPEC_ADDRESS });
    assert.equal(state.accepted?.fingerprint, SPEC_FPR);
    assert.equal(state.accepted?.how, 'accepted');

    // A key generated here, for comparison: the same trust, no verification record, the same kind of acceptance.
    const made = await keyring.client.call('keys.generate', {
      name: 'Made Here',
      email: 'made@autocrypt.example',
      algo: 'curve25519',
      expiresInSeconds: null,
      passphrase: null,
    });
    const madeState = await keyring.client.call('keys.addressState', { address: 'made@autocrypt.example' });
    const imported = await keyring.client.call('keys.show', { query: SPEC_FPR });
    assert.deepEqual([imported.trust, imported.verification], [made.trust, made.verification]);
    assert.equal(madeState.accepted?.how, state.accepted?.how);
    const otherKey = await keyring.client.call('keys.show', { query: other });
    assert.equal(otherKey.trust, 'unverified', 'the other key is left as it was');

    // The same message again: nothing new to change.
    const again = await importSetupMessage(keyring.client, { data: SPEC, code: SPEC_CODE, passphrase: null });
    assert.deepEqual(again.changed, []);
  } finally {
    await keyring.close();
    cleanup();
  }
});

test('the public part known before (unverified) becomes the own, verified key once the setup message brings its secret', async () => {
  const { home, cleanup } = tempHome();
  const first = startKeyringWorker(home);
  let publicPart: string;
  try {
    await importSetupMessage(first.client, { data: SPEC, code: SPEC_CODE, passphrase: null });
    publicPart = (await first.client.call('keys.export', { query: SPEC_FPR, secret: false, minimal: false })).armored;
  } finally {
    await first.close();
    cleanup();
  }
  const other = tempHome();
  const keyring = startKeyringWorker(other.home);
  try {
    await keyring.client.call('keys.import', { data: new TextEncoder().encode(publicPart), source: 'autocrypt' });
    assert.equal((await keyring.client.call('keys.show', { query: SPEC_FPR })).trust, 'unverified');
    const outcome = await importSetupMessage(keyring.client, { data: SPEC, code: SPEC_CODE, passphrase: null });
    assert.deepEqual(
      outcome.changed.map((k) => [k.fingerprint, k.hasSecret, k.trust, k.sources]),
      [[SPEC_FPR, true, 'verified', ['autocrypt', 'setup-message']]],
    );
  } finally {
    await keyring.close();
    other.cleanup();
  }
});

test('a mail without the Autocrypt-Setup-Message header, or not from one address to itself, is refused and changes nothing', async () => {
  const { home, cleanup } = tempHome();
  const keyring = startKeyringWorker(home);
  try {
    assert.deepEqual(await keyring.client.call('keys.list', { secret: false }), []);
    const before = keyringSnapshot(home);
    const cases: [Buffer, ErrorDetails<'setup-message-invalid'>['reason']][] = [
      [withFields({ 'Autocrypt-Setup-Message': null }), 'not-marked'],
      [withFields({ From: 'mallory@example.org' }), 'not-to-self'],
      [withFields({ To: 'someone-else@autocrypt.example' }), 'not-to-self'],
      [withFields({ To: `${SPEC_ADDRESS}, bob@example.org` }), 'not-to-self'],
      [withFields({ From: `${SPEC_ADDRESS}, bob@example.org` }), 'not-to-self'],
      [withFields({ To: null }), 'not-to-self'],
      [withFields({ From: null }), 'not-to-self'],
      [withFields({ 'Autocrypt-Setup-Message': 'v2' }), 'other-version'],
      [Buffer.from('From: a@example.org\r\nTo: a@example.org\r\nAutocrypt-Setup-Message: v1\r\n\r\nnothing here\r\n'), 'no-payload'],
      [Buffer.from('just some text, no armor\n'), 'no-payload'],
    ];
    for (const [data, reason] of cases)
      await assert.rejects(importSetupMessage(keyring.client, { data, code: SPEC_CODE, passphrase: null }), refusedFor(reason));
    assert.equal(keyringSnapshot(home), before, 'nothing changed');
  } finally {
    await keyring.close();
    cleanup();
  }
});

test('to and from the same address in other spellings and with names: accepted; the saved attachment alone: accepted', async () => {
  checkSetupMessageMail(withFields({ From: `Alice <${SPEC_ADDRESS.toUpperCase()}>`, To: `"Alice A." <${SPEC_ADDRESS}>` }));
  checkSetupMessageMail(withFields({ 'Autocrypt-Setup-Message': 'V1' }));
  const { home, cleanup } = tempHome();
  const keyring = startKeyringWorker(home);
  try {
    const page = SPEC.subarray(SPEC.indexOf('<html>'));
    const outcome = await importSetupMessage(keyring.client, { data: page, code: SPEC_CODE, passphrase: null });
    assert.deepEqual(
      outcome.changed.map((k) => [k.fingerprint, k.trust]),
      [[SPEC_FPR, 'verified']],
    );
    // What this app makes passes its own check, and opens with the code it answered.
    const created = await createSetupMessage(keyring.client, { fingerprint: SPEC_FPR, passphrase: null });
    checkSetupMessageMail(created.message);
    const reopened = await importSetupMessage(keyring.client, { data: created.message, code: created.code, passphrase: null });
    assert.deepEqual(reopened.changed, []);
  } finally {
    await keyring.close();
    cleanup();
  }
});

test('a file far larger than any setup message is refused as too large, before anything reaches the keyring', async () => {
  let asked = false;
  const keyring = {
    call: async () => {
      asked = true;
      throw new Error('not to be reached');
    },
  } as unknown as Parameters<typeof importSetupMessage>[0];
  const data = Buffer.alloc(MAX_SETUP_MESSAGE_BYTES + 1, 0x61);
  await assert.rejects(importSetupMessage(keyring, { data, code: SPEC_CODE, passphrase: null }), refusedFor('too-large'));
  assert.equal(asked, false);
});
