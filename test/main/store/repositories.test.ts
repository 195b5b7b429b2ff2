import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../../app/errors.ts';
import { deleteAccount, unsentWork } from '../../../main/store/accounts.ts';
import { openDatabase, transaction } from '../../../main/store/database.ts';
import { deleteDraft, getDraft, listDrafts, markDraftSynced, saveDraft, unsavedDrafts } from '../../../main/store/drafts.ts';
import {
  checkUidValidity,
  findFolderByRole,
  getFolder,
  listFolders,
  markFolderSynced,
  recountFolder,
  removeFolder,
  renameFolder,
  upsertFolder,
  upsertFolders,
} from '../../../main/store/folders.ts';
import {
  getMessage,
  highestUid,
  knownUids,
  listMessages,
  removeMessages,
  retainMessages,
  setMessageRaw,
  updateFlags,
  upsertMessages,
} from '../../../main/store/messages.ts';
import {
  claimNextOutbox,
  claimOutbox,
  enqueueOutbox,
  getOutbox,
  listOutbox,
  markOutboxFailed,
  markOutboxSent,
  recoverInterruptedOutbox,
  removeOutbox,
  requeueOutbox,
} from '../../../main/store/outbox.ts';
import { completeAction, deferAction, enqueueAction, listActions, nextAction } from '../../../main/store/pending-actions.ts';
import { addTestAccount, bytes } from '../../support/store/helpers.ts';

function withDb(fn: (db: DatabaseSync) => void): void {
  const db = openDatabase(':memory:');
  try {
    fn(db);
  } finally {
    db.close();
  }
}

const hasCode = (code: string) => (e: unknown) => e instanceof SealpostError && e.code === code;
const count = (db: DatabaseSync, sql: string, ...params: (string | number)[]) => Number(db.prepare(sql).get(...params)?.n);

test('folders: upsert by path keeps the sync state; roles and order', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const [inbox, sent] = upsertFolders(db, a.id, [
      { path: 'INBOX', delimiter: '/', role: 'inbox' },
      { path: 'Sent', delimiter: '/', role: 'sent' },
      { path: 'Archive/2024', delimiter: '/' },
    ]);
    assert.ok(inbox && sent);
    checkUidValidity(db, inbox.id, 1700000000n);
    assert.equal(markFolderSynced(db, inbox.id, { uidvalidity: '1700000000', uidnext: 42, highestmodseq: 2n ** 62n, syncedAt: 5 }), true);
    const again = upsertFolder(db, a.id, { path: 'INBOX', delimiter: '.', role: 'inbox' });
    assert.equal(again.id, inbox.id);
    assert.equal(again.delimiter, '.');
    assert.equal(again.uidvalidity, '1700000000');
    assert.equal(again.uidnext, '42');
    assert.equal(again.highestmodseq, (2n ** 62n).toString(), '63-bit MODSEQ kept exactly, as text');
    assert.equal(again.lastSyncAt, 5);
    assert.deepEqual(
      listFolders(db, a.id).map((f) => f.path),
      ['INBOX', 'Archive/2024', 'Sent'],
    );
    assert.equal(findFolderByRole(db, a.id, 'sent')?.id, sent.id);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM folders'), 3);
    assert.throws(() => markFolderSynced(db, inbox.id, { uidvalidity: 'x' }), hasCode('bad-input'));
  });
});

