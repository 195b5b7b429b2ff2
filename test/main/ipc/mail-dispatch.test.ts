// The mail procedures of the IPC contract through the one dispatcher: inputs
// are strict and capped, answers carry no password, failures are values,
// and the events the mail service sends match their schemas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { createDispatcher, checkEvent, type Dispatch } from '../../../main/ipc/dispatcher.ts';
import { MailService } from '../../../main/services/mail-service.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { openStore } from '../../../main/store/database.ts';
import { upsertFolder, checkUidValidity } from '../../../main/store/folders.ts';
import { upsertMessages } from '../../../main/store/messages.ts';

let home: string;
let keyring: RunningKeyring;
let db: DatabaseSync;
let dispatch: Dispatch;
let bare: Dispatch;
let mailService: MailService;
const events: { event: string; payload: unknown }[] = [];

before(() => {
  home = mkdtempSync(join(tmpdir(), 'sealpost-mail-dispatch-'));
  keyring = startKeyringWorker(home);
  db = openStore(home);
  const emit = (event: string, payload: unknown) => void events.push({ event, payload });
  const mail = (mailService = new MailService({
    db,
    secrets: new MemorySecretStore(),
    keyring: keyring.client,
    checkServers: false,
    emit: emit,
  }));
  dispatch = createDispatcher({ keyring: keyring.client, mail, emit: emit });
  bare = createDispatcher({ keyring: keyring.client });
});

after(async () => {
  await mailService.stop();
  db.close();
  await keyring.close();
  rmSync(home, { recursive: true, force: true });
});

const account = {
  email: 'dora@example.test',
  imap: 'imaps://127.0.0.1:1',
  smtp: 'smtps://127.0.0.1:2',
  user: 'dora',
  password: 'dora secret password',
};

test('accounts: added, listed without the password, updated; bad settings refused as values', async () => {
  const added = await dispatch('accounts.add', account);
  assert.equal(added.ok, true, JSON.stringify(added));
  assert.ok(!JSON.stringify(added).includes(account.password));
  const list = await dispatch('accounts.list', {});
  assert.ok(list.ok && Array.isArray(list.value) && list.value.length === 1);
  assert.ok(!JSON.stringify(list).includes(account.password));
  const id = (added as { value: { id: string } }).value.id;
  const renamed = await dispatch('accounts.update', { id, displayName: 'Dora' });
  assert.ok(renamed.ok && (renamed.value as { displayName: string }).displayName === 'Dora');

  const twice = await dispatch('accounts.add', account);
  assert.ok(!twice.ok && twice.error.code === 'account-exists');
  const badUrl = await dispatch('accounts.add', { ...account, email: 'eve@example.test', imap: 'http://x' });
  assert.ok(!badUrl.ok && badUrl.error.code === 'account-invalid-server');
  const extra = await dispatch('accounts.add', { ...account, email: 'eve@example.test', smuggled: 1 });
  assert.ok(!extra.ok && extra.error.code === 'protocol-invalid');
});

test('mail procedures validate every field: UIDs, action kinds, folder names, sizes', async () => {
  const list = await dispatch('accounts.list', {});
  const id = (list as { value: Array<{ id: string }> }).value[0]!.id;
  const folder = upsertFolder(db, id, { path: 'INBOX', role: 'inbox' });
  checkUidValidity(db, folder.id, '7');
  upsertMessages(db, folder.id, [{ uid: 3, subject: 'hi', flags: [], security: 'none' }]);

  for (const input of [
    { accountId: id, kind: 'read', folder: 'INBOX', uids: ['0'] },
    { accountId: id, kind: 'read', folder: 'INBOX', uids: ['abc'] },
    { accountId: id, kind: 'read', folder: 'INBOX', uids: [] },
    { accountId: id, kind: 'explode', folder: 'INBOX', uids: ['3'] },
    { accountId: id, kind: 'read', folder: 'IN\nBOX', uids: ['3'] },
  ]) {
    const r = await dispatch('mail.action', input);
    assert.ok(!r.ok && r.error.code === 'protocol-invalid', JSON.stringify(input));
  }
  const read = await dispatch('mail.action', { accountId: id, kind: 'read', folder: 'INBOX', uids: ['3'] });
  assert.deepEqual(read, { ok: true, value: { changed: 1 } });
  const messages = await dispatch('mail.messages', { folderId: folder.id });
  assert.ok(messages.ok);
  assert.deepEqual((messages.value as { items: Array<{ flags: string[] }> }).items[0]!.flags, ['\\Seen']);
  assert.ok(events.some((e) => e.event === 'mail.changed'));

  const missing = await dispatch('mail.read', { folderId: folder.id, uid: '99' });
  assert.ok(!missing.ok && missing.error.code === 'bad-input');
  const outbox = await dispatch('outbox.list', {});
  assert.deepEqual(outbox, { ok: true, value: [] });
  const huge = await dispatch('mail.send', {
    accountId: id,
    draft: { from: { address: 'dora@example.test' }, to: [{ address: 'x@example.test' }], text: 'x'.repeat(64 * 1024 * 1024 + 1) },
    encrypt: false,
    sign: false,
  });
  assert.ok(!huge.ok && huge.error.code === 'protocol-invalid');
});

test('without a mail store the mail procedures fail as values', async () => {
  const r = await bare('accounts.list', {});
  assert.ok(!r.ok && r.error.code === 'internal');
});

test('event payloads are checked against the contract', () => {
  assert.doesNotThrow(() => checkEvent('sync.progress', { accountId: 'a', phase: 'folder', folder: 'INBOX', done: 1, total: 2 }));
  assert.throws(() => checkEvent('sync.progress', { accountId: 'a', phase: 'nonsense' } as never));
  assert.throws(() => checkEvent('mail.changed', { accountId: 'a', folderIds: [1], extra: true } as never));
});
