import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { SealpostError } from '../../app/errors.ts';
import { startKeyringWorker, type RunningKeyring } from '../../main/keyring-host/worker-keyring.ts';
import { tempHome, bytes, collectStream, streamOf } from '../support/keyring.ts';
import {
  ALICE_SECRET,
  ALICE_FPR,
  ALICE_PASSPHRASE,
  BOB_PUBLIC,
  BOB_SECRET,
  BOB_FPR,
  tbKey,
  armoredMessageIn,
} from '../support/fixtures.ts';

let kr: RunningKeyring;
let home: ReturnType<typeof tempHome>;
let own: string;

before(async () => {
  home = tempHome();
  kr = startKeyringWorker(home.home);
  await kr.client.call('keys.import', { data: readFileSync(ALICE_SECRET), source: 'file' });
  await kr.client.call('keys.import', { data: readFileSync(BOB_PUBLIC), source: 'file' });
  own = (await kr.client.call('keys.generate', { name: 'Own', email: 'own@example.org', expiresInSeconds: null, passphrase: 'own-pass' }))
    .fingerprint;
});
after(async () => {
  await kr.close();
  home.cleanup();
});

const isCode = (code: string) => (e: unknown) => e instanceof SealpostError && e.code === code;

describe('encrypt and decrypt through the keyring worker', () => {
  test('to several recipients plus the sender, signed; decrypts and verifies as typed values', async () => {
    await kr.client.call('session.unlock', { fingerprint: own, passphrase: 'own-pass' });
    const plaintext = bytes('Grüße, Ωμέγα — 你好\n');
    const enc = await kr.client.collect(
      'crypto.encrypt',
      { recipients: { refs: ['alice@openpgp.example', 'bob@openpgp.example', own] }, signers: { refs: [own] } },
      plaintext,
    );
    assert.match(enc.output.toString(), /^-----BEGIN PGP MESSAGE-----/);
    assert.equal(enc.result.recipients.length, 3);
    const dec = await kr.client.collect('crypto.decrypt', { useStoredKeys: true, useStoredCerts: true }, enc.output);
    assert.equal(dec.result.status, 'decrypted');
    assert.deepEqual(dec.output, Buffer.from(plaintext));
    if (dec.result.status !== 'decrypted') return;
    assert.equal(dec.result.integrity, 'mdc');
    assert.equal(dec.result.recipients.length, 3);
    assert.equal(dec.result.verifications.length, 1);
    const v = dec.result.verifications[0]!;
    assert.equal(v.status, 'valid');
    assert.equal(v.status === 'valid' && v.signer.fingerprint, own);
    await kr.client.call('session.lock', {});
  });

  test('a locked key is reported as needing its passphrase, and a wrong one as wrong', async () => {
    const enc = await kr.client.collect('crypto.encrypt', { recipients: { refs: [ALICE_FPR] } }, bytes('for alice'));
    const locked = await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, enc.output);
    assert.equal(locked.result.status, 'needs-passphrase');
    assert.equal(locked.output.length, 0);
    await assert.rejects(kr.client.call('session.unlock', { fingerprint: ALICE_FPR, passphrase: 'nope' }), (e: unknown) => {
      assert.ok(isCode('key-wrong-passphrase')(e));
      assert.deepEqual((e as SealpostError).details, { fingerprint: ALICE_FPR });
      return true;
    });
    // Signing with the locked key: the error names it in its details, for the prompt to ask for that key.
    await assert.rejects(
      kr.client.collect('crypto.sign', { mode: 'detached', signers: { refs: [ALICE_FPR] } }, bytes('x')),
      (e: unknown) => {
        assert.ok(isCode('key-passphrase-required')(e));
        assert.deepEqual((e as SealpostError).details, { fingerprints: [ALICE_FPR] });
        return true;
      },
    );
    const withPass = await kr.client.collect('crypto.decrypt', { useStoredKeys: true, keyPasswords: [ALICE_PASSPHRASE] }, enc.output);
    assert.equal(withPass.result.status, 'decrypted');
    assert.equal(withPass.output.toString(), 'for alice');
  });

  test('the unlocked-key session: unlock, time limit, lock now', async () => {
    const enc = await kr.client.collect('crypto.encrypt', { recipients: { refs: [ALICE_FPR] } }, bytes('session'));
    const { expiresAt } = await kr.client.call('session.unlock', { fingerprint: ALICE_FPR, passphrase: ALICE_PASSPHRASE, ttlSeconds: 1 });
    assert.ok(expiresAt > Date.now());
    assert.equal((await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, enc.output)).result.status, 'decrypted');
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(
      (await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, enc.output)).result.status,
      'needs-passphrase',
      'the time limit locked it',
    );
    await kr.client.call('session.unlock', { fingerprint: ALICE_FPR, passphrase: ALICE_PASSPHRASE });
    assert.equal((await kr.client.call('session.list', {})).length, 1);
    await kr.client.call('session.lock', {});
    assert.deepEqual(await kr.client.call('session.list', {}), []);
    assert.equal((await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, enc.output)).result.status, 'needs-passphrase');
  });

  test('a message for someone else is no-key', async () => {
    const carol = readFileSync(tbKey('carol@example.com-0x3099ff1238852b9f-pub.asc'));
    const enc = await kr.client.collect('crypto.encrypt', { recipients: { material: [carol] } }, bytes('for carol'));
    const dec = await kr.client.collect('crypto.decrypt', { useStoredKeys: true, keyPasswords: [ALICE_PASSPHRASE] }, enc.output);
    assert.equal(dec.result.status, 'no-key');
  });

  test('unusable recipients are refused, naming the key and the reason', async () => {
    const expired = readFileSync(tbKey('eddie@openpgp.example-0x15e9357d2c2395c0-pub.asc'));
    await assert.rejects(kr.client.collect('crypto.encrypt', { recipients: { material: [expired] } }, bytes('x')), (e: unknown) => {
      assert.ok(isCode('key-unusable-recipient')(e));
      assert.match(
        (e as Error).message,
        /4CC3798FDDF4D0BB147CDC2E15E9357D2C2395C0 \(Eddie Expired <eddie@openpgp.example>\) expired on 2016-12-31/,
      );
      assert.deepEqual((e as SealpostError).details, { fingerprint: '4CC3798FDDF4D0BB147CDC2E15E9357D2C2395C0', reason: 'expired' });
      return true;
    });
    const revoked = readFileSync(tbKey('carol@pgp.icu-0xEF2FD01608AFD744-revoked-secret.asc'));
    await assert.rejects(
      kr.client.collect('crypto.encrypt', { recipients: { material: [revoked] } }, bytes('x')),
      (e: unknown) =>
        isCode('key-unusable-recipient')(e) &&
        /revoked/.test((e as Error).message) &&
        (e as SealpostError<'key-unusable-recipient'>).details.reason === 'revoked',
    );
    const signOnly = readFileSync(tbKey('sign-subkey-only-pub.asc'));
    await assert.rejects(
      kr.client.collect('crypto.encrypt', { recipients: { material: [signOnly] } }, bytes('x')),
      (e: unknown) =>
        isCode('key-unusable-recipient')(e) &&
        /no valid encryption subkey/.test((e as Error).message) &&
        (e as SealpostError<'key-unusable-recipient'>).details.reason === 'no-encryption-subkey',
    );
  });

  test('password-encrypted messages', async () => {
    const enc = await kr.client.collect('crypto.encrypt', { passwords: ['hunter2'] }, bytes('by password'));
    const dec = await kr.client.collect('crypto.decrypt', { passwords: ['hunter2'] }, enc.output);
    assert.equal(dec.result.status, 'decrypted');
    assert.equal(dec.output.toString(), 'by password');
    const wrong = await kr.client.collect('crypto.decrypt', { passwords: ['hunter3'] }, enc.output);
    assert.notEqual(wrong.result.status, 'decrypted');
    assert.equal(wrong.output.length, 0);
  });

  test('a 20 MB stream goes through the port in chunks and comes back intact', { timeout: 120_000 }, async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const digest = createHash('sha256').update(data).digest('hex');
    const enc = kr.client.stream('crypto.encrypt', { recipients: { refs: [own] }, armor: false }, streamOf(data));
    const ciphertext = await collectStream(enc.output);
    await enc.result;
    await kr.client.call('session.unlock', { fingerprint: own, passphrase: 'own-pass' });
    const dec = kr.client.stream('crypto.decrypt', { useStoredKeys: true }, streamOf(ciphertext));
    const plain = await collectStream(dec.output);
    assert.equal((await dec.result).status, 'decrypted');
    assert.equal(createHash('sha256').update(plain).digest('hex'), digest);
    await kr.client.call('session.lock', {});
  });
});

