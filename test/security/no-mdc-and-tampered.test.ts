/**
 * Encrypted data without integrity protection (a Symmetrically Encrypted
 * Data packet, tag 9: no MDC; the EFAIL CFB-gadget case) or whose integrity
 * check fails (a flipped ciphertext byte, a truncated message, a tampered
 * AEAD chunk or tag).
 *
 * What must not happen: any plaintext of it, anywhere (text, attachments,
 * parts, stderr). What the report says: encryption failed, with a
 * no-integrity or integrity-failed warning.
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
  signedBy,
  encryptTo,
  inspect,
  assertNowhere,
  warningCodes,
  secretToken,
  type Setup,
  type Inspected,
} from '../support/mail.ts';
import { readCert, sedMessage, aeadMessage, dearmor, armorMessage, flipByte } from '../support/craft.ts';
import type * as openpgp from 'openpgp';

let s: Setup;
let cert: openpgp.Key;
let secret: string;
/** A long plaintext entity: the secret on every line, so that a partial release of plaintext would show. */
let inner: Buffer;
/** `inner` encrypted to Alice: SEIPD v1 (MDC), SEIPD v1 signed by Bob, SEIPD v2 (AEAD), SED (no MDC). */
let mdc: string;
let mdcSigned: string;
let aead: string;
let sed: string;

before(async () => {
  s = await setup();
  cert = await readCert(s.alice.cert);
  secret = secretToken('WIRE');
  inner = textPart(Array.from({ length: 200 }, (_, i) => `line ${i}: transfer to account ${secret}`).join('\n') + '\n');
  [mdc, mdcSigned, aead, sed] = await Promise.all([
    encryptTo(inner, [s.alice.cert]),
    encryptTo(inner, [s.alice.cert], s.bob.key),
    aeadMessage(cert, inner),
    sedMessage(cert, inner),
  ]);
});
after(() => s?.cleanup());

const HEADERS = { From: 'Bob Babbage <bob@openpgp.example>', To: 'alice@openpgp.example', Subject: 'payment details' };

function assertFailed(got: Inspected, warning: string | string[]): void {
  const r = got.report;
  const allowed = Array.isArray(warning) ? warning : [warning];
  assert.equal(r.encryption.status, 'failed', `encryption.status failed, got ${r.encryption.status}`);
  assert.equal(r.encryption.integrity, null, 'no integrity claimed');
  assert.ok(
    warningCodes(r).some((c) => allowed.includes(c)),
    `a ${allowed.join(' or ')} warning, got ${warningCodes(r).join(', ')}`,
  );
  assert.equal(r.text, '', 'no text');
  assert.deepEqual(r.attachments, [], 'no attachments');
  assert.equal(r.signature.status, 'none');
  assert.ok(!r.parts.some((p) => p.status === 'decrypted'), 'no part marked decrypted');
  assertNowhere(got, secret, inner);
}

test('control: the same plaintext in an MDC-protected (SEIPD v1) message decrypts', async () => {
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(mdc)));
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.equal(got.report.encryption.integrity, 'mdc');
  assert.ok(got.report.text.includes(secret));
});

test('control: the same plaintext in an AEAD (SEIPD v2, OCB) message decrypts with integrity aead', async () => {
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(aead)));
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.equal(got.report.encryption.integrity, 'aead');
  assert.ok(got.report.text.includes(secret));
});

test('SED packet without MDC, as PGP/MIME: failed, no-integrity, no plaintext', async () => {
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(sed)));
  assertFailed(got, 'no-integrity');
  assert.deepEqual(
    got.report.parts.map((p) => [p.path, p.status]),
    [['1', 'not-decrypted']],
  );
});

test('SED packet without MDC, inline (the whole text/plain body): failed, no-integrity, no plaintext', async () => {
  const got = await inspect(s, message(HEADERS, sed));
  assertFailed(got, 'no-integrity');
});

test('SED packet without MDC, inline in a text/html body: failed, no-integrity, no plaintext', async () => {
  const armored = sed;
  const got = await inspect(s, message(HEADERS, textPart(`<pre>${armored}</pre>`, 'text/html; charset=utf-8')));
  assertFailed(got, 'no-integrity');
});

test('SED packet without MDC, behind a signing gateway (multipart/signed by Mallory around it): failed, no plaintext', async () => {
  const wrapped = await signedBy(pgpMimeEncrypted(sed), s.mallory.key);
  const got = await inspect(s, message(HEADERS, wrapped));
  assert.equal(got.report.encryption.status, 'failed');
  assert.ok(warningCodes(got.report).includes('no-integrity'));
  assert.equal(got.report.text, '');
  assertNowhere(got, secret, inner);
});

test('SED packet without MDC, in the MS Exchange-mangled layout: failed, no plaintext', async () => {
  const armored = sed;
  const mangled = multipart('mixed', [
    textPart(''),
    part(
      [
        ['Content-Type', 'application/pgp-encrypted'],
        ['Content-Disposition', 'attachment'],
      ],
      'Version: 1\n',
    ),
    part(
      [
        ['Content-Type', 'application/octet-stream; name="encrypted.asc"'],
        ['Content-Disposition', 'attachment; filename="encrypted.asc"'],
      ],
      armored,
    ),
  ]);
  const got = await inspect(s, message(HEADERS, mangled));
  assertFailed(got, 'no-integrity');
});

test('SEIPD v1: one ciphertext byte flipped (middle of the data, near the end, in the MDC): failed, no plaintext', async () => {
  const bytes = dearmor(mdc);
  const offsets = [Math.floor(bytes.length / 2), 200, 30, 5];
  const results = await Promise.all(
    offsets.map((fromEnd) => inspect(s, message(HEADERS, pgpMimeEncrypted(armorMessage(flipByte(bytes, fromEnd)))))),
  );
  for (const got of results) assertFailed(got, 'integrity-failed');
});

test('SEIPD v1 signed by Bob, one byte flipped: failed, and no signature is reported from it', async () => {
  const bytes = dearmor(mdcSigned);
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(armorMessage(flipByte(bytes, 300)))));
  assertFailed(got, 'integrity-failed');
  assert.equal(got.report.signature.signer, null);
});

test('SEIPD v1 truncated (the MDC and the end of the data cut off): failed, no plaintext', async () => {
  const bytes = dearmor(mdc);
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(armorMessage(bytes.subarray(0, bytes.length - 40)))));
  assertFailed(got, ['integrity-failed', 'malformed-encryption', 'no-integrity']);
});

test('SEIPD v1 inline, one byte flipped: failed, no plaintext', async () => {
  const bytes = dearmor(mdc);
  const got = await inspect(s, message(HEADERS, armorMessage(flipByte(bytes, 500))));
  assertFailed(got, 'integrity-failed');
});

test('AEAD (SEIPD v2, OCB): a byte flipped in the chunk data or in the final tag: failed, no plaintext', async () => {
  const bytes = dearmor(aead);
  const offsets = [Math.floor(bytes.length / 2), 40, 3];
  const results = await Promise.all(
    offsets.map((fromEnd) => inspect(s, message(HEADERS, pgpMimeEncrypted(armorMessage(flipByte(bytes, fromEnd)))))),
  );
  for (const got of results) assertFailed(got, 'integrity-failed');
});

test('AEAD (SEIPD v2) truncated: failed, no plaintext', async () => {
  const bytes = dearmor(aead);
  const got = await inspect(s, message(HEADERS, pgpMimeEncrypted(armorMessage(bytes.subarray(0, bytes.length - 20)))));
  assertFailed(got, ['integrity-failed', 'malformed-encryption']);
});
