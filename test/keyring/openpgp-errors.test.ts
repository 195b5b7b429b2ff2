/**
 * The openpgp.js adapter (keyring/openpgp-errors.ts) with errors openpgp.js
 * 6 really throws: it has no codes or fields, so the message decides the
 * code; the key a failure is about is added by the keyring, which holds it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { SealpostError } from '../../app/errors.ts';
import { Keyring } from '../../keyring/keyring.ts';
import { translateOpenpgpError } from '../../keyring/openpgp-errors.ts';
import { ALICE_FPR, ALICE_SECRET } from '../support/fixtures.ts';

/** What openpgp.js rejects `promise` with. */
async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

test('a wrong passphrase: key-wrong-passphrase from openpgp.js, and the keyring names the key in the details', async () => {
  const secret = await openpgp.readPrivateKey({ armoredKey: readFileSync(ALICE_SECRET, 'utf8') });
  const raw = await thrown(openpgp.decryptKey({ privateKey: secret, passphrase: 'wrong' }));
  const e = translateOpenpgpError(raw);
  assert.deepEqual([e.code, e.details], ['key-wrong-passphrase', {}]);

  const byKeyring = await thrown(Keyring.unlock(secret, 'wrong'));
  assert.ok(byKeyring instanceof SealpostError && byKeyring.is('key-wrong-passphrase'));
  assert.deepEqual(byKeyring.details, { fingerprint: ALICE_FPR });
  const locked = await thrown(Keyring.unlock(secret, null));
  assert.ok(locked instanceof SealpostError && locked.is('key-passphrase-required'));
  assert.deepEqual(locked.details, { fingerprints: [ALICE_FPR] });
});

test('a locked key used to sign, garbage to read: their codes, with details of the code’s shape', async () => {
  const secret = await openpgp.readPrivateKey({ armoredKey: readFileSync(ALICE_SECRET, 'utf8') });
  const message = await openpgp.createMessage({ text: 'x' });
  const locked = translateOpenpgpError(await thrown(openpgp.sign({ message, signingKeys: secret })));
  // openpgp.js does not say which key: the details say none is known, and the prompt offers the user's keys.
  assert.deepEqual([locked.code, locked.details], ['key-passphrase-required', { fingerprints: [] }]);
  const garbage = translateOpenpgpError(await thrown(openpgp.readMessage({ binaryMessage: new Uint8Array([0xff, 0x00, 0x13]) })));
  assert.equal(garbage.code, 'crypto-malformed');
  assert.deepEqual(garbage.details, {});
  const armor = translateOpenpgpError(await thrown(openpgp.readMessage({ armoredMessage: '-----BEGIN PGP MESSAGE-----\n\n!!!\n' })));
  assert.deepEqual([armor.code, armor.details], ['bad-input', {}]);
});

test('the fallback for an unknown message, and a SealpostError passes through', () => {
  const unknown = translateOpenpgpError(new Error('Something new in openpgp 7'), 'key-unparseable');
  assert.deepEqual([unknown.code, unknown.details, unknown.detail], ['key-unparseable', {}, 'Something new in openpgp 7']);
  const ours = new SealpostError('key-ambiguous', 'x', { query: 'a', fingerprints: [ALICE_FPR, 'F'.repeat(64)] });
  assert.equal(translateOpenpgpError(ours), ours);
});