describe('integrity: no plaintext from data that lacks or fails integrity protection', () => {
  test('a message without MDC (SED packet, Thunderbird fixture) is refused', async () => {
    const { home: h, cleanup } = tempHome();
    const bob = startKeyringWorker(h);
    try {
      await bob.client.call('keys.import', { data: readFileSync(BOB_SECRET), source: 'file' });
      const dec = await bob.client.collect('crypto.decrypt', { useStoredKeys: true }, bytes(armoredMessageIn('rc-openpgp-nomdc.eml')));
      assert.equal(dec.result.status, 'failed-integrity');
      assert.equal(dec.result.status === 'failed-integrity' && dec.result.reason, 'no-integrity');
      assert.equal(dec.output.length, 0);
      const good = await bob.client.collect('crypto.decrypt', { useStoredKeys: true }, bytes(armoredMessageIn('rc-openpgp-mdc.eml')));
      assert.equal(good.result.status, 'decrypted', 'the same setup decrypts the MDC-protected variant');
    } finally {
      await bob.close();
      cleanup();
    }
  });

  test('a tampered MDC message (Thunderbird fixture) yields no plaintext', async () => {
    const { home: h, cleanup } = tempHome();
    const bob = startKeyringWorker(h);
    try {
      await bob.client.call('keys.import', { data: readFileSync(BOB_SECRET), source: 'file' });
      const dec = await bob.client.collect(
        'crypto.decrypt',
        { useStoredKeys: true },
        bytes(armoredMessageIn('rc-openpgp-mdc-tampered.eml')),
      );
      assert.notEqual(dec.result.status, 'decrypted');
      assert.equal(dec.output.length, 0);
    } finally {
      await bob.close();
      cleanup();
    }
  });

  test('a bit flipped in a 12 MB ciphertext (past the in-memory spool) releases nothing', { timeout: 120_000 }, async () => {
    const data = randomBytes(12 * 1024 * 1024);
    const enc = await kr.client.collect('crypto.encrypt', { recipients: { refs: [ALICE_FPR] }, armor: false }, data);
    const tampered = Buffer.from(enc.output);
    tampered[tampered.length - 4096]! ^= 0x01;
    const dec = await kr.client.collect('crypto.decrypt', { useStoredKeys: true, keyPasswords: [ALICE_PASSPHRASE] }, tampered);
    assert.equal(dec.result.status, 'failed-integrity');
    assert.equal(dec.output.length, 0);
  });

  test('an AEAD (SEIPDv2) message decrypts and reports aead integrity', async () => {
    const message = await openpgp.encrypt({
      message: await openpgp.createMessage({ text: 'aead' }),
      passwords: ['pw'],
      config: { aeadProtect: true },
    });
    const dec = await kr.client.collect('crypto.decrypt', { passwords: ['pw'] }, bytes(message));
    assert.equal(dec.result.status, 'decrypted');
    assert.equal(dec.result.status === 'decrypted' && dec.result.integrity, 'aead');
  });

  test('a decompression bomb stops at the output limit', async () => {
    const zeros = new Uint8Array(16 * 1024 * 1024);
    const message = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: zeros }),
      passwords: ['bomb'],
      format: 'binary',
      config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib },
    });
    assert.ok(message.length < 100_000, `compressed to ${message.length} bytes`);
    const dec = await kr.client.collect('crypto.decrypt', { passwords: ['bomb'], maxOutputBytes: 1024 * 1024 }, message);
    assert.equal(dec.result.status, 'too-large');
    assert.equal(dec.output.length, 0);
  });

  test('garbage is malformed, not a crash', async () => {
    // Text, and binary that is no OpenPGP packet: the first byte has bit 7 clear (RFC 9580 section 4.2).
    // (A random tail after a tag byte is not used here: it can parse as a packet, e.g. a PKESK, and then honestly be no-key.)
    for (const garbage of [bytes('this is not OpenPGP data\n'), Buffer.concat([Buffer.from([0x3f]), Buffer.alloc(2047, 0x5a)])]) {
      const dec = await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, garbage);
      assert.equal(dec.result.status, 'malformed');
    }
    // Random bytes may happen to start like a packet (an SED packet, say): whatever they parse as, nothing comes out.
    for (let i = 0; i < 20; i++) {
      const dec = await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, randomBytes(2048));
      assert.notEqual(dec.result.status, 'decrypted');
      assert.equal(dec.output.length, 0);
    }
  });
});

