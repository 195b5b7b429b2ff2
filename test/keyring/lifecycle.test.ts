import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { SealpostError } from '../../app/errors.ts';
import { tempHome, keyringAt, keyringSnapshot } from '../support/keyring.ts';
import { ALICE_SECRET, ALICE_FPR, ALICE_PASSPHRASE, BOB_PUBLIC, BOB_FPR } from '../support/fixtures.ts';

const YEAR = 365 * 86_400;

test('generate: v4 Ed25519 + X25519 subkey, protected, 3-year default expiry, revocation certificate kept', async () => {
  const { home, cleanup } = tempHome();
  try {
    const { keyring } = keyringAt(home);
    const summary = await keyring.generate({
      name: 'Dana',
      email: 'dana@example.org',
      algo: 'curve25519',
      expiresInSeconds: 3 * YEAR,
      passphrase: 'correct horse',
    });
    assert.equal(summary.version, 4);
    assert.equal(summary.algorithm, 'ed25519');
    assert.deepEqual(summary.userIds, ['Dana <dana@example.org>']);
    assert.deepEqual(summary.sources, ['generated']);
    assert.ok(summary.canEncrypt && summary.canSign && summary.hasSecret);
    const expires = Date.parse(summary.expires!);
    assert.ok(Math.abs(expires - (Date.now() + 3 * YEAR * 1000)) < 120_000, summary.expires!);
    const shown = await keyring.show(summary.fingerprint);
    assert.equal(shown.subkeys?.length, 1);
    assert.equal(shown.subkeys[0]!.algorithm, 'cv25519');
    assert.ok(shown.subkeys[0]!.canEncrypt);
    const secret = await openpgp.readPrivateKey({
      armoredKey: await keyring.export(summary.fingerprint, { secret: true, minimal: false }),
    });
    assert.equal(secret.isDecrypted(), false, 'stored protected');
    await openpgp.decryptKey({ privateKey: secret, passphrase: 'correct horse' });
    const meta = JSON.parse(readFileSync(`${home}/keyring/${readFileSync(`${home}/keyring/CURRENT`, 'utf8').trim()}/meta.json`, 'utf8'));
    assert.match(meta.keys[summary.fingerprint].revocationCertificate, /BEGIN PGP PUBLIC KEY BLOCK/);
    // The stored revocation certificate revokes without the passphrase.
    const revoked = await keyring.revoke(summary.fingerprint, { reason: null, passphrase: null });
    assert.equal(revoked.revoked, true);
  } finally {
    cleanup();
  }
});

test('generate RSA 4096 with no expiry', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tempHome();
  try {
    const { keyring } = keyringAt(home);
    const summary = await keyring.generate({
      name: 'Rita',
      email: 'rita@example.org',
      algo: 'rsa4096',
      expiresInSeconds: null,
      passphrase: 'pw',
    });
    assert.equal(summary.algorithm, 'rsa4096');
    assert.equal(summary.expires, null);
  } finally {
    cleanup();
  }
});

