/**
 * A signed message plus text nobody signed: a mailing list appends a footer
 * (Mailman wraps the multipart/signed in multipart/mixed and adds a
 * text/plain part; with inline PGP it appends lines after the signature).
 * Any attacker on the path can do the same with text of her choice.
 *
 * What must not happen: a report that says valid and whose text holds the
 * footer. What the report says: none, partially-signed, the signed part
 * listed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup,
  message,
  textPart,
  multipart,
  pgpMimeSigned,
  pgpMimeEncrypted,
  signedBy,
  signEntity,
  micalgOf,
  clearsign,
  encryptTo,
  inspect,
  warningCodes,
  type Setup,
  type Inspected,
} from '../support/mail.ts';

let s: Setup;
let bobSigned: Buffer;
let bobClearsigned: string;

const BOB_TEXT = 'The release is tagged v2.4.1; the hash is in the signed announcement.';
const FOOTER =
  '_______________________________________________\ndev mailing list -- UNSIGNED-FOOTER: download v2.4.1 from http://attacker.example/';
const HEADERS = { From: 'Bob Babbage <bob@openpgp.example>', To: 'dev@lists.example', Subject: '[dev] release v2.4.1' };

before(async () => {
  s = await setup();
  [bobSigned, bobClearsigned] = await Promise.all([signedBy(textPart(`${BOB_TEXT}\n`), s.bob.key), clearsign(`${BOB_TEXT}\n`, s.bob.key)]);
});
after(() => s?.cleanup());

/** The footer never appears in a report that says the message is validly signed. */
function assertFooterNotUnderValid(got: Inspected): void {
  if (got.report.signature.status === 'valid')
    assert.ok(!got.report.text.includes('UNSIGNED-FOOTER'), `footer text in a valid report: ${got.report.text}`);
}

function assertPartial(got: Inspected): void {
  const r = got.report;
  assert.equal(r.signature.status, 'none', `signature.status none, got ${r.signature.status}`);
  assert.equal(r.signature.signer, null);
  assert.equal(r.signature.signerMatchesFrom, false);
  assert.ok(warningCodes(r).includes('partially-signed'), `partially-signed, got ${warningCodes(r).join(', ')}`);
  assertFooterNotUnderValid(got);
}

test('controls: the multipart/signed and the cleartext-signed message alone are valid, without the footer', async () => {
  const [mime, inline] = await Promise.all([inspect(s, message(HEADERS, bobSigned)), inspect(s, message(HEADERS, bobClearsigned))]);
  for (const got of [mime, inline]) {
    assert.equal(got.report.signature.status, 'valid');
    assert.equal(got.report.signature.signer?.fingerprint, s.bob.fpr);
    assert.ok(got.report.text.includes(BOB_TEXT));
  }
});

test("mailing list: multipart/mixed [Bob's multipart/signed, text/plain footer]: none, partially-signed", async () => {
  const got = await inspect(s, message(HEADERS, multipart('mixed', [bobSigned, textPart(FOOTER)])));
  assertPartial(got);
  assert.ok(
    got.report.parts.some((p) => p.path === '1' && p.contentType === 'multipart/signed' && p.signed && p.status === 'verified'),
    JSON.stringify(got.report.parts),
  );
});

test("mailing list: multipart/mixed [Bob's multipart/signed, text/html footer]: none, partially-signed", async () => {
  const got = await inspect(s, message(HEADERS, multipart('mixed', [bobSigned, textPart(`<p>${FOOTER}</p>`, 'text/html; charset=utf-8')])));
  assertPartial(got);
});

test('mailing list: the footer with Content-Disposition: inline: none, partially-signed', async () => {
  const got = await inspect(
    s,
    message(HEADERS, multipart('mixed', [bobSigned, textPart(FOOTER, 'text/plain; charset=utf-8', { 'Content-Disposition': 'inline' })])),
  );
  assertPartial(got);
});

test('inline: a cleartext-signed block followed by a footer: none, partially-signed', async () => {
  const got = await inspect(s, message(HEADERS, `${bobClearsigned}\n${FOOTER}\n`));
  assertPartial(got);
  assert.ok(
    got.report.parts.some((p) => p.signed),
    JSON.stringify(got.report.parts),
  );
});

test('inline: text before a cleartext-signed block: none, partially-signed', async () => {
  const got = await inspect(s, message(HEADERS, `${FOOTER}\n\n${bobClearsigned}`));
  assertPartial(got);
});

test('inline: the cleartext-signed block and the footer in separate parts of multipart/mixed: none, partially-signed', async () => {
  const got = await inspect(s, message(HEADERS, multipart('mixed', [textPart(bobClearsigned), textPart(FOOTER)])));
  assertPartial(got);
});

test('the list appends the footer inside the signed part: the signature does not verify, and never reads as valid', async () => {
  const original = textPart(`${BOB_TEXT}\n`);
  const sig = await signEntity(original, s.bob.key);
  const tampered = textPart(`${BOB_TEXT}\n\n${FOOTER}\n`);
  const got = await inspect(s, message(HEADERS, pgpMimeSigned(tampered, sig, await micalgOf(sig))));
  assert.notEqual(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.status, 'invalid');
  assert.ok(got.report.parts.some((p) => p.status === 'bad-signature'));
});

test('inline: the footer inserted into the cleartext-signed text: the signature does not verify', async () => {
  const tampered = bobClearsigned.replace(BOB_TEXT, `${BOB_TEXT}\n${FOOTER}`);
  const got = await inspect(s, message(HEADERS, tampered));
  assert.notEqual(got.report.signature.status, 'valid');
  assertFooterNotUnderValid(got);
});

test('an encrypted and signed message with an unencrypted, unsigned footer part: not decrypted, no signature, partially-encrypted', async () => {
  const armored = await encryptTo(textPart(`${BOB_TEXT}\n`), [s.alice.cert], s.bob.key);
  const got = await inspect(s, message(HEADERS, multipart('mixed', [pgpMimeEncrypted(armored), textPart(FOOTER)])));
  assert.equal(got.report.encryption.status, 'none');
  assert.equal(got.report.signature.status, 'none');
  assert.ok(warningCodes(got.report).includes('partially-encrypted'));
  assertFooterNotUnderValid(got);
});
