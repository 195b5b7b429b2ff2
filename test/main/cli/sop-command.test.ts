import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';
import { BOB_SECRET, tbKey, armoredMessageIn } from '../../support/fixtures.ts';

let dir: TempDir;
let key: string;
let cert: string;
let lockedKey: string;
const sop = (args: string[], input?: string | Uint8Array) => runSealpost(['sop', ...args], { input });

before(async () => {
  dir = await tempDir();
  key = join(dir.path, 'key.asc');
  cert = join(dir.path, 'cert.asc');
  lockedKey = join(dir.path, 'locked.asc');
  writeFileSync(join(dir.path, 'pw'), 'sesame\n');
  const k = await sop(['generate-key', 'Sam <sam@example.org>']);
  assert.equal(k.code, 0, k.stderr);
  writeFileSync(key, k.stdout);
  writeFileSync(cert, (await sop(['extract-cert'], k.stdout)).stdout);
  writeFileSync(lockedKey, (await sop(['generate-key', '--with-key-password', join(dir.path, 'pw'), 'Lou <lou@example.org>'])).stdout);
});
after(() => dir.cleanup());

test('version and the spec revision', async () => {
  assert.match((await sop(['version'])).stdout.toString(), /^sealpost \d+\.\d+\.\d+\n$/);
  assert.equal((await sop(['version', '--sop-spec'])).stdout.toString(), 'draft-dkg-openpgp-stateless-cli-14\n');
  assert.match((await sop(['version', '--backend'])).stdout.toString(), /OpenPGP\.js 6\./);
  assert.match((await sop(['list-profiles', 'generate-key'])).stdout.toString(), /^default: /);
  assert.equal((await sop(['list-profiles', 'verify'])).code, 89);
});

test('generate-key makes a protected key only with --with-key-password, and cert extraction strips secrets', async () => {
  assert.match(readFileSync(key, 'utf8'), /BEGIN PGP PRIVATE KEY BLOCK/);
  assert.match(readFileSync(cert, 'utf8'), /BEGIN PGP PUBLIC KEY BLOCK/);
  const binary = await sop(['generate-key', '--no-armor', 'B <b@example.org>']);
  assert.ok((binary.stdout[0]! & 0x80) !== 0, 'binary output');
  const armored = await sop(['armor'], binary.stdout);
  assert.match(armored.stdout.toString(), /BEGIN PGP PRIVATE KEY BLOCK/);
  assert.deepEqual((await sop(['dearmor'], armored.stdout)).stdout, binary.stdout);
});

test('encrypt, sign, decrypt, verify and their exit codes', { timeout: 120_000 }, async () => {
  const enc = await sop(['encrypt', '--sign-with', key, cert], 'attack at dawn');
  assert.equal(enc.code, 0, enc.stderr);
  const vout = join(dir.path, 'verifications.txt');
  const dec = await sop(['decrypt', '--verifications-out', vout, '--verify-with', cert, key], enc.stdout);
  assert.equal(dec.code, 0, dec.stderr);
  assert.equal(dec.stdout.toString(), 'attack at dawn');
  assert.match(readFileSync(vout, 'utf8'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [0-9A-F]{40} [0-9A-F]{40} mode:binary/);
  assert.equal((await sop(['decrypt', '--verifications-out', vout, '--verify-with', cert, key], enc.stdout)).code, 59, 'OUTPUT_EXISTS');
  assert.equal((await sop(['decrypt', '--verifications-out', join(dir.path, 'v2')], enc.stdout)).code, 23, 'INCOMPLETE_VERIFICATION');
  assert.equal((await sop(['decrypt'], enc.stdout)).code, 19, 'MISSING_ARG');
  assert.equal((await sop(['decrypt', lockedKey], enc.stdout)).code, 29, 'CANNOT_DECRYPT: not for this key');
  assert.equal((await sop(['encrypt', join(dir.path, 'nonexistent')], 'x')).code, 61, 'MISSING_INPUT');
  assert.equal((await sop(['encrypt', tbKey('eddie@openpgp.example-0x15e9357d2c2395c0-pub.asc')], 'x')).code, 17, 'CERT_CANNOT_ENCRYPT');
  assert.equal((await sop(['encrypt', '--frobnicate', cert], 'x')).code, 37, 'UNSUPPORTED_OPTION');
  assert.equal((await sop(['frobnicate'])).code, 69, 'UNSUPPORTED_SUBCOMMAND');
  assert.equal((await sop(['encrypt', '@FILE:x'], 'x')).code, 71, 'UNSUPPORTED_SPECIAL_PREFIX');
  assert.equal((await sop(['decrypt', key], 'not an OpenPGP message at all')).code, 41, 'BAD_DATA');

  const sig = await sop(['sign', key], 'signed');
  assert.equal((await runSealpost(['sop', 'verify', '-'], { input: 'x' })).code, 19);
  const sigFile = join(dir.path, 'sig.asc');
  writeFileSync(sigFile, sig.stdout);
  const ok = await sop(['verify', sigFile, cert], 'signed');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout.toString(), / mode:binary /);
  assert.equal((await sop(['verify', sigFile, cert], 'signeD')).code, 3, 'NO_SIGNATURE');
  assert.equal((await sop(['verify', '--not-after', '2000-01-01T00:00:00Z', sigFile, cert], 'signed')).code, 3, 'outside the time window');
});