test('messages: UNIQUE(folder, uid) upserts never duplicate; the raw message is kept when an update has none', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const f = upsertFolder(db, a.id, { path: 'INBOX', role: 'inbox' });
    const g = upsertFolder(db, a.id, { path: 'Other' });
    const cipher = bytes('-----BEGIN PGP MESSAGE-----\r\n...\r\n');
    upsertMessages(db, f.id, [
      { uid: 1, subject: 'one', date: 1000, flags: ['\\Seen'], security: 'none', from: { name: 'A', address: 'a@example.org' } },
      { uid: '2', subject: '...', date: 3000, security: 'encrypted', raw: cipher },
      { uid: 10n, subject: 'ten', date: 2000 },
    ]);
    // The same UIDs again (a second FETCH), as number, string and BigInt: updated in place.
    upsertMessages(db, f.id, [
      { uid: '1', subject: 'one', date: 1000, flags: ['\\Seen', '\\Flagged', '\\Seen'] },
      { uid: 2, subject: '...', date: 3000, security: 'encrypted' },
      { uid: 10, subject: 'ten (edited)', date: 2000 },
    ]);
    upsertMessages(db, g.id, [{ uid: 1, subject: 'same uid, other folder' }]);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages WHERE folder_id = ?', f.id), 3);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages'), 4);
    assert.deepEqual(getMessage(db, f.id, 1)?.flags, ['\\Flagged', '\\Seen']);
    assert.equal(getMessage(db, f.id, 10)?.subject, 'ten (edited)');
    const two = getMessage(db, f.id, 2)!;
    assert.deepEqual(Buffer.from(two.raw!), Buffer.from(cipher), 'ciphertext kept byte for byte');
    assert.equal(two.hasRaw, true);
    assert.equal(two.security, 'encrypted');

    // Newest first by date; UIDs compared as numbers.
    assert.deepEqual(
      listMessages(db, f.id).map((m) => m.uid),
      ['2', '10', '1'],
    );
    assert.deepEqual(knownUids(db, f.id), ['1', '2', '10']);
    assert.equal(highestUid(db, f.id), '10');
    assert.equal(listMessages(db, f.id, { limit: 1 })[0]?.hasRaw, true);
    assert.equal('raw' in listMessages(db, f.id)[0]!, false, 'a listing carries no message bytes');

    // UIDs are kept in one canonical form, so "0010" is UID 10, not a second message.
    upsertMessages(db, f.id, [{ uid: '0010', subject: 'ten (edited)', date: 2000 }]);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages WHERE folder_id = ?', f.id), 3);
    assert.throws(() => upsertMessages(db, f.id, [{ uid: 'ten' }]), hasCode('bad-input'));
    assert.throws(() => upsertMessages(db, f.id, [{ uid: (2n ** 64n).toString() }]), hasCode('bad-input'));
    assert.throws(() => upsertMessages(db, f.id, [{ uid: 0 }]), hasCode('bad-input'));
    // A batch with a bad item writes nothing.
    assert.throws(() => upsertMessages(db, f.id, [{ uid: 50 }, { uid: -1 }]), hasCode('bad-input'));
    assert.equal(getMessage(db, f.id, 50), null);

    assert.equal(
      updateFlags(db, f.id, [
        { uid: 10, flags: ['\\Seen'], modseq: 77 },
        { uid: 999, flags: [] },
      ]),
      1,
    );
    assert.equal(getMessage(db, f.id, 10)?.modseq, '77');
    assert.deepEqual(recountFolder(db, f.id), { unread: 1, total: 3 });
    assert.equal(getFolder(db, f.id)?.unreadCount, 1);
    assert.equal(setMessageRaw(db, f.id, 10, bytes('raw ten')), true);
    assert.equal(setMessageRaw(db, f.id, 11, bytes('unknown')), false);
    assert.equal(removeMessages(db, f.id, [1, 999]), 1);
    assert.equal(retainMessages(db, f.id, [10]), 1);
    assert.deepEqual(knownUids(db, f.id), ['10']);
  });
});

