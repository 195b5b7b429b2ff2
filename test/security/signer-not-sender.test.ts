/**
 * A valid signature by someone who is not the sender: Mallory signs a
 * message that claims to be From Bob. The signature is cryptographically
 * good (her certificate is in the profile), so the status is valid; what
 * protects Alice is signerMatchesFrom and the signer-mismatch warning.
 *
 * The comparison must equate what is the same address (case, IDNA A-label
 * vs U-label) and must not equate look-alikes (Cyrillic letters, fullwidth
 * forms, display names that look like addresses).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { domainToASCII } from 'node:url';
import { setup, message, textPart, signedBy, inspect, warningCodes, type Setup, type Person, type Inspected } from '../support/mail.ts';

let s: Setup;
let body: Buffer;
let byBob: Buffer;
let byMallory: Buffer;
/** Keys with special user ids (certificates imported into the profile). */
let idnUnicode: Person;
let idnPunycode: Person;
let cyrillic: Person;
let fullwidth: Person;

const CYRILLIC_BOB = 'b\u043eb@openpgp.example'; // "bоb": U+043E CYRILLIC SMALL LETTER O
const CYRILLIC_DOMAIN = `bob@${domainToASCII('\u043epenpgp.example')}`; // "оpenpgp.example" in punycode

before(async () => {
  s = await setup();
  body = textPart('Please update my bank details to IBAN XX00 1234.\n');
  [idnUnicode, idnPunycode, cyrillic, fullwidth] = await Promise.all([
    s.person(['Bob Bücher <bob@bücher.example>'], { importCert: false }),
    s.person(['Bob Puny <bob@xn--bcher-kva.example>'], { importCert: false }),
    s.person([`Bob Babbage <${CYRILLIC_BOB}>`], { importCert: false }),
    s.person(['Bob Babbage <\uff42\uff4f\uff42@openpgp.example>'], { importCert: false }), // fullwidth "ｂｏｂ"
  ]);
  await s.importCerts([idnUnicode.cert, idnPunycode.cert, cyrillic.cert, fullwidth.cert]);
  [byBob, byMallory] = await Promise.all([signedBy(body, s.bob.key), signedBy(body, s.mallory.key)]);
});
after(() => s?.cleanup());

function assertMatch(got: Inspected, fpr: string): void {
  const sig = got.report.signature;
  assert.equal(sig.status, 'valid');
  assert.equal(sig.signer?.fingerprint, fpr);
  assert.equal(sig.signerMatchesFrom, true, `signer ${sig.signer?.userIds.join(', ')} should match From ${got.report.from?.address}`);
  assert.ok(!warningCodes(got.report).includes('signer-mismatch'));
}

function assertMismatch(got: Inspected, fpr: string): void {
  const sig = got.report.signature;
  assert.equal(sig.status, 'valid', 'the signature itself is good');
  assert.equal(sig.signer?.fingerprint, fpr);
  assert.equal(sig.signerMatchesFrom, false, `signer ${sig.signer?.userIds.join(', ')} must not match From ${got.report.from?.address}`);
  assert.ok(warningCodes(got.report).includes('signer-mismatch'), `signer-mismatch, got ${warningCodes(got.report).join(', ')}`);
}

test('control: Bob signs a message From Bob: valid and matching', async () => {
  assertMatch(await inspect(s, message({ From: 'Bob Babbage <bob@openpgp.example>', Subject: 'bank' }, byBob)), s.bob.fpr);
});

test('Mallory signs a message From Bob: valid, signerMatchesFrom false, signer-mismatch, the signer is Mallory', async () => {
  const got = await inspect(s, message({ From: 'Bob Babbage <bob@openpgp.example>', Subject: 'bank' }, byMallory));
  assertMismatch(got, s.mallory.fpr);
  assert.deepEqual(got.report.signature.signer?.userIds, ['Mallory <mallory@attacker.example>']);
  assert.equal(got.report.from?.address, 'bob@openpgp.example');
});

test('case: From BOB@OPENPGP.EXAMPLE and From Bob@OpenPGP.Example match the user id bob@openpgp.example', async () => {
  const [upper, mixed] = await Promise.all([
    inspect(s, message({ From: 'BOB <BOB@OPENPGP.EXAMPLE>', Subject: 'bank' }, byBob)),
    inspect(s, message({ From: 'Bob@OpenPGP.Example', Subject: 'bank' }, byBob)),
  ]);
  assertMatch(upper, s.bob.fpr);
  assertMatch(mixed, s.bob.fpr);
});

