/**
 * Header protection (RFC 9788, and the older protected-headers="v1"): an
 * encrypted and signed message carries its own From inside. When that
 * protected From differs from the From sent in the clear, one of them lies;
 * a signature by one of them must not vouch for the other.
 *
 * What must not happen: signerMatchesFrom true when the signer carries only
 * one of the two addresses; silence about the difference. What the report
 * says: a from-mismatch warning; signerMatchesFrom true only when the
 * signer's user ids carry both addresses.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup,
  message,
  part,
  textPart,
  multipart,
  pgpMimeEncrypted,
  signedBy,
  encryptTo,
  inspect,
  warningCodes,
  type Setup,
  type Person,
  type Inspected,
} from '../support/mail.ts';

let s: Setup;
/** Bob with two user ids: bob@openpgp.example and bob@work.example. */
let twoIds: Person;

const BOB = 'Bob Babbage <bob@openpgp.example>';
const MALLORY = 'Mallory <mallory@attacker.example>';

before(async () => {
  s = await setup();
  twoIds = await s.person(['Bob Babbage <bob@openpgp.example>', 'Bob Babbage <bob@work.example>']);
});
after(() => s?.cleanup());

/** The inner entity of an RFC 9788 message: protected header fields on the inner root. */
function protectedEntity(from: string, body: string, subject = 'the real subject'): Buffer {
  return part(
    [
      ['Content-Type', 'text/plain; charset=utf-8; protected-headers="v1"'],
      ['From', from],
      ['To', 'alice@openpgp.example'],
      ['Subject', subject],
    ],
    body,
  );
}

/** Encrypted to Alice and signed (one OpenPGP message, RFC 3156 section 6.2) by `signer`. */
async function encryptedSigned(outerFrom: string, innerFrom: string, signerKey: string): Promise<Buffer> {
  const armored = await encryptTo(protectedEntity(innerFrom, 'Please send the contract to my new address.\n'), [s.alice.cert], signerKey);
  return message({ From: outerFrom, To: 'alice@openpgp.example', Subject: '...' }, pgpMimeEncrypted(armored));
}

function assertFromMismatch(got: Inspected): void {
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.equal(got.report.encryption.protectedHeaders, true);
  assert.ok(warningCodes(got.report).includes('from-mismatch'), `from-mismatch, got ${warningCodes(got.report).join(', ')}`);
}

test('control: protected From equal to the outer From (up to case): no from-mismatch, signer matches', async () => {
  const got = await inspect(s, await encryptedSigned('BOB <BOB@OPENPGP.EXAMPLE>', BOB, s.bob.key));
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.equal(got.report.encryption.protectedHeaders, true);
  assert.ok(!warningCodes(got.report).includes('from-mismatch'));
  assert.equal(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.signerMatchesFrom, true);
  assert.equal(got.report.subject, 'the real subject');
});

test('outer From Bob, protected From Mallory, signed by Bob: from-mismatch, signerMatchesFrom false', async () => {
  const got = await inspect(s, await encryptedSigned(BOB, MALLORY, s.bob.key));
  assertFromMismatch(got);
  assert.equal(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.signer?.fingerprint, s.bob.fpr);
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('outer From Mallory, protected From Bob, signed by Bob: from-mismatch, signerMatchesFrom false', async () => {
  const got = await inspect(s, await encryptedSigned(MALLORY, BOB, s.bob.key));
  assertFromMismatch(got);
  assert.equal(got.report.signature.signer?.fingerprint, s.bob.fpr);
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('outer From Bob, protected From Mallory, signed by Mallory: from-mismatch, signerMatchesFrom false', async () => {
  const got = await inspect(s, await encryptedSigned(BOB, MALLORY, s.mallory.key));
  assertFromMismatch(got);
  assert.equal(got.report.signature.signer?.fingerprint, s.mallory.fpr);
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('the signer carries both addresses (bob@work.example outside, bob@openpgp.example inside): from-mismatch, signerMatchesFrom true', async () => {
  const got = await inspect(s, await encryptedSigned('Bob Babbage <bob@work.example>', BOB, twoIds.key));
  assertFromMismatch(got);
  assert.equal(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.signer?.fingerprint, twoIds.fpr);
  assert.equal(got.report.signature.signerMatchesFrom, true);
});

test('the two-id signer, but the protected From is Mallory: from-mismatch, signerMatchesFrom false', async () => {
  const got = await inspect(s, await encryptedSigned('Bob Babbage <bob@work.example>', MALLORY, twoIds.key));
  assertFromMismatch(got);
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('signed, then encrypted (multipart/signed inside): outer Mallory, protected From Bob, signed by Bob: from-mismatch, no match', async () => {
  const signed = await signedBy(protectedEntity(BOB, 'Please send the contract to my new address.\n'), s.bob.key);
  const armored = await encryptTo(signed, [s.alice.cert]);
  const got = await inspect(s, message({ From: MALLORY, To: 'alice@openpgp.example', Subject: '...' }, pgpMimeEncrypted(armored)));
  assertFromMismatch(got);
  assert.equal(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('encrypted, not signed, protected From differs: from-mismatch, signature none', async () => {
  const armored = await encryptTo(protectedEntity(BOB, 'hello\n'), [s.alice.cert]);
  const got = await inspect(s, message({ From: MALLORY, To: 'alice@openpgp.example', Subject: '...' }, pgpMimeEncrypted(armored)));
  assertFromMismatch(got);
  assert.equal(got.report.signature.status, 'none');
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('legacy protected headers (a text/rfc822-headers part, Enigmail style): From differs: from-mismatch, no match', async () => {
  const inner = multipart(
    'mixed',
    [
      part(
        [
          ['Content-Type', 'text/rfc822-headers; protected-headers="v1"'],
          ['Content-Disposition', 'inline'],
        ],
        `From: ${MALLORY}\nSubject: the real subject\n`,
      ),
      textPart('hello\n'),
    ],
    { 'protected-headers': 'v1' },
  );
  const armored = await encryptTo(inner, [s.alice.cert], s.bob.key);
  const got = await inspect(s, message({ From: BOB, To: 'alice@openpgp.example', Subject: '...' }, pgpMimeEncrypted(armored)));
  assertFromMismatch(got);
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('two From headers outside (Bob, Mallory), protected From Bob, signed by Bob: multiple-from, signerMatchesFrom false', async () => {
  const armored = await encryptTo(protectedEntity(BOB, 'hello\n'), [s.alice.cert], s.bob.key);
  const msg = message(
    [
      ['From', BOB],
      ['From', MALLORY],
      ['To', 'alice@openpgp.example'],
      ['Subject', '...'],
    ],
    pgpMimeEncrypted(armored),
  );
  const got = await inspect(s, msg);
  assert.ok(warningCodes(got.report).includes('multiple-from'));
  assert.equal(got.report.signature.signerMatchesFrom, false);
});

test('signed only (multipart/signed, RFC 9788 header protection without encryption): protected From Mallory, outer From Bob, signed by Bob: from-mismatch, no match', async () => {
  const signed = await signedBy(protectedEntity(MALLORY, 'Please send the contract to my new address.\n'), s.bob.key);
  const got = await inspect(s, message({ From: BOB, To: 'alice@openpgp.example', Subject: 'the real subject' }, signed));
  assert.equal(got.report.encryption.status, 'none');
  assert.equal(got.report.signature.status, 'valid');
  assert.ok(warningCodes(got.report).includes('from-mismatch'), warningCodes(got.report).join(', '));
  assert.equal(got.report.signature.signerMatchesFrom, false);
});