test('a changed UIDVALIDITY clears that folder, its sync state and what refers to its old UIDs, in one transaction', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const drafts = upsertFolder(db, a.id, { path: 'Drafts', role: 'drafts' });
    const other = upsertFolder(db, a.id, { path: 'INBOX', role: 'inbox' });
    assert.deepEqual(checkUidValidity(db, drafts.id, 100), { changed: false, cleared: 0 });
    checkUidValidity(db, other.id, 100);
    upsertMessages(db, drafts.id, [{ uid: 1 }, { uid: 2 }, { uid: 3 }]);
    upsertMessages(db, other.id, [{ uid: 1 }, { uid: 2 }]);
    markFolderSynced(db, drafts.id, { uidvalidity: 100, uidnext: 4, highestmodseq: 9, unreadCount: 3, totalCount: 3 });
    const draft = saveDraft(db, { accountId: a.id, raw: bytes('draft'), encrypted: true });
    markDraftSynced(db, draft.id, { revision: 1, folderId: drafts.id, uid: 3 });
    enqueueAction(db, a.id, {
      kind: 'set-flags',
      payload: { folder: 'Drafts', uidvalidity: '100', uids: ['1'], add: ['\\Seen'], remove: [] },
    });
    enqueueAction(db, a.id, { kind: 'delete', payload: { folder: 'INBOX', uidvalidity: '100', uids: ['2'] } });

    // Same value: nothing happens.
    assert.deepEqual(checkUidValidity(db, drafts.id, '100'), { changed: false, cleared: 0 });
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages WHERE folder_id = ?', drafts.id), 3);

    // A failure inside the same transaction undoes all of the reset.
    assert.throws(() =>
      transaction(db, () => {
        checkUidValidity(db, drafts.id, 200);
        throw new Error('sync failed right after');
      }),
    );
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages WHERE folder_id = ?', drafts.id), 3);
    assert.equal(getFolder(db, drafts.id)?.uidvalidity, '100');

    const result = checkUidValidity(db, drafts.id, 200);
    assert.deepEqual(result, { changed: true, cleared: 3 });
    const after = getFolder(db, drafts.id)!;
    assert.equal(after.uidvalidity, '200');
    assert.equal(after.uidnext, null);
    assert.equal(after.highestmodseq, null, 'the next sync is a full one');
    assert.equal(after.totalCount, 0);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages WHERE folder_id = ?', drafts.id), 0);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM messages WHERE folder_id = ?', other.id), 2, 'other folders untouched');
    assert.deepEqual(
      listActions(db, a.id).map((x) => x.kind),
      ['delete'],
      'actions on the old UIDs dropped, others kept',
    );
    const d = getDraft(db, draft.id)!;
    assert.equal(d.server, null);
    assert.equal(d.unsaved, true, 'the draft will be saved again, not lost');
    assert.deepEqual(Buffer.from(d.raw), Buffer.from('draft'));
    // A sync that started under the old UIDVALIDITY cannot advance the state.
    assert.equal(markFolderSynced(db, drafts.id, { uidvalidity: 100, uidnext: 4 }), false);
    assert.equal(getFolder(db, drafts.id)?.uidnext, null);
  });
});

test('outbox: state transitions keep the raw message; a message is claimed once; wrong transitions are refused', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const raw = Buffer.concat([Buffer.from('Content-Type: multipart/encrypted\r\n\r\n'), Buffer.from([0, 1, 2, 255, 254, 13, 10])]);
    const same = (id: number) => assert.deepEqual(Buffer.from(getOutbox(db, id)!.raw), raw);
    const item = enqueueOutbox(
      db,
      { accountId: a.id, raw, envelope: { from: a.email, to: ['bob@example.org', 'hidden@example.org'] }, messageId: '<m1@x>' },
      1000,
    );
    assert.equal(item.state, 'queued');
    assert.equal(item.size, raw.length);
    same(item.id);

    assert.equal(claimNextOutbox(db, a.id, 999), null, 'not due yet');
    const claimed = claimNextOutbox(db, a.id, 1000)!;
    assert.equal(claimed.state, 'sending');
    assert.equal(claimed.attempts, 1);
    assert.deepEqual(Buffer.from(claimed.raw), raw);
    assert.equal(claimNextOutbox(db, a.id, 5000), null, 'a message being sent is not claimed again');
    assert.throws(() => claimOutbox(db, item.id), hasCode('outbox-wrong-state'));
    assert.throws(() => removeOutbox(db, item.id), hasCode('outbox-wrong-state'), 'never removed while sending');

    // A temporary failure: back to queued, later.
    const retry = markOutboxFailed(db, item.id, { code: 'network-unavailable', message: 'connection refused', retryAt: 60_000 });
    assert.equal(retry.state, 'queued');
    assert.equal(retry.lastErrorCode, 'network-unavailable');
    assert.equal(retry.nextAttemptAt, 60_000);
    same(item.id);
    assert.equal(claimNextOutbox(db, a.id, 59_999), null);
    claimNextOutbox(db, a.id, 60_000);
    // A permanent failure, then the user's retry.
    assert.equal(markOutboxFailed(db, item.id, { message: '550 mailbox unavailable', retryAt: null }).state, 'failed');
    assert.throws(() => markOutboxSent(db, item.id, { saveCopy: true }), hasCode('outbox-wrong-state'));
    same(item.id);
    assert.equal(requeueOutbox(db, item.id, 70_000).state, 'queued');
    claimOutbox(db, item.id, 70_000);
    const sent = markOutboxSent(db, item.id, { saveCopy: true, sentAt: 71_000 });
    assert.equal(sent.state, 'sent');
    assert.equal(sent.sentAt, 71_000);
    assert.equal(sent.attempts, 3);
    assert.equal(sent.lastError, null);
    same(item.id);
    assert.deepEqual(
      listActions(db, a.id).map((x) => [x.kind, x.payload]),
      [['append-sent', { outboxId: item.id }]],
      'the Sent copy is queued with the transition',
    );
    assert.throws(() => markOutboxSent(db, item.id, { saveCopy: true }), hasCode('outbox-wrong-state'), 'sent once');
    assert.deepEqual(
      listOutbox(db, { states: ['sent'] }).map((o) => o.id),
      [item.id],
    );
    // The account cannot be removed while its mail is only here.
    assert.throws(() => deleteAccount(db, a.id), hasCode('account-has-unsent'));
    removeOutbox(db, item.id);
    assert.equal(getOutbox(db, item.id), null);
    assert.deepEqual(listActions(db, a.id), []);
    assert.throws(() => removeOutbox(db, item.id), hasCode('outbox-not-found'));

    assert.throws(() => enqueueOutbox(db, { accountId: a.id, raw, envelope: { from: a.email, to: [] } }), hasCode('bad-input'));
    assert.throws(
      () => enqueueOutbox(db, { accountId: a.id, raw: new Uint8Array(0), envelope: { from: a.email, to: ['b@x.org'] } }),
      hasCode('bad-input'),
    );
  });
});

