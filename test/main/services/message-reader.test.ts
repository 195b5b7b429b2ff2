// The reader keeps the open message examined: saving its attachment or
// importing a key it carries does not decrypt it again (the keyring's
// crypto.decrypt is counted); opening it again does, so a key unlocked since
// is used; another message, or close(), ends the keeping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { composeMessage } from '../../../main/pgp-mime/write/compose.ts';
import { MessageReader } from '../../../main/services/message-reader.ts';
import { openStore } from '../../../main/store/database.ts';
import { checkUidValidity, upsertFolder } from '../../../main/store/folders.ts';
import { upsertMessages } from '../../../main/store/messages.ts';
import { addTestAccount } from '../../support/store/helpers.ts';

const ALICE = 'alice@reader.test';
const BOB = 'bob@reader.test';
let aliceHome: string;
let bobHome: string;
let alice: RunningKeyring;
let bob: RunningKeyring;
let db: DatabaseSync;
let folderId: number;
let bobFingerprint: string;
const calls: string[] = [];
const fetched: string[] = [];
let reader: MessageReader;

/** Alice's keyring, with every method it is asked for written down (calls and streams alike). */
function counting(keyring: KeyringClient): KeyringClient {
  return new Proxy(keyring, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (method: string, ...rest: unknown[]) => {
        calls.push(method);
        return (value as (...a: unknown[]) => unknown).call(target, method, ...rest);
      };
    },
  });
}
const decrypts = () => calls.filter((m) => m === 'crypto.decrypt').length;

before(async () => {
  aliceHome = mkdtempSync(join(tmpdir(), 'sealpost-reader-alice-'));
  bobHome = mkdtempSync(join(tmpdir(), 'sealpost-reader-bob-'));
  alice = startKeyringWorker(aliceHome);
  bob = startKeyringWorker(bobHome);
  const [aliceKey, bobKey] = await Promise.all([
    alice.client.call('keys.generate', { name: 'Alice', email: ALICE, algo: 'curve25519', expiresInSeconds: null, passphrase: null }),
    bob.client.call('keys.generate', { name: 'Bob', email: BOB, algo: 'curve25519', expiresInSeconds: null, passphrase: null }),
  ]);
  bobFingerprint = bobKey.fingerprint;
  const { armored } = await alice.client.call('keys.export', { query: aliceKey.fingerprint });
  await bob.client.call('keys.import', { data: Buffer.from(armored), source: 'file' });
  db = openStore(aliceHome);
  const account = addTestAccount(db, ALICE);
  const folder = upsertFolder(db, account.id, { path: 'INBOX', role: 'inbox' });
  checkUidValidity(db, folder.id, '1');
  folderId = folder.id;
  const raw = (subject: string) =>
    composeMessage(
      bob.client,
      {
        from: { name: 'Bob', address: BOB },
        to: [{ name: 'Alice', address: ALICE }],
        cc: [],
        subject,
        text: 'the report is attached\n',
        attachments: [{ filename: 'report.txt', contentType: 'text/plain', content: Buffer.from('QUARTERLY NUMBERS\n') }],
      },
      { encrypt: true, sign: true, attachKey: true, keyPasswords: [] },
    );
  upsertMessages(db, folder.id, [
    { uid: 1, subject: '...', security: 'encrypted', raw: await raw('one') },
    { uid: 2, subject: '...', security: 'encrypted', raw: await raw('two') },
    // Known by its header only: its body is fetched when it is read.
    { uid: 3, subject: '...', security: 'encrypted' },
  ]);
  const three = await raw('three');
  reader = new MessageReader({
    db,
    keyring: counting(alice.client),
    fetch: async (f, uid) => {
      fetched.push(`${f.path}/${uid}`);
      upsertMessages(db, f.id, [{ uid, raw: three }]);
      return three;
    },
  });
});

after(async () => {
  db?.close();
  await Promise.all([alice?.close(), bob?.close()]);
  for (const dir of [aliceHome, bobHome]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the open message is decrypted once for reading, its attachment and its key', async () => {
  calls.length = 0;
  const view = await reader.read(folderId, '1');
  assert.equal(view.report.encryption.status, 'decrypted');
  assert.equal(decrypts(), 1);
  const attachment = await reader.attachment(folderId, '1', 0);
  assert.equal(attachment.filename, 'report.txt');
  assert.equal(Buffer.from(attachment.bytes).toString(), 'QUARTERLY NUMBERS\n');
  await reader.attachment(folderId, '1', 0);
  const imported = await reader.importKeys(folderId, '1', [bobFingerprint]);
  assert.deepEqual(
    imported.changed.map((k) => k.fingerprint),
    [bobFingerprint],
  );
  assert.equal(decrypts(), 1, 'the attachment twice and the key import used the same reading');
  assert.equal(calls.filter((m) => m === 'keys.import').length, 1);
});

test('opening the message again reads it again; another message is read on its own; close() forgets', async () => {
  calls.length = 0;
  await reader.read(folderId, '1');
  assert.equal(decrypts(), 1, 'opened again: examined afresh (a key unlocked since would be used)');
  await reader.attachment(folderId, '2', 0);
  assert.equal(decrypts(), 2, 'an attachment of a message that is not open: that message is read');
  await reader.attachment(folderId, '2', 0);
  assert.equal(decrypts(), 2, 'and now kept as the open one');
  await reader.attachment(folderId, '1', 0);
  assert.equal(decrypts(), 3, 'only one message is kept');
  reader.close();
  await reader.attachment(folderId, '1', 0);
  assert.equal(decrypts(), 4, 'closed: read again');
});

test('a body not stored yet is fetched once; a bad index or UID is refused', async () => {
  calls.length = 0;
  await reader.read(folderId, '3');
  await reader.attachment(folderId, '3', 0);
  assert.deepEqual(fetched, ['INBOX/3']);
  assert.equal(decrypts(), 1);
  await assert.rejects(reader.attachment(folderId, '3', 5), (e: { code?: string }) => e.code === 'bad-input');
  await assert.rejects(reader.read(folderId, '99'), (e: { code?: string }) => e.code === 'bad-input');
  assert.deepEqual(fetched, ['INBOX/3'], 'nothing fetched for a UID the store does not know');
});
