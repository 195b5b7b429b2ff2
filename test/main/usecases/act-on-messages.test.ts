// Acting on messages: applied in the store at once, queued for the server,
// and the folders whose lists changed named (a move's target too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Accounts } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { openStore } from '../../../main/store/database.ts';
import { checkUidValidity, upsertFolder } from '../../../main/store/folders.ts';
import { getMessage, upsertMessages } from '../../../main/store/messages.ts';
import { listActions } from '../../../main/store/pending-actions.ts';
import { actOnMessages } from '../../../main/usecases/act-on-messages.ts';
import { tempHome } from '../../support/store/helpers.ts';

test('flags and a move: the store at once, the server action queued, the changed folders named', async () => {
  const { home, cleanup } = tempHome();
  const db = openStore(home);
  try {
    const account = await new Accounts(db, new MemorySecretStore()).add({
      email: 'alice@example.org',
      imap: 'imaps://127.0.0.1:1',
      smtp: 'smtps://127.0.0.1:1',
      user: 'alice',
      password: 'pw',
    });
    const inbox = upsertFolder(db, account.id, { path: 'INBOX', role: 'inbox' });
    const work = upsertFolder(db, account.id, { path: 'Work' });
    upsertFolder(db, account.id, { path: 'Other' });
    checkUidValidity(db, inbox.id, '1');
    checkUidValidity(db, work.id, '1');
    upsertMessages(db, inbox.id, [
      { uid: 1, subject: 'one' },
      { uid: 2, subject: 'two' },
    ]);

    const seen = actOnMessages(db, account, { kind: 'read', folder: 'INBOX', uids: ['1'] }, 1000);
    assert.deepEqual(seen, { changed: 1, folderIds: [inbox.id] });
    assert.ok(getMessage(db, inbox.id, '1')!.flags.includes('\\Seen'));

    const moved = actOnMessages(db, account, { kind: 'move', folder: 'INBOX', uids: ['2'], to: 'Work' }, 1000);
    assert.equal(moved.changed, 1);
    assert.deepEqual(new Set(moved.folderIds), new Set([inbox.id, work.id]));
    assert.equal(getMessage(db, inbox.id, '2'), null);
    assert.equal(listActions(db, account.id).length, 2);
  } finally {
    db.close();
    cleanup();
  }
});
