// The app's mail procedures that reach the servers, against the real Dovecot
// and Postfix on loopback with the real keyring worker, through the
// dispatcher: `mail.arrived` once for new unread inbox mail (from a sync and
// from the IDLE watcher; not for the first sync, not for mail read
// elsewhere), the reader's HTML of a message fetched from the server, and
// drafts saved encrypted, uploaded in the background and deleted there; a
// message that arrives by IDLE is one mail.changed, and its body is fetched
// over the watcher's connection (connections counted by a proxy).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { asOtherClient, testAccountInput } from '../../support/imap-peer.ts';
import { startCuttingProxy } from '../../support/cutting-proxy.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { openStore } from '../../../main/store/database.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { MailService } from '../../../main/services/mail-service.ts';
import { checkEvent, createDispatcher, type Dispatch } from '../../../main/ipc/dispatcher.ts';
import type { FolderView, MessageView } from '../../../app/mail.ts';

const skip = mailServersAvailable();
const ALICE = 'alice@app-mail.test';
const PASSWORD = 'app mail test password';

function ok<T = unknown>(result: Awaited<ReturnType<Dispatch>>): T {
  assert.equal(result.ok, true, JSON.stringify(result).slice(0, 500));
  return (result as { value: T }).value;
}

const plain = (n: string, subject = `mail ${n}`) =>
  Buffer.from(
    `From: Carol <carol@app-mail.test>\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${n}@app-mail.test>\r\n\r\nbody ${n}\r\n`,
  );

