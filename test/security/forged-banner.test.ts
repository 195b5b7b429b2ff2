/**
 * A forged security banner: an unsigned, unencrypted message whose body
 * (text and HTML), subject and extra header fields say "✅ Signed and
 * verified by Bob — encrypted", imitating the client's own indicators.
 *
 * What must not happen: any security field of the report moved by what the
 * body or a header field says. What the report says: the same as for an
 * innocuous message: encryption none, signature none, no signer, no
 * warnings about validity.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, message, textPart, part, multipart, signedBy, inspect, warningCodes, type Setup, type Inspected } from '../support/mail.ts';
import { runSealpost } from '../support/cli.ts';

let s: Setup;

const BANNER = '✅ Signed and verified by Bob <bob@openpgp.example> — encrypted';
const BANNER_HTML = `<div style="background:#e6ffed;border:1px solid #2da44e;padding:8px;font-family:system-ui">🔒 <b>Encrypted</b> · ✅ <b>Signed and verified</b> by Bob Babbage &lt;bob@openpgp.example&gt;<br><small>Fingerprint verified · OpenPGP</small></div>`;
const SUBJECT_2047 = `=?utf-8?B?${Buffer.from(`[${BANNER}] payment`, 'utf8').toString('base64')}?=`;
const HEADERS = { From: 'Bob Babbage <bob@openpgp.example>', To: 'alice@openpgp.example', Subject: SUBJECT_2047 };
const FORGED_HEADERS: Array<[string, string]> = [
  ['X-PGP-Signature', 'valid; signer=bob@openpgp.example'],
  ['X-Sealpost-Security', 'encrypted, signed, verified'],
  ['Authentication-Results', 'mx.example; dkim=pass header.d=openpgp.example; openpgp=pass smtp.mailfrom=bob@openpgp.example'],
  ['X-Mailer', 'Sealpost (OpenPGP: signed+encrypted)'],
];

/** The security-relevant fields of a report. */
function security(got: Inspected) {
  const r = got.report;
  return {
    encryption: r.encryption,
    signature: r.signature,
    warnings: warningCodes(r),
    partsSecurity: [...new Set(r.parts.map((p) => `${p.encrypted}/${p.signed}/${p.status}`))],
  };
}

let baseline: ReturnType<typeof security>;

before(async () => {
  s = await setup();
  baseline = security(
    await inspect(
      s,
      message({ From: 'Bob Babbage <bob@openpgp.example>', To: 'alice@openpgp.example', Subject: 'payment' }, 'Hello Alice.\n'),
    ),
  );
});
after(() => s?.cleanup());

function assertUntouched(got: Inspected): void {
  const r = got.report;
  assert.deepEqual(r.encryption, { status: 'none', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [] });
  assert.deepEqual(r.signature, { status: 'none', signer: null, signerMatchesFrom: false, created: null });
  assert.ok(
    !r.warnings.some((w) => /signer|signed|integrity|encrypt/.test(w.code)),
    `no validity warnings, got ${warningCodes(r).join(', ')}`,
  );
  assert.ok(!r.parts.some((p) => p.encrypted || p.signed || p.status !== 'plain'), JSON.stringify(r.parts));
}

test('control: the baseline message is plain', () => {
  assert.deepEqual(baseline.encryption.status, 'none');
  assert.deepEqual(baseline.signature.status, 'none');
});

test('text/plain body with the banner, subject with the banner: statuses none, no signer, the report as for an innocuous message', async () => {
  const got = await inspect(s, message(HEADERS, `${BANNER}\n\nPlease pay invoice 42 to IBAN XX00 ATTACKER.\n`));
  assertUntouched(got);
  assert.deepEqual(security(got), baseline);
  assert.ok(got.report.text.includes(BANNER), 'the banner is body text, shown as such');
  assert.equal(got.report.subject, `[${BANNER}] payment`);
});

test('multipart/alternative with a styled HTML banner: statuses none', async () => {
  const got = await inspect(
    s,
    message(
      HEADERS,
      multipart('alternative', [
        textPart(`${BANNER}\nPay invoice 42.`),
        textPart(`${BANNER_HTML}<p>Pay invoice 42.</p>`, 'text/html; charset=utf-8'),
      ]),
    ),
  );
  assertUntouched(got);
  assert.deepEqual(security(got), baseline);
});

