import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { runSealpost, tempDir } from '../../support/cli.ts';
import { keyringSnapshot } from '../../support/keyring.ts';
import { ALICE_SECRET, ALICE_FPR, ALICE_PASSPHRASE, BOB_PUBLIC, BOB_FPR, tbKey } from '../../support/fixtures.ts';

const SUMMARY_KEYS = [
  'algorithm',
  'canEncrypt',
  'canSign',
  'created',
  'emails',
  'expires',
  'fingerprint',
  'hasSecret',
  'keyId',
  'revoked',
  'sources',
  'trust',
  'userIds',
  'version',
];

function oneLineError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, /^sealpost: /);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('keys generate, list --json, show, export: the contract shapes', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  try {
    const pass = join(dir.path, 'pass');
    writeFileSync(pass, 'a passphrase\n');
    const gen = await runSealpost(
      ['--passphrase-file', pass, 'keys', 'generate', '--name', 'Erin Example', '--email', 'erin@example.org', '--expires', '2y'],
      { home: dir.path },
    );
    assert.equal(gen.code, 0, gen.stderr);
    const fpr = gen.stdout.toString().trim();
    assert.match(fpr, /^[0-9A-F]{40}$/);

    const list = await runSealpost(['keys', 'list', '--json'], { home: dir.path });
    assert.equal(list.code, 0, list.stderr);
    const keys = JSON.parse(list.stdout.toString());
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0]).sort(), SUMMARY_KEYS);
    assert.equal(keys[0].fingerprint, fpr);
    assert.equal(keys[0].keyId, fpr.slice(-16));
    assert.deepEqual(keys[0].userIds, ['Erin Example <erin@example.org>']);
    assert.deepEqual(keys[0].emails, ['erin@example.org']);
    assert.equal(keys[0].hasSecret, true);
    assert.equal(keys[0].algorithm, 'ed25519');
    assert.equal(keys[0].version, 4);
    assert.deepEqual(keys[0].sources, ['generated']);
    assert.ok(Math.abs(Date.parse(keys[0].expires) - Date.now() - 2 * 365 * 86_400_000) < 300_000);

    const show = await runSealpost(['keys', 'show', 'erin@example.org', '--json'], { home: dir.path });
    const shown = JSON.parse(show.stdout.toString());
    assert.equal(shown.subkeys.length, 1);
    assert.equal(shown.subkeys[0].algorithm, 'cv25519');

    const human = await runSealpost(['keys', 'show', fpr], { home: dir.path });
    assert.match(human.stdout.toString(), /Erin Example <erin@example.org>/);
    assert.match(human.stdout.toString(), new RegExp(fpr.slice(0, 4) + ' ' + fpr.slice(4, 8)));

    const secret = await runSealpost(['keys', 'export', fpr, '--secret'], { home: dir.path });
    const key = await openpgp.readPrivateKey({ armoredKey: secret.stdout.toString() });
    assert.equal(key.isDecrypted(), false, 'a secret key is exported still protected');
    const pub = await runSealpost(['keys', 'export', 'erin@example.org'], { home: dir.path });
    assert.match(pub.stdout.toString(), /BEGIN PGP PUBLIC KEY BLOCK/);
  } finally {
    await dir.cleanup();
  }
});

test('keys import --json reports what was added; bad files exit 65 with one line and change nothing', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  try {
    const imported = await runSealpost(['keys', 'import', ALICE_SECRET, BOB_PUBLIC, '--json'], { home: dir.path });
    assert.equal(imported.code, 0, imported.stderr);
    const added = JSON.parse(imported.stdout.toString());
    assert.deepEqual(added.map((k: { fingerprint: string }) => k.fingerprint).sort(), [BOB_FPR, ALICE_FPR].sort());
    const before = keyringSnapshot(dir.path);

    const garbage = join(dir.path, 'garbage.asc');
    writeFileSync(garbage, 'this is not a key\n');
    const bad = await runSealpost(['keys', 'import', garbage], { home: dir.path });
    assert.equal(bad.code, 65);
    oneLineError(bad.stderr);

    const broken = await runSealpost(['keys', 'import', tbKey('apple-pub.asc')], { home: dir.path });
    assert.equal(broken.code, 65);
    oneLineError(broken.stderr);

    const missing = await runSealpost(['keys', 'import', join(dir.path, 'nope.asc')], { home: dir.path });
    assert.equal(missing.code, 66);
    oneLineError(missing.stderr);
    assert.equal(keyringSnapshot(dir.path), before, 'failed commands change nothing');

    const again = await runSealpost(['keys', 'import', BOB_PUBLIC, '--json'], { home: dir.path });
    assert.equal(again.code, 0);
    assert.deepEqual(JSON.parse(again.stdout.toString()), [], 'nothing new, nothing duplicated');
    const list = JSON.parse((await runSealpost(['keys', 'list', '--json'], { home: dir.path })).stdout.toString());
    assert.equal(list.length, 2);
    const secrets = JSON.parse((await runSealpost(['keys', 'list', '--secret', '--json'], { home: dir.path })).stdout.toString());
    assert.deepEqual(
      secrets.map((k: { fingerprint: string }) => k.fingerprint),
      [ALICE_FPR],
    );
  } finally {
    await dir.cleanup();
  }
});