test('outbox: a message left in "sending" by a dead process becomes failed, not sent twice', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const one = enqueueOutbox(db, { accountId: a.id, raw: bytes('one'), envelope: { from: a.email, to: ['b@example.org'] } }, 0);
    const two = enqueueOutbox(db, { accountId: a.id, raw: bytes('two'), envelope: { from: a.email, to: ['b@example.org'] } }, 0);
    claimOutbox(db, one.id, 100);
    claimOutbox(db, two.id, 10_000);
    assert.equal(recoverInterruptedOutbox(db, 5_000), 1);
    const failed = getOutbox(db, one.id)!;
    assert.equal(failed.state, 'failed');
    assert.match(failed.lastError ?? '', /may have received/);
    assert.deepEqual(Buffer.from(failed.raw), Buffer.from('one'));
    assert.equal(getOutbox(db, two.id)?.state, 'sending', 'a recent claim belongs to a live sender');
  });
});

test('pending actions: kept in order; a deferred head holds the queue', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const first = enqueueAction(
      db,
      a.id,
      { kind: 'move', payload: { folder: 'INBOX', uidvalidity: '7', uids: ['3', '4'], to: 'Archive' } },
      10,
    );
    const second = enqueueAction(db, a.id, { kind: 'delete', payload: { folder: 'INBOX', uidvalidity: '7', uids: ['5'] } }, 20);
    assert.equal(nextAction(db, a.id, 30)?.id, first.id);
    deferAction(db, first.id, { error: 'server unavailable', retryAt: 100 });
    assert.equal(nextAction(db, a.id, 50), null, 'the second waits behind the first');
    assert.equal(nextAction(db, a.id, 100)?.attempts, 1);
    completeAction(db, first.id);
    assert.equal(nextAction(db, a.id, 100)?.id, second.id);
    assert.throws(
      () => enqueueAction(db, a.id, { kind: 'delete', payload: { folder: 'INBOX', uidvalidity: '0', uids: ['1'] } }),
      hasCode('bad-input'),
    );
    // A renamed folder takes its queued actions along.
    const inbox = upsertFolder(db, a.id, { path: 'Old' });
    enqueueAction(db, a.id, { kind: 'move', payload: { folder: 'INBOX', uidvalidity: '7', uids: ['9'], to: 'Old' } });
    renameFolder(db, inbox.id, 'New');
    assert.deepEqual(
      listActions(db, a.id).map((x) => x.payload),
      [
        { folder: 'INBOX', uidvalidity: '7', uids: ['5'] },
        { folder: 'INBOX', uidvalidity: '7', uids: ['9'], to: 'New' },
      ],
    );
  });
});

