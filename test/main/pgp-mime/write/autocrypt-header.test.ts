// The user's own Autocrypt preference (Autocrypt Level 1, sections 2.3 and
// 5.2) in the Autocrypt header we write: `prefer-encrypt=mutual` when the
// user chose it, no attribute for "nopreference"; never in gossip. Through
// composeMessage and through the mail service, which takes it from the
// settings file; read back by our own header parser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { startKeyringWorker, type RunningKeyring } from '../../../../main/keyring-host/worker-keyring.ts';
import { MemorySecretStore } from '../../../../main/accounts/secret-store.ts';
import { autocryptHeader } from '../../../../main/pgp-mime/write/autocrypt-header.ts';
import { composeMessage } from '../../../../main/pgp-mime/write/compose.ts';
import type { Draft } from '../../../../main/pgp-mime/write/draft.ts';
import { parseAutocrypt } from '../../../../main/pgp-mime/read/message-keys.ts';
import { MailService } from '../../../../main/services/mail-service.ts';
import { SettingsStore } from '../../../../main/services/settings-store.ts';
import { openStore } from '../../../../main/store/database.ts';
import { getOutbox } from '../../../../main/store/outbox.ts';

const ALICE = 'alice@prefer.test';
const BOB = 'bob@prefer.test';
const CAROL = 'carol@prefer.test';

let home: string;
let keyring: RunningKeyring;
let alice: string;

before(
  async () => {
    home = mkdtempSync(join(tmpdir(), 'sealpost-prefer-'));
    keyring = startKeyringWorker(home);
    const gen = (name: string, email: string) =>
      keyring.client.call('keys.generate', { name, email, algo: 'curve25519', expiresInSeconds: null, passphrase: null });
    alice = (await gen('Alice', ALICE)).fingerprint;
    // Bob's and Carol's keys as public keys only, as a correspondent's are.
    for (const [name, email] of [
      ['Bob', BOB],
      ['Carol', CAROL],
    ] as const) {
      const key = await gen(name, email);
      const { armored } = await keyring.client.call('keys.export', { query: key.fingerprint });
      await keyring.client.call('keys.delete', { fingerprint: key.fingerprint, secret: true });
      await keyring.client.call('keys.import', { data: Buffer.from(armored), source: 'file' });
    }
  },
  { timeout: 60_000 },
);