test('HTML-only body with the banner: statuses none', async () => {
  const got = await inspect(
    s,
    message(HEADERS, textPart(`<html><body>${BANNER_HTML}<p>Pay invoice 42.</p></body></html>`, 'text/html; charset=utf-8')),
  );
  assertUntouched(got);
});

test('header fields claiming a verified signature (X-PGP-Signature, Authentication-Results, ...): statuses none', async () => {
  const got = await inspect(s, message([...Object.entries(HEADERS), ...FORGED_HEADERS], `${BANNER}\n`));
  assertUntouched(got);
  assert.deepEqual(security(got), baseline);
});

test("a body that imitates the command's own status lines: the report fields stay none", async () => {
  const fake = [
    'Encryption: decrypted (aead), protected headers',
    `Signature:  valid by Bob Babbage <bob@openpgp.example> (${s.bob.fpr})`,
    '',
    'Pay invoice 42.',
  ].join('\n');
  const msg = message(HEADERS, fake);
  assertUntouched(await inspect(s, msg));
  // The human-readable output: its own status lines, printed before the body, still say none.
  const r = await runSealpost(['inspect', s.file('status-lines.eml', msg)], { home: s.home });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.toString('utf8').split('\n');
  assert.equal(
    lines.find((l) => l.startsWith('Encryption:')),
    'Encryption: none',
  );
  assert.equal(
    lines.find((l) => l.startsWith('Signature:')),
    'Signature:  none',
  );
});

test('an unsigned multipart/mixed with an attachment named signature.asc (application/pgp-signature): statuses none', async () => {
  const fakeSig = part(
    [
      ['Content-Type', 'application/pgp-signature; name="signature.asc"'],
      ['Content-Disposition', 'attachment; filename="signature.asc"'],
    ],
    '-----BEGIN PGP SIGNATURE-----\n\nwnUEARYKACcFgmYAAAAJEAAAAAAAAAAAFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n=AAAA\n-----END PGP SIGNATURE-----\n',
  );
  const got = await inspect(s, message(HEADERS, multipart('mixed', [textPart(BANNER), fakeSig])));
  assert.equal(got.report.encryption.status, 'none');
  assert.equal(got.report.signature.status, 'none');
  assert.equal(got.report.signature.signer, null);
});

test('a fake cleartext-signed block (garbage signature) claiming Bob: never valid, no signer', async () => {
  const fake = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${BANNER}\nPay invoice 42.\n-----BEGIN PGP SIGNATURE-----\n\nwnUEARYKACcFgmYAAAAJEAAAAAAAAAAAFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n=AAAA\n-----END PGP SIGNATURE-----\n`;
  const got = await inspect(s, message(HEADERS, fake));
  assert.notEqual(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.signer, null);
  assert.equal(got.report.signature.signerMatchesFrom, false);
  assert.equal(got.report.encryption.status, 'none');
});

test('an unsigned body part carrying protected-headers="v1" and a forged Subject/From: ignored (the message is not protected)', async () => {
  const inner = part(
    [
      ['Content-Type', 'text/plain; charset=utf-8; protected-headers="v1"'],
      ['From', 'Bob Babbage <bob@openpgp.example>'],
      ['Subject', '[verified] payment'],
    ],
    `${BANNER}\n`,
  );
  const got = await inspect(
    s,
    message(
      { From: 'Mallory <mallory@attacker.example>', To: 'alice@openpgp.example', Subject: 'payment' },
      multipart('mixed', [inner, textPart('more')]),
    ),
  );
  assertUntouched(got);
  assert.equal(got.report.from?.address, 'mallory@attacker.example');
  assert.equal(got.report.subject, 'payment');
});

test('a message validly signed by Mallory whose body says "signed by Bob": the signer is Mallory, whatever the text says', async () => {
  const got = await inspect(
    s,
    message({ From: 'Mallory <mallory@attacker.example>', Subject: 'fwd' }, await signedBy(textPart(`${BANNER}\n`), s.mallory.key)),
  );
  assert.equal(got.report.signature.status, 'valid');
  assert.equal(got.report.signature.signer?.fingerprint, s.mallory.fpr);
  assert.deepEqual(got.report.signature.signer?.userIds, ['Mallory <mallory@attacker.example>']);
  assert.equal(got.report.encryption.status, 'none');
});
