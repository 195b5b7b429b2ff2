import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealpostError } from '../../../app/errors.ts';
import {
  NO_SECRET_SERVICE_MESSAGE,
  SAFE_SECRETS_FILE,
  SafeStorageSecretStore,
  secretServiceRefusal,
} from '../../../main/electron/safe-storage-secrets.ts';
import { FakeSafeStorage } from '../../support/fake-electron.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sealpost-safe-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const profile = () => mkdtempSync(join(scratch, 'p-'));

test('passwords round-trip, encrypted by safeStorage, never in the clear, in a private file', async () => {
  const safe = new FakeSafeStorage();
  const dir = profile();
  const store = new SafeStorageSecretStore(safe, dir, { platform: 'linux' });
  assert.equal(await store.get('acct-1'), null, 'nothing yet, and no file made by reading');
  assert.deepEqual(readdirSync(dir), []);

  await store.set('acct-1', 'correct horse battery staple');
  await store.set('acct-2', 'pässwörd ✓');
  assert.equal(await store.get('acct-1'), 'correct horse battery staple');
  assert.equal(await store.get('acct-2'), 'pässwörd ✓');

  const file = join(dir, SAFE_SECRETS_FILE);
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /correct horse|pässwörd/);
  const doc = JSON.parse(text) as { format: string; version: number; entries: [string, string][] };
  assert.equal(doc.format, 'sealpost-safe-secrets');
  assert.deepEqual(
    doc.entries.map(([id]) => id),
    ['acct-1', 'acct-2'],
  );
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), [SAFE_SECRETS_FILE], 'no temporary file left behind');

  // A second store on the same file (the next start) reads them.
  assert.equal(await new SafeStorageSecretStore(safe, dir, { platform: 'linux' }).get('acct-2'), 'pässwörd ✓');

  await store.delete('acct-1');
  await store.delete('never-there');
  assert.equal(await store.get('acct-1'), null);
  assert.equal(await store.get('acct-2'), 'pässwörd ✓');
});

test("Linux's plain-text fallback is refused, with a message that says what to install", async () => {
  for (const backend of ['basic_text', 'unknown']) {
    const safe = new FakeSafeStorage();
    safe.backend = backend;
    const dir = profile();
    const store = new SafeStorageSecretStore(safe, dir, { platform: 'linux' });
    const refusal = store.refusal();
    assert.ok(refusal instanceof SealpostError, backend);
    assert.equal(refusal.code, 'secret-store-unavailable');
    assert.equal(refusal.message, NO_SECRET_SERVICE_MESSAGE);
    assert.match(refusal.message, /no secret service/);
    assert.match(refusal.message, /GNOME Keyring or KWallet/);
    await assert.rejects(
      store.set('acct', 'secret'),
      (e: SealpostError) => e.code === 'secret-store-unavailable' && /GNOME Keyring/.test(e.message),
    );
    await assert.rejects(store.get('acct'), /no secret service/);
    assert.equal(safe.encryptions, 0, 'nothing was encrypted with the built-in key');
    assert.deepEqual(readdirSync(dir), [], 'and nothing was written');
  }
  // A real backend that is locked or unreachable: refused the same way.
  const locked = new FakeSafeStorage();
  locked.available = false;
  assert.match(secretServiceRefusal(locked, 'linux')!.message, /GNOME Keyring or KWallet/);
  for (const backend of ['gnome_libsecret', 'kwallet5', 'kwallet6']) {
    const ok = new FakeSafeStorage();
    ok.backend = backend;
    assert.equal(secretServiceRefusal(ok, 'linux'), null, backend);
  }
  // macOS and Windows have no such fallback; only availability counts, and the backend is not asked.
  const mac = new FakeSafeStorage();
  mac.backend = 'basic_text';
  assert.equal(secretServiceRefusal(mac, 'darwin'), null);
  mac.available = false;
  assert.match(secretServiceRefusal(mac, 'darwin')!.message, /not available/);
  assert.match(secretServiceRefusal(mac, 'win32')!.message, /not available/);
});