describe("the app's mail procedures on the real servers", { skip: skip ?? false, timeout: 120_000 }, () => {
  let servers: MailServers;
  let home: string;
  let db: DatabaseSync;
  let keyring: RunningKeyring;
  let mail: MailService;
  let dispatch: Dispatch;
  let accountId: string;
  const events: Array<{ event: string; payload: unknown }> = [];
  const arrived = () =>
    events
      .filter((e) => e.event === 'mail.arrived')
      .map((e) => e.payload as { accountId: string; folderId: number; count: number; latest: { from: string; subject: string } | null });
  const inbox = async () => ok<FolderView[]>(await dispatch('mail.folders', { accountId })).find((f) => f.role === 'inbox')!;

  before(async () => {
    servers = await startMailServers();
    await servers.addUser(ALICE, PASSWORD);
    home = mkdtempSync(join(tmpdir(), 'sealpost-app-mail-'));
    keyring = startKeyringWorker(home);
    await keyring.client.call('keys.generate', {
      name: 'Alice',
      email: ALICE,
      algo: 'curve25519',
      expiresInSeconds: null,
      passphrase: null,
    });
    db = openStore(home);
    const emit = (event: string, payload: unknown) => {
      checkEvent(event as never, payload as never);
      events.push({ event, payload });
    };
    mail = new MailService({ db, secrets: new MemorySecretStore(), keyring: keyring.client, emit: emit });
    dispatch = createDispatcher({ keyring: keyring.client, mail, emit: emit });
    accountId = ok<{ id: string }>(
      await dispatch('accounts.add', testAccountInput(servers, ALICE, PASSWORD, { tls: true, smtpTls: false })),
    ).id;
  });

  after(async () => {
    await mail?.stop();
    db?.close();
    await keyring?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    await servers?.close();
  });

  test('mail.arrived: not for the first sync; then once, for the unread new mail only, with the newest', async () => {
    await servers.deliver(ALICE, plain('old1'));
    await servers.deliver(ALICE, plain('old2'));
    events.length = 0;
    ok(await dispatch('mail.sync', { accountId }));
    assert.deepEqual(arrived(), [], 'what was there before the first sync did not arrive');

    await servers.deliver(ALICE, plain('new1', 'first new'));
    await servers.deliver(ALICE, plain('read1', 'read elsewhere'));
    await servers.deliver(ALICE, plain('new2', 'second new'));
    // Another client reads one of them before this one syncs.
    await asOtherClient(servers, ALICE, PASSWORD, async (client) => {
      await client.mailboxOpen('INBOX');
      const uids = await client.search({ header: { 'message-id': '<read1@app-mail.test>' } }, { uid: true });
      assert.ok(Array.isArray(uids) && uids.length === 1);
      await client.messageFlagsAdd(uids, ['\\Seen'], { uid: true });
    });
    events.length = 0;
    ok(await dispatch('mail.sync', { accountId }));
    const folder = await inbox();
    assert.deepEqual(arrived(), [
      { accountId, folderId: folder.id, count: 2, latest: { from: 'Carol <carol@app-mail.test>', subject: 'second new' } },
    ]);

    events.length = 0;
    ok(await dispatch('mail.sync', { accountId }));
    assert.deepEqual(arrived(), [], 'announced once');
  });

  test('mail.arrived from the IDLE watcher, once; a sync after it does not announce it again', async () => {
    const folder = await inbox();
    ok(await dispatch('mail.watch', { folderId: folder.id }));
    try {
      await new Promise((r) => setTimeout(r, 500));
      events.length = 0;
      await servers.deliver(ALICE, plain('pushed', 'pushed by IDLE'));
      const deadline = Date.now() + 15_000;
      while (arrived().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(arrived(), [
        { accountId, folderId: folder.id, count: 1, latest: { from: 'Carol <carol@app-mail.test>', subject: 'pushed by IDLE' } },
      ]);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(arrived().length, 1, 'once');
    } finally {
      ok(await dispatch('mail.watch', { folderId: null }));
    }
    ok(await dispatch('mail.sync', { accountId }));
    assert.equal(arrived().length, 1, 'not again from the sync');
  });

  test('mail.read fetches the body from the server once and gives the HTML alternative', async () => {
    const b = 'alt-boundary-1';
    await servers.deliver(
      ALICE,
      Buffer.from(
        [
          `From: Carol <carol@app-mail.test>`,
          `To: ${ALICE}`,
          'Subject: html news',
          'Message-ID: <html1@app-mail.test>',
          'MIME-Version: 1.0',
          `Content-Type: multipart/alternative; boundary="${b}"`,
          '',
          `--${b}`,
          'Content-Type: text/plain; charset=utf-8',
          '',
          'plain news',
          `--${b}`,
          'Content-Type: text/html; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          '<p>html news =E2=9C=93</p>',
          `--${b}--`,
          '',
        ].join('\r\n'),
      ),
    );
    ok(await dispatch('mail.sync', { accountId }));
    const folder = await inbox();
    const { items } = ok<{ items: Array<{ uid: string; messageId: string | null }> }>(
      await dispatch('mail.messages', { folderId: folder.id }),
    );
    const uid = items.find((m) => m.messageId === '<html1@app-mail.test>')!.uid;
    const view = ok<MessageView>(await dispatch('mail.read', { folderId: folder.id, uid }));
    assert.equal(view.report.encryption.status, 'none');
    assert.equal(view.html, '<p>html news \u2713</p>');
    assert.match(view.report.text, /plain news/);
  });

  test('drafts: saved encrypted, uploaded by the background flush still encrypted, deleted there after drafts.delete', async () => {
    const draftFiles = async () => (await servers.mailFiles(ALICE)).filter((p) => p.includes('/.Drafts/'));
    const saved = ok<{ id: number; unsaved: boolean }>(
      await dispatch('drafts.save', {
        accountId,
        draft: {
          from: { name: 'Alice', address: ALICE },
          to: [{ address: 'bob@app-mail.test' }],
          subject: 'SERVER-DRAFT-SUBJECT',
          text: 'SERVER-DRAFT-BODY\n',
        },
        encrypt: true,
      }),
    );
    assert.equal(saved.unsaved, true);
    // The save started the flush; this one waits for it (one runner per account).
    await mail.flush(accountId);
    const [listed] = ok<Array<{ id: number; unsaved: boolean }>>(await dispatch('drafts.list', { accountId }));
    assert.deepEqual([listed!.id, listed!.unsaved], [saved.id, false]);
    const files = await draftFiles();
    assert.equal(files.length, 1);
    const onServer = readFileSync(files[0]!, 'latin1');
    assert.match(onServer, /-----BEGIN PGP MESSAGE-----/);
    assert.ok(
      !onServer.includes('SERVER-DRAFT-BODY') && !onServer.includes('SERVER-DRAFT-SUBJECT') && !onServer.includes('bob@app-mail.test'),
    );

    ok(await dispatch('drafts.delete', { id: saved.id }));
    await mail.flush(accountId);
    assert.deepEqual(await draftFiles(), [], 'the server copy is gone');
    assert.deepEqual(ok(await dispatch('drafts.list', { accountId })), []);
  });

  test("IDLE: an arrival is one mail.changed, and reading it uses the watcher's connection, no new login", async () => {
    const DAVE = 'dave@app-mail.test';
    await servers.addUser(DAVE, PASSWORD);
    // Every IMAP connection of this account goes through the proxy, which counts them.
    const proxy = await startCuttingProxy({ host: '127.0.0.1', port: servers.imap.port });
    try {
      const dave = ok<{ id: string }>(
        await dispatch('accounts.add', testAccountInput(servers, DAVE, PASSWORD, { imapPort: proxy.port })),
      ).id;
      await servers.deliver(DAVE, plain('dave-old', 'before watching'));
      ok(await dispatch('mail.sync', { accountId: dave }));
      const folder = ok<FolderView[]>(await dispatch('mail.folders', { accountId: dave })).find((f) => f.role === 'inbox')!;
      const changedFor = () => events.filter((e) => e.event === 'mail.changed' && (e.payload as { accountId: string }).accountId === dave);
      const waitFor = async (what: string, done: () => boolean) => {
        const deadline = Date.now() + 15_000;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const connected = proxy.accepted;
      ok(await dispatch('mail.watch', { folderId: folder.id }));
      try {
        await waitFor('the watcher to connect', () => proxy.accepted === connected + 1);
        // Its first sync (what changed while not watching) has had time to finish.
        await new Promise((r) => setTimeout(r, 1000));
        events.length = 0;
        await servers.deliver(DAVE, plain('dave-new', 'arrived while watching'));
        await waitFor('mail.arrived', () => events.some((e) => e.event === 'mail.arrived'));
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(changedFor().length, 1, `one list reload for one arrival: ${JSON.stringify(changedFor())}`);

        const listed = ok<{ items: Array<{ uid: string; subject: string }> }>(await dispatch('mail.messages', { folderId: folder.id }));
        const arrivedUid = listed.items.find((m) => m.subject === 'arrived while watching')!.uid;
        const view = ok<MessageView>(await dispatch('mail.read', { folderId: folder.id, uid: arrivedUid }));
        assert.match(view.report.text, /body dave-new/);
        assert.equal(proxy.accepted, connected + 1, "the body came over the watcher's connection: no other login");
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(changedFor().length, 1, 'reading it changed no list');
        assert.equal(proxy.accepted, connected + 1, 'and the watcher kept its connection');
      } finally {
        ok(await dispatch('mail.watch', { folderId: null }));
      }
    } finally {
      await proxy.close();
    }
  });
});
