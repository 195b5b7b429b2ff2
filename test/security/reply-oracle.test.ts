/**
 * Reply oracles ("Re: What's up Johnny?", Müller et al. 2019): Mallory
 * embeds a ciphertext she captured (Bob to Alice) in a message of her own,
 * as an attachment, quoted in a reply, or in one alternative. If Alice's
 * client decrypts it in place, Alice's answer (quoting the "her own" text)
 * carries the plaintext back to Mallory.
 *
 * What must not happen: a ciphertext that is not the root is decrypted; its
 * plaintext appears anywhere. What the report says: encryption none, the
 * part listed as not-decrypted, a partially-encrypted warning.
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
import { dearmor } from '../support/craft.ts';

let s: Setup;
let secret: string;
let inner: Buffer;
/** The captured ciphertext: Bob to Alice, signed by Bob. */
let captured: string;

const FROM_MALLORY = { From: 'Mallory <mallory@attacker.example>', To: 'alice@openpgp.example', Subject: 'Re: your last message' };
const quote = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => `> ${l}`)
    .join('\n');

before(async () => {
  s = await setup();
  secret = secretToken('MERGER');
  inner = textPart(`Alice, the merger closes on Friday: ${secret}\n`);
  captured = await encryptTo(inner, [s.alice.cert], s.bob.key);
});
after(() => s?.cleanup());

function assertNotDecrypted(got: Inspected, path: string | null): void {
  const r = got.report;
  assert.equal(r.encryption.status, 'none', `encryption.status none, got ${r.encryption.status}`);
  assert.deepEqual(r.encryption.recipients, []);
  assert.equal(r.signature.status, 'none', 'no signature from inside the ciphertext');
  assert.ok(!r.parts.some((p) => p.status === 'decrypted'));
  if (path !== null) {
    const entry = r.parts.find((p) => p.path === path);
    assert.ok(entry, `part ${path} listed: ${JSON.stringify(r.parts)}`);
    assert.equal(entry.encrypted, true);
    assert.equal(entry.status, 'not-decrypted');
    assert.ok(warningCodes(r).includes('partially-encrypted'), warningCodes(r).join(', '));
  }
  assertNowhere(got, secret, inner);
}

test("control: the captured ciphertext as Bob's own whole message is decrypted", async () => {
  const got = await inspect(s, message({ From: 'Bob Babbage <bob@openpgp.example>', Subject: '...' }, pgpMimeEncrypted(captured)));
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.ok(got.report.text.includes(secret));
});

test("resent whole as Mallory's own message: decrypted (it is the root), but Bob's signature is flagged signer-mismatch", async () => {
  const got = await inspect(s, message(FROM_MALLORY, pgpMimeEncrypted(captured)));
  assert.equal(got.report.encryption.status, 'decrypted');
  assert.equal(got.report.signature.signer?.fingerprint, s.bob.fpr);
  assert.equal(got.report.signature.signerMatchesFrom, false);
  assert.ok(warningCodes(got.report).includes('signer-mismatch'));
});

test('as an armored attachment (application/pgp-encrypted, msg.asc): not decrypted', async () => {
  const att = part(
    [
      ['Content-Type', 'application/pgp-encrypted; name="msg.asc"'],
      ['Content-Disposition', 'attachment; filename="msg.asc"'],
    ],
    captured,
  );
  assertNotDecrypted(
    await inspect(
      s,
      message(FROM_MALLORY, multipart('mixed', [textPart('Could you check the attached file and tell me what it says?'), att])),
    ),
    '2',
  );
});

test('as an armored attachment (application/octet-stream, msg.asc): not decrypted', async () => {
  const att = part(
    [
      ['Content-Type', 'application/octet-stream; name="msg.asc"'],
      ['Content-Disposition', 'attachment; filename="msg.asc"'],
    ],
    captured,
  );
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, multipart('mixed', [textPart('See attached.'), att]))), '2');
});

test('as an attached multipart/encrypted (PGP/MIME) entity: not decrypted', async () => {
  assertNotDecrypted(
    await inspect(s, message(FROM_MALLORY, multipart('mixed', [textPart('See below.'), pgpMimeEncrypted(captured)]))),
    '2',
  );
});