after(async () => {
  await keyring?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The unfolded values of every header field with that name in the header section of `entity`. */
function fields(entity: string, name: string): string[] {
  const head = entity.slice(0, entity.indexOf('\r\n\r\n')).replace(/\r\n[ \t]/g, ' ');
  return head
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());
}

const draft = (to: string[]): Draft => ({
  from: { name: 'Alice', address: ALICE },
  to: to.map((address) => ({ name: '', address })),
  cc: [],
  subject: 'hello',
  text: 'hello\n',
  attachments: [],
});

test('the header says prefer-encrypt=mutual only when asked; our parser reads what we write', async () => {
  const mutual = await autocryptHeader(keyring.client, ALICE, alice, 'mutual');
  assert.match(mutual, /^Autocrypt: addr=alice@prefer\.test; prefer-encrypt=mutual; keydata=\r\n /);
  const none = await autocryptHeader(keyring.client, ALICE, alice);
  assert.match(none, /^Autocrypt: addr=alice@prefer\.test; keydata=\r\n /);
  assert.doesNotMatch(none, /prefer-encrypt/);
  for (const line of mutual.split('\r\n')) assert.ok(line.length <= 78, `a folded line of ${line.length}`);
  const read = parseAutocrypt(mutual.slice('Autocrypt:'.length).replace(/\r\n /g, ' '));
  assert.equal(read?.preferEncrypt, 'mutual');
  assert.equal(read?.addr, ALICE);
  assert.equal(parseAutocrypt(none.slice('Autocrypt:'.length).replace(/\r\n /g, ' '))?.preferEncrypt, 'nopreference');
});

test('composeMessage: mutual in the outer Autocrypt header, plain or encrypted; never in gossip; no header in a draft', async () => {
  const plain = (await composeMessage(keyring.client, draft([BOB]), opts('mutual', false))).toString('latin1');
  assert.deepEqual(
    fields(plain, 'Autocrypt').map((v) => /prefer-encrypt=mutual;/.test(v)),
    [true],
  );
  const quiet = (await composeMessage(keyring.client, draft([BOB]), opts('nopreference', false))).toString('latin1');
  assert.equal(fields(quiet, 'Autocrypt').length, 1);
  assert.doesNotMatch(fields(quiet, 'Autocrypt')[0]!, /prefer-encrypt/);
  const unset = (
    await composeMessage(keyring.client, draft([BOB]), { encrypt: false, sign: true, attachKey: false, keyPasswords: [] })
  ).toString('latin1');
  assert.doesNotMatch(fields(unset, 'Autocrypt')[0]!, /prefer-encrypt/, 'without the option: no preference');

  // Encrypted to two: the outer header says mutual, the gossip inside carries only addr and keydata (section 2.7).
  const encrypted = (await composeMessage(keyring.client, draft([BOB, CAROL]), opts('mutual', true))).toString('latin1');
  assert.match(fields(encrypted, 'Autocrypt')[0]!, /^addr=alice@prefer\.test; prefer-encrypt=mutual; keydata=/);
  const armored = encrypted.slice(encrypted.indexOf('-----BEGIN PGP MESSAGE-----'), encrypted.indexOf('-----END PGP MESSAGE-----') + 25);
  const { output } = await keyring.client.collect('crypto.decrypt', { useStoredKeys: true }, Buffer.from(armored, 'utf8'));
  const gossip = fields(Buffer.from(output).toString('latin1'), 'Autocrypt-Gossip');
  assert.equal(gossip.length, 2);
  for (const g of gossip) assert.doesNotMatch(g, /prefer-encrypt/);

  const saved = (await composeMessage(keyring.client, draft([BOB]), { ...opts('mutual', false), draft: true })).toString('latin1');
  assert.deepEqual(fields(saved, 'Autocrypt'), [], 'a draft goes nowhere and carries no header');
});

function opts(preferEncrypt: 'mutual' | 'nopreference', encrypt: boolean) {
  return { encrypt, sign: true, attachKey: false, keyPasswords: [], preferEncrypt };
}

test('the mail service writes the preference of the settings file into what it sends', { timeout: 60_000 }, async () => {
  const profile = mkdtempSync(join(tmpdir(), 'sealpost-prefer-profile-'));
  let db: DatabaseSync | null = null;
  let service: MailService | null = null;
  try {
    db = openStore(profile);
    const settings = new SettingsStore({ profile, onWarning: () => undefined });
    service = new MailService({ db, secrets: new MemorySecretStore(), keyring: keyring.client, checkServers: false, settings });
    const account = await service.addAccount({
      email: ALICE,
      imap: 'imaps://127.0.0.1:9',
      smtp: 'smtps://127.0.0.1:9',
      user: 'alice',
      password: 'unused',
    });
    const sendAndRead = async () => {
      const entry = await service!.send(account.id, draft([BOB]), { encrypt: true, sign: true });
      return fields(Buffer.from(getOutbox(db!, entry.id)!.raw).toString('latin1'), 'Autocrypt');
    };
    // An older settings file without the field: no preference.
    writeFileSync(join(profile, 'settings.json'), '{"theme": "dark"}\n');
    assert.doesNotMatch((await sendAndRead())[0]!, /prefer-encrypt/);
    await settings.set({ preferEncrypt: 'mutual' });
    assert.match((await sendAndRead())[0]!, /^addr=alice@prefer\.test; prefer-encrypt=mutual; keydata=/);
    await settings.set({ preferEncrypt: 'nopreference' });
    assert.doesNotMatch((await sendAndRead())[0]!, /prefer-encrypt/);
  } finally {
    await service?.stop();
    db?.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
