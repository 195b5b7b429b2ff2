// IMAP sync against the real Dovecot on loopback (test/support/servers/mailservers.ts):
// folder list with roles, first sync newest first in batches, incremental
// sync with CONDSTORE (flags, expunges, new mail), a resync that changes
// nothing, UIDVALIDITY changes (simulated and a recreated mailbox), and raw
// bodies fetched on demand byte for byte. Skipped, with the reason, where
// the servers cannot run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ImapFlow } from 'imapflow';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { addTestAccount, otherImapClient } from '../../support/imap-peer.ts';
import { openStore } from '../../../main/store/database.ts';
import { checkUidValidity, findFolder, getFolder, listFolders, type FolderRow } from '../../../main/store/folders.ts';
import { getMessage, knownUids, listMessages, upsertMessages } from '../../../main/store/messages.ts';
import { Accounts, type Account } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { closeImap, connectImap, type ImapSession } from '../../../main/mail/imap-session.ts';
import { within } from '../../../main/mail/deadline.ts';
import { assignRoles, syncFolderList } from '../../../main/sync/folders.ts';
import { securityHint, syncFolder, uidSet, type SyncProgress } from '../../../main/sync/folder-sync.ts';
import { fetchBody } from '../../../main/sync/fetch-body.ts';

const USER = 'sync@sealpost.test';
const PASSWORD = 'sync-pässword-1';
const skip = mailServersAvailable();

type Kind = 'encrypted' | 'signed' | 'none';
const kindOf = (i: number): Kind => (i % 5 === 0 ? 'encrypted' : i % 7 === 3 ? 'signed' : 'none');

/** Message i, dated i hours after a fixed time, PGP/MIME-shaped when asked (structure only: the armor is not real). */
function message(i: number, kind: Kind = kindOf(i)): Buffer {
  const head = [
    `From: Alice <alice@example.test>`,
    `To: Sync <${USER}>`,
    `Subject: message ${String(i).padStart(3, '0')}`,
    `Date: ${new Date(Date.UTC(2024, 0, 1, i)).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <m${i}@example.test>`,
    'MIME-Version: 1.0',
  ];
  const armor = (what: string) => [`-----BEGIN PGP ${what}-----`, '', 'wcBMA0AAAAAAAAAAAQf/not-real', `-----END PGP ${what}-----`];
  let body: string[];
  if (kind === 'encrypted') {
    body = [
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"',
      '',
      '--enc',
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '--enc',
      'Content-Type: application/octet-stream; name="encrypted.asc"',
      '',
      ...armor('MESSAGE'),
      '--enc--',
      '',
    ];
  } else if (kind === 'signed') {
    body = [
      'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"',
      '',
      '--sig',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `signed text ${i}`,
      '--sig',
      'Content-Type: application/pgp-signature; name="signature.asc"',
      '',
      ...armor('SIGNATURE'),
      '--sig--',
      '',
    ];
  } else {
    body = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', `plain text ${i}, grüße`, '.a dot line', ''];
  }
  return Buffer.from([...head, ...body].join('\r\n'), 'utf8');
}