test('a protected key needs --with-key-password (67 without it), and passwords may come from @ENV:', async () => {
  const lockedCert = join(dir.path, 'locked.cert');
  writeFileSync(lockedCert, (await sop(['extract-cert'], readFileSync(lockedKey))).stdout);
  const enc = await sop(['encrypt', lockedCert], 'for lou');
  assert.equal((await sop(['decrypt', lockedKey], enc.stdout)).code, 67, 'KEY_IS_PROTECTED');
  assert.equal((await sop(['sign', lockedKey], 'x')).code, 67);
  const dec = await sop(['decrypt', '--with-key-password', join(dir.path, 'pw'), lockedKey], enc.stdout);
  assert.equal(dec.code, 0, dec.stderr);
  assert.equal(dec.stdout.toString(), 'for lou');
  const byEnv = await runSealpost(['sop', 'decrypt', '--with-key-password', '@ENV:LOU_PW', lockedKey], {
    input: enc.stdout,
    env: { LOU_PW: 'sesame' },
  });
  assert.equal(byEnv.stdout.toString(), 'for lou');
});

test('inline and cleartext signatures; inline-detach; text mode needs text', async () => {
  const clear = await sop(['inline-sign', '--as', 'clearsigned', key], 'Hello,\n-- dash line\n');
  assert.match(clear.stdout.toString(), /BEGIN PGP SIGNED MESSAGE/);
  assert.match(clear.stdout.toString(), /^- -- dash line$/m, 'dash-escaped');
  const verified = await sop(['inline-verify', cert], clear.stdout);
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(verified.stdout.toString().trimEnd(), 'Hello,\n-- dash line');
  const forged = Buffer.from(clear.stdout.toString().replace('Hello,', 'Hallo,'));
  const refused = await sop(['inline-verify', cert], forged);
  assert.equal(refused.code, 3);
  assert.equal(refused.stdout.length, 0, 'no data released without a valid signature');
  const sigOut = join(dir.path, 'detached.asc');
  const detached = await sop(['inline-detach', '--signatures-out', sigOut], clear.stdout);
  assert.equal(detached.code, 0, detached.stderr);
  assert.ok(existsSync(sigOut));
  assert.equal((await sop(['inline-sign', '--as', 'clearsigned', '--no-armor', key], 'x')).code, 83, 'INCOMPATIBLE_OPTIONS');
  assert.equal((await sop(['sign', '--as', 'text', key], Buffer.from([0xff, 0xfe, 0x00]))).code, 53, 'EXPECTED_TEXT');
});

test('decrypting data without integrity protection exits 29 and prints nothing', async () => {
  const dec = await sop(['decrypt', BOB_SECRET], armoredMessageIn('rc-openpgp-nomdc.eml'));
  assert.equal(dec.code, 29);
  assert.equal(dec.stdout.length, 0);
  const ok = await sop(['decrypt', BOB_SECRET], armoredMessageIn('rc-openpgp-mdc.eml'));
  assert.equal(ok.code, 0, ok.stderr);
});