describe('signatures', () => {
  test('detached, inline and cleartext signatures verify; a changed byte is invalid; an unknown signer is unknown-key', async () => {
    await kr.client.call('session.unlock', { fingerprint: ALICE_FPR, passphrase: ALICE_PASSPHRASE });
    const data = bytes('signed text\nwith two lines\n');
    const detached = await kr.client.collect('crypto.sign', { mode: 'detached', signers: { refs: [ALICE_FPR] } }, data);
    assert.match(detached.result.micalg, /^pgp-sha(256|512)$/);
    const good = await kr.client.collect('crypto.verify', { signature: detached.output, useStoredCerts: true }, data);
    assert.equal(good.result.verifications[0]?.status, 'valid');
    const bad = await kr.client.collect(
      'crypto.verify',
      { signature: detached.output, useStoredCerts: true },
      bytes('signed text\nwith two lineS\n'),
    );
    assert.equal(bad.result.verifications[0]?.status, 'invalid');
    const unknown = await kr.client.collect(
      'crypto.verify',
      { signature: detached.output, verifyWith: { material: [readFileSync(BOB_PUBLIC)] } },
      data,
    );
    assert.equal(unknown.result.verifications[0]?.status, 'unknown-key');

    for (const mode of ['inline', 'cleartext'] as const) {
      const signed = await kr.client.collect('crypto.sign', { mode, signers: { refs: [ALICE_FPR] } }, data);
      const verified = await kr.client.collect('crypto.verify', { useStoredCerts: true, requireValid: true }, signed.output);
      assert.equal(verified.result.verifications[0]?.status, 'valid', mode);
      assert.equal(verified.output.toString().replace(/\r\n/g, '\n').trimEnd(), 'signed text\nwith two lines', mode);
    }
    await kr.client.call('session.lock', {});
  });

  test('a revoked key cannot sign and an expired one is refused by name', async () => {
    const carol = readFileSync(tbKey('carol@pgp.icu-0xEF2FD01608AFD744-revoked-secret.asc'));
    await assert.rejects(
      kr.client.collect('crypto.sign', { mode: 'detached', signers: { material: [carol] } }, bytes('x')),
      isCode('key-cannot-sign'),
    );
  });
});

