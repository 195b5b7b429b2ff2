import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { SealpostError } from '../../app/errors.ts';
import { tempHome, keyringAt, keyringSnapshot } from '../support/keyring.ts';
import { ALICE_SECRET, ALICE_FPR, BOB_PUBLIC, BOB_FPR, BOB_REVOCATION, tbKey } from '../support/fixtures.ts';

async function rejects(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof SealpostError, `expected a SealpostError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('import', () => {
  test('real keys from other clients: public, secret with passphrase, RSA, gnu-dummy primary, revoked, expired', async () => {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      const cases: Array<
        [string, string, Partial<{ hasSecret: boolean; canEncrypt: boolean; canSign: boolean; revoked: boolean; algorithm: string }>]
      > = [
        [
          'alice@openpgp.example-0xf231550c4f47e38e-secret-with-pp.asc',
          ALICE_FPR,
          { hasSecret: true, canEncrypt: true, canSign: true, algorithm: 'ed25519' },
        ],
        ['bob@openpgp.example-0xfbfcc82a015e7330-pub.asc', BOB_FPR, { hasSecret: false, canEncrypt: true, algorithm: 'rsa3072' }],
        ['ofelia-secret-subkeys.asc', '5775D7801AF6AE29FB28F75097DCDA5E56EBB822', { hasSecret: true, canEncrypt: true, canSign: true }],
        ['kylie-0x1AABD9FAD1E411DD-secret-subkeys.asc', 'F490898E979061DB327A71871AABD9FAD1E411DD', { hasSecret: true }],
        [
          'carol@pgp.icu-0xEF2FD01608AFD744-revoked-secret.asc',
          'AD2FA42B12943598D9EFBE2FEF2FD01608AFD744',
          { revoked: true, canEncrypt: false },
        ],
        [
          'eddie@openpgp.example-0x15e9357d2c2395c0-pub.asc',
          '4CC3798FDDF4D0BB147CDC2E15E9357D2C2395C0',
          { canEncrypt: false, canSign: false },
        ],
        ['expired-enc-subkey.pub.asc', '8085AAE2A34DBF7FEF21F7E2B92261CE78F6208E', { canEncrypt: false, canSign: true }],
        ['key-with-utf8-comment.asc', '72514F43D0060FC588E80238852C55E6D2AFD7EF', { canEncrypt: true }],
      ];
      for (const [file, fpr, expected] of cases) {
        const { changed, problems } = await keyring.import(readFileSync(tbKey(file)), 'file');
        assert.deepEqual(problems, [], file);
        assert.equal(changed.length, 1, file);
        const summary = changed[0]!;
        assert.equal(summary.fingerprint, fpr, file);
        assert.equal(summary.keyId, fpr.slice(-16));
        for (const [k, v] of Object.entries(expected)) assert.equal(summary[k as keyof typeof summary], v, `${file}: ${k}`);
      }
      const eddie = await keyring.show('eddie@openpgp.example');
      assert.equal(eddie.expires, '2016-12-31T01:02:31.000Z');
      assert.equal((await keyring.list()).length, cases.length);
    } finally {
      cleanup();
    }
  });

  test('a key already present is merged, never duplicated: new user ids are added', async () => {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      await keyring.import(readFileSync(tbKey('D4ED849BCD779DFC-before-new-identity.asc')), 'file');
      assert.deepEqual((await keyring.list())[0]!.emails, ['test1@example.com']);
      const again = await keyring.import(readFileSync(tbKey('D4ED849BCD779DFC-before-new-identity.asc')), 'file');
      assert.equal(again.changed.length, 0, 'the same key again changes nothing');
      const merged = await keyring.import(readFileSync(tbKey('D4ED849BCD779DFC-after-new-identity.asc')), 'autocrypt');
      assert.equal(merged.changed.length, 1);
      const list = await keyring.list();
      assert.equal(list.length, 1);
      assert.deepEqual(list[0]!.emails.sort(), ['test1@example.com', 'test2@example.com']);
      assert.deepEqual(list[0]!.sources, ['file', 'autocrypt']);
    } finally {
      cleanup();
    }
  });

  test('a secret key imported over its public key keeps both, still protected', async () => {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      const alice = await openpgp.readPrivateKey({ armoredKey: readFileSync(ALICE_SECRET, 'utf8') });
      await keyring.import(new TextEncoder().encode(alice.toPublic().armor()), 'file');
      assert.equal((await keyring.show(ALICE_FPR)).hasSecret, false);
      await keyring.import(readFileSync(ALICE_SECRET), 'file');
      assert.equal((await keyring.show(ALICE_FPR)).hasSecret, true);
      const exported = await openpgp.readPrivateKey({ armoredKey: await keyring.export(ALICE_FPR, { secret: true, minimal: false }) });
      assert.equal(exported.isDecrypted(), false, 'the secret key stays passphrase-protected');
    } finally {
      cleanup();
    }
  });

  test('many keys in one file, binary or armored; a bad one is reported and the good ones imported', async () => {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      const a = await openpgp.readKey({ armoredKey: readFileSync(BOB_PUBLIC, 'utf8') });
      const b = await openpgp.readKey({ armoredKey: readFileSync(tbKey('carol@example.com-0x3099ff1238852b9f-pub.asc'), 'utf8') });
      const binary = Buffer.concat([a.write(), b.write()]);
      const outcome = await keyring.import(binary, 'file');
      assert.equal(outcome.changed.length, 2);

      const broken = readFileSync(tbKey('apple-pub.asc'), 'utf8');
      const mixed = `${readFileSync(tbKey('eddie@openpgp.example-0x15e9357d2c2395c0-pub.asc'), 'utf8')}\n${broken}`;
      const partial = await keyring.import(new TextEncoder().encode(mixed), 'file');
      assert.equal(partial.changed.length, 1);
      assert.equal(partial.problems.length, 1);
      assert.match(partial.problems[0]!.message, /armor block 2/);
    } finally {
      cleanup();
    }
  });

  test('a revocation certificate alone revokes the key it names', async () => {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      await keyring.import(readFileSync(BOB_PUBLIC), 'file');
      assert.equal((await keyring.show(BOB_FPR)).revoked, false);
      const { changed } = await keyring.import(readFileSync(BOB_REVOCATION), 'file');
      assert.equal(changed[0]?.fingerprint, BOB_FPR);
      const bob = await keyring.show(BOB_FPR);
      assert.equal(bob.revoked, true);
      assert.equal(bob.canEncrypt, false);
    } finally {
      cleanup();
    }
  });

  test('a revocation certificate for a key we do not have is refused and changes nothing', async () => {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      await keyring.import(readFileSync(ALICE_SECRET), 'file');
      const before = keyringSnapshot(home);
      await rejects(keyring.import(readFileSync(BOB_REVOCATION), 'file'), 'key-not-revocation');
      assert.equal(keyringSnapshot(home), before);
    } finally {
      cleanup();
    }
  });
});

describe('bad input is refused with a clear error and changes nothing', () => {
  const armoredBob = readFileSync(BOB_PUBLIC, 'utf8');

  async function refused(input: Uint8Array, code: string, pattern: RegExp) {
    const { home, cleanup } = tempHome();
    try {
      const { keyring } = keyringAt(home);
      await keyring.import(readFileSync(ALICE_SECRET), 'file');
      const before = keyringSnapshot(home);
      await rejects(keyring.import(input, 'file'), code, pattern);
      assert.equal(keyringSnapshot(home), before, 'the keyring is as it was');
      assert.equal((await keyring.list()).length, 1);
    } finally {
      cleanup();
    }
  }

  test('truncated armor', async () => {
    await refused(new TextEncoder().encode(armoredBob.slice(0, armoredBob.length / 2)), 'key-unparseable', /truncated/);
  });

  test('bad armor checksum', async () => {
    const lines = armoredBob.split('\n');
    const i = lines.findIndex((l) => /^=[A-Za-z0-9+/]{4}$/.test(l));
    assert.ok(i > 0, 'the fixture has a checksum line');
    lines[i] = lines[i] === '=AAAA' ? '=BBBB' : '=AAAA';
    await refused(new TextEncoder().encode(lines.join('\n')), 'key-unparseable', /checksum|armor/i);
  });

  test('random bytes', async () => {
    // A first byte with the high bit clear starts neither armor nor an OpenPGP packet (RFC 9580, section 4.2).
    await refused(Buffer.concat([Buffer.from([0x00]), randomBytes(4095)]), 'key-unparseable', /neither ASCII-armored nor binary/);
  });

  test('an empty file', async () => {
    await refused(new Uint8Array(0), 'key-unparseable', /empty/);
  });

  test('an OpenPGP message instead of a key', async () => {
    const message = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'hi' }), passwords: ['x'] });
    await refused(new TextEncoder().encode(message), 'key-unparseable', /MESSAGE/);
  });

  test('a 50 MB file that is no key is refused quickly', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x41);
    const started = Date.now();
    await refused(big, 'key-unparseable', /neither/);
    assert.ok(Date.now() - started < 10_000, 'no pathological parsing');
  });

  test('a key whose self-signature is broken', async () => {
    const key = await openpgp.readKey({ armoredKey: armoredBob });
    const packets = key.toPacketList();
    const bytes = Buffer.from(packets.write());
    // Flip a byte inside the last MPI of the user id self-signature (the one after the user id packet).
    const uidOffset = bytes.indexOf(Buffer.from('Bob Babbage <bob@openpgp.example>'));
    const sigStart = uidOffset + 'Bob Babbage <bob@openpgp.example>'.length;
    const sigLength = bytes[sigStart + 1]! < 192 ? bytes[sigStart + 1]! : ((bytes[sigStart + 1]! - 192) << 8) + bytes[sigStart + 2]! + 192;
    const target = sigStart + Math.min(sigLength, 300) - 10;
    bytes[target] = bytes[target]! ^ 0xff;
    await refused(bytes, 'key-bad-self-signature', /no valid self-signature/);
  });

  test('a v5 key (a format this version does not read) is refused by name', async () => {
    await refused(readFileSync(tbKey('alice-v5-pub.asc')), 'key-unsupported', /v5/);
  });
});