test('IDN: From in punycode (bob@xn--bcher-kva.example) matches the Unicode user id bob@bücher.example', async () => {
  assertMatch(
    await inspect(s, message({ From: 'bob@xn--bcher-kva.example', Subject: 'bank' }, await signedBy(body, idnUnicode.key))),
    idnUnicode.fpr,
  );
});

test('IDN: From in Unicode (UTF-8 header, RFC 6532) matches the punycode user id bob@xn--bcher-kva.example', {}, async () => {
  const got = await inspect(s, message({ From: 'bob@bücher.example', Subject: 'bank' }, await signedBy(body, idnPunycode.key)));
  assert.equal(got.report.from?.address, 'bob@bücher.example');
  assertMatch(got, idnPunycode.fpr);
});

test('IDN: From in Unicode (UTF-8 header, RFC 6532) matches the same Unicode user id', {}, async () => {
  const got = await inspect(s, message({ From: 'Bob Bücher <bob@bücher.example>', Subject: 'bank' }, await signedBy(body, idnUnicode.key)));
  assertMatch(got, idnUnicode.fpr);
});

test('look-alike: a key whose user id is the Cyrillic "bоb@openpgp.example" does not match From bob@openpgp.example', async () => {
  const got = await inspect(s, message({ From: 'Bob Babbage <bob@openpgp.example>', Subject: 'bank' }, await signedBy(body, cyrillic.key)));
  assertMismatch(got, cyrillic.fpr);
});

test("look-alike: a From with a Cyrillic letter (UTF-8 header) does not match Bob's bob@openpgp.example", async () => {
  assertMismatch(await inspect(s, message({ From: `Bob Babbage <${CYRILLIC_BOB}>`, Subject: 'bank' }, byBob)), s.bob.fpr);
});

test('look-alike: a From whose domain is a Cyrillic look-alike in punycode does not match bob@openpgp.example', async () => {
  assert.match(CYRILLIC_DOMAIN, /^bob@xn--/);
  assertMismatch(await inspect(s, message({ From: CYRILLIC_DOMAIN, Subject: 'bank' }, byBob)), s.bob.fpr);
});

test('look-alike: a fullwidth "ｂｏｂ@openpgp.example" user id does not match From bob@openpgp.example (no NFKC folding)', async () => {
  assertMismatch(
    await inspect(s, message({ From: 'bob@openpgp.example', Subject: 'bank' }, await signedBy(body, fullwidth.key))),
    fullwidth.fpr,
  );
});

test('display name: From "bob@openpgp.example" <mallory@attacker.example> signed by Bob does not match', async () => {
  const got = await inspect(s, message({ From: '"bob@openpgp.example" <mallory@attacker.example>', Subject: 'bank' }, byBob));
  assertMismatch(got, s.bob.fpr);
  assert.equal(got.report.from?.address, 'mallory@attacker.example');
});

test('display name: From "Bob Babbage" <mallory@attacker.example> signed by Mallory: the From address is Mallory\'s, and it matches her', async () => {
  const got = await inspect(s, message({ From: '"Bob Babbage" <mallory@attacker.example>', Subject: 'bank' }, byMallory));
  assertMatch(got, s.mallory.fpr);
  assert.equal(got.report.from?.address, 'mallory@attacker.example');
});

test('two From headers (Bob and Mallory), signed by Bob: multiple-from, signerMatchesFrom false', async () => {
  const got = await inspect(
    s,
    message(
      [
        ['From', 'Bob Babbage <bob@openpgp.example>'],
        ['From', 'Mallory <mallory@attacker.example>'],
        ['Subject', 'bank'],
      ],
      byBob,
    ),
  );
  assert.ok(warningCodes(got.report).includes('multiple-from'), warningCodes(got.report).join(', '));
  assertMismatch(got, s.bob.fpr);
});

test('one From header with two addresses (Bob, Mallory), signed by Bob: signerMatchesFrom false', async () => {
  assertMismatch(
    await inspect(s, message({ From: 'Bob Babbage <bob@openpgp.example>, Mallory <mallory@attacker.example>', Subject: 'bank' }, byBob)),
    s.bob.fpr,
  );
});