test('as a binary attachment (application/octet-stream, msg.gpg, base64): never decrypted, plaintext nowhere', async () => {
  const b64 = Buffer.from(dearmor(captured)).toString('base64').replace(/.{76}/g, '$&\n');
  const att = part(
    [
      ['Content-Type', 'application/octet-stream; name="msg.gpg"'],
      ['Content-Disposition', 'attachment; filename="msg.gpg"'],
      ['Content-Transfer-Encoding', 'base64'],
    ],
    b64,
  );
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, multipart('mixed', [textPart('See attached.'), att]))), null);
});

test('as a binary attachment (application/octet-stream, msg.gpg): listed as an encrypted, not-decrypted part', {}, async () => {
  const b64 = Buffer.from(dearmor(captured)).toString('base64').replace(/.{76}/g, '$&\n');
  const att = part(
    [
      ['Content-Type', 'application/octet-stream; name="msg.gpg"'],
      ['Content-Disposition', 'attachment; filename="msg.gpg"'],
      ['Content-Transfer-Encoding', 'base64'],
    ],
    b64,
  );
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, multipart('mixed', [textPart('See attached.'), att]))), '2');
});

test('inline, quoted in reply text ("> " lines): not decrypted', async () => {
  const body = `Hi Alice,\n\nI did not understand your message:\n\nOn Monday, Alice wrote:\n${quote(captured)}\n\nWhat did you mean?\n`;
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, body)), '1');
});

test('inline, the quoted ciphertext alone as the body: not decrypted', async () => {
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, `${quote(captured)}\n`)), '1');
});

test('inline, unquoted inside reply text: not decrypted', async () => {
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, `What does this say?\n\n${captured}\n\nThanks!\n`)), '1');
});

test('inline, in an HTML <blockquote> of a text/html reply: not decrypted', async () => {
  const htmlBody = `<p>What does this mean?</p><blockquote><pre>${captured}</pre></blockquote><p>Thanks</p>`;
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, textPart(htmlBody, 'text/html; charset=utf-8'))), '1');
});

test('inside multipart/alternative: the plain alternative innocuous, the other one a multipart/encrypted: not decrypted', async () => {
  assertNotDecrypted(
    await inspect(s, message(FROM_MALLORY, multipart('alternative', [textPart('Hi Alice, how are you?'), pgpMimeEncrypted(captured)]))),
    '2',
  );
});

test('inside multipart/alternative: the HTML alternative holds the armored ciphertext: not decrypted', async () => {
  const alt = multipart('alternative', [
    textPart('Hi Alice, how are you?'),
    textPart(`<p>Hi Alice</p><pre>${captured}</pre>`, 'text/html; charset=utf-8'),
  ]);
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, alt)), '2');
});

test('inside multipart/alternative: the plain alternative is the bare ciphertext, the HTML one innocuous: not decrypted', async () => {
  const alt = multipart('alternative', [textPart(captured), textPart('<p>Hi Alice, how are you?</p>', 'text/html; charset=utf-8')]);
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, alt)), '1');
});

test('inside a forwarded message/rfc822 attachment: never decrypted, plaintext nowhere', async () => {
  const fwd = part(
    [
      ['Content-Type', 'message/rfc822'],
      ['Content-Disposition', 'attachment; filename="fwd.eml"'],
    ],
    message({ From: 'Bob Babbage <bob@openpgp.example>', Subject: '...' }, pgpMimeEncrypted(captured)),
  );
  assertNotDecrypted(
    await inspect(s, message(FROM_MALLORY, multipart('mixed', [textPart('Forwarding this, what does it say?'), fwd]))),
    null,
  );
});

test('inside multipart/related next to the HTML root: not decrypted', async () => {
  const rel = multipart('related', [textPart('<p>Hi Alice</p>', 'text/html; charset=utf-8'), pgpMimeEncrypted(captured)], {
    type: 'text/html',
  });
  assertNotDecrypted(await inspect(s, message(FROM_MALLORY, rel)), '2');
});