test('revoke with a reason, change expiry, change passphrase, add a user id; wrong passphrase changes nothing', async () => {
  const { home, cleanup } = tempHome();
  try {
    const { keyring } = keyringAt(home);
    await keyring.import(readFileSync(ALICE_SECRET), 'file');

    const before = keyringSnapshot(home);
    await assert.rejects(
      keyring.setExpiry(ALICE_FPR, YEAR, 'wrong'),
      (e: unknown) => e instanceof SealpostError && e.is('key-wrong-passphrase') && e.details.fingerprint === ALICE_FPR,
    );
    await assert.rejects(
      keyring.changePassphrase(ALICE_FPR, 'wrong', 'new'),
      (e: unknown) => e instanceof SealpostError && e.code === 'key-wrong-passphrase',
    );
    await assert.rejects(
      keyring.revoke(ALICE_FPR, { reason: 'x', passphrase: 'wrong' }),
      (e: unknown) => e instanceof SealpostError && e.code === 'key-wrong-passphrase',
    );
    assert.equal(keyringSnapshot(home), before, 'a wrong passphrase changes nothing');

    const expiring = await keyring.setExpiry(ALICE_FPR, YEAR, ALICE_PASSPHRASE);
    assert.ok(Math.abs(Date.parse(expiring.expires!) - (Date.now() + YEAR * 1000)) < 120_000, expiring.expires!);
    const shown = await keyring.show(ALICE_FPR);
    assert.ok(
      shown.subkeys!.every((s) => s.expires !== null),
      'subkeys follow the new expiry',
    );
    assert.ok(shown.canEncrypt && shown.canSign, 'capabilities are kept');
    const never = await keyring.setExpiry(ALICE_FPR, null, ALICE_PASSPHRASE);
    assert.equal(never.expires, null);

    const withUid = await keyring.addUserId(ALICE_FPR, 'Alice L. <alice@example.net>', ALICE_PASSPHRASE);
    assert.deepEqual(withUid.emails.sort(), ['alice@example.net', 'alice@openpgp.example']);

    await keyring.changePassphrase(ALICE_FPR, ALICE_PASSPHRASE, 'new passphrase');
    const secret = await openpgp.readPrivateKey({ armoredKey: await keyring.export(ALICE_FPR, { secret: true, minimal: false }) });
    await assert.rejects(openpgp.decryptKey({ privateKey: secret, passphrase: ALICE_PASSPHRASE }));
    await openpgp.decryptKey({ privateKey: secret, passphrase: 'new passphrase' });

    const revoked = await keyring.revoke(ALICE_FPR, { reason: 'key retired', passphrase: 'new passphrase' });
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.canEncrypt, false);
    const cert = await openpgp.readKey({ armoredKey: await keyring.export(ALICE_FPR, { secret: false, minimal: false }) });
    assert.equal(cert.revocationSignatures[0]?.reasonForRevocationString, 'key retired');
  } finally {
    cleanup();
  }
});

test('trust, delete (a secret key only when asked), lookup by address and key id', async () => {
  const { home, cleanup } = tempHome();
  try {
    const { keyring } = keyringAt(home);
    await keyring.import(readFileSync(ALICE_SECRET), 'file');
    await keyring.import(readFileSync(BOB_PUBLIC), 'file');
    assert.equal((await keyring.setTrust(BOB_FPR, 'verified')).trust, 'verified');
    assert.equal((await keyring.show('BOB@openpgp.example'.replace('BOB', 'bob'))).fingerprint, BOB_FPR);
    assert.equal((await keyring.show('bob@OPENPGP.EXAMPLE')).fingerprint, BOB_FPR, 'the domain is case-insensitive');
    assert.equal((await keyring.show('0xFBFCC82A015E7330')).fingerprint, BOB_FPR);
    assert.equal((await keyring.show('d1a6 6e1a 23b1 82c9 980f  788c fbfc c82a 015e 7330')).fingerprint, BOB_FPR);
    await assert.rejects(
      keyring.show('nobody@example.org'),
      (e: unknown) => e instanceof SealpostError && e.is('key-not-found') && e.details.query === 'nobody@example.org',
    );
    await assert.rejects(
      keyring.delete(ALICE_FPR, false),
      (e: unknown) => e instanceof SealpostError && e.is('key-secret-exists') && e.details.fingerprint === ALICE_FPR,
    );
    await keyring.delete(BOB_FPR, false);
    await keyring.delete(ALICE_FPR, true);
    assert.deepEqual(await keyring.list(), []);
  } finally {
    cleanup();
  }
});

test('minimal export keeps only what encryption and verification need', async () => {
  const { home, cleanup } = tempHome();
  try {
    const { keyring } = keyringAt(home);
    const [heisenberg] = (
      await keyring.import(readFileSync(new URL('../fixtures/thunderbird/keys/heisenberg-signed-by-pinkman.asc', import.meta.url)), 'file')
    ).changed;
    const full = await openpgp.readKey({ armoredKey: await keyring.export(heisenberg!.fingerprint, { secret: false, minimal: false }) });
    const minimal = await openpgp.readKey({ armoredKey: await keyring.export(heisenberg!.fingerprint, { secret: false, minimal: true }) });
    assert.ok(
      full.users.some((u) => u.otherCertifications.length > 0),
      'the fixture carries a third-party certification',
    );
    assert.ok(minimal.users.every((u) => u.otherCertifications.length === 0));
    assert.equal(minimal.users.length, 1);
    assert.equal(minimal.users[0]!.selfCertifications.length, 1);
    assert.equal(minimal.getFingerprint(), full.getFingerprint());
    await minimal.getEncryptionKey();
    assert.ok(minimal.write().length < full.write().length);
  } finally {
    cleanup();
  }
});