describe('the port protocol', () => {
  test('requests that do not match the contract are refused by the keyring as values', async () => {
    await assert.rejects(kr.client.call('keys.list', { secret: 'yes' } as never), isCode('protocol-invalid'));
    await assert.rejects(kr.client.call('keys.show', { query: BOB_FPR, extra: 1 } as never), isCode('protocol-invalid'));
    await assert.rejects(kr.client.call('nope.method' as never, {} as never), isCode('protocol-invalid'));
    assert.equal((await kr.client.call('keys.show', { query: BOB_FPR })).fingerprint, BOB_FPR, 'and the keyring still answers');
  });
});

describe('sender copies', () => {
  test('encryptToSigners adds the signer as a recipient, once', async () => {
    await kr.client.call('session.unlock', { fingerprint: own, passphrase: 'own-pass' });
    const enc = await kr.client.collect(
      'crypto.encrypt',
      { recipients: { refs: [BOB_FPR, own] }, signers: { refs: [own] }, encryptToSigners: true },
      bytes('x'),
    );
    assert.deepEqual(enc.result.recipients.sort(), [BOB_FPR, own].sort());
    const enc2 = await kr.client.collect(
      'crypto.encrypt',
      { recipients: { refs: [BOB_FPR] }, signers: { refs: [own] }, encryptToSigners: true },
      bytes('x'),
    );
    assert.deepEqual(enc2.result.recipients.sort(), [BOB_FPR, own].sort());
    const dec = await kr.client.collect('crypto.decrypt', { useStoredKeys: true }, enc2.output);
    assert.equal(dec.result.status, 'decrypted', 'the sender reads its own copy');
    await kr.client.call('session.lock', {});
  });

  test('keys.inspect summarizes key material without storing it', async () => {
    const before = (await kr.client.call('keys.list', {})).length;
    const { keys } = await kr.client.call('keys.inspect', {
      data: readFileSync(tbKey('carol@example.com-0x3099ff1238852b9f-pub.asc')),
      source: 'wkd',
    });
    assert.equal(keys[0]?.fingerprint, 'B8F2F6F4BD3AD3F82DC446833099FF1238852B9F');
    assert.deepEqual(keys[0]?.sources, ['wkd']);
    assert.equal((await kr.client.call('keys.list', {})).length, before);
  });
});
