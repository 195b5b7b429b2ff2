/**
 * The mail screen's state (renderer/src/lib/mail.svelte.ts): folders,
 * watching the open folder, main's events (mail.changed, mail.arrived,
 * sync.progress, outbox.changed), opening, marking and moving messages.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FolderView, MessageItem } from '../../app/mail.ts';
import { fakeBridge, loadLib, sampleReport, until, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

const ACCOUNT = {
  id: 'a1',
  email: 'alice@example.org',
  displayName: 'Alice',
  imap: 'i',
  smtp: 's',
  user: 'u',
  customCa: false,
  passwordSource: 'stored' as const,
};
const folder = (id: number, path: string, role: FolderView['role'], unread = 0): FolderView => ({
  id,
  accountId: 'a1',
  path,
  role,
  unread,
  total: 0,
  lastSyncAt: null,
});

function mailBridge() {
  let messages: MessageItem[] = Array.from({ length: 5 }, (_, i) => ({
    folderId: 1,
    uid: String(100 - i),
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: `m${i}`,
    date: null,
    flags: i === 0 ? [] : ['\\Seen'],
    security: 'none' as const,
    size: null,
  }));
  let folders = [
    folder(9, 'Zeta', null),
    folder(2, 'Trash', 'trash'),
    folder(1, 'INBOX', 'inbox', 1),
    folder(3, 'Projects/Sealpost', null),
  ];
  const fake = fakeBridge({
    'mail.folders': () => folders,
    'mail.messages': ({ folderId, offset, limit }: { folderId: number; offset: number; limit: number }) =>
      folderId === 1 ? { total: messages.length, items: messages.slice(offset, offset + limit) } : { total: 0, items: [] },
    'mail.watch': () => ({}),
    'mail.read': ({ uid }: { uid: string }) => ({
      report: sampleReport({
        subject: `read ${uid}`,
        ...(uid === '100'
          ? { encryption: { status: 'decrypted', integrity: 'aead', recipients: [], protectedHeaders: true, lockedKeys: [] } }
          : {}),
      }),
      html: null,
    }),
    'mail.action': ({ kind, uids }: { kind: string; uids: string[] }) => {
      if (kind === 'trash') messages = messages.filter((m) => !uids.includes(m.uid));
      return { changed: uids.length };
    },
    'mail.sync': () => ({ sent: 0, unsent: 0, actionsApplied: 0, folders: [], problems: [] }),
    'outbox.list': () => [
      {
        id: 1,
        accountId: 'a1',
        messageId: null,
        to: ['bob@example.org'],
        state: 'failed',
        attempts: 3,
        lastError: 'The server refused the message',
        nextAttemptAt: 0,
        createdAt: 0,
        sentAt: null,
      },
    ],
    'drafts.list': () => [],
  });
  return { fake, setFolders: (f: FolderView[]) => (folders = f) };
}

async function started() {
  const { fake, setFolders } = mailBridge();
  const accounts = new lib.AccountsState(fake.bridge);
  accounts.accounts = [ACCOUNT];
  const mail = new lib.MailState(fake.bridge, accounts, { keys: () => [], settings: () => lib.DEFAULT_SETTINGS });
  await mail.start({ sync: false });
  return { mail, fake, setFolders };
}

test('folders: roles first with their labels, then by path; the inbox opens and is watched', async () => {
  const { mail, fake } = await started();
  assert.deepEqual(
    mail.folders.a1!.map((f) => lib.folderLabel(f)),
    ['Inbox', 'Trash', 'Sealpost', 'Zeta'],
  );
  assert.equal(lib.folderDepth(mail.folders.a1![2]!), 1);
  assert.equal(mail.folderId, 1);
  assert.deepEqual(fake.callsOf('mail.watch'), [{ folderId: 1 }]);
  assert.equal(mail.list.total, 5);
  await mail.openFolder(mail.folders.a1![1]!);
  assert.deepEqual(fake.callsOf('mail.watch').at(-1), { folderId: 2 });
  assert.equal(mail.list.total, 0);
  mail.stop();
  assert.equal(fake.listenerCount(), 0);
});

test('opening an unread message marks it read; trash moves the selection to the next message', async () => {
  const { mail, fake } = await started();
  await mail.selectIndex(0);
  assert.equal(mail.reader.view!.report.subject, 'read 100');
  assert.deepEqual(fake.callsOf('mail.action')[0], { accountId: 'a1', kind: 'read', folder: 'INBOX', uids: ['100'] });
  assert.equal(lib.isUnread(mail.list.itemAt(0)!), false);
  assert.equal(mail.list.subjectOf(mail.list.itemAt(0)!), 'read 100', 'the protected subject, once opened (in memory only)');
  assert.equal(mail.list.itemAt(0)!.subject, 'm0');
  await mail.move(1);
  assert.equal(mail.list.subjectOf(mail.list.itemAt(1)!), 'm1', 'not encrypted: the subject is the list\u2019s');
  assert.equal(mail.reader.view!.report.subject, 'read 99');
  assert.equal(fake.callsOf('mail.action').length, 1, 'a read message is not marked again');
  assert.equal(await mail.act('trash'), true);
  assert.deepEqual(fake.callsOf('mail.action').at(-1), { accountId: 'a1', kind: 'trash', folder: 'INBOX', uids: ['99'] });
  assert.equal(mail.list.total, 4);
  assert.equal(mail.list.selected!.uid, '98');
  assert.equal(mail.reader.view!.report.subject, 'read 98');
  await mail.toggleFlag();
  assert.equal(lib.isFlagged(mail.list.selected!), true);
  assert.deepEqual(
    mail.moveTargets.map((f) => f.path),
    ['Trash', 'Projects/Sealpost', 'Zeta'],
  );
  assert.equal(await mail.moveTo('Projects/Sealpost'), true);
  assert.deepEqual(fake.callsOf('mail.action').at(-1), {
    accountId: 'a1',
    kind: 'move',
    folder: 'INBOX',
    uids: ['98'],
    to: 'Projects/Sealpost',
  });
  assert.equal(await mail.moveTo('INBOX'), false, 'not to its own folder');
  await mail.toggleRead();
  assert.equal(fake.callsOf('mail.action').at(-1).kind, 'unread');
});

test('events: mail.changed reloads the open folder, mail.arrived is announced, sync.progress and outbox.changed are shown', async () => {
  const { mail, fake, setFolders } = await started();
  const before = fake.callsOf('mail.messages').length;
  setFolders([folder(1, 'INBOX', 'inbox', 4)]);
  fake.emit('mail.changed', { accountId: 'a1', folderIds: [2] });
  await until(() => mail.folders.a1!.length === 1, 'folders reloaded');
  assert.equal(fake.callsOf('mail.messages').length, before, 'another folder changed: the list stays');
  fake.emit('mail.changed', { accountId: 'a1', folderIds: [1] });
  await until(() => fake.callsOf('mail.messages').length > before, 'list reloaded');

  const reloads = fake.callsOf('mail.messages').length;
  fake.emit('mail.arrived', { accountId: 'a1', folderId: 1, count: 3, latest: { from: 'Bob', subject: 'Hi' } });
  assert.equal(mail.announcement, '3 new messages in Inbox.');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fake.callsOf('mail.messages').length, reloads, 'the mail.changed of the same sync reloads the list, not the arrival too');

  fake.emit('sync.progress', { accountId: 'a1', phase: 'folder', folder: 'INBOX', done: 1200, total: 20000 });
  assert.equal(lib.syncText(mail.sync.a1!), 'Getting INBOX: 1,200 of 20,000');
  fake.emit('sync.progress', { accountId: 'a1', phase: 'failed', message: 'The server could not be reached' });
  assert.equal(lib.syncText(mail.sync.a1!), 'Could not get mail: The server could not be reached');

  fake.emit('outbox.changed', { accountId: 'a1' });
  await until(() => mail.pending.length === 1, 'outbox listed');
  assert.equal(mail.pending[0]!.state, 'failed');
  mail.stop();
});
