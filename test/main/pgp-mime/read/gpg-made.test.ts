/**
 * Messages made the way GnuPG-based mail tools (mutt, Enigmail) make them,
 * with GnuPG doing the OpenPGP: PGP/MIME signed, PGP/MIME signed and
 * encrypted, inline cleartext-signed and inline encrypted. Each reads here
 * with the status a user must see.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { peer, type PeerKey } from '../../../support/peers/peers.ts';
import { runSealpost, tempDir, type TempDir } from '../../../support/cli.ts';

const gpg = peer('gpg');
const skip = gpg.available() ? false : 'gpg is not on PATH';
let dir: TempDir;
let gus: PeerKey; // a GnuPG user
let ours: { fpr: string; cert: string; pass: string };

const CRLF = '\r\n';
const boundary = () => `----=_gpg_${randomBytes(8).toString('hex')}`;

function headers(subject: string, extra: string[] = []): string {
  return [
    `From: Gus GnuPG <gus@gnupg.example>`,
    `To: Olivia <olivia@example.org>`,
    `Subject: ${subject}`,
    `Date: Tue, 01 Dec 2026 10:00:00 +0000`,
    `Message-ID: <${randomBytes(6).toString('hex')}@gnupg.example>`,
    'MIME-Version: 1.0',
    ...extra,
  ].join(CRLF);
}

async function inspect(message: string | Uint8Array): Promise<Record<string, any>> {
  const file = join(dir.path, `${randomBytes(4).toString('hex')}.eml`);
  writeFileSync(file, message);
  const r = await runSealpost(['--passphrase-file', ours.pass, 'inspect', file, '--json'], { home: join(dir.path, 'profile') });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8'));
}

before(
  async () => {
    if (skip) return;
    dir = await tempDir('sealpost-gpg-made-');
    const home = join(dir.path, 'profile');
    const pass = join(dir.path, 'pass');
    writeFileSync(pass, 'olivia passphrase');
    const gen = await runSealpost(['--passphrase-file', pass, 'keys', 'generate', '--name', 'Olivia', '--email', 'olivia@example.org'], {
      home,
    });
    assert.equal(gen.code, 0, gen.stderr);
    const fpr = gen.stdout.toString().trim();
    const cert = (await runSealpost(['keys', 'export', fpr], { home })).stdout.toString();
    ours = { fpr, cert, pass };
    gus = await gpg.generateKey('Gus GnuPG <gus@gnupg.example>');
    writeFileSync(join(dir.path, 'gus.asc'), gus.cert);
    const imported = await runSealpost(['keys', 'import', join(dir.path, 'gus.asc')], { home });
    assert.equal(imported.code, 0, imported.stderr);
  },
  { timeout: 120_000 },
);

after(async () => {
  await dir?.cleanup();
});

test('PGP/MIME signed by GnuPG over the exact entity (RFC 3156): valid, signed by Gus', { skip, timeout: 60_000 }, async () => {
  const b = boundary();
  const entity = [
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=C3=BC=C3=9Fe aus der Signatur.',
    'From the start of a line, with a trailing space =20',
    '',
  ].join(CRLF);
  const signature = Buffer.from(await gpg.signDetached(Buffer.from(entity, 'latin1'), gus)).toString('latin1');
  const message = `${headers('signed by gpg', [`Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="${b}"`])}${CRLF}${CRLF}--${b}${CRLF}${entity}${CRLF}--${b}${CRLF}Content-Type: application/pgp-signature; name="signature.asc"${CRLF}${CRLF}${signature.replace(/\r?\n/g, CRLF)}${CRLF}--${b}--${CRLF}`;
  const report = await inspect(message);
  assert.equal(report.signature.status, 'valid');
  assert.equal(report.signature.signer.fingerprint, gus.fingerprint);
  assert.equal(report.signature.signerMatchesFrom, true);
  assert.equal(report.encryption.status, 'none');
  assert.match(report.text, /Grüße aus der Signatur\./);

  const tampered = message.replace('Gr=C3=BC=C3=9Fe', 'Gr=C3=BC=C3=9FE');
  assert.equal((await inspect(tampered)).signature.status, 'invalid');
});

test(
  'PGP/MIME signed and encrypted by GnuPG (one OpenPGP message): decrypted, valid, signed by Gus',
  { skip, timeout: 60_000 },
  async () => {
    const inner = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', 'Nur für Olivia: 🌍', ''].join(CRLF);
    const ciphertext = Buffer.from(await gpg.encrypt(Buffer.from(inner, 'utf8'), [ours.cert], { signer: gus })).toString('latin1');
    const b = boundary();
    const message = `${headers('...', [`Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"`])}${CRLF}${CRLF}--${b}${CRLF}Content-Type: application/pgp-encrypted${CRLF}${CRLF}Version: 1${CRLF}${CRLF}--${b}${CRLF}Content-Type: application/octet-stream; name="encrypted.asc"${CRLF}${CRLF}${ciphertext.replace(/\r?\n/g, CRLF)}${CRLF}--${b}--${CRLF}`;
    const report = await inspect(message);
    assert.equal(report.encryption.status, 'decrypted');
    assert.equal(report.encryption.integrity, 'mdc');
    assert.equal(report.signature.status, 'valid');
    assert.equal(report.signature.signer.fingerprint, gus.fingerprint);
    assert.match(report.text, /Nur für Olivia: 🌍/);
  },
);

test('inline cleartext-signed and inline encrypted by GnuPG (as mutt sends them without PGP/MIME)', { skip, timeout: 60_000 }, async () => {
  const signed = Buffer.from(await gpg.signCleartext(Buffer.from('Inline signiert.\n- eine Zeile mit Strich\n', 'utf8'), gus)).toString(
    'utf8',
  );
  const r1 = await inspect(
    `${headers('inline signed', ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'])}${CRLF}${CRLF}${signed.replace(/\r?\n/g, CRLF)}`,
  );
  assert.equal(r1.signature.status, 'valid');
  assert.equal(r1.signature.signer.fingerprint, gus.fingerprint);
  assert.match(r1.text, /^- eine Zeile mit Strich/m, 'dash-escaping undone');

  const encrypted = Buffer.from(await gpg.encrypt(Buffer.from('Inline verschlüsselt.\n', 'utf8'), [ours.cert], { signer: gus })).toString(
    'utf8',
  );
  const r2 = await inspect(
    `${headers('inline encrypted', ['Content-Type: text/plain; charset=us-ascii'])}${CRLF}${CRLF}${encrypted.replace(/\r?\n/g, CRLF)}`,
  );
  assert.equal(r2.encryption.status, 'decrypted');
  assert.equal(r2.signature.status, 'valid');
  assert.match(r2.text, /Inline verschlüsselt\./);

  // The same block with a line of other text after it is only partly protected.
  const r3 = await inspect(
    `${headers('inline partial', ['Content-Type: text/plain; charset=utf-8'])}${CRLF}${CRLF}${signed.replace(/\r?\n/g, CRLF)}${CRLF}-- ${CRLF}Sent from a list${CRLF}`,
  );
  assert.equal(r3.signature.status, 'none');
  assert.ok(r3.warnings.some((w: { code: string }) => w.code === 'partially-signed'));
});

test('a message for someone else reads as no-key, and a locked key without its passphrase says so', { skip, timeout: 60_000 }, async () => {
  const other = await gpg.generateKey('Other <other@gnupg.example>');
  const ciphertext = Buffer.from(await gpg.encrypt(Buffer.from('not for us'), [other.cert])).toString('latin1');
  const b = boundary();
  const message = `${headers('for someone else', [`Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"`])}${CRLF}${CRLF}--${b}${CRLF}Content-Type: application/pgp-encrypted${CRLF}${CRLF}Version: 1${CRLF}${CRLF}--${b}${CRLF}Content-Type: application/octet-stream${CRLF}${CRLF}${ciphertext}${CRLF}--${b}--${CRLF}`;
  const report = await inspect(message);
  assert.equal(report.encryption.status, 'no-key');
  assert.equal(report.text, '');
});

test(
  'inline cleartext-signed by GnuPG in ISO-8859-1: verified over the bytes as sent, shown as text',
  { skip, timeout: 60_000 },
  async () => {
    const latin1 = Buffer.from('Grüße aus Köln: àèìòù\n- Strich\n', 'latin1');
    const signed = Buffer.from(await gpg.signCleartext(latin1, gus));
    const head = Buffer.from(
      `${headers('latin-1 inline', ['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'])}${CRLF}${CRLF}`,
      'latin1',
    );
    const report = await inspect(Buffer.concat([head, Buffer.from(signed.toString('latin1').replace(/\r?\n/g, CRLF), 'latin1')]));
    assert.equal(report.signature.status, 'valid');
    assert.equal(report.signature.signer.fingerprint, gus.fingerprint);
    assert.match(report.text, /Grüße aus Köln: àèìòù/);
    assert.match(report.text, /^- Strich/m);
  },
);
