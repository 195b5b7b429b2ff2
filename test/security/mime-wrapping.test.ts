/**
 * Signature wrapping (Müller et al., "Johnny, you are fired!", USENIX
 * Security 2019): Mallory takes a message Bob really signed and wraps it in
 * a structure of her own, with her text next to it, hoping that the client
 * shows "signed by Bob" above the whole thing.
 *
 * What must not happen: signature.status valid (or a signer) for a message
 * whose root is not covered by the signature; the attacker's text inside a
 * report that says valid. What the report says: none, and partially-signed
 * where a signed part sits below the root.
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
  signEntity,
  micalgOf,
  encryptTo,
  inspect,
  warningCodes,
  type Setup,
  type Inspected,
} from '../support/mail.ts';

let s: Setup;
/** Bob's real multipart/signed entity. */
let bobSigned: Buffer;
let bobMessage: Buffer;

const BOB_TEXT = 'Alice, the meeting is moved to Thursday. -- Bob';
const ATTACKER = 'URGENT: wire 50,000 EUR to IBAN XX00 ATTACKER 0000 today. Signed, Bob';
const FROM_BOB = { From: 'Bob Babbage <bob@openpgp.example>', To: 'alice@openpgp.example', Subject: 'Thursday' };

before(async () => {
  s = await setup();
  bobSigned = await signedBy(textPart(`${BOB_TEXT}\n`), s.bob.key);
  bobMessage = message(FROM_BOB, bobSigned);
});
after(() => s?.cleanup());

function assertNotSigned(got: Inspected): void {
  const r = got.report;
  assert.equal(r.signature.status, 'none', `signature.status none, got ${r.signature.status}`);
  assert.equal(r.signature.signer, null, 'no signer named');
  assert.equal(r.signature.signerMatchesFrom, false);
  assert.equal(r.signature.created, null);
}

test("control: Bob's multipart/signed as the whole message is valid", async () => {
  const { report } = await inspect(s, bobMessage);
  assert.equal(report.signature.status, 'valid');
  assert.equal(report.signature.signer?.fingerprint, s.bob.fpr);
  assert.equal(report.signature.signerMatchesFrom, true);
});

test("multipart/mixed [attacker text, Bob's multipart/signed]: none, partially-signed, the signed part listed as verified", async () => {
  const got = await inspect(s, message(FROM_BOB, multipart('mixed', [textPart(ATTACKER), bobSigned])));
  assertNotSigned(got);
  assert.ok(warningCodes(got.report).includes('partially-signed'), warningCodes(got.report).join(', '));
  const entry = got.report.parts.find((p) => p.path === '2');
  assert.deepEqual(entry, { path: '2', contentType: 'multipart/signed', encrypted: false, signed: true, status: 'verified' });
  assert.ok(!got.report.parts.some((p) => p.path === '1' && p.signed), 'the attacker part is not marked signed');
});

test("multipart/alternative [attacker text, Bob's multipart/signed]: none, partially-signed", async () => {
  const got = await inspect(s, message(FROM_BOB, multipart('alternative', [textPart(ATTACKER), bobSigned])));
  assertNotSigned(got);
  assert.ok(warningCodes(got.report).includes('partially-signed'));
});

test("multipart/related [attacker HTML, Bob's multipart/signed]: none, partially-signed", async () => {
  const got = await inspect(
    s,
    message(FROM_BOB, multipart('related', [textPart(`<h1>${ATTACKER}</h1>`, 'text/html; charset=utf-8'), bobSigned])),
  );
  assertNotSigned(got);
  assert.ok(warningCodes(got.report).includes('partially-signed'));
});

test("deeper: multipart/mixed [attacker text, multipart/mixed [Bob's multipart/signed]]: none, partially-signed", async () => {
  const got = await inspect(s, message(FROM_BOB, multipart('mixed', [textPart(ATTACKER), multipart('mixed', [bobSigned])])));
  assertNotSigned(got);
  assert.ok(warningCodes(got.report).includes('partially-signed'));
  assert.ok(got.report.parts.some((p) => p.path === '2.1' && p.status === 'verified'));
});

