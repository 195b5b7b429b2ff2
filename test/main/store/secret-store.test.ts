import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SealpostError } from '../../../app/errors.ts';
import { MemorySecretStore, PassphraseSecretStore, SECRETS_FILE, type SecretStore } from '../../../main/accounts/secret-store.ts';
import { tempHome } from '../../support/store/helpers.ts';

const hasCode = (code: string) => (e: unknown) => e instanceof SealpostError && e.code === code;
// The smallest cost the store accepts, to keep the tests fast; the default (2^15) is exercised once below.
const FAST = { scryptN: 2 ** 14 };

async function roundTrip(store: SecretStore): Promise<void> {
  assert.equal(await store.get('acct-1'), null);
  await store.set('acct-1', 'hunter2 ✓');
  await store.set('acct-2', 'second');
  assert.equal(await store.get('acct-1'), 'hunter2 ✓');
  await store.set('acct-1', 'changed');
  assert.equal(await store.get('acct-1'), 'changed');
  await store.delete('acct-1');
  await store.delete('acct-1');
  assert.equal(await store.get('acct-1'), null);
  assert.equal(await store.get('acct-2'), 'second');
  await assert.rejects(store.set('', 'x'), hasCode('bad-input'));
  await assert.rejects(store.set('acct-3', ''), hasCode('bad-input'));
}

test('MemorySecretStore: round trip', async () => {
  await roundTrip(new MemorySecretStore());
});

test('PassphraseSecretStore: round trip, across instances, with the default cost', { timeout: 20_000 }, async () => {
  const { home, cleanup } = tempHome();
  try {
    await roundTrip(new PassphraseSecretStore(home, 'correct horse'));
    const reopened = new PassphraseSecretStore(home, 'correct horse');
    assert.equal(await reopened.get('acct-2'), 'second');
    const file = JSON.parse(readFileSync(join(home, SECRETS_FILE), 'utf8'));
    assert.equal(file.kdf.name, 'scrypt');
    assert.equal(file.kdf.N, 2 ** 15);
    assert.equal(file.cipher, 'aes-256-gcm');
    if (process.platform !== 'win32') assert.equal(statSync(join(home, SECRETS_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(home).sort(), [SECRETS_FILE], 'no temporary or lock file left behind');
  } finally {
    cleanup();
  }
});

test('PassphraseSecretStore: the file holds no plaintext', async () => {
  const { home, cleanup } = tempHome();
  try {
    const secret = 'S3cret-Pa55word-that-must-not-leak';
    const store = new PassphraseSecretStore(home, 'passphrase', FAST);
    await store.set('account-with-a-visible-id', secret);
    const raw = readFileSync(join(home, SECRETS_FILE));
    for (const needle of [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('hex'),
      'account-with-a-visible-id',
      'passphrase',
    ]) {
      assert.equal(raw.includes(needle), false, `"${needle}" is not in the file`);
    }
    // Two writes of the same content differ (a fresh IV each time).
    await store.set('account-with-a-visible-id', secret);
    assert.notDeepEqual(readFileSync(join(home, SECRETS_FILE)), raw);
  } finally {
    cleanup();
  }
});

test('PassphraseSecretStore: a wrong passphrase is "locked" and changes nothing', async () => {
  const { home, cleanup } = tempHome();
  try {
    await new PassphraseSecretStore(home, 'right', FAST).set('a', 'secret');
    const before = readFileSync(join(home, SECRETS_FILE));
    const wrong = new PassphraseSecretStore(home, 'wrong', FAST);
    await assert.rejects(
      wrong.get('a'),
      (e: unknown) => hasCode('secret-store-locked')(e) && /Wrong passphrase/.test((e as Error).message),
    );
    await assert.rejects(wrong.unlock(), hasCode('secret-store-locked'));
    await assert.rejects(wrong.set('b', 'other'), hasCode('secret-store-locked'));
    await assert.rejects(wrong.delete('a'), hasCode('secret-store-locked'));
    assert.deepEqual(readFileSync(join(home, SECRETS_FILE)), before);
    assert.equal(await new PassphraseSecretStore(home, 'right', FAST).get('a'), 'secret');
  } finally {
    cleanup();
  }
});

test('PassphraseSecretStore: a damaged file is reported and never overwritten', async () => {
  const { home, cleanup } = tempHome();
  try {
    const path = join(home, SECRETS_FILE);
    await new PassphraseSecretStore(home, 'right', FAST).set('a', 'secret');
    const good = JSON.parse(readFileSync(path, 'utf8'));
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[0]! ^= 1;
      return b.toString('base64');
    };
    const damaged: [string, string][] = [
      ['truncated', readFileSync(path, 'utf8').slice(0, 40)],
      ['not JSON', 'hello'],
      ['ciphertext changed', JSON.stringify({ ...good, data: flip(good.data) })],
      ['tag changed', JSON.stringify({ ...good, tag: flip(good.tag) })],
      ['header changed (bound to the data)', JSON.stringify({ ...good, kdf: { ...good.kdf, p: 2 } })],
      ['absurd cost', JSON.stringify({ ...good, kdf: { ...good.kdf, N: 2 ** 30 } })],
      ['newer format', JSON.stringify({ ...good, version: 2 })],
    ];
    for (const [what, content] of damaged) {
      writeFileSync(path, content);
      const store = new PassphraseSecretStore(home, 'right', FAST);
      const expected = what === 'header changed (bound to the data)' ? /secret-store-(corrupt|locked)/ : /secret-store-corrupt/;
      await assert.rejects(store.get('a'), (e: unknown) => e instanceof SealpostError && expected.test(e.code), what);
      await assert.rejects(store.set('b', 'x'), (e: unknown) => e instanceof SealpostError && expected.test(e.code), what);
      assert.equal(readFileSync(path, 'utf8'), content, `${what}: the file is left as it was`);
    }
  } finally {
    cleanup();
  }
});

test('PassphraseSecretStore: concurrent writers (two instances, as two processes would) lose nothing', async () => {
  const { home, cleanup } = tempHome();
  try {
    const a = new PassphraseSecretStore(home, 'pp', FAST);
    const b = new PassphraseSecretStore(home, 'pp', FAST);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).set(`acct-${i}`, `secret-${i}`)));
    const reader = new PassphraseSecretStore(home, 'pp', FAST);
    for (let i = 0; i < 10; i++) assert.equal(await reader.get(`acct-${i}`), `secret-${i}`);
  } finally {
    cleanup();
  }
});
