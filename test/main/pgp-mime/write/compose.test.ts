// `sealpost compose` and composeMessage, read back by GnuPG the way a mail
// client such as mutt reads PGP/MIME: the signed part's exact bytes between
// the boundaries, canonicalized to CRLF, against the detached signature; the
// encrypted part decrypted by the recipient's gpg.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import libmime from 'libmime';
import { runSealpost, tempDir, type TempDir } from '../../../support/cli.ts';
import { peer, type PeerKey } from '../../../support/peers/peers.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../../main/keyring-host/worker-keyring.ts';
import { composeMessage } from '../../../../main/pgp-mime/write/compose.ts';
import type { Draft } from '../../../../main/pgp-mime/write/draft.ts';

const gpg = peer('gpg');
const skip = gpg.available() ? false : 'gpg is not on PATH';
const TIMEOUT = { timeout: 60_000 };

const PASSPHRASE = 'correct horse battery';
const ALICE = 'alice@example.org';
const BOB = 'bob@example.net';
const SUBJECT = 'Grüße 🌍 subject-token-7f3a';
const BODY = [
  'Grüße 🌍 body-token-91c2',
  'a line with trailing spaces   ',
  'a line with a trailing tab\t',
  'From the start of a line, as mbox would quote it',
  '.',
  `${'a long line '.repeat(12).trim()}`,
  '',
].join('\n');
const ATTACHMENT_NAME = 'Prüfbericht – März 2025.txt';
const ATTACHMENT = Buffer.from('Anhang: größer als nichts\r\nFrom here\r\n', 'utf8');

let tmp: TempDir;
let home: string;
let passFile: string;
let bodyFile: string;
let attachFile: string;
let aliceFpr: string;
let aliceCert: string;
let bob: PeerKey;
let keyring: RunningKeyring;

