/**
 * Header protection as the reader shows it (RFC 9788, and the older
 * protected-headers="v1" that Delta Chat, Thunderbird and Enigmail send):
 * the protected From (with its display name), To, Cc and Date are the ones
 * shown when the encrypted part carries them, the outer ones stay in the
 * report's outer fields, and header fields in an unprotected part are never
 * taken for protected ones.
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
  encryptTo,
  signedBy,
  inspect,
  warningCodes,
  type Setup,
} from '../../../support/mail.ts';

let s: Setup;

before(async () => {
  s = await setup();
});
after(() => s?.cleanup());

const INNER_DATE = 'Thu, 04 Jun 2026 09:30:00 +0200';
const OUTER_DATE = 'Mon, 01 Jun 2026 00:00:00 +0000';

/** Delta Chat's outer header section: the Subject obscured, the recipients hidden, the Date moved days back. */
function deltaChatOuter(): Array<[string, string]> {
  return [
    ['From', 'bob@openpgp.example'],
    ['To', '"hidden-recipients": ;'],
    ['Subject', '[...]'],
    ['Date', OUTER_DATE],
    ['Chat-Version', '1.0'],
  ];
}

/** Delta Chat's cryptographic payload: multipart/mixed, protected-headers="v1", the real header fields on it. */
function deltaChatPayload(body: string): Buffer {
  return multipart(
    'mixed',
    [textPart(body)],
    { 'protected-headers': 'v1' },
    {
      headers: [
        ['Date', INNER_DATE],
        ['From', '=?utf-8?q?Bob_B=C3=A4bbage?= <bob@openpgp.example>'],
        ['To', '"Alice Lovelace" <alice@openpgp.example>'],
        ['Cc', 'Carol <carol@example.org>'],
        ['Subject', 'Dinner on Friday'],
        ['Chat-Version', '1.0'],
      ],
    },
  );
}

test('Delta Chat: the protected Date, From (with its name), To and Cc are shown; the outer ones stay in the outer fields', async () => {
  const armored = await encryptTo(deltaChatPayload('See you at eight.\n'), [s.alice.cert], s.bob.key);
  const got = await inspect(s, message(deltaChatOuter(), pgpMimeEncrypted(armored)));
  const r = got.report;
  assert.equal(r.encryption.status, 'decrypted');
  assert.equal(r.encryption.protectedHeaders, true);
  assert.equal(r.subject, 'Dinner on Friday');
  assert.equal(r.date, '2026-06-04T07:30:00.000Z', 'the protected Date, not the outer one days off');
  assert.deepEqual(r.from, { name: 'Bob Bäbbage', address: 'bob@openpgp.example' });
  assert.deepEqual(r.to, [{ name: 'Alice Lovelace', address: 'alice@openpgp.example' }]);
  assert.deepEqual(r.cc, [{ name: 'Carol', address: 'carol@example.org' }]);
  assert.equal(r.outerSubject, '[...]');
  assert.equal(r.outerDate, '2026-06-01T00:00:00.000Z');
  assert.deepEqual(r.outerFrom, { name: '', address: 'bob@openpgp.example' });
  assert.deepEqual(r.outerTo, [], 'the empty group "hidden-recipients" has no mailboxes');
  assert.deepEqual(r.outerCc, []);
  // The signature covers the protected From, which is Bob's, and so is the outer one.
  assert.equal(r.signature.status, 'valid');
  assert.equal(r.signature.signerMatchesFrom, true);
  assert.ok(!warningCodes(r).includes('from-mismatch'));
  assert.equal(r.text.replace(/\r\n/g, '\n'), 'See you at eight.\n');
});

