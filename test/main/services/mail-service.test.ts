// The app's mail service against the real Dovecot and Postfix on loopback,
// with the real keyring worker: accounts are checked before they are saved,
// a sync reports its progress as events, a message sent goes out in the
// background with its Sent copy, a temporary failure waits for its retry
// time and then goes out exactly once, and a message action reaches the
// server in the background.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { mailFilesWith, testAccountInput } from '../../support/imap-peer.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { openStore } from '../../../main/store/database.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { MailService, type MailEvents } from '../../../main/services/mail-service.ts';
import { SealpostError } from '../../../app/errors.ts';
import type { AccountView } from '../../../app/mail.ts';

const skip = mailServersAvailable();
const ALICE = 'alice@service.test';
const BOB = 'bob@service.test';
const PASSWORD = 'service test password';

describe('the mail service (real servers, real keyring)', { skip: skip ?? false, timeout: 120_000 }, () => {
  let servers: MailServers;
  let home: string;
  let bobHome: string;
  let db: DatabaseSync;
  let keyring: RunningKeyring;
  let service: MailService;
  let account: AccountView;
  let clock = Date.now();
  const events: Array<{ event: keyof MailEvents; payload: unknown }> = [];

  const inputFor = (password = PASSWORD) => testAccountInput(servers, ALICE, password, { tls: true, smtpTls: false });

  before(async () => {
    servers = await startMailServers();
    await Promise.all([servers.addUser(ALICE, PASSWORD), servers.addUser(BOB, PASSWORD)]);
    home = mkdtempSync(join(tmpdir(), 'sealpost-service-'));
    bobHome = mkdtempSync(join(tmpdir(), 'sealpost-service-bob-'));
    keyring = startKeyringWorker(home);
    await keyring.client.call('keys.generate', {
      name: 'Alice',
      email: ALICE,
      algo: 'curve25519',
      expiresInSeconds: null,
      passphrase: null,
    });
    const bob = startKeyringWorker(bobHome);
    try {
      const key = await bob.client.call('keys.generate', {
        name: 'Bob',
        email: BOB,
        algo: 'curve25519',
        expiresInSeconds: null,
        passphrase: null,
      });
      const { armored } = await bob.client.call('keys.export', { query: key.fingerprint });
      await keyring.client.call('keys.import', { data: Buffer.from(armored), source: 'file' });
    } finally {
      await bob.close();
    }
    db = openStore(home);
    service = new MailService({
      db,
      secrets: new MemorySecretStore(),
      keyring: keyring.client,
      now: () => clock,
      emit: (event, payload) => events.push({ event, payload }),
    });
  });

  after(async () => {
    await service?.stop();
    db?.close();
    await keyring?.close();
    for (const dir of [home, bobHome]) if (dir) rmSync(dir, { recursive: true, force: true });
    await servers?.close();
  });

  test('an account is saved only after both servers accepted the login', async () => {
    await assert.rejects(
      service.addAccount(inputFor('wrong password')),
      (e: unknown) => e instanceof SealpostError && e.code === 'network-auth-failed',
    );
    assert.deepEqual(service.accounts(), []);
    account = await service.addAccount(inputFor());
    assert.equal(account.email, ALICE);
    assert.equal(JSON.stringify(service.accounts()).includes(PASSWORD), false, 'no password in what the renderer gets');
  });

  test('a sync reports progress per phase and folder, then that the folders changed', async () => {
    for (let i = 1; i <= 5; i++) {
      await servers.deliver(
        ALICE,
        Buffer.from(
          `From: Carol <carol@service.test>\r\nTo: ${ALICE}\r\nSubject: hello ${i}\r\nMessage-ID: <s${i}@service.test>\r\n\r\nhi ${i}\r\n`,
        ),
      );
    }
    events.length = 0;
    const summary = await service.sync(account.id);
    assert.equal(summary.folders.find((f) => f.path === 'INBOX')?.added, 5);
    const progress = events
      .filter((e) => e.event === 'sync.progress')
      .map((e) => e.payload as { phase: string; folder?: string; done?: number; total?: number });
    assert.equal(progress[0]!.phase, 'started');
    assert.equal(progress.at(-1)!.phase, 'done');
    assert.ok(progress.some((p) => p.phase === 'folder' && p.folder === 'INBOX' && p.done === 5 && p.total === 5));
    assert.ok(events.some((e) => e.event === 'mail.changed'));
    const inbox = service.folders(account.id).find((f) => f.role === 'inbox')!;
    assert.equal(inbox.unread, 5);
    const { total, items } = service.messages(inbox.id, { limit: 2 });
    assert.equal(total, 5);
    assert.deepEqual(
      items.map((m) => m.subject),
      ['hello 5', 'hello 4'],
      'newest first',
    );
    const { report, html } = await service.read(inbox.id, items[0]!.uid);
    assert.match(report.text, /hi \d/);
    assert.equal(html, null, 'a plain-text message has no HTML');
  });

  test('send: queued at once, sent in the background, the Sent copy saved; the outbox empties', async () => {
    events.length = 0;
    const entry = await service.send(
      account.id,
      {
        from: { name: 'Alice', address: ALICE },
        to: [{ name: 'Bob', address: BOB }],
        cc: [],
        subject: 'service secret',
        text: 'encrypted body 42\n',
        attachments: [],
      },
      { encrypt: true, sign: true },
    );
    assert.equal(entry.state, 'queued');
    await service.flush(account.id);
    assert.equal(
      (await mailFilesWith(servers, BOB, entry.messageId!, { timeoutMs: 15_000 })).length,
      1,
      `delivered; ${await servers.logs()}`,
    );
    const sent = (await servers.mailFiles(ALICE)).filter((f) => readFileSync(f).includes(entry.messageId!));
    assert.equal(sent.length, 1);
    assert.ok(!readFileSync(sent[0]!).includes('encrypted body 42'), 'the Sent copy is encrypted');
    assert.deepEqual(service.outbox(account.id), []);
    assert.ok(events.some((e) => e.event === 'outbox.changed'));
  });

  test('Postfix down: the message waits for its retry time, then goes out exactly once', async () => {
    await servers.stopPostfix();
    let messageId: string;
    try {
      const entry = await service.send(
        account.id,
        {
          from: { name: 'Alice', address: ALICE },
          to: [{ name: 'Bob', address: BOB }],
          cc: [],
          subject: 'later',
          text: 'later\n',
          attachments: [],
        },
        { encrypt: false, sign: false },
      );
      messageId = entry.messageId!;
      await service.flush(account.id);
      const [queued] = service.outbox(account.id);
      assert.equal(queued!.state, 'queued');
      assert.equal(queued!.attempts, 1);
      assert.ok(queued!.lastError);
      assert.equal(queued!.nextAttemptAt, clock + 60_000);
    } finally {
      await servers.startPostfix();
    }
    clock += 30_000;
    await service.flush(account.id);
    assert.equal(service.outbox(account.id)[0]?.attempts, 1, 'not tried before its time');
    clock += 31_000;
    await service.flush(account.id);
    assert.deepEqual(service.outbox(account.id), []);
    assert.equal((await mailFilesWith(servers, BOB, messageId!, { timeoutMs: 15_000 })).length, 1);
    await service.flush(account.id);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await mailFilesWith(servers, BOB, messageId!, { atLeast: 2, timeoutMs: 0 })).length, 1, 'exactly once');
  });

  test('the open folder is watched by IDLE: new mail shows without a sync, and watching stops', async () => {
    const inbox = service.folders(account.id).find((f) => f.role === 'inbox')!;
    await service.watch(inbox.id);
    try {
      // The watcher's first sync, then a delivery it must see on its own.
      await new Promise((r) => setTimeout(r, 500));
      events.length = 0;
      await servers.deliver(
        ALICE,
        Buffer.from(
          `From: Carol <carol@service.test>\r\nTo: ${ALICE}\r\nSubject: pushed\r\nMessage-ID: <pushed@service.test>\r\n\r\npushed\r\n`,
        ),
      );
      const deadline = Date.now() + 15_000;
      while (!service.messages(inbox.id).items.some((m) => m.messageId === '<pushed@service.test>') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        service.messages(inbox.id).items.some((m) => m.messageId === '<pushed@service.test>'),
        'stored by the watcher',
      );
      assert.ok(
        events.some((e) => e.event === 'mail.changed'),
        'announced',
      );
    } finally {
      await service.watch(null);
    }
  });

  test('a message action shows at once and reaches the server in the background', async () => {
    const inbox = service.folders(account.id).find((f) => f.role === 'inbox')!;
    const [first] = service.messages(inbox.id).items;
    const { changed } = service.act(account.id, { kind: 'flag', folder: 'INBOX', uids: [first!.uid] });
    assert.equal(changed, 1);
    assert.ok(
      service
        .messages(inbox.id)
        .items.find((m) => m.uid === first!.uid)!
        .flags.includes('\\Flagged'),
    );
    await service.flush(account.id);
    assert.equal(service.pendingActions(account.id), 0);
    const path = (await servers.mailFiles(ALICE)).find((f) => readFileSync(f).includes(first!.messageId!) && !f.includes('Sent'))!;
    assert.match(path, /:2,[A-Z]*F/, 'the maildir file carries the flag');
  });
});
