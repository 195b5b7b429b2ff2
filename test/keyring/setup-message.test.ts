import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { isSealpostError } from '../../app/errors.ts';
import { SETUP_CODE_FORMAT } from '../../app/setup-code.ts';
import { Keyring } from '../../keyring/keyring.ts';
import { createSetupPayload, generateSetupCode, importSetupPayload } from '../../keyring/setup-message.ts';
import { run } from '../support/process.ts';
import { keyringAt, keyringSnapshot, tempHome } from '../support/keyring.ts';

const SPEC_CODE = '1742-0185-6197-1303-7016-8412-3581-4441-0597';
const SPEC_FPR = 'EB85BB5FA33A75E15E944E63F231550C4F47E38E';
const SPEC_MESSAGE = new URL('../fixtures/autocrypt/example-setup-message.eml', import.meta.url);

/** gpg in a private home of its own; passwords go through files (never the command line), the symmetric cache off. */
async function withGpg<T>(
  fn: (gpg: (args: string[], stdin?: string | Uint8Array) => Promise<Buffer>, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-gpg-'));
  const gpg = async (args: string[], stdin: string | Uint8Array = '') => {
    const r = await run('gpg', ['--homedir', dir, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--no-symkey-cache', ...args], {
      cwd: dir,
      stdin,
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`gpg ${args.join(' ')} exited ${r.code}: ${r.stderr.toString()}`);
    return r.stdout;
  };
  try {
    return await fn(gpg, dir);
  } finally {
    await run('gpgconf', ['--homedir', dir, '--kill', 'all'], { cwd: dir, timeoutMs: 20_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

function rejectsWith(code: string) {
  return (e: unknown) => {
    assert.ok(isSealpostError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };
}

async function newKey(home: string, passphrase: string | null) {
  const ctx = keyringAt(home);
  const key = await ctx.keyring.generate({
    name: 'Erin',
    email: 'erin@example.org',
    algo: 'curve25519',
    expiresInSeconds: null,
    passphrase,
  });
  return { ctx, key };
}

test('the setup code: 36 digits from the CSPRNG in nine dashed blocks, uniform digits (bytes of 250 and above dropped)', () => {
  for (let i = 0; i < 50; i++) assert.match(generateSetupCode(), SETUP_CODE_FORMAT);
  // A source that only gives 255 and 9 yields nines: 255 is dropped, not folded onto 5.
  const skewed = (b: Uint8Array) => b.map((_, i) => (i % 2 ? 255 : 9));
  assert.equal(generateSetupCode(skewed).replace(/-/g, ''), '9'.repeat(36));
});

test('created by us, opened by GnuPG with the code: AES-128, iterated+salted S2K, the unprotected key with its prefer-encrypt header', async () => {
  const t = tempHome();
  try {
    const { ctx, key } = await newKey(t.home, 'key passphrase');
    await assert.rejects(
      createSetupPayload(ctx.keyring, { fingerprint: key.fingerprint, passphrase: 'wrong', preferEncrypt: 'mutual' }),
      rejectsWith('key-wrong-passphrase'),
    );
    await assert.rejects(
      createSetupPayload(ctx.keyring, { fingerprint: key.fingerprint, passphrase: null, preferEncrypt: 'mutual' }),
      rejectsWith('key-passphrase-required'),
    );
    const { armored, code } = await createSetupPayload(ctx.keyring, {
      fingerprint: key.fingerprint,
      passphrase: 'key passphrase',
      preferEncrypt: 'mutual',
    });
    assert.match(code, SETUP_CODE_FORMAT);
    const lines = armored.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      '-----BEGIN PGP MESSAGE-----',
      'Passphrase-Format: numeric9x4',
      `Passphrase-Begin: ${code.slice(0, 2)}`,
      '',
    ]);
    assert.ok(!armored.includes(code.replace(/-/g, '')) && !armored.includes(code), 'the code is not in the payload');

    const message = await openpgp.readMessage({ armoredMessage: armored });
    const packets = [...message.packets];
    assert.equal(packets.length, 2);
    assert.ok(packets[0] instanceof openpgp.SymEncryptedSessionKeyPacket);
    assert.ok(packets[1] instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket);
    const skesk = packets[0] as openpgp.SymEncryptedSessionKeyPacket & { version: number; s2k: { type: string } };
    assert.equal(skesk.version, 4);
    assert.equal(skesk.s2k.type, 'iterated');

    await withGpg(async (gpg, dir) => {
      const codeFile = join(dir, 'code');
      await writeFile(codeFile, `${code}\n`, { mode: 0o600 });
      await gpg(['--passphrase-file', codeFile, '--decrypt', '--output', join(dir, 'key.asc')], armored);
      const plain = await readFile(join(dir, 'key.asc'), 'utf8');
      assert.match(plain, /^-----BEGIN PGP PRIVATE KEY BLOCK-----\nAutocrypt-Prefer-Encrypt: mutual\n/);
      // Unprotected inside: openpgp.js reads it as decrypted.
      const inner = await openpgp.readPrivateKey({ armoredKey: plain });
      assert.equal(inner.isDecrypted(), true);
      await gpg(['--import', join(dir, 'key.asc')]);
      const listing = (await gpg(['--with-colons', '--list-secret-keys'])).toString();
      const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(listing)?.[1];
      assert.equal(fpr, key.fingerprint);
      assert.match(listing, /^sec:/m);

      // The cipher GnuPG saw: AES128 (algorithm 7), also in its packet dump.
      const dump = (await gpg(['--list-packets', '--passphrase-file', codeFile], armored)).toString();
      assert.match(dump, /symkey enc packet: version 4, cipher 7/);
    });
  } finally {
    t.cleanup();
  }
});

test('made by GnuPG in the specification format: imported with the code, protected with the new passphrase, source setup-message', async () => {
  const t = tempHome();
  try {
    const code = generateSetupCode();
    const armored = await withGpg(async (gpg, dir) => {
      const pass = join(dir, 'pass');
      await writeFile(pass, 'old\n', { mode: 0o600 });
      await gpg(['--passphrase-file', pass, '--quick-generate-key', 'Gus <gus@example.org>', 'future-default', 'default', 'never']);
      const exported = (await gpg(['--passphrase-file', pass, '--export-secret-keys', '--armor'])).toString();
      // Autocrypt wants the key unprotected inside: GnuPG exports it as stored, so remove its protection first.
      await gpg(['--passphrase-file', pass, '--import'], exported);
      const fprLine = (await gpg(['--with-colons', '--list-secret-keys'])).toString();
      const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(fprLine)![1]!;
      const unprotected = await openpgp.decryptKey({
        privateKey: await openpgp.readPrivateKey({ armoredKey: exported }),
        passphrase: 'old',
      });
      const keyText = unprotected.armor().replace(/^(-----BEGIN PGP PRIVATE KEY BLOCK-----\n)/, '$1Autocrypt-Prefer-Encrypt: mutual\n');
      await writeFile(join(dir, 'key.asc'), keyText);
      const codeFile = join(dir, 'code');
      await writeFile(codeFile, `${code}\n`, { mode: 0o600 });
      const sym = (
        await gpg([
          '--passphrase-file',
          codeFile,
          '--symmetric',
          '--armor',
          '--cipher-algo',
          'AES128',
          '--output',
          '-',
          join(dir, 'key.asc'),
        ])
      ).toString();
      return {
        fpr,
        text: sym.replace(/^(-----BEGIN PGP MESSAGE-----\n)/, `$1Passphrase-Format: numeric9x4\nPassphrase-Begin: ${code.slice(0, 2)}\n`),
      };
    });
    const ctx = keyringAt(t.home);
    // Typed with spaces instead of dashes: the same code.
    const outcome = await importSetupPayload(ctx.keyring, { armored: armored.text, code: code.replace(/-/g, ' '), passphrase: 'new one' });
    assert.equal(outcome.changed.length, 1);
    assert.equal(outcome.changed[0]!.fingerprint, armored.fpr);
    assert.equal(outcome.changed[0]!.hasSecret, true);
    assert.deepEqual(outcome.changed[0]!.sources, ['setup-message']);
    assert.equal(outcome.preferEncrypt, 'mutual');
    const stored = await ctx.keyring.secretKeyFor(armored.fpr);
    assert.equal(stored.isDecrypted(), false, 'stored protected');
    await assert.rejects(Keyring.unlock(stored, 'old'), rejectsWith('key-wrong-passphrase'));
    assert.equal((await Keyring.unlock(stored, 'new one')).isDecrypted(), true);
  } finally {
    t.cleanup();
  }
});

test("the specification's example Setup Message opens with its code; without a new passphrase the key is kept unprotected", async () => {
  const t = tempHome();
  try {
    const ctx = keyringAt(t.home);
    const eml = await readFile(SPEC_MESSAGE, 'utf8');
    const block = eml.slice(eml.indexOf('-----BEGIN PGP MESSAGE-----'), eml.indexOf('</pre>'));
    const outcome = await importSetupPayload(ctx.keyring, { armored: block, code: SPEC_CODE, passphrase: null });
    assert.deepEqual(
      outcome.changed.map((k) => [k.fingerprint, k.userIds, k.hasSecret]),
      [[SPEC_FPR, ['alice@autocrypt.example'], true]],
    );
    assert.equal(outcome.preferEncrypt, 'mutual');
    assert.equal((await ctx.keyring.secretKeyFor(SPEC_FPR)).isDecrypted(), true);
  } finally {
    t.cleanup();
  }
});

test('a wrong code, a code of the wrong shape or beginning, and payloads that are not setup messages: refused, nothing imported', async () => {
  const t = tempHome();
  try {
    const ctx = keyringAt(t.home);
    const eml = await readFile(SPEC_MESSAGE, 'utf8');
    const block = eml.slice(eml.indexOf('-----BEGIN PGP MESSAGE-----'), eml.indexOf('</pre>'));
    const before = keyringSnapshot(t.home);
    const wrong = `17${SPEC_CODE.slice(2, -1)}${SPEC_CODE.endsWith('0') ? '1' : '0'}`;
    await assert.rejects(
      importSetupPayload(ctx.keyring, { armored: block, code: wrong, passphrase: null }),
      rejectsWith('crypto-wrong-password'),
    );
    await assert.rejects(
      importSetupPayload(ctx.keyring, { armored: block, code: `99${SPEC_CODE.slice(2)}`, passphrase: null }),
      rejectsWith('crypto-wrong-password'),
    );
    await assert.rejects(
      importSetupPayload(ctx.keyring, { armored: block, code: '1742-0185', passphrase: null }),
      rejectsWith('bad-input'),
    );
    await assert.rejects(
      importSetupPayload(ctx.keyring, { armored: 'no block at all', code: SPEC_CODE, passphrase: null }),
      rejectsWith('bad-input'),
    );

    // Encrypted to a public key (PKESK), not with a password: not a setup message.
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ email: 'x@example.org' }], format: 'object' });
    const pkesk = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'x' }), encryptionKeys: privateKey.toPublic() });
    await assert.rejects(
      importSetupPayload(ctx.keyring, { armored: pkesk, code: SPEC_CODE, passphrase: null }),
      rejectsWith('crypto-malformed'),
    );

    // Password-encrypted, but what is inside is not a secret key.
    const code = generateSetupCode();
    const notKey = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'hello' }), passwords: [code] });
    await assert.rejects(importSetupPayload(ctx.keyring, { armored: notKey, code, passphrase: null }), rejectsWith('key-unparseable'));

    // A damaged block (one base64 character changed under the checksum).
    const damaged = block.replace('jA0EBwMCFAxA', 'jA0EBwMCFAxB');
    await assert.rejects(
      importSetupPayload(ctx.keyring, { armored: damaged, code: SPEC_CODE, passphrase: null }),
      rejectsWith('bad-input'),
    );

    assert.equal(keyringSnapshot(t.home), before, 'the keyring is unchanged');
    assert.deepEqual(await ctx.keyring.list(), []);
  } finally {
    t.cleanup();
  }
});