test('RFC 9788 (hp="cipher") on a signed, then encrypted text/plain: the protected fields are shown', async () => {
  const inner = part(
    [
      ['Content-Type', 'text/plain; charset=utf-8; hp="cipher"'],
      ['Date', 'Fri, 21 Jan 2022 20:40:48 -0500'],
      ['From', 'Bob Babbage <bob@openpgp.example>'],
      ['To', 'Alice <alice@openpgp.example>, Dave <dave@example.org>'],
      ['Subject', 'Dinner plans'],
      ['HP-Outer', 'Subject: [...]'],
    ],
    "Let's meet at eight.\n",
  );
  const armored = await encryptTo(await signedBy(inner, s.bob.key), [s.alice.cert]);
  const outer: Array<[string, string]> = [
    ['From', 'Bob Babbage <bob@openpgp.example>'],
    ['To', 'Alice <alice@openpgp.example>'],
    ['Subject', '[...]'],
    ['Date', 'Sat, 22 Jan 2022 01:40:48 +0000'],
  ];
  const r = (await inspect(s, message(outer, pgpMimeEncrypted(armored)))).report;
  assert.equal(r.signature.status, 'valid');
  assert.equal(r.signature.signerMatchesFrom, true);
  assert.equal(r.subject, 'Dinner plans');
  assert.equal(r.date, '2022-01-22T01:40:48.000Z');
  assert.deepEqual(
    r.to.map((a) => a.address),
    ['alice@openpgp.example', 'dave@example.org'],
  );
  assert.deepEqual(
    r.outerTo.map((a) => a.address),
    ['alice@openpgp.example'],
  );
});

test('a protected part without Date, To or Cc: the outer ones are shown', async () => {
  const inner = part(
    [
      ['Content-Type', 'text/plain; charset=utf-8; protected-headers="v1"'],
      ['From', 'Bob Babbage <bob@openpgp.example>'],
      ['Subject', 'only the subject inside'],
    ],
    'hello\n',
  );
  const armored = await encryptTo(inner, [s.alice.cert], s.bob.key);
  const outer: Array<[string, string]> = [
    ['From', 'bob@openpgp.example'],
    ['To', 'alice@openpgp.example'],
    ['Cc', 'carol@example.org'],
    ['Subject', '...'],
    ['Date', OUTER_DATE],
  ];
  const r = (await inspect(s, message(outer, pgpMimeEncrypted(armored)))).report;
  assert.equal(r.subject, 'only the subject inside');
  assert.equal(r.date, '2026-06-01T00:00:00.000Z');
  assert.deepEqual(r.to, [{ name: '', address: 'alice@openpgp.example' }]);
  assert.deepEqual(r.cc, [{ name: '', address: 'carol@example.org' }]);
  assert.deepEqual(r.from, { name: 'Bob Babbage', address: 'bob@openpgp.example' });
  assert.equal(r.outerDate, r.date);
});

test('header fields inside an unprotected message are not taken for protected ones', async () => {
  const body = multipart(
    'mixed',
    [textPart('hello\n')],
    { 'protected-headers': 'v1' },
    {
      headers: [
        ['Date', INNER_DATE],
        ['From', 'Mallory <mallory@attacker.example>'],
        ['To', 'someone@attacker.example'],
        ['Subject', 'forged inner subject'],
      ],
    },
  );
  const outer: Array<[string, string]> = [
    ['From', 'Bob Babbage <bob@openpgp.example>'],
    ['To', 'alice@openpgp.example'],
    ['Subject', 'the subject'],
    ['Date', OUTER_DATE],
  ];
  // The multipart/mixed holds another one whose header fields look protected: nothing protects either.
  const r = (await inspect(s, message(outer, multipart('mixed', [body, textPart('footer\n')])))).report;
  assert.equal(r.encryption.status, 'none');
  assert.equal(r.subject, 'the subject');
  assert.equal(r.date, '2026-06-01T00:00:00.000Z');
  assert.deepEqual(r.from, { name: 'Bob Babbage', address: 'bob@openpgp.example' });
  assert.deepEqual(r.to, [{ name: '', address: 'alice@openpgp.example' }]);
  assert.deepEqual(r.outerFrom, r.from);
  assert.deepEqual(r.outerTo, r.to);
  assert.equal(r.outerDate, r.date);
});

test('a plain message: the outer fields equal the ones shown', async () => {
  const r = (
    await inspect(
      s,
      message({ From: 'Bob <bob@openpgp.example>', To: 'alice@openpgp.example', Cc: 'carol@example.org', Subject: 'hi' }, 'hello\n'),
    )
  ).report;
  assert.deepEqual(
    { from: r.outerFrom, to: r.outerTo, cc: r.outerCc, date: r.outerDate, subject: r.outerSubject },
    { from: r.from, to: r.to, cc: r.cc, date: r.date, subject: r.subject },
  );
});
