// Smoke test of the loopback mail servers (mailservers.ts) with the clients the
// app uses: nodemailer for submission, imapflow for IMAP. Skipped, with the
// reason, where the servers cannot run (not root, packages missing).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { mailServersAvailable, startMailServers, type MailServers } from './mailservers.ts';

const ALICE = 'alice@sealpost.test';
const BOB = 'bob@example.test';
const ALICE_PW = 'alice: pässwörd 1';
const BOB_PW = 'bob-password-2';

/** A message whose bytes a careless path would change: a leading dot, a "From " line, UTF-8, trailing spaces, a long line. */
function rawMessage(subject: string): Buffer {
  const id = `<${randomBytes(8).toString('hex')}@sealpost.test>`;
  return Buffer.from(
    [
      `From: Alice <${ALICE}>`,
      `To: Bob <${BOB}>`,
      `Subject: ${subject}`,
      'Date: Mon, 01 Jan 2024 12:00:00 +0000',
      `Message-ID: ${id}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Hello Bob,',
      '.a line starting with a dot',
      '.',
      'From the desk of Alice',
      'grüße, ünïcödé   ',
      'x'.repeat(900),
      '',
    ].join('\r\n'),
    'utf8',
  );
}

function smtp(s: MailServers, opts: { pass?: string; ca?: string; user?: string; port?: number; secure?: boolean } = {}) {
  return nodemailer.createTransport({
    host: s.submission.host,
    port: opts.port ?? s.submission.port,
    secure: opts.secure ?? false,
    requireTLS: !(opts.secure ?? false),
    auth: { user: opts.user ?? ALICE, pass: opts.pass ?? ALICE_PW },
    tls: { ca: opts.ca ?? s.ca },
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
}

function imap(s: MailServers, opts: { tls?: boolean; pass?: string; ca?: string } = {}) {
  return new ImapFlow({
    host: s.imap.host,
    port: opts.tls ? s.imap.tlsPort : s.imap.port,
    secure: opts.tls ?? false,
    doSTARTTLS: opts.tls ? undefined : true,
    auth: { user: BOB, pass: opts.pass ?? BOB_PW },
    tls: { ca: opts.ca ?? s.ca, rejectUnauthorized: true },
    logger: false,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
}

/** INBOX of Bob: uid and source of every message. */
async function inbox(s: MailServers, opts: { tls?: boolean } = {}): Promise<Array<{ uid: number; source: Buffer }>> {
  const client = imap(s, opts);
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const out: Array<{ uid: number; source: Buffer }> = [];
      const mailbox = client.mailbox;
      if (mailbox && mailbox.exists === 0) return out;
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        if (!m.source) throw new Error(`no source for uid ${m.uid}`);
        out.push({ uid: m.uid, source: m.source });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Poll Bob's INBOX until a message ends with `raw` (delivery is asynchronous). */
async function waitForMessage(s: MailServers, raw: Buffer, timeoutMs = 15_000): Promise<{ uid: number; source: Buffer }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = (await inbox(s)).find(
      (m) => m.source.length >= raw.length && m.source.subarray(m.source.length - raw.length).equals(raw),
    );
    if (found) return found;
    if (Date.now() > end) throw new Error(`message not delivered within ${timeoutMs} ms\n${await s.logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const skip = mailServersAvailable();

describe('mail servers on loopback (Dovecot + Postfix)', { skip: skip ?? false, timeout: 90_000 }, () => {
  let s: MailServers;

  before(async () => {
    s = await startMailServers({ timeoutMs: 30_000 });
    await s.addUser(ALICE, ALICE_PW);
    await s.addUser(BOB, BOB_PW);
  });

  after(async () => {
    await s?.close();
  });

  test('submission with STARTTLS delivers by LMTP; IMAP reads the message intact over STARTTLS and implicit TLS', async () => {
    const raw = rawMessage('through submission');
    const info = await smtp(s).sendMail({ envelope: { from: ALICE, to: [BOB] }, raw });
    assert.deepEqual(info.accepted, [BOB]);
    const viaStarttls = await waitForMessage(s, raw);
    // Only trace fields (Return-Path, Delivered-To, Received) come before the sent bytes.
    const added = viaStarttls.source.subarray(0, viaStarttls.source.length - raw.length).toString('utf8');
    for (const line of added.split('\r\n').filter((l) => l && !/^\s/.test(l))) {
      assert.match(line, /^(Return-Path|Delivered-To|Received):/, `unexpected header added on the way: ${line}`);
    }
    const viaTls = (await inbox(s, { tls: true })).find((m) => m.uid === viaStarttls.uid);
    assert.ok(viaTls, 'same message over implicit TLS');
    assert.ok(viaTls.source.equals(viaStarttls.source));
    // On disk: one maildir file with the same message (Dovecot stores LF line ends).
    const files = await s.mailFiles(BOB);
    assert.equal(files.length, 1);
    const stored = await readFile(files[0]!);
    assert.equal(stored.toString('utf8').replace(/\r\n/g, '\n'), viaStarttls.source.toString('utf8').replace(/\r\n/g, '\n'));
    // Implicit TLS submission (465-style) works too.
    const raw2 = rawMessage('through submissions');
    await smtp(s, { port: s.submission.tlsPort, secure: true }).sendMail({ envelope: { from: ALICE, to: [BOB] }, raw: raw2 });
    await waitForMessage(s, raw2);
  });

  test('no relay to other domains, no unknown users, no sending without AUTH', async () => {
    const raw = rawMessage('relay attempt');
    await assert.rejects(
      smtp(s).sendMail({ envelope: { from: ALICE, to: ['someone@elsewhere.example'] }, raw }),
      (e: Error & { response?: string }) => {
        assert.match(e.response ?? e.message, /Relay access denied/);
        return true;
      },
    );
    await assert.rejects(
      smtp(s).sendMail({ envelope: { from: ALICE, to: ['nobody@example.test'] }, raw }),
      (e: Error & { response?: string }) => {
        assert.match(e.response ?? e.message, /User unknown/);
        return true;
      },
    );
    const anonymous = nodemailer.createTransport({ host: '127.0.0.1', port: s.submission.port, requireTLS: true, tls: { ca: s.ca } });
    await assert.rejects(anonymous.sendMail({ envelope: { from: ALICE, to: [BOB] }, raw }), (e: Error & { response?: string }) => {
      assert.match(e.response ?? e.message, /^5\d\d /);
      return true;
    });
  });

  test('a user added later, in a new domain, receives at once; a changed password works at once', async () => {
    const carol = 'carol@later.example';
    await s.addUser(carol, 'carol-1');
    const raw = rawMessage('to a later user');
    await smtp(s).sendMail({ envelope: { from: ALICE, to: [carol] }, raw });
    const end = Date.now() + 10_000;
    while ((await s.mailFiles(carol)).length === 0) {
      if (Date.now() > end) assert.fail(`not delivered to ${carol}\n${await s.logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await s.addUser(carol, 'carol-2');
    await assert.rejects(smtp(s, { user: carol, pass: 'carol-1' }).verify());
    assert.equal(await smtp(s, { user: carol, pass: 'carol-2' }).verify(), true);
  });

  test('a wrong password is refused by submission and by IMAP', async () => {
    await assert.rejects(smtp(s, { pass: 'wrong' }).verify(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'EAUTH');
      return true;
    });
    const client = imap(s, { pass: 'wrong' });
    await assert.rejects(client.connect(), (e: Error & { authenticationFailed?: boolean }) => {
      assert.equal(e.authenticationFailed, true, e.message);
      return true;
    });
    client.close();
  });

  test('a certificate from another CA is refused by both clients', async () => {
    await assert.rejects(smtp(s, { ca: s.otherCa }).verify(), (e: Error & { code?: string }) => {
      assert.match(`${e.code} ${e.message}`, /certificate|UNABLE_TO_VERIFY|self.signed/i);
      return true;
    });
    for (const tls of [false, true]) {
      const client = imap(s, { tls, ca: s.otherCa });
      await assert.rejects(client.connect(), (e: Error & { code?: string }) => {
        assert.match(`${e.code} ${e.message}`, /certificate|UNABLE_TO_VERIFY|self.signed/i);
        return true;
      });
      client.close();
    }
  });

  test('stopPostfix refuses connections; startPostfix brings sending back', async () => {
    await s.stopPostfix();
    assert.equal(await refused(s.submission.port), 'ECONNREFUSED');
    assert.equal(await refused(s.submission.tlsPort), 'ECONNREFUSED');
    await assert.rejects(smtp(s).verify(), (e: Error & { code?: string }) => {
      assert.match(`${e.code}`, /ECONNECTION|ESOCKET/);
      return true;
    });
    await s.startPostfix();
    const raw = rawMessage('after the outage');
    await smtp(s).sendMail({ envelope: { from: ALICE, to: [BOB] }, raw });
    await waitForMessage(s, raw);
  });

  test('deliver seeds INBOX; restartDovecot keeps the stored mail', async () => {
    const seeded = rawMessage('seeded');
    await s.deliver(BOB, seeded);
    await waitForMessage(s, seeded, 1_000);
    const before = await inbox(s);
    const filesBefore = await s.mailFiles(BOB);
    assert.equal(filesBefore.length, before.length);
    await s.restartDovecot();
    const afterRestart = await inbox(s, { tls: true });
    assert.deepEqual(
      afterRestart.map((m) => [m.uid, m.source.toString('base64')]),
      before.map((m) => [m.uid, m.source.toString('base64')]),
    );
    // Postfix still delivers into the restarted Dovecot.
    const raw = rawMessage('after the restart');
    await smtp(s).sendMail({ envelope: { from: ALICE, to: [BOB] }, raw });
    await waitForMessage(s, raw);
  });
});
