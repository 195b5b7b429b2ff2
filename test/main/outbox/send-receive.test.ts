// `sealpost send | sync | messages | read | outbox` against the real Dovecot
// and Postfix on loopback (test/support/servers/mailservers.ts), with a GnuPG user
// on the other side:
// - mail sent encrypted reaches the GnuPG user; on the server, neither the
//   delivered file nor the Sent copy holds the body or the real subject, and
//   GnuPG decrypts the delivered message and verifies our signature;
// - PGP/MIME mail from the GnuPG user syncs, lists as encrypted and reads as
//   decrypted and signed by that user;
// - Postfix down: send exits 75 and the message stays queued; Postfix up:
//   the next sync delivers it exactly once;
// - a recipient the server refuses for good: exit 69, the message is failed
//   with the server's reason; a changed password: sync fails with a clear
//   message (exit 65) and the store is unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';
import { mailFilesWith } from '../../support/imap-peer.ts';
import { peer, type PeerKey } from '../../support/peers/peers.ts';

const gpg = peer('gpg');
const skip = mailServersAvailable() ?? (gpg.available() ? false : 'gpg is not on PATH');
const ENV = { SEALPOST_SECRETS_PASSPHRASE: 'store passphrase for the mail test' };
const CRLF = '\r\n';

const ALICE = 'alice@example.test';
const ALICE_PASSWORD = 'alice mailbox password 1';
const GUS = 'gus@example.test';
const GUS_PASSWORD = 'gus mailbox password 2';

