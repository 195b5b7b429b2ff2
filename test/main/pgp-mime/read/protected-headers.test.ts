/**
 * Header protection as the reader shows it (RFC 9788, and the older
 * protected-headers="v1" that Delta Chat, Thunderbird and Enigmail send):
 * the protected From (with its display name), To, Cc and Date are the ones
 * shown when the encrypted part carries them, the outer ones stay in the
 * report's outer fields, and header fields in an unprotected part are never
 * taken for protected ones. The legacy display element (RFC 9788 section
 * 4.5.3), the copy of the protected fields in the body for readers that
 * cannot show them, is left out of the text and the HTML when the protected
 * fields are shown, and kept when they are not.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKeyringWorker, type RunningKeyring } from '../../../../main/keyring-host/worker-keyring.ts';
import { examineMessage, type ExaminedMessage } from '../../../../main/pgp-mime/read/inspect.ts';
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
let keyring: RunningKeyring;

before(async () => {
  s = await setup();
  keyring = startKeyringWorker(s.home);
});
after(async () => {
  await keyring?.close();
  await s?.cleanup();
});

/** The reader's reading (the report and the HTML it shows), in Alice's profile. */
function examine(raw: Uint8Array): Promise<ExaminedMessage> {
  return examineMessage(raw, keyring.client, { keyPasswords: ['correct horse battery staple'] });
}

const lf = (text: string) => text.replace(/\r\n/g, '\n');

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

/** RFC 9788 Appendix E style: the Subject obscured outside, the real one inside and in a legacy display. */
const LEGACY_OUTER: Array<[string, string]> = [
  ['From', 'Bob Babbage <bob@openpgp.example>'],
  ['To', 'alice@openpgp.example'],
  ['Subject', '[...]'],
];
const LEGACY_HEADERS: Array<[string, string]> = [
  ['From', 'Bob Babbage <bob@openpgp.example>'],
  ['To', 'alice@openpgp.example'],
  ['Subject', 'Dinner plans'],
  ['HP-Outer', 'Subject: [...]'],
];
const LEGACY_TEXT = "Subject: Dinner plans\n\nLet's meet at Rama's Roti Shop at 8pm.\n";
const LEGACY_HTML =
  '<html><head><title></title></head><body>\n<div class="header-protection-legacy-display">\n<pre>Subject: Dinner plans</pre>\n</div>\n<p>Let\'s meet at <b>Rama\'s Roti Shop</b> at 8pm.</p>\n</body>\n</html>\n';

test('RFC 9788 text/plain with hp-legacy-display="1", encrypted: the legacy display is not body text', async () => {
  const inner = part([['Content-Type', 'text/plain; charset=utf-8; hp-legacy-display="1"; hp="cipher"'], ...LEGACY_HEADERS], LEGACY_TEXT);
  const got = await examine(message(LEGACY_OUTER, pgpMimeEncrypted(await encryptTo(inner, [s.alice.cert], s.bob.key))));
  assert.equal(got.report.subject, 'Dinner plans');
  assert.equal(lf(got.report.text), "Let's meet at Rama's Roti Shop at 8pm.\n");
  assert.equal(got.html, null);
});

test('RFC 9788 multipart/alternative, encrypted: neither the text nor the HTML shows the legacy display, the rest of the HTML as sent', async () => {
  const inner = multipart(
    'alternative',
    [
      textPart(LEGACY_TEXT, 'text/plain; charset=utf-8; hp-legacy-display="1"'),
      textPart(LEGACY_HTML, 'text/html; charset=utf-8; hp-legacy-display="1"'),
    ],
    { hp: 'cipher' },
    { headers: LEGACY_HEADERS },
  );
  const got = await examine(message(LEGACY_OUTER, pgpMimeEncrypted(await encryptTo(inner, [s.alice.cert], s.bob.key))));
  assert.equal(got.report.encryption.protectedHeaders, true);
  assert.ok(!got.report.text.includes('Subject:'), got.report.text);
  assert.ok(got.report.text.includes("Let's meet at Rama's Roti Shop at 8pm."));
  assert.ok(got.html !== null);
  assert.ok(!got.html.includes('header-protection-legacy-display') && !got.html.includes('Subject: Dinner plans'), got.html);
  assert.equal(lf(got.html), lf(LEGACY_HTML).replace(/<div class="header-protection-legacy-display">[\s\S]*?<\/div>/, ''));
});

test('an HTML-only body, encrypted: the legacy display element is left out of the HTML and of the text made from it', async () => {
  const inner = part([['Content-Type', 'text/html; charset=utf-8; hp-legacy-display="1"; hp="cipher"'], ...LEGACY_HEADERS], LEGACY_HTML);
  const got = await examine(message(LEGACY_OUTER, pgpMimeEncrypted(await encryptTo(inner, [s.alice.cert], s.bob.key))));
  assert.ok(!got.report.text.includes('Subject'), got.report.text);
  assert.ok(got.report.text.includes("Let's meet at"), got.report.text);
  assert.ok(got.html !== null && !got.html.includes('Subject: Dinner plans'), String(got.html));
});

test('a legacy display part of its own beside the body (multipart/mixed, protected-headers="v1"): not shown', async () => {
  const inner = multipart(
    'mixed',
    [textPart('Subject: Dinner plans\n', 'text/plain; charset=utf-8; hp-legacy-display="1"'), textPart('See you.\n')],
    { 'protected-headers': 'v1' },
    { headers: LEGACY_HEADERS },
  );
  const got = await examine(message(LEGACY_OUTER, pgpMimeEncrypted(await encryptTo(inner, [s.alice.cert], s.bob.key))));
  assert.equal(got.report.subject, 'Dinner plans');
  assert.equal(lf(got.report.text), 'See you.\n');
});

test('without protected header fields the legacy display stays: it is then the only place the reader sees them', async () => {
  // The same body, but not encrypted and not declaring header protection: the report shows the outer Subject.
  const plain = message(LEGACY_OUTER, textPart(LEGACY_TEXT, 'text/plain; charset=utf-8; hp-legacy-display="1"'));
  const got = await examine(plain);
  assert.equal(got.report.subject, '[...]');
  assert.equal(lf(got.report.text), LEGACY_TEXT);
  // Encrypted, but the payload carries no header fields: nothing protected is shown, so nothing is hidden.
  const bare = textPart(LEGACY_HTML, 'text/html; charset=utf-8; hp-legacy-display="1"');
  const enc = await examine(message(LEGACY_OUTER, pgpMimeEncrypted(await encryptTo(bare, [s.alice.cert], s.bob.key))));
  assert.equal(enc.report.encryption.status, 'decrypted');
  assert.equal(enc.report.subject, '[...]');
  assert.ok(enc.html?.includes('Subject: Dinner plans'), String(enc.html));
});

test('a text/plain without hp-legacy-display="1" that starts with header-like lines is left whole', async () => {
  const inner = part(
    [['Content-Type', 'text/plain; charset=utf-8; hp="cipher"'], ...LEGACY_HEADERS],
    'Note: the meeting moved.\n\nSee you.\n',
  );
  const got = await examine(message(LEGACY_OUTER, pgpMimeEncrypted(await encryptTo(inner, [s.alice.cert], s.bob.key))));
  assert.equal(lf(got.report.text), 'Note: the meeting moved.\n\nSee you.\n');
});