test('an account can be removed without the secret service (its password is simply dropped)', async () => {
  const safe = new FakeSafeStorage();
  const dir = profile();
  const store = new SafeStorageSecretStore(safe, dir, { platform: 'linux' });
  await store.set('acct', 'pw');
  safe.backend = 'basic_text';
  await store.delete('acct');
  safe.backend = 'gnome_libsecret';
  assert.equal(await store.get('acct'), null);
});

test('a rotated system key: the password is stored again under the new one', async () => {
  const safe = new FakeSafeStorage();
  const dir = profile();
  const store = new SafeStorageSecretStore(safe, dir, { platform: 'linux' });
  await store.set('acct', 'pw');
  const before = safe.encryptions;
  safe.rotate = true;
  assert.equal(await store.get('acct'), 'pw');
  assert.equal(safe.encryptions, before + 1);
  assert.equal(await store.get('acct'), 'pw');
});

test('a damaged file is reported and never overwritten; undecryptable entries ask for the password again', async () => {
  const safe = new FakeSafeStorage();
  const dir = profile();
  const file = join(dir, SAFE_SECRETS_FILE);
  const store = new SafeStorageSecretStore(safe, dir, { platform: 'linux' });
  for (const damaged of [
    'not json',
    '{"format":"other"}',
    '{"format":"sealpost-safe-secrets","version":9,"entries":[]}',
    '{"format":"sealpost-safe-secrets","version":1,"entries":[["a",5]]}',
  ]) {
    writeFileSync(file, damaged);
    await assert.rejects(store.get('a'), (e: SealpostError) => e.code === 'secret-store-corrupt', damaged);
    await assert.rejects(store.set('a', 'pw'), (e: SealpostError) => e.code === 'secret-store-corrupt', damaged);
    assert.equal(readFileSync(file, 'utf8'), damaged, 'left as it was');
  }
  // Well-formed, but encrypted by another system (another user, a copied profile).
  writeFileSync(
    file,
    JSON.stringify({ format: 'sealpost-safe-secrets', version: 1, entries: [['a', Buffer.from('garbage').toString('base64')]] }),
  );
  await assert.rejects(
    store.get('a'),
    (e: SealpostError) => e.code === 'secret-store-locked' && /enter the account's password again/.test(e.message),
  );
  await store.set('a', 'new');
  assert.equal(await store.get('a'), 'new');
});

test('bad ids and passwords are refused; concurrent writes all land', async () => {
  const safe = new FakeSafeStorage();
  const store = new SafeStorageSecretStore(safe, profile(), { platform: 'linux' });
  await assert.rejects(store.set('', 'pw'), /account id/);
  await assert.rejects(store.set('x'.repeat(201), 'pw'), /account id/);
  await assert.rejects(store.set('a', ''), /password/);
  await assert.rejects(store.set('a', 'x'.repeat(64 * 1024 + 1)), /password/);
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`acct-${i}`, `pw-${i}`)));
  for (let i = 0; i < 20; i++) assert.equal(await store.get(`acct-${i}`), `pw-${i}`);
  // Ids that are property names elsewhere are plain keys here.
  await store.set('__proto__', 'p');
  await store.set('constructor', 'c');
  assert.equal(await store.get('__proto__'), 'p');
  assert.equal(await store.get('constructor'), 'c');
  assert.equal(await store.get('toString'), null);
});

test('without the async API (older Electron), the synchronous one is used', async () => {
  const safe = new FakeSafeStorage();
  const sync = {
    isEncryptionAvailable: () => safe.isEncryptionAvailable(),
    getSelectedStorageBackend: () => safe.getSelectedStorageBackend(),
    encryptString: (s: string) => safe.encryptString(s),
    decryptString: (b: Buffer) => safe.decryptString(b),
  };
  const store = new SafeStorageSecretStore(sync, profile(), { platform: 'linux' });
  await store.set('a', 'pw');
  assert.equal(await store.get('a'), 'pw');
});