describe('sending and receiving through real servers, with a GnuPG user', { skip, timeout: 240_000 }, () => {
  let servers: MailServers;
  let dir: TempDir;
  let home: string;
  let keyPass: string;
  let gus: PeerKey;
  let aliceFpr: string;
  let aliceCert: string;

  const sealpost = (args: string[], timeoutMs = 90_000) => runSealpost(args, { home, env: ENV, timeoutMs });
  const file = (name: string, data: string | Uint8Array) => {
    const path = join(dir.path, name);
    writeFileSync(path, data);
    return path;
  };

  /** The armored OpenPGP message inside a PGP/MIME message. */
  function armoredIn(raw: Buffer): string {
    const text = raw.toString('latin1');
    const start = text.indexOf('-----BEGIN PGP MESSAGE-----');
    const end = text.indexOf('-----END PGP MESSAGE-----');
    assert.ok(start >= 0 && end > start, 'an armored OpenPGP message');
    return text.slice(start, end + '-----END PGP MESSAGE-----'.length);
  }

  before(async () => {
    servers = await startMailServers();
    await Promise.all([servers.addUser(ALICE, ALICE_PASSWORD), servers.addUser(GUS, GUS_PASSWORD)]);
    dir = await tempDir('sealpost-mail-');
    home = join(dir.path, 'home');
    keyPass = file('key.pass', 'alice key passphrase');
    const gen = await sealpost(['--passphrase-file', keyPass, 'keys', 'generate', '--name', 'Alice Liddell', '--email', ALICE]);
    assert.equal(gen.code, 0, gen.stderr);
    aliceFpr = gen.stdout.toString().trim();
    aliceCert = (await sealpost(['keys', 'export', aliceFpr])).stdout.toString();
    gus = await gpg.generateKey(`Gus GnuPG <${GUS}>`);
    const imported = await sealpost(['keys', 'import', file('gus.asc', gus.cert)]);
    assert.equal(imported.code, 0, imported.stderr);

    const add = await sealpost([
      'account',
      'add',
      '--email',
      ALICE,
      '--imap',
      `imaps://127.0.0.1:${servers.imap.tlsPort}`,
      '--smtp',
      `smtp://127.0.0.1:${servers.submission.port}`,
      '--user',
      ALICE,
      '--password-file',
      file('alice.password', ALICE_PASSWORD),
      '--ca',
      file('ca.pem', servers.ca),
    ]);
    assert.equal(add.code, 0, add.stderr);
  });

  after(async () => {
    await servers?.close();
    await dir?.cleanup();
  });

  test('send encrypted and signed to a GnuPG user: no plaintext on the server, GnuPG decrypts and verifies', async () => {
    const subject = `Quarterly figures ${randomBytes(4).toString('hex')}`;
    const body = `The secret number is ${randomBytes(6).toString('hex')}.\nGrüße, Alice\n`;
    const sent = await sealpost([
      '--passphrase-file',
      keyPass,
      'send',
      '--json',
      '--from',
      ALICE,
      '--to',
      GUS,
      '--subject',
      subject,
      '--body-file',
      file('body.txt', body),
      '--encrypt',
      '--sign',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const result = JSON.parse(sent.stdout.toString());
    assert.equal(result.state, 'sent');
    assert.equal(result.savedToSent, true);
    const messageId: string = result.messageId;

    const delivered = await mailFilesWith(servers, GUS, messageId);
    assert.equal(delivered.length, 1, 'delivered once');
    const deliveredRaw = readFileSync(delivered[0]!);
    const sentCopies = (await servers.mailFiles(ALICE)).filter((f) => readFileSync(f).includes(messageId));
    assert.equal(sentCopies.length, 1, 'one copy in Sent');
    assert.match(sentCopies[0]!, /\.Sent\/|\/Sent\//, 'the copy lies in the Sent folder');
    const sentRaw = readFileSync(sentCopies[0]!);
    for (const raw of [deliveredRaw, sentRaw]) {
      const text = raw.toString('latin1');
      assert.ok(!text.includes(subject), 'no real subject on the server');
      assert.ok(!text.includes('secret number'), 'no plaintext body on the server');
      assert.match(text, /^Subject: \.\.\.\r?$/m, 'the outer subject is obscured');
      assert.match(text, /multipart\/encrypted/);
    }
    // The Sent copy holds the same ciphertext that was delivered.
    assert.equal(armoredIn(sentRaw), armoredIn(deliveredRaw));

    const { plaintext, goodSignature } = await gpg.decrypt(Buffer.from(armoredIn(deliveredRaw)), gus, { verifyWith: [aliceCert] });
    assert.equal(goodSignature, true, 'GnuPG verifies the signature');
    const inner = Buffer.from(plaintext).toString('utf8');
    assert.ok(inner.includes(`Subject: ${subject}`), 'the real subject is protected inside');
    assert.match(inner.replace(/=\r?\n/g, ''), /secret number|The secret/);

    const outbox = await sealpost(['outbox', '--json']);
    assert.equal(outbox.code, 0, outbox.stderr);
    assert.deepEqual(JSON.parse(outbox.stdout.toString()), [], 'nothing left in the outbox');
  });

  test('PGP/MIME from a GnuPG user syncs, lists as encrypted and reads as decrypted and signed by that user', async () => {
    const token = randomBytes(6).toString('hex');
    const inner = [
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      `Hallo Alice, das Codewort ist ${token}.`,
      '',
    ].join(CRLF);
    const ciphertext = Buffer.from(await gpg.encrypt(Buffer.from(inner, 'utf8'), [aliceCert], { signer: gus })).toString('latin1');
    const b = `----=_gpg_${randomBytes(8).toString('hex')}`;
    const messageId = `<${token}@example.test>`;
    const raw = [
      `From: Gus GnuPG <${GUS}>`,
      `To: Alice <${ALICE}>`,
      'Subject: encrypted from gpg',
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"`,
      '',
      `--${b}`,
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '',
      `--${b}`,
      'Content-Type: application/octet-stream; name="encrypted.asc"',
      '',
      ciphertext.replace(/\r?\n/g, CRLF).trimEnd(),
      `--${b}--`,
      '',
    ].join(CRLF);
    // Gus sends it through the submission server, as his mail program would.
    const transport = createTransport({
      host: '127.0.0.1',
      port: servers.submission.port,
      requireTLS: true,
      auth: { user: GUS, pass: GUS_PASSWORD },
      tls: { ca: [servers.ca] },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    try {
      await transport.sendMail({ envelope: { from: GUS, to: [ALICE] }, raw: Buffer.from(raw, 'latin1') });
    } finally {
      transport.close();
    }
    assert.equal((await mailFilesWith(servers, ALICE, messageId)).length, 1, 'delivered to Alice');

    const synced = await sealpost(['sync']);
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stderr, /INBOX/, 'progress on stderr');
    const list = await sealpost(['messages', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const entries = JSON.parse(list.stdout.toString()) as Array<Record<string, any>>;
    const entry = entries.find((m) => m.messageId === messageId);
    assert.ok(entry, 'the message is listed');
    assert.equal(entry.security, 'encrypted');
    assert.equal(entry.from.address, GUS);
    assert.equal(entry.seen, false);

    const read = await sealpost(['--passphrase-file', keyPass, 'read', String(entry.uid), '--json']);
    assert.equal(read.code, 0, read.stderr);
    const report = JSON.parse(read.stdout.toString());
    assert.equal(report.encryption.status, 'decrypted');
    assert.equal(report.signature.status, 'valid');
    assert.equal(report.signature.signer.fingerprint, gus.fingerprint);
    assert.equal(report.signature.signerMatchesFrom, true);
    assert.ok(report.text.includes(`das Codewort ist ${token}`));
    // Reading it a second time uses the stored raw message (no password needed: the server is not asked).
    const again = await runSealpost(['--passphrase-file', keyPass, 'read', String(entry.uid), '--json'], { home });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout.toString()).encryption.status, 'decrypted');
  });

  test('Postfix down: send exits 75 and the message stays queued; Postfix up: the next sync delivers it exactly once', async () => {
    const subject = `while the server is down ${randomBytes(3).toString('hex')}`;
    await servers.stopPostfix();
    let messageId: string;
    try {
      const sent = await sealpost([
        '--passphrase-file',
        keyPass,
        'send',
        '--json',
        '--from',
        ALICE,
        '--to',
        GUS,
        '--subject',
        subject,
        '--body-file',
        file('down.txt', 'queued body\n'),
        '--encrypt',
        '--sign',
      ]);
      assert.equal(sent.code, 75, sent.stderr);
      assert.equal(sent.stderr.trim().split('\n').length, 1, 'one line on stderr');
      assert.match(sent.stderr, /queued/);
      const result = JSON.parse(sent.stdout.toString());
      assert.equal(result.state, 'queued');
      messageId = result.messageId;
      const outbox = JSON.parse((await sealpost(['outbox', '--json'])).stdout.toString()) as Array<Record<string, any>>;
      assert.equal(outbox.length, 1);
      assert.equal(outbox[0]!.state, 'queued');
      assert.equal(outbox[0]!.messageId, messageId);
      assert.ok(outbox[0]!.lastError, 'the reason is kept');
      // Still down: a sync syncs the mailbox, keeps the message queued and says so with 75.
      const down = await sealpost(['sync']);
      assert.equal(down.code, 75, down.stderr);
    } finally {
      await servers.startPostfix();
    }
    const up = await sealpost(['sync']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(JSON.parse((await sealpost(['outbox', '--json'])).stdout.toString()), []);
    assert.equal((await mailFilesWith(servers, GUS, messageId!)).length, 1, 'delivered');
    // Another sync sends nothing again.
    const later = await sealpost(['sync']);
    assert.equal(later.code, 0, later.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await mailFilesWith(servers, GUS, messageId!, { atLeast: 2, timeoutMs: 0 })).length, 1, 'delivered exactly once');
    const sentCopies = (await servers.mailFiles(ALICE)).filter((f) => readFileSync(f).includes(messageId!));
    assert.equal(sentCopies.length, 1, 'one Sent copy');
  });

  test('a recipient the server refuses for good: exit 69, the message is failed with the reason', async () => {
    const stranger = 'nobody@example.test';
    const sent = await sealpost([
      'send',
      '--json',
      '--from',
      ALICE,
      '--to',
      stranger,
      '--subject',
      'to nobody',
      '--body-file',
      file('nobody.txt', 'hello\n'),
    ]);
    assert.equal(sent.code, 69, sent.stderr);
    assert.match(sent.stderr, /refused the message \(55\d/);
    const outbox = JSON.parse((await sealpost(['outbox', '--json'])).stdout.toString()) as Array<Record<string, any>>;
    const failed = outbox.find((m) => m.to.includes(stranger));
    assert.ok(failed);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.lastErrorCode, 'network-rejected');
  });

  test('a changed password: sync fails with one clear line (exit 65) and the store is unchanged', async () => {
    const before = (await sealpost(['messages', '--json'])).stdout.toString();
    await servers.addUser(ALICE, 'a new password');
    try {
      const r = await sealpost(['sync']);
      assert.equal(r.code, 65, r.stderr);
      assert.match(r.stderr, /refused the (user name or password|login)/);
      assert.ok(!r.stderr.includes(ALICE_PASSWORD));
      assert.equal((await sealpost(['messages', '--json'])).stdout.toString(), before);
    } finally {
      await servers.addUser(ALICE, ALICE_PASSWORD);
    }
  });

  test('account edit logs in with the new settings before it saves; remove keeps unsent mail unless forced', async () => {
    const summary = async () => JSON.parse((await sealpost(['account', 'list', '--json'])).stdout.toString())[0];
    const before = await summary();
    const wrong = await sealpost(['account', 'edit', ALICE, '--password-file', file('wrong.password', 'not it')]);
    assert.equal(wrong.code, 65, wrong.stderr);
    assert.deepEqual(await summary(), before, 'nothing saved');
    assert.equal((await sealpost(['sync', '--folder', 'INBOX'])).code, 0, 'the old password still works');

    const renamed = await sealpost(['account', 'edit', ALICE, '--name', 'Alice L.', '--imap', `imap://127.0.0.1:${servers.imap.port}`]);
    assert.equal(renamed.code, 0, renamed.stderr);
    const after = await summary();
    assert.equal(after.displayName, 'Alice L.');
    assert.equal(after.imap, `imap://127.0.0.1:${servers.imap.port}`);
    assert.equal((await sealpost(['sync', '--folder', 'INBOX'])).code, 0, 'syncs over STARTTLS now');

    // The failed message to nobody@ is still in the outbox: the account is not removed without --force.
    const refused = await sealpost(['account', 'remove', ALICE]);
    assert.equal(refused.code, 65, refused.stderr);
    assert.match(refused.stderr, /outbox/);
    const forced = await sealpost(['account', 'remove', ALICE, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse((await sealpost(['account', 'list', '--json'])).stdout.toString()), []);
    assert.equal((await sealpost(['messages'])).code, 65, 'no account left');
  });

  test('usage: read needs a UID, sync an existing account', async () => {
    assert.equal((await sealpost(['read'])).code, 64);
    assert.equal((await sealpost(['read', 'abc'])).code, 64);
    const none = await sealpost(['sync', '--account', 'nobody@example.test']);
    assert.equal(none.code, 65, none.stderr);
    const unknownFolder = await sealpost(['messages', '--folder', 'No Such Folder']);
    assert.equal(unknownFolder.code, 65, unknownFolder.stderr);
  });
});
