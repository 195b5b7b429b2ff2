import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSealpost, tempDir } from '../../support/cli.ts';
import { keyringSnapshot } from '../../support/keyring.ts';
import { run } from '../../support/process.ts';
import { ALICE_FPR, ALICE_PASSPHRASE, ALICE_SECRET } from '../../support/fixtures.ts';

const SPEC_MESSAGE = fileURLToPath(new URL('../../fixtures/autocrypt/example-setup-message.eml', import.meta.url));
const SPEC_CODE = '1742-0185-6197-1303-7016-8412-3581-4441-0597';

function oneLineError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, /^sealpost: /);
}

test('keys setup-message create: an RFC 5322 Setup Message in the file, the code on stdout; GnuPG opens its attachment with the code', async () => {
  const dir = await tempDir();
  try {
    const home = join(dir.path, 'home');
    await writeFile(join(dir.path, 'pass'), `${ALICE_PASSPHRASE}\n`);
    assert.equal((await runSealpost(['keys', 'import', ALICE_SECRET], { home })).code, 0);
    const out = join(dir.path, 'setup.eml');

    const wrong = join(dir.path, 'wrong');
    await writeFile(wrong, 'not it\n');
    const refused = await runSealpost(['--passphrase-file', wrong, 'keys', 'setup-message', 'create', ALICE_FPR, '--out', out], { home });
    assert.equal(refused.code, 65, refused.stderr);
    oneLineError(refused.stderr);

    const made = await runSealpost(
      ['--passphrase-file', join(dir.path, 'pass'), 'keys', 'setup-message', 'create', ALICE_FPR, '--out', out],
      {
        home,
      },
    );
    assert.equal(made.code, 0, made.stderr);
    const code = made.stdout.toString().trim();
    assert.match(code, /^[0-9]{4}(-[0-9]{4}){8}$/);

    const eml = await readFile(out, 'latin1');
    const [head, ...rest] = eml.split('\r\n\r\n');
    assert.match(head!, /^From: Alice Lovelace <alice@openpgp\.example>$/m);
    assert.match(head!, /^To: Alice Lovelace <alice@openpgp\.example>$/m);
    assert.match(head!, /^Subject: Autocrypt Setup Message$/m);
    assert.match(head!, /^Autocrypt-Setup-Message: v1$/m);
    assert.match(head!, /^Content-Type: multipart\/mixed;/m);
    const body = rest.join('\r\n\r\n');
    assert.match(
      body,
      /Content-Type: text\/plain[\s\S]*Content-Type: application\/autocrypt-setup\r\nContent-Disposition: attachment; filename="autocrypt-setup-message.html"/,
    );
    assert.ok(!eml.includes(code) && !eml.includes(code.replace(/-/g, '')), 'the code is not in the message');
    assert.match(body, new RegExp(`Passphrase-Begin: ${code.slice(0, 2)}\\r\\n`));

    // GnuPG, given the attachment as saved (the HTML page), finds the block and opens it with the code.
    const gnupg = await mkdtemp(join(tmpdir(), 'sealpost-gpg-'));
    try {
      const page = body.slice(body.indexOf('<html>'), body.indexOf('</html>') + 7).replace(/\r\n/g, '\n');
      const armored = page.slice(page.indexOf('-----BEGIN PGP MESSAGE-----'), page.indexOf('</pre>'));
      await writeFile(join(gnupg, 'code'), `${code}\n`, { mode: 0o600 });
      const gpg = (args: string[], stdin = '') =>
        run('gpg', ['--homedir', gnupg, '--batch', '--pinentry-mode', 'loopback', '--no-symkey-cache', ...args], {
          cwd: gnupg,
          stdin,
          timeoutMs: 60_000,
        });
      const decrypted = await gpg(['--passphrase-file', join(gnupg, 'code'), '--decrypt'], armored);
      assert.equal(decrypted.code, 0, decrypted.stderr.toString());
      assert.match(decrypted.stdout.toString(), /^-----BEGIN PGP PRIVATE KEY BLOCK-----\nAutocrypt-Prefer-Encrypt: nopreference\n/);
      const imported = await gpg(['--import'], decrypted.stdout.toString());
      assert.equal(imported.code, 0, imported.stderr.toString());
      const listing = (await gpg(['--with-colons', '--list-secret-keys'])).stdout.toString();
      assert.equal(/^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(listing)?.[1], ALICE_FPR);
    } finally {
      await run('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { cwd: gnupg, timeoutMs: 20_000 }).catch(() => undefined);
      await rm(gnupg, { recursive: true, force: true });
    }

    // And back in by us, into another profile, with a new passphrase.
    const other = join(dir.path, 'other');
    await writeFile(join(dir.path, 'code'), `${code.replace(/-/g, '')}\n`);
    await writeFile(join(dir.path, 'new'), 'new passphrase\n');
    const back = await runSealpost(
      ['--json', '--passphrase-file', join(dir.path, 'new'), 'keys', 'setup-message', 'import', out, '--code-file', join(dir.path, 'code')],
      { home: other },
    );
    assert.equal(back.code, 0, back.stderr);
    const changed = JSON.parse(back.stdout.toString());
    assert.deepEqual(
      changed.map((k: { fingerprint: string; hasSecret: boolean; sources: string[] }) => [k.fingerprint, k.hasSecret, k.sources]),
      [[ALICE_FPR, true, ['setup-message']]],
    );
    // Stored protected by the new passphrase: it revokes nothing here, but unlocks for a signature.
    const signed = await runSealpost(
      ['--passphrase-file', join(dir.path, 'new'), 'keys', 'add-uid', ALICE_FPR, '--uid', 'Alice <a2@example.org>'],
      {
        home: other,
      },
    );
    assert.equal(signed.code, 0, signed.stderr);
    const noPass = await runSealpost(['keys', 'add-uid', ALICE_FPR, '--uid', 'Alice <a3@example.org>'], { home: other });
    assert.notEqual(noPass.code, 0);
  } finally {
    await dir.cleanup();
  }
});

test("keys setup-message import: the specification's example with its code; a wrong code, a malformed file and usage errors change nothing", async () => {
  const dir = await tempDir();
  try {
    const home = join(dir.path, 'home');
    await writeFile(join(dir.path, 'code'), `${SPEC_CODE}\n`);
    await writeFile(join(dir.path, 'wrong'), `${SPEC_CODE.slice(0, -1)}1\n`);
    await writeFile(join(dir.path, 'junk.eml'), 'From: a@example.org\r\nSubject: hi\r\n\r\nno setup message here\r\n');
    assert.equal((await runSealpost(['keys', 'list'], { home })).code, 0);
    const before = keyringSnapshot(home);

    const wrong = await runSealpost(
      ['keys', 'setup-message', 'import', SPEC_MESSAGE, '--code-file', join(dir.path, 'wrong'), '--no-passphrase'],
      { home },
    );
    assert.equal(wrong.code, 65, wrong.stderr);
    oneLineError(wrong.stderr);
    assert.match(wrong.stderr, /setup code does not open/);

    const junk = await runSealpost(
      ['keys', 'setup-message', 'import', join(dir.path, 'junk.eml'), '--code-file', join(dir.path, 'code'), '--no-passphrase'],
      {
        home,
      },
    );
    assert.equal(junk.code, 65, junk.stderr);
    oneLineError(junk.stderr);

    const missing = await runSealpost(
      ['keys', 'setup-message', 'import', join(dir.path, 'nope.eml'), '--code-file', join(dir.path, 'code')],
      { home },
    );
    assert.equal(missing.code, 66, missing.stderr);
    const noCode = await runSealpost(['keys', 'setup-message', 'import', SPEC_MESSAGE], { home });
    assert.equal(noCode.code, 64, noCode.stderr);
    const noOut = await runSealpost(['keys', 'setup-message', 'create', 'EB85BB5FA33A75E15E944E63F231550C4F47E38E'], { home });
    assert.equal(noOut.code, 64, noOut.stderr);
    assert.equal(keyringSnapshot(home), before, 'nothing changed');

    const ok = await runSealpost(
      ['keys', 'setup-message', 'import', SPEC_MESSAGE, '--code-file', join(dir.path, 'code'), '--no-passphrase'],
      { home },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.toString(), 'imported EB85BB5FA33A75E15E944E63F231550C4F47E38E alice@autocrypt.example\n');
  } finally {
    await dir.cleanup();
  }
});