describe('IMAP sync into the store (real Dovecot)', { skip: skip ?? false, timeout: 60_000 }, () => {
  let servers: MailServers;
  let home: string;
  let db: DatabaseSync;
  let account: Account;
  let session: ImapSession;
  let inbox: FolderRow;
  /** Bob's own connection, for changes made "by another client". */
  let other: ImapFlow;

  before(async () => {
    servers = await startMailServers();
    await servers.addUser(USER, PASSWORD);
    for (let i = 1; i <= 30; i++) await servers.deliver(USER, message(i));
    home = mkdtempSync(join(tmpdir(), 'sealpost-sync-'));
    db = openStore(home);
    const accounts = new Accounts(db, new MemorySecretStore());
    account = await addTestAccount(accounts, servers, USER, PASSWORD);
    session = await connectImap(account, await accounts.password(USER));
    other = otherImapClient(servers, USER, PASSWORD, { socketTimeoutMs: 10_000 });
    await other.connect();
  });

  after(async () => {
    if (session) await closeImap(session);
    if (other) other.close();
    db?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    await servers?.close();
  });

  const rows = () => listMessages(db, inbox.id, { limit: 10_000 });
  const byMessageId = (id: string) => rows().find((m) => m.messageId === id);

  test('the folder list: special-use roles, INBOX', async () => {
    const { folders, removed } = await syncFolderList(db, account.id, session);
    assert.deepEqual(removed, []);
    const roles = Object.fromEntries(folders.map((f) => [f.folder.path, f.folder.role]));
    assert.deepEqual(roles, { INBOX: 'inbox', Drafts: 'drafts', Sent: 'sent', Junk: 'junk', Trash: 'trash' });
    assert.equal(folders.find((f) => f.folder.path === 'INBOX')?.status?.messages, 30);
    inbox = findFolder(db, account.id, 'INBOX')!;
    assert.ok(inbox.uidvalidity, 'UIDVALIDITY recorded from STATUS');
  });

  test('first sync: 30 messages, newest first in batches, with their security hints', async () => {
    const progress: SyncProgress[] = [];
    let firstBatch: string[] = [];
    const result = await syncFolder(db, session, inbox, {
      batchSize: 7,
      onProgress: (p) => {
        progress.push(p);
        if (p.done > 0 && firstBatch.length === 0) firstBatch = knownUids(db, inbox.id);
      },
    });
    assert.equal(result.added, 30);
    assert.equal(rows().length, 30);
    assert.deepEqual(progress.at(-1), { folder: 'INBOX', done: 30, total: 30 });
    assert.deepEqual(
      progress.map((p) => p.done),
      [0, 7, 14, 21, 28, 30],
    );
    // The first batch stored is the seven highest UIDs.
    const all = knownUids(db, inbox.id).map(Number);
    assert.deepEqual(firstBatch.map(Number), all.slice(-7));

    const list = rows();
    assert.deepEqual(
      list.map((m) => m.subject),
      Array.from({ length: 30 }, (_, k) => `message ${String(30 - k).padStart(3, '0')}`),
      'newest first',
    );
    for (let i = 1; i <= 30; i++) {
      const m = byMessageId(`<m${i}@example.test>`)!;
      assert.ok(m, `message ${i}`);
      assert.equal(m.security, kindOf(i), `hint of message ${i}`);
      assert.equal(m.from?.address, 'alice@example.test');
      assert.deepEqual(
        m.to.map((a) => a.address),
        [USER],
      );
      assert.equal(m.date, Date.UTC(2024, 0, 1, i));
      assert.ok(m.size! > 0);
      assert.ok(m.internalDate! > 0);
      assert.equal(m.hasRaw, false, 'no bodies during sync');
    }
    assert.ok(list.some((m) => m.security === 'signed') && list.some((m) => m.security === 'encrypted'));
    const folder = getFolder(db, inbox.id)!;
    assert.ok(folder.highestmodseq, 'HIGHESTMODSEQ stored (Dovecot has CONDSTORE)');
    assert.ok(folder.uidnext);
    assert.equal(folder.totalCount, 30);
    assert.equal(folder.unreadCount, 30);
  });

  test('incremental sync: a flag, an expunge and two new messages', async () => {
    const uidOf = (i: number) => Number(byMessageId(`<m${i}@example.test>`)!.uid);
    const lock = await other.getMailboxLock('INBOX');
    try {
      assert.ok(await other.messageFlagsAdd(String(uidOf(4)), ['\\Flagged', '\\Seen'], { uid: true }));
      assert.ok(await other.messageDelete(String(uidOf(9)), { uid: true }));
    } finally {
      lock.release();
    }
    await servers.deliver(USER, message(31, 'signed'));
    await servers.deliver(USER, message(32, 'none'));

    const result = await syncFolder(db, session, inbox);
    assert.equal(result.condstore, true);
    assert.equal(result.qresync, true, 'the expunge came from VANISHED (EARLIER): Dovecot has QRESYNC');
    assert.equal(result.added, 2);
    assert.equal(result.removed, 1);
    assert.equal(result.flagsUpdated, 1, 'only the changed message is read again (CHANGEDSINCE)');
    const list = rows();
    assert.equal(list.length, 31);
    assert.equal(new Set(list.map((m) => m.uid)).size, 31, 'no duplicates');
    assert.equal(byMessageId('<m9@example.test>'), undefined, 'the expunged message is gone');
    assert.deepEqual(byMessageId('<m4@example.test>')!.flags, ['\\Flagged', '\\Seen']);
    assert.equal(byMessageId('<m31@example.test>')!.security, 'signed');
    assert.equal(list[0]!.messageId, '<m32@example.test>');
    const folder = getFolder(db, inbox.id)!;
    assert.equal(folder.totalCount, 31);
    assert.equal(folder.unreadCount, 30);
  });

  test('a resync with nothing changed on the server changes nothing', async () => {
    const before = { rows: rows(), folder: { ...getFolder(db, inbox.id)!, lastSyncAt: null } };
    const result = await syncFolder(db, session, inbox);
    assert.deepEqual({ added: result.added, removed: result.removed, flags: result.flagsUpdated }, { added: 0, removed: 0, flags: 0 });
    assert.deepEqual({ rows: rows(), folder: { ...getFolder(db, inbox.id)!, lastSyncAt: null } }, before);
  });

  test('a changed UIDVALIDITY clears the folder and the sync stores it anew, without stale rows', async () => {
    const real = getFolder(db, inbox.id)!.uidvalidity!;
    // The store last saw another UIDVALIDITY, and a message that only existed under it.
    checkUidValidity(db, inbox.id, String(BigInt(real) + 1n));
    upsertMessages(db, inbox.id, [{ uid: 999_999, subject: 'stale', messageId: '<stale@example.test>' }]);
    const result = await syncFolder(db, session, inbox);
    assert.equal(result.uidvalidityChanged, true);
    assert.equal(result.cleared, 1);
    assert.equal(result.added, 31);
    assert.equal(rows().length, 31);
    assert.equal(getMessage(db, inbox.id, 999_999), null);
    assert.equal(getFolder(db, inbox.id)!.uidvalidity, real);
  });

  test('a connection cut mid-sync leaves whole batches; the next sync completes them without duplicates', async () => {
    const real = getFolder(db, inbox.id)!.uidvalidity!;
    checkUidValidity(db, inbox.id, String(BigInt(real) + 1n)); // forces a full sync from an empty folder
    await assert.rejects(
      syncFolder(db, session, inbox, {
        batchSize: 5,
        onProgress: (p) => {
          if (p.done > 0) session.client.close(); // the connection drops after the first batch is stored
        },
      }),
      (e: Error & { code?: string }) => e.code === 'network-unavailable',
    );
    assert.equal(rows().length, 5, 'the first batch is stored');
    assert.equal(getFolder(db, inbox.id)!.uidnext, null, 'the sync state did not advance');
    await closeImap(session);
    session = await connectImap(account, PASSWORD);
    const result = await syncFolder(db, session, inbox, { batchSize: 5 });
    assert.equal(result.added, 26);
    assert.equal(rows().length, 31);
    assert.equal(new Set(rows().map((m) => m.uid)).size, 31);
    assert.equal(getFolder(db, inbox.id)!.uidvalidity, real);
    assert.ok(getFolder(db, inbox.id)!.uidnext);
  });

  test('a mailbox recreated on the server, a name-only role, a folder removed', async () => {
    const appended = [message(100, 'encrypted'), message(101, 'none')];
    await other.mailboxCreate('Archive');
    for (const raw of appended) await other.append('Archive', raw);
    let listing = await syncFolderList(db, account.id, session);
    const archive = listing.folders.find((f) => f.folder.path === 'Archive')!.folder;
    assert.equal(archive.role, 'archive', 'the usual name, without a special-use attribute');
    await syncFolder(db, session, archive);
    assert.deepEqual(
      listMessages(db, archive.id).map((m) => m.messageId),
      ['<m101@example.test>', '<m100@example.test>'],
    );

    // Fetched on demand: the exact bytes that were appended, ciphertext as it was.
    const encrypted = listMessages(db, archive.id).find((m) => m.security === 'encrypted')!;
    const raw = await fetchBody(db, session, archive, encrypted.uid);
    assert.deepEqual(Buffer.from(raw), appended[0]);
    assert.deepEqual(Buffer.from(getMessage(db, archive.id, encrypted.uid)!.raw!), appended[0]);

    await other.mailboxDelete('Archive');
    await other.mailboxCreate('Archive');
    await other.append('Archive', message(102, 'none'));
    listing = await syncFolderList(db, account.id, session);
    const again = listing.folders.find((f) => f.folder.path === 'Archive')!.folder;
    assert.equal(again.id, archive.id);
    await syncFolder(db, session, again);
    assert.deepEqual(
      listMessages(db, archive.id).map((m) => m.messageId),
      ['<m102@example.test>'],
      'nothing of the old mailbox is left',
    );

    await other.mailboxDelete('Archive');
    listing = await syncFolderList(db, account.id, session);
    assert.deepEqual(listing.removed, ['Archive']);
    assert.equal(findFolder(db, account.id, 'Archive'), null);
    assert.deepEqual(
      listFolders(db, account.id)
        .map((f) => f.path)
        .sort(),
      ['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash'],
    );
  });

  test('fetch-body stores the message as the server has it, byte for byte', async () => {
    const m = byMessageId('<m5@example.test>')!;
    assert.equal(m.security, 'encrypted');
    const lock = await other.getMailboxLock('INBOX');
    let server: Buffer;
    try {
      const fetched = await other.fetchOne(m.uid, { source: true }, { uid: true });
      assert.ok(fetched && fetched.source);
      server = fetched.source;
    } finally {
      lock.release();
    }
    const raw = await fetchBody(db, session, inbox, m.uid);
    assert.ok(Buffer.from(raw).equals(server));
    const original = message(5);
    assert.ok(server.subarray(server.length - original.length).equals(original), 'delivery only prepended trace headers');
    assert.ok(Buffer.from(getMessage(db, inbox.id, m.uid)!.raw!).equals(server));
    assert.equal(byMessageId('<m5@example.test>')!.flags.includes('\\Seen'), false);
  });
});