test("Bob's whole signed message forwarded as a message/rfc822 attachment of a message From Bob: none", async () => {
  const attached = part(
    [
      ['Content-Type', 'message/rfc822'],
      ['Content-Disposition', 'attachment; filename="confirmation.eml"'],
    ],
    bobMessage,
  );
  const got = await inspect(s, message(FROM_BOB, multipart('mixed', [textPart(ATTACKER), attached])));
  assertNotSigned(got);
  assert.ok(!got.report.parts.some((p) => p.signed && p.status === 'verified' && p.path === '1'));
});

test("Bob's whole signed message as an inline message/rfc822 part after attacker text: none", async () => {
  const got = await inspect(
    s,
    message(FROM_BOB, multipart('mixed', [textPart(ATTACKER), part([['Content-Type', 'message/rfc822']], bobMessage)])),
  );
  assertNotSigned(got);
});

test("the message itself of type message/rfc822 wrapping Bob's signed message: none", async () => {
  const got = await inspect(s, message(FROM_BOB, part([['Content-Type', 'message/rfc822']], bobMessage)));
  assertNotSigned(got);
});

test("Mallory encrypts [attacker text, Bob's multipart/signed] to Alice: decrypted, but the signature is none and partially-signed", async () => {
  const inner = multipart('mixed', [textPart(ATTACKER), bobSigned]);
  const got = await inspect(s, message(FROM_BOB, pgpMimeEncrypted(await encryptTo(inner, [s.alice.cert]))));
  assert.equal(got.report.encryption.status, 'decrypted');
  assertNotSigned(got);
  assert.ok(warningCodes(got.report).includes('partially-signed'));
});

test("attacker text in the preamble and the epilogue of Bob's multipart/signed: not in a report that says valid", async () => {
  const signedPart = textPart(`${BOB_TEXT}\n`);
  const sig = await signEntity(signedPart, s.bob.key);
  const entity = multipart(
    'signed',
    [signedPart, part([['Content-Type', 'application/pgp-signature']], sig)],
    { micalg: await micalgOf(sig), protocol: 'application/pgp-signature' },
    { preamble: `PREAMBLE ${ATTACKER}`, epilogue: `EPILOGUE ${ATTACKER}\n` },
  );
  const got = await inspect(s, message(FROM_BOB, entity));
  // Preamble and epilogue are outside every body part (RFC 2046): the signature over part 1 is the root's.
  assert.equal(got.report.signature.status, 'valid');
  assert.ok(!got.report.text.includes('ATTACKER'), `attacker text in a valid report: ${got.report.text}`);
  assert.ok(got.report.text.includes(BOB_TEXT));
});

test("a third body part after the signature in Bob's multipart/signed: not in a report that says valid", async () => {
  const signedPart = textPart(`${BOB_TEXT}\n`);
  const sig = await signEntity(signedPart, s.bob.key);
  const entity = multipart('signed', [signedPart, part([['Content-Type', 'application/pgp-signature']], sig), textPart(ATTACKER)], {
    micalg: await micalgOf(sig),
    protocol: 'application/pgp-signature',
  });
  const got = await inspect(s, message(FROM_BOB, entity));
  if (got.report.signature.status === 'valid')
    assert.ok(!got.report.text.includes('ATTACKER'), `attacker text in a valid report: ${got.report.text}`);
  assert.deepEqual(got.report.attachments, []);
});

test("a third body part after the signature in Bob's multipart/signed is listed in parts as unsigned", {}, async () => {
  const signedPart = textPart(`${BOB_TEXT}\n`);
  const sig = await signEntity(signedPart, s.bob.key);
  const entity = multipart('signed', [signedPart, part([['Content-Type', 'application/pgp-signature']], sig), textPart(ATTACKER)], {
    micalg: await micalgOf(sig),
    protocol: 'application/pgp-signature',
  });
  const got = await inspect(s, message(FROM_BOB, entity));
  assert.ok(
    got.report.parts.some((p) => p.path === '3' && !p.signed),
    `the third part listed: ${JSON.stringify(got.report.parts)}`,
  );
});
