// Message actions (read/unread, flag, move, delete to Trash, archive) done
// while offline: applied to the store at once, queued, and replayed on the
// real Dovecot in the order they were made by the next sync; a connection
// failure defers the head of the queue and keeps the order; an action on
// UIDs of a recreated folder is dropped; deleting in Trash deletes for good.
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
import { findFolder, findFolderByRole } from '../../../main/store/folders.ts';
import { listMessages } from '../../../main/store/messages.ts';
import { enqueueAction, listActions, nextAction } from '../../../main/store/pending-actions.ts';
import type { Account } from '../../../main/accounts/accounts.ts';
import { SealpostError } from '../../../app/errors.ts';
import { syncAccount } from '../../../main/sync/account-sync.ts';
import { applyMessageAction } from '../../../main/sync/message-actions.ts';
import { replayActions } from '../../../main/sync/replay-actions.ts';
import { connectImap, closeImap } from '../../../main/mail/imap-session.ts';

const USER = 'actions@example.test';
const PASSWORD = 'actions password 3';
const skip = mailServersAvailable();

function message(i: number): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@example.test>',
      `To: <${USER}>`,
      `Subject: action ${i}`,
      `Date: ${new Date(Date.UTC(2025, 0, 1, i)).toUTCString()}`,
      `Message-ID: <action${i}@example.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `body ${i}`,
      '',
    ].join('\r\n'),
  );
}

describe('offline message actions replayed in order (real Dovecot)', { skip: skip ?? false, timeout: 90_000 }, () => {
  let servers: MailServers;
  let home: string;
  let db: DatabaseSync;
  let account: Account;
  let other: ImapFlow;

  /** Message-ID -> flags, for every message of a folder as the server has it (another client's view). */
  async function serverFolder(path: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const lock = await other.getMailboxLock(path, { readOnly: true });
    try {
      // Expunges by the sync's connection reach this one only with a command (RFC 9051 section 7.5.1).
      await other.noop();
      if ((other.mailbox && other.mailbox.exists) === 0) return out;
      for await (const m of other.fetch('1:*', { envelope: true, flags: true })) {
        // Unsolicited FETCH (flag changes made by the sync's connection) carry no envelope.
        if (m.envelope?.messageId) out.set(m.envelope.messageId, [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort());
      }
    } finally {
      lock.release();
    }
    return out;
  }

  const local = (path: string) => {
    const folder = findFolder(db, account.id, path);
    return folder ? new Map(listMessages(db, folder.id).map((m) => [m.messageId!, m.flags])) : new Map<string, string[]>();
  };
  const uidOf = (path: string, n: number) =>
    listMessages(db, findFolder(db, account.id, path)!.id).find((m) => m.messageId === `<action${n}@example.test>`)!.uid;

  before(async () => {
    servers = await startMailServers();
    await servers.addUser(USER, PASSWORD);
    for (let i = 1; i <= 8; i++) await servers.deliver(USER, message(i));
    home = mkdtempSync(join(tmpdir(), 'sealpost-actions-'));
    db = openStore(home);
    account = await addTestAccount(db, servers, USER, PASSWORD, { tls: true });
    other = otherImapClient(servers, USER, PASSWORD, { tls: true, socketTimeoutMs: 10_000 });
    await other.connect();
    const first = await syncAccount(db, account, PASSWORD, { send: false });
    assert.equal(first.folders.find((f) => f.folder === 'INBOX')?.added, 8);
  });

  after(async () => {
    other?.close();
    db?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    await servers?.close();
  });

  test('actions done offline show at once, and the next sync applies them on the server in order', async () => {
    const inbox = 'INBOX';
    // No connection at all while these are done.
    applyMessageAction(db, account.id, { kind: 'read', folder: inbox, uids: [uidOf(inbox, 1)] });
    applyMessageAction(db, account.id, { kind: 'flag', folder: inbox, uids: [uidOf(inbox, 2)] });
    applyMessageAction(db, account.id, { kind: 'trash', folder: inbox, uids: [uidOf(inbox, 3)] });
    applyMessageAction(db, account.id, { kind: 'archive', folder: inbox, uids: [uidOf(inbox, 4)] });
    // Order matters: read, then unread again, ends unread.
    applyMessageAction(db, account.id, { kind: 'read', folder: inbox, uids: [uidOf(inbox, 5)] });
    applyMessageAction(db, account.id, { kind: 'unread', folder: inbox, uids: [uidOf(inbox, 5)] });
    applyMessageAction(db, account.id, { kind: 'move', folder: inbox, uids: [uidOf(inbox, 6)], to: 'Junk' });

    const shown = local(inbox);
    assert.deepEqual(shown.get('<action1@example.test>'), ['\\Seen']);
    assert.deepEqual(shown.get('<action2@example.test>'), ['\\Flagged']);
    assert.equal(shown.has('<action3@example.test>'), false, 'moved out of the list at once');
    assert.equal(shown.has('<action4@example.test>'), false);
    assert.deepEqual(shown.get('<action5@example.test>'), []);
    assert.equal(findFolder(db, account.id, inbox)!.unreadCount, 4, 'unread count follows');
    assert.deepEqual(
      listActions(db, account.id).map((a) => a.kind),
      ['set-flags', 'set-flags', 'move', 'move', 'set-flags', 'set-flags', 'move'],
    );
    // Nothing happened on the server yet.
    assert.equal((await serverFolder(inbox)).size, 8);

    const result = await syncAccount(db, account, PASSWORD, { send: false });
    assert.equal(result.actions.applied, 7);
    assert.deepEqual(result.actions.dropped, []);
    assert.deepEqual(listActions(db, account.id), []);

    const server = await serverFolder(inbox);
    assert.deepEqual([...server.keys()].sort(), [
      '<action1@example.test>',
      '<action2@example.test>',
      '<action5@example.test>',
      '<action7@example.test>',
      '<action8@example.test>',
    ]);
    assert.deepEqual(server.get('<action1@example.test>'), ['\\Seen']);
    assert.deepEqual(server.get('<action2@example.test>'), ['\\Flagged']);
    assert.deepEqual(server.get('<action5@example.test>'), [], 'read then unread: unread');
    assert.ok((await serverFolder('Trash')).has('<action3@example.test>'));
    assert.ok((await serverFolder('Archive')).has('<action4@example.test>'), 'Archive created on the server');
    assert.ok((await serverFolder('Junk')).has('<action6@example.test>'));
    assert.equal(findFolderByRole(db, account.id, 'archive')?.path, 'Archive');

    // The store agrees with the server after the same sync.
    assert.deepEqual([...local(inbox).keys()].sort(), [...server.keys()].sort());
    assert.ok(local('Trash').has('<action3@example.test>'));
    assert.ok(local('Archive').has('<action4@example.test>'));
  });

  test('deleting what is in Trash deletes it for good', async () => {
    applyMessageAction(db, account.id, { kind: 'trash', folder: 'Trash', uids: [uidOf('Trash', 3)] });
    assert.equal(listActions(db, account.id)[0]!.kind, 'delete');
    await syncAccount(db, account, PASSWORD, { send: false });
    assert.equal((await serverFolder('Trash')).has('<action3@example.test>'), false);
    for (const path of ['INBOX', 'Archive', 'Junk', 'Trash'])
      assert.equal((await serverFolder(path)).has('<action3@example.test>'), false, path);
  });

  test('a connection failure defers the head of the queue; the order holds and the next attempt applies both', async () => {
    applyMessageAction(db, account.id, { kind: 'flag', folder: 'INBOX', uids: [uidOf('INBOX', 7)] });
    applyMessageAction(db, account.id, { kind: 'read', folder: 'INBOX', uids: [uidOf('INBOX', 8)] });
    const session = await connectImap(account, PASSWORD);
    session.client.close();
    const now = Date.now();
    await assert.rejects(
      replayActions(db, session, account.id, { now: () => now }),
      (e: unknown) => e instanceof SealpostError && e.retryable,
    );
    await closeImap(session);
    const [head, second] = listActions(db, account.id);
    assert.equal(head!.attempts, 1);
    assert.ok(head!.lastError);
    assert.ok(head!.nextAttemptAt > now, 'retried later');
    assert.equal(second!.attempts, 0, 'the next one waits behind it');
    assert.equal(nextAction(db, account.id, now), null, 'nothing due before the retry time');

    const live = await connectImap(account, PASSWORD);
    try {
      const result = await replayActions(db, live, account.id, { now: () => head!.nextAttemptAt });
      assert.equal(result.applied, 2);
    } finally {
      await closeImap(live);
    }
    const server = await serverFolder('INBOX');
    assert.deepEqual(server.get('<action7@example.test>'), ['\\Flagged']);
    assert.deepEqual(server.get('<action8@example.test>'), ['\\Seen']);
  });

  test('an action on the UIDs of a folder recreated since is dropped, not applied to other messages', async () => {
    const inbox = findFolder(db, account.id, 'INBOX')!;
    enqueueAction(db, account.id, {
      kind: 'set-flags',
      payload: { folder: 'INBOX', uidvalidity: String(BigInt(inbox.uidvalidity!) + 1n), uids: ['1'], add: ['\\Deleted'], remove: [] },
    });
    const session = await connectImap(account, PASSWORD);
    try {
      const result = await replayActions(db, session, account.id);
      assert.equal(result.applied, 0);
      assert.equal(result.dropped.length, 1);
      assert.match(result.dropped[0]!.reason, /recreated/);
      assert.equal(result.dropped[0]!.code, 'network-rejected');
    } finally {
      await closeImap(session);
    }
    for (const flags of (await serverFolder('INBOX')).values()) assert.ok(!flags.includes('\\Deleted'));
  });

  test('bad input changes nothing: unknown folder, unknown messages, a move without a target', () => {
    const before = listActions(db, account.id).length;
    assert.throws(() => applyMessageAction(db, account.id, { kind: 'read', folder: 'Nope', uids: ['1'] }), /no folder/);
    assert.throws(() => applyMessageAction(db, account.id, { kind: 'read', folder: 'INBOX', uids: ['999999'] }), /none of these messages/);
    assert.throws(() => applyMessageAction(db, account.id, { kind: 'move', folder: 'INBOX', uids: [uidOf('INBOX', 7)] }), /target/);
    assert.equal(listActions(db, account.id).length, before);
  });
});