test('drafts: revisions, the server copy replaced and deleted through the queue, unsaved drafts block account removal', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const folder = upsertFolder(db, a.id, { path: 'Drafts', role: 'drafts' });
    checkUidValidity(db, folder.id, 5);
    const d = saveDraft(db, { accountId: a.id, raw: bytes('v1'), encrypted: false }, 1);
    assert.equal(d.revision, 1);
    assert.equal(d.unsaved, true);
    assert.deepEqual(unsentWork(db, a.id), { outbox: 0, drafts: 1 });
    assert.throws(() => deleteAccount(db, a.id), hasCode('account-has-unsent'));

    assert.equal(markDraftSynced(db, d.id, { revision: 1, folderId: folder.id, uid: 10 }), true);
    assert.equal(unsavedDrafts(db, a.id).length, 0);
    const v2 = saveDraft(db, { id: d.id, accountId: a.id, raw: bytes('v2, encrypted'), encrypted: true }, 2);
    assert.equal(v2.revision, 2);
    assert.equal(v2.unsaved, true);
    assert.equal(
      markDraftSynced(db, d.id, { revision: 1, folderId: folder.id, uid: 10 }),
      false,
      'an old revision does not count as saved',
    );
    assert.equal(markDraftSynced(db, d.id, { revision: 2, folderId: folder.id, uid: 11 }), true);
    assert.deepEqual(
      listActions(db, a.id).map((x) => x.payload),
      [{ folder: 'Drafts', uidvalidity: '5', uids: ['10'] }],
      'the replaced server copy is deleted',
    );
    assert.equal(listDrafts(db, a.id)[0]?.encrypted, true);
    assert.equal(deleteDraft(db, d.id), true);
    assert.deepEqual(
      listActions(db, a.id).map((x) => x.payload),
      [
        { folder: 'Drafts', uidvalidity: '5', uids: ['10'] },
        { folder: 'Drafts', uidvalidity: '5', uids: ['11'] },
      ],
    );
    // Removing a folder makes drafts saved in it unsaved again.
    const e = saveDraft(db, { accountId: a.id, raw: bytes('e'), encrypted: false });
    markDraftSynced(db, e.id, { revision: 1, folderId: folder.id, uid: 12 });
    removeFolder(db, folder.id);
    assert.equal(getDraft(db, e.id)?.unsaved, true);
    assert.equal(getDraft(db, e.id)?.server, null);
    assert.throws(() => deleteAccount(db, a.id), hasCode('account-has-unsent'));
    assert.equal(deleteAccount(db, a.id, { force: true }), true);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM drafts'), 0);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM pending_actions'), 0);
  });
});

test('the schema itself refuses what the repositories would never write', () => {
  withDb((db) => {
    const a = addTestAccount(db);
    const f = upsertFolder(db, a.id, { path: 'INBOX' });
    const bad = [
      [`INSERT INTO messages (folder_id, uid) VALUES (?, '01')`, f.id],
      [`INSERT INTO messages (folder_id, uid, security) VALUES (?, '5', 'maybe')`, f.id],
      [`INSERT INTO messages (folder_id, uid) VALUES (?, '6')`, 999],
      [`INSERT INTO outbox (account_id, raw, envelope, state, next_attempt_at, created_at) VALUES (?, x'00', '{}', 'sent', 0, 0)`, a.id],
      [`INSERT INTO folders (account_id, path, uidvalidity) VALUES (?, 'X', 'abc')`, a.id],
    ] as const;
    for (const [sql, param] of bad) assert.throws(() => db.prepare(sql).run(param), /constraint/i, sql);
    // An account with queued mail cannot be deleted by SQL either.
    enqueueOutbox(db, { accountId: a.id, raw: bytes('x'), envelope: { from: a.email, to: ['b@example.org'] } });
    assert.throws(() => db.prepare('DELETE FROM accounts WHERE id = ?').run(a.id), /FOREIGN KEY/);
  });
});