before(
  async () => {
    tmp = await tempDir('sealpost-compose-');
    home = join(tmp.path, 'profile');
    passFile = join(tmp.path, 'pass');
    writeFileSync(passFile, `${PASSPHRASE}\n`);
    bodyFile = join(tmp.path, 'body.txt');
    writeFileSync(bodyFile, BODY);
    attachFile = join(tmp.path, ATTACHMENT_NAME);
    writeFileSync(attachFile, ATTACHMENT);
    const [gen, bobKey] = await Promise.all([
      runSealpost(['--passphrase-file', passFile, 'keys', 'generate', '--name', 'Alice Sender', '--email', ALICE], { home }),
      skip ? Promise.resolve(null) : gpg.generateKey(`Bob Gpg <${BOB}>`),
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    aliceFpr = gen.stdout.toString().trim();
    const exported = await runSealpost(['keys', 'export', aliceFpr], { home });
    assert.equal(exported.code, 0, exported.stderr);
    aliceCert = exported.stdout.toString();
    if (bobKey) {
      bob = bobKey;
      const certFile = join(tmp.path, 'bob.asc');
      writeFileSync(certFile, bob.cert);
      const imported = await runSealpost(['keys', 'import', certFile], { home });
      assert.equal(imported.code, 0, imported.stderr);
    }
    keyring = startKeyringWorker(home);
  },
  { timeout: 60_000 },
);

after(async () => {
  await keyring?.close();
  await tmp?.cleanup();
});

// ---------------------------------------------------------------------------
// Reading the message back, by hand, as a PGP/MIME reader does.

function headerBlock(entity: string): string {
  const end = entity.indexOf('\r\n\r\n');
  assert.ok(end >= 0, 'a header section ends with an empty line');
  return entity.slice(0, end + 2);
}

/** The unfolded value of the first field with that name, or null. */
function header(entity: string, name: string): string | null {
  const unfolded = headerBlock(entity).replace(/\r\n[ \t]/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded.split('\r\n').join('\n'));
  return m ? m[1]!.trim() : null;
}

function param(value: string, name: string): string {
  const m = new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(value);
  assert.ok(m, `parameter ${name} in ${value}`);
  return m[1]!;
}

/** The body parts of a top-level multipart: the exact bytes between `--b\r\n` and the next `\r\n--b`. */
function bodyParts(message: string): string[] {
  const boundary = param(header(message, 'Content-Type')!, 'boundary');
  const delimiter = `\r\n--${boundary}`;
  const body = message.slice(headerBlock(message).length);
  const first = body.startsWith(`--${boundary}\r\n`) ? -2 : body.indexOf(delimiter);
  assert.ok(first >= -2, 'a first boundary');
  let at = first + 2;
  const parts: string[] = [];
  for (;;) {
    const start = at + boundary.length + 4; // "--" boundary CRLF
    const end = body.indexOf(delimiter, start);
    assert.ok(end > 0, 'each part is closed by a delimiter');
    parts.push(body.slice(start, end));
    if (body.startsWith('--', end + delimiter.length)) return parts;
    at = end + 2;
  }
}

const canonical = (s: string): string => s.replace(/\r?\n/g, '\r\n');
const bodyOf = (entity: string): string => entity.slice(headerBlock(entity).length + 2);

/** What a signature needs to survive transport: ASCII, CRLF only, short lines, no whitespace at a line end, no "From " line. */
function assertTransportSafe(message: string): void {
  assert.doesNotMatch(message, /[^\x00-\x7f]/, 'ASCII only');
  assert.doesNotMatch(message, /\r(?!\n)|(?<!\r)\n/, 'CRLF line endings only');
  for (const line of message.split('\r\n')) {
    assert.ok(line.length <= 78, `line of ${line.length} octets: ${line.slice(0, 90)}`);
    assert.doesNotMatch(line, /[ \t]$/, `whitespace at the end of: ${JSON.stringify(line)}`);
    assert.ok(!line.startsWith('From '), 'no line starts with "From "');
  }
}

function normalizeText(s: string): string {
  return s.replace(/\r\n/g, '\n').replace(/\n+$/, '');
}

async function compose(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return runSealpost(['--passphrase-file', passFile, 'compose', '--from', ALICE, ...args], { home });
}

// ---------------------------------------------------------------------------

test('signed only: gpg verifies the first part exactly as it stands between the boundaries', { skip, ...TIMEOUT }, async () => {
  const r = await compose(['--to', `Bob Gpg <${BOB}>`, '--subject', SUBJECT, '--body-file', bodyFile, '--attach', attachFile, '--sign']);
  assert.equal(r.code, 0, r.stderr);
  const message = r.stdout.toString('latin1');
  assertTransportSafe(message);

  const contentType = header(message, 'Content-Type')!;
  assert.match(contentType, /^multipart\/signed;/);
  assert.match(contentType, /protocol="application\/pgp-signature"/);
  assert.match(contentType, /micalg=pgp-sha(256|384|512)\b/);
  assert.equal(libmime.decodeWords(header(message, 'Subject')!), SUBJECT, 'a signed-only message keeps its Subject outside');
  assert.equal(header(message, 'MIME-Version'), '1.0');

  const [signed, signaturePart] = bodyParts(message);
  assert.ok(signed && signaturePart);
  assert.match(header(signaturePart, 'Content-Type')!, /^application\/pgp-signature; name="signature.asc"/);
  const signature = bodyOf(signaturePart);
  assert.match(signature, /^-----BEGIN PGP SIGNATURE-----/);

  // The signed entity carries the protected headers (protected-headers="v1", RFC 9788 hp="clear").
  const innerType = header(signed, 'Content-Type')!;
  assert.match(innerType, /protected-headers="v1"/);
  assert.match(innerType, /hp="clear"/);
  assert.equal(libmime.decodeWords(header(signed, 'Subject')!), SUBJECT);
  assert.match(header(signed, 'From')!, /Alice Sender <alice@example\.org>/);
  assert.match(header(signed, 'To')!, /bob@example\.net/);
  assert.equal(header(signed, 'Message-ID'), header(message, 'Message-ID'));
  assert.match(signed, /^=46rom the start of a line/m, 'a "From " line is quoted-printable encoded');

  const good = await gpg.verifyDetached(Buffer.from(canonical(signed), 'latin1'), Buffer.from(signature, 'latin1'), [aliceCert]);
  assert.equal(good, true, 'gpg --verify: VALIDSIG by the sender');
  const tampered = canonical(signed).replace('=46rom the start', '=46rom the Start');
  assert.equal(
    await gpg.verifyDetached(Buffer.from(tampered, 'latin1'), Buffer.from(signature, 'latin1'), [aliceCert]),
    false,
    'a changed part does not verify',
  );

  // What the reader shows: the body, trailing whitespace and "From " included, and the attachment.
  const parsed = await simpleParser(Buffer.from(signed, 'latin1'));
  assert.equal(parsed.subject, SUBJECT);
  assert.equal(normalizeText(parsed.text ?? ''), normalizeText(BODY));
  assert.equal(parsed.attachments.length, 1);
  assert.equal(parsed.attachments[0]!.filename, ATTACHMENT_NAME);
  assert.deepEqual(Buffer.from(parsed.attachments[0]!.content), ATTACHMENT);
});

test(
  'encrypted and signed to a GnuPG user: gpg decrypts, the signature is good, the headers are protected',
  { skip, ...TIMEOUT },
  async () => {
    const r = await compose(['--to', BOB, '--subject', SUBJECT, '--body-file', bodyFile, '--attach', attachFile, '--encrypt', '--sign']);
    assert.equal(r.code, 0, r.stderr);
    const message = r.stdout.toString('latin1');
    assertTransportSafe(message);

    const contentType = header(message, 'Content-Type')!;
    assert.match(contentType, /^multipart\/encrypted;/);
    assert.match(contentType, /protocol="application\/pgp-encrypted"/);
    assert.equal(header(message, 'Subject'), '...', 'the outer Subject is obscured');
    assert.match(header(message, 'From')!, /alice@example\.org/);
    assert.match(header(message, 'To')!, /bob@example\.net/);
    assert.ok(header(message, 'Date'));
    assert.ok(header(message, 'Message-ID'));

    // Nothing of the subject or the body outside the encrypted part.
    const outerHeaders = libmime.decodeWords(headerBlock(message));
    assert.doesNotMatch(outerHeaders, /subject-token|Grüße/);
    assert.doesNotMatch(message, /subject-token|body-token|trailing spaces|Pr%C3%BCfbericht|Anhang/);

    const [control, encrypted] = bodyParts(message);
    assert.ok(control && encrypted);
    assert.equal(header(control, 'Content-Type'), 'application/pgp-encrypted');
    assert.match(bodyOf(control), /^Version: 1\r\n/);
    assert.match(header(encrypted, 'Content-Type')!, /^application\/octet-stream; name="encrypted.asc"/);
    const ciphertext = bodyOf(encrypted);
    assert.match(ciphertext, /^-----BEGIN PGP MESSAGE-----/);

    const { plaintext, goodSignature } = await gpg.decrypt(Buffer.from(ciphertext, 'latin1'), bob, { verifyWith: [aliceCert] });
    assert.equal(goodSignature, true, 'gpg reports a good signature by the sender');
    const decrypted = Buffer.from(plaintext);
    const inner = decrypted.toString('latin1');
    const innerType = header(inner, 'Content-Type')!;
    assert.match(innerType, /protected-headers="v1"/);
    assert.match(innerType, /hp="cipher"/);
    assert.equal(libmime.decodeWords(header(inner, 'Subject')!), SUBJECT);
    assert.match(header(inner, 'From')!, /Alice Sender <alice@example\.org>/);
    assert.match(header(inner, 'To')!, /bob@example\.net/);
    assert.match(inner, /^HP-Outer: Subject: \.\.\.$/m, 'RFC 9788: what the outer header section said');

    const parsed = await simpleParser(decrypted);
    assert.equal(parsed.subject, SUBJECT);
    assert.equal(normalizeText(parsed.text ?? ''), normalizeText(BODY));
    assert.equal(parsed.attachments[0]!.filename, ATTACHMENT_NAME);
  },
);

test('the sender decrypts its own copy; Bcc recipients are encrypted to and named nowhere', { skip, ...TIMEOUT }, async () => {
  const client = keyring.client;
  const dave = await client.call('keys.generate', {
    name: 'Dave Bcc',
    email: 'dave@example.com',
    expiresInSeconds: null,
    passphrase: null,
  });
  const draft: Draft = {
    from: { name: 'Alice Sender', address: ALICE },
    to: [{ name: 'Bob Gpg', address: BOB }],
    // The sender in Cc as well: still one encryption to its key. Dave spelled in another case than in his user id.
    cc: [{ name: '', address: ALICE }],
    bcc: [{ name: '', address: 'Dave@Example.com' }],
    subject: SUBJECT,
    text: BODY,
    html: '<p>Grüße 🌍 body-token-91c2</p>',
    attachments: [],
    inReplyTo: '<parent@example.net>',
    references: ['<root@example.net>', '<parent@example.net>'],
  };
  const out = await composeMessage(client, draft, {
    encrypt: true,
    sign: true,
    attachKey: false,
    keyPasswords: [PASSPHRASE],
    messageId: 'fixed-id@example.org',
    now: new Date('2025-06-01T12:00:00Z'),
  });
  const message = out.toString('latin1');
  assertTransportSafe(message);
  assert.equal(header(message, 'Message-ID'), '<fixed-id@example.org>');
  assert.equal(header(message, 'Date'), 'Sun, 01 Jun 2025 12:00:00 +0000');
  assert.equal(header(message, 'In-Reply-To'), '<parent@example.net>');
  assert.equal(header(message, 'References'), '<root@example.net> <parent@example.net>');
  assert.doesNotMatch(message, /dave@example\.com|^Bcc:/im, 'no Bcc outside');

  const ciphertext = bodyOf(bodyParts(message)[1]!);
  const { output, result } = await client.collect(
    'crypto.decrypt',
    { useStoredKeys: true, keyPasswords: [PASSPHRASE], useStoredCerts: true },
    Buffer.from(ciphertext, 'latin1'),
  );
  assert.equal(result.status, 'decrypted');
  if (result.status !== 'decrypted') return;
  const [verification] = result.verifications;
  assert.equal(verification?.status, 'valid');
  if (verification?.status === 'valid') assert.equal(verification.signer.fingerprint, aliceFpr);
  const daveKeyIds = (await client.call('keys.show', { query: dave.fingerprint })).subkeys!.filter((s) => s.canEncrypt).map((s) => s.keyId);
  assert.ok(
    daveKeyIds.some((id) => result.recipients.includes(id)),
    'encrypted to the Bcc recipient',
  );
  assert.equal(result.recipients.length, 3, 'Bob, Dave and the sender, each once');
  assert.equal(new Set(result.recipients).size, 3);

  const inner = output.toString('latin1');
  assert.doesNotMatch(inner, /dave@example\.com|^Bcc:/im, 'no Bcc inside either');
  assert.equal(header(inner, 'Autocrypt-Gossip'), null, 'one recipient besides the sender: nothing to gossip');
  assert.equal(header(inner, 'In-Reply-To'), '<parent@example.net>');
  const parsed = await simpleParser(output);
  assert.equal(parsed.subject, SUBJECT);
  assert.match(parsed.html || '', /body-token-91c2/);
  assert.equal(normalizeText(parsed.text ?? ''), normalizeText(BODY));
});

/** Every value of a header field in the entity's header section, unfolded. */
function headers(entity: string, name: string): string[] {
  const unfolded = headerBlock(entity).replace(/\r\n[ \t]/g, ' ');
  return unfolded
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());
}

test(
  'Autocrypt-Gossip: inside the encryption, one per To and Cc recipient with the key encrypted to, none for Bcc or the sender',
  TIMEOUT,
  async () => {
    const client = keyring.client;
    const made = async (name: string, email: string) =>
      client.call('keys.generate', { name, email, expiresInSeconds: null, passphrase: null });
    const [carol, erin, frank] = await Promise.all([
      made('Carol', 'carol@example.com'),
      made('Erin', 'erin@example.com'),
      made('Frank Bcc', 'frank@example.com'),
    ]);
    const draft: Draft = {
      from: { name: 'Alice Sender', address: ALICE },
      to: [{ name: 'Carol', address: 'carol@example.com' }],
      cc: [
        { name: '', address: 'Erin@Example.com' },
        { name: '', address: ALICE },
      ],
      bcc: [{ name: '', address: 'frank@example.com' }],
      subject: 'to three',
      text: 'gossip-body',
      attachments: [],
    };
    const message = (
      await composeMessage(client, draft, { encrypt: true, sign: true, attachKey: false, keyPasswords: [PASSPHRASE] })
    ).toString('latin1');
    assertTransportSafe(message);
    assert.doesNotMatch(headerBlock(message), /Autocrypt-Gossip/i, 'no gossip outside the encryption');
    const { output, result } = await client.collect(
      'crypto.decrypt',
      { useStoredKeys: true, keyPasswords: [PASSPHRASE], useStoredCerts: true },
      Buffer.from(bodyOf(bodyParts(message)[1]!), 'latin1'),
    );
    assert.equal(result.status, 'decrypted');
    const gossip = headers(output.toString('latin1'), 'Autocrypt-Gossip');
    assert.equal(gossip.length, 2, gossip.join('\n'));
    const found = new Map<string, string>();
    for (const value of gossip) {
      const m = /^addr=([^;\s]+);\s*keydata=([A-Za-z0-9+/=\s]+)$/.exec(value);
      assert.ok(m, value);
      const inspected = await client.call('keys.inspect', { data: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'), source: 'gossip' });
      assert.equal(inspected.keys.length, 1);
      assert.equal(inspected.keys[0]!.hasSecret, false, 'public keys only');
      found.set(m[1]!, inspected.keys[0]!.fingerprint);
    }
    assert.deepEqual(
      Object.fromEntries(found),
      { 'carol@example.com': carol.fingerprint, 'Erin@example.com': erin.fingerprint },
      'the To and Cc recipients with the keys the message is encrypted to; not the sender, not Bcc',
    );
    assert.ok(!found.has('frank@example.com') && frank.fingerprint.length > 0);
  },
);

test('a recipient without a key: exit 65, nothing on stdout, the address named on stderr', { skip, ...TIMEOUT }, async () => {
  const r = await compose([
    '--to',
    `${BOB},carol@nokey.example`,
    '--cc',
    'Erin <erin@nokey.example>',
    '--subject',
    'x',
    '--body-file',
    bodyFile,
    '--encrypt',
    '--sign',
  ]);
  assert.equal(r.code, 65, r.stderr);
  assert.equal(r.stdout.length, 0, 'nothing written');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /carol@nokey\.example/);
  assert.match(lines[0]!, /erin@nokey\.example/);
  assert.doesNotMatch(lines[0]!, /bob@example\.net/, 'only the addresses without a key are named');

  const missing = await compose(['--to', BOB, '--attach', join(tmp.path, 'no-such-file.pdf'), '--sign']);
  assert.equal(missing.code, 66, missing.stderr);
  assert.equal(missing.stdout.length, 0);
});

test("Autocrypt header: the sender's binary minimal key, and a plain message carries it too", TIMEOUT, async () => {
  const r = await compose(['--to', 'someone@example.com', '--subject', SUBJECT, '--body-file', bodyFile, '--attach-key']);
  assert.equal(r.code, 0, r.stderr);
  const message = r.stdout.toString('latin1');
  assertTransportSafe(message);
  assert.equal(libmime.decodeWords(header(message, 'Subject')!), SUBJECT);
  assert.match(header(message, 'Content-Type')!, /^multipart\/mixed;/);
  assert.doesNotMatch(header(message, 'Content-Type')!, /protected-headers/);

  const autocrypt = header(message, 'Autocrypt')!;
  const m = /^addr=([^;\s]+);\s*keydata=([A-Za-z0-9+/=\s]+)$/.exec(autocrypt);
  assert.ok(m, autocrypt);
  assert.equal(m[1], ALICE);
  const keydata = Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
  assert.ok((keydata[0]! & 0x80) !== 0, 'binary OpenPGP, not armor');
  const inspected = await keyring.client.call('keys.inspect', { data: keydata, source: 'autocrypt' });
  assert.equal(inspected.keys.length, 1);
  assert.equal(inspected.keys[0]!.fingerprint, aliceFpr);
  assert.equal(inspected.keys[0]!.hasSecret, false);
  assert.equal(inspected.keys[0]!.canEncrypt, true);

  // --attach-key: the public key as application/pgp-keys.
  const parsed = await simpleParser(r.stdout);
  const key = parsed.attachments.find((a) => a.contentType === 'application/pgp-keys');
  assert.ok(key, 'an application/pgp-keys attachment');
  const attached = await keyring.client.call('keys.inspect', { data: key.content, source: 'attachment' });
  assert.equal(attached.keys[0]!.fingerprint, aliceFpr);
  assert.equal(attached.keys[0]!.hasSecret, false);
});