test('keys trust, expire, revoke, passwd, add-uid, delete', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  try {
    const pass = join(dir.path, 'pass');
    const next = join(dir.path, 'next');
    writeFileSync(pass, `${ALICE_PASSPHRASE}\n`);
    writeFileSync(next, 'another passphrase');
    await runSealpost(['keys', 'import', ALICE_SECRET, BOB_PUBLIC], { home: dir.path });

    const trust = await runSealpost(['keys', 'trust', BOB_FPR, 'verified', '--json'], { home: dir.path });
    assert.equal(JSON.parse(trust.stdout.toString()).trust, 'verified');
    assert.equal((await runSealpost(['keys', 'trust', BOB_FPR, 'sure'], { home: dir.path })).code, 64);

    const wrong = join(dir.path, 'wrong');
    writeFileSync(wrong, 'not it');
    const before = keyringSnapshot(dir.path);
    const refused = await runSealpost(['--passphrase-file', wrong, 'keys', 'expire', ALICE_FPR, '--in', '1y'], { home: dir.path });
    assert.equal(refused.code, 65);
    oneLineError(refused.stderr);
    assert.match(refused.stderr, /Wrong passphrase/);
    assert.equal(keyringSnapshot(dir.path), before);

    const expire = await runSealpost(['--passphrase-file', pass, 'keys', 'expire', ALICE_FPR, '--in', '1y', '--json'], { home: dir.path });
    assert.equal(expire.code, 0, expire.stderr);
    assert.ok(JSON.parse(expire.stdout.toString()).expires);

    const uid = await runSealpost(
      ['--passphrase-file', pass, 'keys', 'add-uid', ALICE_FPR, '--uid', 'Alice <alice@example.net>', '--json'],
      { home: dir.path },
    );
    assert.equal(uid.code, 0, uid.stderr);
    assert.ok(JSON.parse(uid.stdout.toString()).emails.includes('alice@example.net'));

    const passwd = await runSealpost(['--passphrase-file', pass, 'keys', 'passwd', ALICE_FPR, '--new-passphrase-file', next], {
      home: dir.path,
    });
    assert.equal(passwd.code, 0, passwd.stderr);
    const exported = await openpgp.readPrivateKey({
      armoredKey: (await runSealpost(['keys', 'export', ALICE_FPR, '--secret'], { home: dir.path })).stdout.toString(),
    });
    await openpgp.decryptKey({ privateKey: exported, passphrase: 'another passphrase' });

    const revoke = await runSealpost(['--passphrase-file', next, 'keys', 'revoke', ALICE_FPR, '--reason', 'retired', '--json'], {
      home: dir.path,
    });
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(JSON.parse(revoke.stdout.toString()).revoked, true);

    assert.equal((await runSealpost(['keys', 'delete', BOB_FPR], { home: dir.path })).code, 64, 'needs --yes');
    const secretDelete = await runSealpost(['keys', 'delete', ALICE_FPR, '--yes'], { home: dir.path });
    assert.equal(secretDelete.code, 65, 'a secret key only with --secret');
    assert.equal((await runSealpost(['keys', 'delete', ALICE_FPR, '--secret', '--yes'], { home: dir.path })).code, 0);
    assert.equal((await runSealpost(['keys', 'delete', BOB_FPR, '--yes'], { home: dir.path })).code, 0);
    assert.deepEqual(JSON.parse((await runSealpost(['keys', 'list', '--json'], { home: dir.path })).stdout.toString()), []);
  } finally {
    await dir.cleanup();
  }
});

test('usage errors exit 64; SEALPOST_HOME chooses the profile', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  try {
    for (const args of [['frobnicate'], ['keys'], ['keys', 'list', '--bogus'], ['keys', 'generate', '--name', 'X']]) {
      const r = await runSealpost(args, { home: dir.path });
      assert.equal(r.code, 64, args.join(' '));
      oneLineError(r.stderr);
    }
    const noTty = await runSealpost(['keys', 'generate', '--name', 'N', '--email', 'n@example.org'], { home: dir.path });
    assert.equal(noTty.code, 64, 'without a terminal the passphrase must come from a file or be refused explicitly');
    const env = await runSealpost(['keys', 'import', BOB_PUBLIC], { env: { SEALPOST_HOME: dir.path } });
    assert.equal(env.code, 0, env.stderr);
    assert.ok(readFileSync(join(dir.path, 'keyring', 'CURRENT'), 'utf8').startsWith('gen-'));
  } finally {
    await dir.cleanup();
  }
});