describe('sync helpers', () => {
  test('security hint from BODYSTRUCTURE only', () => {
    assert.equal(securityHint('multipart/encrypted; protocol="application/pgp-encrypted"; boundary="x"'), 'encrypted');
    assert.equal(securityHint('Multipart/Signed; micalg=pgp-sha256;\r\n protocol="Application/PGP-Signature"'), 'signed');
    assert.equal(securityHint('multipart/signed; protocol="application/pkcs7-signature"'), 'none');
    assert.equal(securityHint('multipart/encrypted; boundary=x'), 'none', 'no protocol, no PGP/MIME');
    assert.equal(securityHint('text/plain'), 'none');
    assert.equal(securityHint(undefined), 'none');
  });

  test('a step that does not finish in time is aborted with network-timeout', async () => {
    let aborted = false;
    await assert.rejects(
      within(30, 'a stuck step', new Promise<never>(() => undefined), () => {
        aborted = true;
      }),
      (e: Error & { code?: string }) => e.code === 'network-timeout',
    );
    assert.equal(aborted, true);
    assert.equal(await within(1_000, 'a quick step', Promise.resolve(7), () => assert.fail('not aborted')), 7);
  });

  test('UID sets', () => {
    assert.equal(uidSet([9, 1, 2, 3, 7, 10, 3]), '1:3,7,9:10');
    assert.equal(uidSet([]), '');
  });

  test('roles: the server attribute wins over a name, one folder per role, nested names are not roles', () => {
    const f = (path: string, specialUse: string | null = null, fromServer = false) => ({
      path,
      delimiter: '/',
      specialUse,
      fromServer,
      flags: [],
    });
    const roles = assignRoles([
      f('INBOX', '\\Inbox'),
      f('Sent'),
      f('Sent Items', '\\Sent', true),
      f('Spam'),
      f('Projects/Trash'),
      f('Deleted Items'),
    ]);
    assert.deepEqual(Object.fromEntries(roles), { INBOX: 'inbox', 'Sent Items': 'sent', Spam: 'junk', 'Deleted Items': 'trash' });
  });
});
