// Queueing a message for sending: composed with a Message-ID of its own in the
// sender's domain, every recipient once in the envelope (Bcc too), and
// nothing queued when composing fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SealpostError } from '../../../app/errors.ts';
import { Accounts } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { openStore } from '../../../main/store/database.ts';
import { getOutbox, listOutbox } from '../../../main/store/outbox.ts';
import { newMessageId, queueMessage } from '../../../main/usecases/send-message.ts';
import { tempHome } from '../../support/store/helpers.ts';

const draft = {
  from: { name: 'Alice', address: 'alice@Example.org' },
  to: [{ name: 'Bob', address: 'bob@example.net' }],
  cc: [{ name: '', address: 'carol@example.com' }],
  bcc: [
    { name: '', address: 'bob@example.net' },
    { name: '', address: 'dave@example.com' },
  ],
  subject: 's',
  text: 't\n',
  attachments: [],
};

test("newMessageId: unique, in the sender's domain", () => {
  const a = newMessageId('alice@example.org');
  assert.match(a, /^<[0-9a-f-]{36}@example\.org>$/);
  assert.notEqual(a, newMessageId('alice@example.org'));
});

test('queueMessage: composed with its Message-ID, the envelope with every recipient once; a failed compose queues nothing', async () => {
  const { home, cleanup } = tempHome();
  const db = openStore(home);
  try {
    const accounts = new Accounts(db, new MemorySecretStore());
    const account = await accounts.add({
      email: 'alice@example.org',
      imap: 'imaps://127.0.0.1:1',
      smtp: 'smtps://127.0.0.1:1',
      user: 'alice',
      password: 'pw',
    });
    const ids: string[] = [];
    const item = await queueMessage(db, {
      account,
      draft,
      compose: async (messageId) => {
        ids.push(messageId);
        return Buffer.from(`Message-ID: ${messageId}\r\n\r\nbody\r\n`);
      },
      now: () => 1234,
    });
    assert.equal(ids.length, 1);
    assert.equal(item.messageId, ids[0]);
    assert.match(ids[0]!, /@Example\.org>$/);
    assert.deepEqual(item.envelope, { from: 'alice@Example.org', to: ['bob@example.net', 'carol@example.com', 'dave@example.com'] });
    assert.equal(item.state, 'queued');
    assert.equal(item.createdAt, 1234);
    assert.equal(Buffer.from(getOutbox(db, item.id)!.raw).toString(), `Message-ID: ${ids[0]}\r\n\r\nbody\r\n`);

    await assert.rejects(
      queueMessage(db, {
        account,
        draft,
        compose: async () => {
          throw new SealpostError('key-passphrase-required', undefined, { fingerprints: ['0123456789ABCDEF0123456789ABCDEF01234567'] });
        },
      }),
      (e: unknown) => e instanceof SealpostError && e.code === 'key-passphrase-required',
    );
    assert.equal(listOutbox(db).length, 1, 'nothing more queued');
  } finally {
    db.close();
    cleanup();
  }
});
