/**
 * Trust on first use in the keyring (keyring/keyring.ts) and the recipient
 * choice made from it (main/pgp-mime/write/recipient-keys.ts): the first key
 * seen for an address is the one in use; a different key later, however it
 * arrives, is a key change until the user accepts one; verifying a key
 * chooses it; the record survives a new process, and keyrings written before
 * it start their record from the key that was there first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as openpgp from 'openpgp';
import { SealpostError } from '../../app/errors.ts';
import type { KeySource } from '../../app/keys.ts';
import { Keyring } from '../../keyring/keyring.ts';
import { KeyStore } from '../../keyring/store.ts';
import { chooseRecipientKey, keyChangedError } from '../../main/pgp-mime/write/recipient-keys.ts';
import { tempHome } from '../support/keyring.ts';

const BOB = 'bob@example.org';

async function certFor(userId: { name: string; email: string }): Promise<{ armored: string; fpr: string; key: openpgp.PrivateKey }> {
  const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [userId], type: 'curve25519', format: 'object' });
  return { armored: publicKey.armor(), fpr: publicKey.getFingerprint().toUpperCase(), key: privateKey };
}

async function importCert(keyring: Keyring, armored: string, source: KeySource = 'file'): Promise<void> {
  await keyring.import(Buffer.from(armored), source);
  // Seen one after another, as mail arrives: the record compares when keys were first seen.
  await sleep(5);
}

async function choice(keyring: Keyring, address = BOB) {
  return chooseRecipientKey(await keyring.addressState(address));
}

test('the first key is in use; a second key for the address, from any source, is a key change naming both', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const first = await certFor({ name: 'Bob', email: BOB });
    const second = await certFor({ name: 'Bob B.', email: 'Bob@Example.ORG' });
    await importCert(keyring, first.armored, 'file');
    const state = await keyring.addressState('BOB@example.org');
    assert.equal(state.accepted?.fingerprint, first.fpr);
    assert.equal(state.accepted?.how, 'first-seen');
    assert.deepEqual(await choice(keyring), { key: state.keys[0] });

    await importCert(keyring, second.armored, 'autocrypt');
    const changed = await choice(keyring);
    assert.deepEqual(changed, {
      changed: { address: BOB, known: first.fpr, new: second.fpr, knownVerified: false, successor: null, knownProblem: null },
    });
    assert.equal((await keyring.addressState(BOB)).accepted?.fingerprint, first.fpr, 'the import alone changes nothing');

    // Seen again later (imported once more): still not in use.
    await importCert(keyring, second.armored, 'wkd');
    assert.ok('changed' in (await choice(keyring)));
    const keys = (await keyring.addressState(BOB)).keys;
    assert.deepEqual(
      keys.map((k) => [k.fingerprint, k.sources]),
      [
        [first.fpr, ['file']],
        [second.fpr, ['autocrypt', 'wkd']],
      ],
    );
    assert.ok(Date.parse(keys[1]!.lastSeen) > Date.parse(keys[1]!.firstSeen));

    // The error compose and send stop with: the address and both fingerprints, as data.
    const e = keyChangedError((changed as { changed: Parameters<typeof keyChangedError>[0] }).changed);
    assert.ok(e instanceof SealpostError && e.is('key-changed'));
    assert.deepEqual(e.details, { address: BOB, known: first.fpr, new: second.fpr, knownVerified: false, successor: null });
    assert.match(e.message, new RegExp(`${first.fpr}.*${second.fpr}.*keys accept ${BOB}`));
  } finally {
    cleanup();
  }
});

test('accepting a key makes it the one in use; a third key later is a change again; the record survives a new keyring process', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const [a, b, c] = await Promise.all([1, 2, 3].map((i) => certFor({ name: `Bob ${i}`, email: BOB })));
    await importCert(keyring, a!.armored);
    await importCert(keyring, b!.armored);
    const accepted = await keyring.accept(BOB, b!.fpr);
    assert.equal(accepted.accepted?.fingerprint, b!.fpr);
    assert.equal(accepted.accepted?.how, 'accepted');
    await sleep(5);
    const again = new Keyring(new KeyStore(home));
    const chosen = await choice(again);
    assert.ok('key' in chosen && chosen.key.fingerprint === b!.fpr);

    await importCert(again, c!.armored);
    assert.deepEqual(await choice(again), {
      changed: { address: BOB, known: b!.fpr, new: c!.fpr, knownVerified: false, successor: null, knownProblem: null },
    });
    // Keeping the earlier key is a choice too.
    await again.accept(BOB, b!.fpr);
    const kept = await choice(again);
    assert.ok('key' in kept && kept.key.fingerprint === b!.fpr);

    // A key without the address cannot be accepted for it.
    const other = await certFor({ name: 'Carol', email: 'carol@example.org' });
    await importCert(again, other.armored);
    await assert.rejects(again.accept(BOB, other.fpr), (e: unknown) => e instanceof SealpostError && e.code === 'bad-input');
    await assert.rejects(again.accept(BOB, 'F'.repeat(40)), (e: unknown) => e instanceof SealpostError && e.code === 'key-not-found');
  } finally {
    cleanup();
  }
});

test('a verified key that changes: the change says so; verifying a key chooses it', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const [a, b] = await Promise.all([1, 2].map((i) => certFor({ name: `Bob ${i}`, email: BOB })));
    await importCert(keyring, a!.armored);
    const verified = await keyring.setTrust(a!.fpr, 'verified', 'fingerprint');
    assert.equal(verified.verification?.how, 'fingerprint', 'how it was verified is kept');
    assert.ok(Math.abs(Date.parse(verified.verification.at) - Date.now()) < 60_000, 'and when');
    assert.equal((await keyring.addressState(BOB)).accepted?.how, 'verified');
    await sleep(5);
    await importCert(keyring, b!.armored);
    assert.deepEqual(await choice(keyring), {
      changed: { address: BOB, known: a!.fpr, new: b!.fpr, knownVerified: true, successor: null, knownProblem: null },
    });
    await keyring.setTrust(b!.fpr, 'verified');
    const now = await choice(keyring);
    assert.ok('key' in now && now.key.fingerprint === b!.fpr, 'verifying the new key chose it');
    assert.equal(now.key.verification?.how, 'command-line');
    assert.equal((await keyring.setTrust(a!.fpr, 'unverified')).verification, undefined, 'no verification kept once unverified');
  } finally {
    cleanup();
  }
});

test('the key in use revoked or expired while another is usable: a key change, never a silent switch', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const [a, b] = await Promise.all([1, 2].map((i) => certFor({ name: `Bob ${i}`, email: BOB })));
    await importCert(keyring, a!.armored);
    await keyring.accept(BOB, a!.fpr);
    await sleep(5);
    await importCert(keyring, b!.armored);
    await keyring.accept(BOB, a!.fpr); // the user kept the earlier key
    assert.ok('key' in (await choice(keyring)));
    const { privateKey: revoked } = await openpgp.revokeKey({ key: a!.key, format: 'object' });
    await importCert(keyring, revoked.toPublic().armor());
    assert.deepEqual(await choice(keyring), {
      changed: { address: BOB, known: a!.fpr, new: b!.fpr, knownVerified: false, successor: null, knownProblem: 'revoked' },
    });
    // The change says the earlier key is no choice any more (the composer then offers only the new one).
    await keyring.accept(BOB, a!.fpr);
    const again = await choice(keyring);
    assert.ok('changed' in again && again.changed.knownProblem === 'revoked');
    // Only unusable keys: no key, as before.
    await keyring.delete(b!.fpr, false);
    const none = await choice(keyring);
    assert.ok('problem' in none && /revoked/.test(none.problem));
  } finally {
    cleanup();
  }
});

test('a keyring written before addresses were kept: one key is used; several are a change until chosen; a new key is compared with the first', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const [a, b, c] = await Promise.all([1, 2, 3].map((i) => certFor({ name: `Bob ${i}`, email: BOB })));
    await importCert(keyring, a!.armored);
    await importCert(keyring, b!.armored);
    // Take the address record out, as an older version wrote meta.json.
    const dir = join(home, 'keyring', readFileSync(join(home, 'keyring', 'CURRENT'), 'utf8').trim());
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { addresses?: unknown };
    delete meta.addresses;
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    assert.ok(readdirSync(dir).includes('meta.json'));

    const old = new Keyring(new KeyStore(home));
    assert.equal((await old.addressState(BOB)).accepted, null);
    assert.deepEqual(await choice(old), {
      changed: { address: BOB, known: a!.fpr, new: b!.fpr, knownVerified: false, successor: null, knownProblem: null },
    });
    await importCert(old, c!.armored);
    const state = await old.addressState(BOB);
    assert.equal(state.accepted?.fingerprint, a!.fpr, 'the key that was there first');
    assert.deepEqual(await choice(old), {
      changed: { address: BOB, known: a!.fpr, new: c!.fpr, knownVerified: false, successor: null, knownProblem: null },
    });
  } finally {
    cleanup();
  }
});

test('a successor: a new key certified by the earlier one, or the earlier one revoked as superseded, is said to be one; the user still chooses', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const [a, b, stranger] = await Promise.all([
      certFor({ name: 'Bob', email: BOB }),
      certFor({ name: 'Bob new', email: BOB }),
      certFor({ name: 'Eve', email: 'eve@example.org' }),
    ]);
    await importCert(keyring, a.armored);
    // Bob certifies his new key with his old one, as `gpg --sign-key` does.
    const vouched = await b.key.toPublic().signAllUsers([a.key]);
    await importCert(keyring, vouched.armor());
    const state = await keyring.addressState(BOB);
    assert.deepEqual(state.keys.find((k) => k.fingerprint === b.fpr)?.certifiedBy, [a.fpr]);
    assert.deepEqual(state.keys.find((k) => k.fingerprint === a.fpr)?.certifiedBy, []);
    assert.deepEqual(await choice(keyring), {
      changed: { address: BOB, known: a.fpr, new: b.fpr, knownVerified: false, successor: 'certified', knownProblem: null },
    });
    const e = keyChangedError((chooseRecipientKey(state) as { changed: Parameters<typeof keyChangedError>[0] }).changed);
    assert.equal(e.details.successor, 'certified');
    assert.match(e.message, /certified by the earlier key/);

    // A certification by a key that does not carry the address says nothing.
    const other = new Keyring(new KeyStore(tempHomeDir()));
    await importCert(other, a.armored);
    await importCert(other, stranger.armored);
    await importCert(other, (await b.key.toPublic().signAllUsers([stranger.key])).armor());
    assert.deepEqual(await choice(other), {
      changed: { address: BOB, known: a.fpr, new: b.fpr, knownVerified: false, successor: null, knownProblem: null },
    });

    // The earlier key revoked as superseded.
    const third = new Keyring(new KeyStore(tempHomeDir()));
    await importCert(third, a.armored);
    await importCert(third, b.armored);
    const { privateKey: superseded } = await openpgp.revokeKey({
      key: a.key,
      reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keySuperseded, string: 'moved to a new key' },
      format: 'object',
    });
    await importCert(third, superseded.toPublic().armor());
    const after = await third.addressState(BOB);
    assert.equal(after.keys.find((k) => k.fingerprint === a.fpr)?.revocationReason, 'superseded');
    assert.deepEqual(await choice(third), {
      changed: { address: BOB, known: a.fpr, new: b.fpr, knownVerified: false, successor: 'superseded', knownProblem: 'revoked' },
    });

    // Revoked as compromised: no successor.
    const fourth = new Keyring(new KeyStore(tempHomeDir()));
    await importCert(fourth, a.armored);
    await importCert(fourth, b.armored);
    const { privateKey: compromised } = await openpgp.revokeKey({
      key: a.key,
      reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keyCompromised },
      format: 'object',
    });
    await importCert(fourth, compromised.toPublic().armor());
    assert.equal((await fourth.addressState(BOB)).keys.find((k) => k.fingerprint === a.fpr)?.revocationReason, 'compromised');
    assert.deepEqual(await choice(fourth), {
      changed: { address: BOB, known: a.fpr, new: b.fpr, knownVerified: false, successor: null, knownProblem: 'revoked' },
    });
  } finally {
    cleanup();
    for (const c of extraHomes.splice(0)) c();
  }
});

const extraHomes: (() => void)[] = [];
function tempHomeDir(): string {
  const { home, cleanup } = tempHome();
  extraHomes.push(cleanup);
  return home;
}
