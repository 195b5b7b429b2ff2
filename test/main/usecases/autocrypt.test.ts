/**
 * Autocrypt Level 1 peer state (autocrypt.org/level1.html, sections 2.3 and
 * 2.7) as reading keeps it: the keyring's update rules, and reading real
 * Thunderbird messages (test/fixtures/thunderbird) through the reading use
 * case's Autocrypt step (main/usecases/read-message.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { Keyring } from '../../../keyring/keyring.ts';
import { KeyStore } from '../../../keyring/store.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { examineMessage } from '../../../main/pgp-mime/read/inspect.ts';
import { autocryptSeen } from '../../../main/pgp-mime/read/message-keys.ts';
import { parseMime } from '../../../main/pgp-mime/read/mime-parse.ts';
import { applyAutocrypt, effectiveDate } from '../../../main/usecases/read-message.ts';
import { chooseRecipientKey } from '../../../main/pgp-mime/write/recipient-keys.ts';
import { recipientKeyStates } from '../../../main/services/recipient-keys.ts';
import type { KeyringCalls } from '../../../app/node/keyring-client.ts';
import { ALICE_PASSPHRASE, ALICE_SECRET, tbEml } from '../../support/fixtures.ts';
import { keyringSnapshot, tempHome } from '../../support/keyring.ts';

const BOB = 'bob@example.org';

async function keyFor(email: string): Promise<{ data: Uint8Array; fpr: string }> {
  const { publicKey } = await openpgp.generateKey({ userIDs: [{ email }], type: 'curve25519', format: 'object' });
  return { data: publicKey.write(), fpr: publicKey.getFingerprint().toUpperCase() };
}

const at = (day: number) => new Date(Date.UTC(2026, 10, day)).toISOString();

test('the update rules: a header sets key, time and prefer-encrypt; an older message changes nothing; no header moves last seen only', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const k1 = await keyFor(BOB);
    const first = await keyring.autocryptSeen({
      address: 'Bob@Example.org',
      date: at(10),
      header: { data: k1.data, preferEncrypt: 'mutual', import: false },
      gossip: [],
    });
    assert.deepEqual(first.peer, {
      lastSeen: at(10),
      autocryptTimestamp: at(10),
      fingerprint: k1.fpr,
      preferEncrypt: 'mutual',
      gossipTimestamp: null,
      gossipFingerprint: null,
    });
    assert.deepEqual(first.imported, [], 'not vouched for: recorded, not imported');
    assert.deepEqual((await keyring.addressState(BOB)).keys, []);

    const k2 = await keyFor(BOB);
    const older = await keyring.autocryptSeen({
      address: BOB,
      date: at(5),
      header: { data: k2.data, preferEncrypt: 'nopreference', import: true },
      gossip: [],
    });
    assert.equal(older.peer?.fingerprint, k1.fpr, 'an older message changes nothing');
    assert.deepEqual(older.imported, []);

    const noHeader = await keyring.autocryptSeen({ address: BOB, date: at(20), header: null, gossip: [] });
    assert.equal(noHeader.peer?.lastSeen, at(20));
    assert.equal(noHeader.peer?.autocryptTimestamp, at(10));
    assert.equal(noHeader.peer?.fingerprint, k1.fpr, 'a message without a header keeps the key');

    // A header key that does not carry the address is no header.
    const carol = await keyFor('carol@example.org');
    const wrong = await keyring.autocryptSeen({
      address: BOB,
      date: at(21),
      header: { data: carol.data, preferEncrypt: 'mutual', import: true },
      gossip: [],
    });
    assert.equal(wrong.peer?.fingerprint, k1.fpr);
    assert.deepEqual(wrong.imported, []);
    // The same message read again writes nothing.
    const snapshot = keyringSnapshot(home);
    await keyring.autocryptSeen({
      address: BOB,
      date: at(21),
      header: { data: carol.data, preferEncrypt: 'mutual', import: true },
      gossip: [],
    });
    assert.equal(keyringSnapshot(home), snapshot);
    // The record survives a new keyring process.
    assert.equal((await new Keyring(new KeyStore(home)).addressState(BOB)).autocrypt?.lastSeen, at(21));
  } finally {
    cleanup();
  }
});

test('vouched keys are imported through the first-use rule: a second header key is a key change; gossip sets the gossip key; own addresses are left alone', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const own = await keyring.generate({
      name: 'Me',
      email: 'me@example.org',
      algo: 'curve25519',
      expiresInSeconds: null,
      passphrase: null,
    });
    const k1 = await keyFor(BOB);
    const k2 = await keyFor(BOB);
    const dan = await keyFor('dan@example.org');
    const fake = await keyFor('me@example.org');
    const one = await keyring.autocryptSeen({
      address: BOB,
      date: at(10),
      header: { data: k1.data, preferEncrypt: 'mutual', import: true },
      gossip: [
        { address: 'dan@example.org', data: dan.data },
        { address: 'me@example.org', data: fake.data },
      ],
    });
    assert.deepEqual(one.imported.sort(), [k1.fpr, dan.fpr].sort());
    const danState = await keyring.addressState('dan@example.org');
    assert.equal(danState.autocrypt?.gossipFingerprint, dan.fpr);
    assert.deepEqual(danState.keys[0]?.sources, ['gossip']);
    const mine = await keyring.addressState('me@example.org');
    assert.equal(mine.autocrypt, null, 'no peer state for the user');
    assert.deepEqual(
      mine.keys.map((k) => k.fingerprint),
      [own.fingerprint],
      'gossip never adds a key for the user',
    );
    const bob = await keyring.addressState(BOB);
    assert.ok('key' in chooseRecipientKey(bob) && bob.keys[0]!.sources.includes('autocrypt'));

    await new Promise((resolve) => setTimeout(resolve, 5));
    await keyring.autocryptSeen({
      address: BOB,
      date: at(11),
      header: { data: k2.data, preferEncrypt: 'mutual', import: true },
      gossip: [],
    });
    const after = await keyring.addressState(BOB);
    assert.equal(after.autocrypt?.fingerprint, k2.fpr, 'the peer state follows the newest header');
    assert.deepEqual(chooseRecipientKey(after), {
      changed: { address: BOB, known: k1.fpr, new: k2.fpr, knownVerified: false, successor: null, knownProblem: null },
    });
  } finally {
    cleanup();
  }
});

test('effective date: the Date header, or now when it is missing, unreadable or in the future', () => {
  const now = Date.UTC(2026, 11, 7);
  assert.equal(effectiveDate('2026-11-01T10:00:00.000Z', now), '2026-11-01T10:00:00.000Z');
  assert.equal(effectiveDate('2027-01-01T00:00:00.000Z', now), new Date(now).toISOString());
  assert.equal(effectiveDate(null, now), new Date(now).toISOString());
  assert.equal(effectiveDate('not a date', now), new Date(now).toISOString());
});

test('two Autocrypt headers for the sender are both discarded; the encrypted part counts before the outer headers', () => {
  const key = Buffer.from('AAAA', 'base64').toString('base64');
  const msg = (outer: string[], inner: string[]) =>
    Buffer.from(
      ['From: bob@example.org', ...outer.map((h) => `Autocrypt: ${h}`), 'Content-Type: text/plain', '', 'x', ''].join('\r\n') +
        inner.join(''),
    );
  const from = { name: '', address: 'bob@example.org' };
  const one = parseMime(msg([`addr=bob@example.org; keydata=${key}`], []));
  assert.notEqual(autocryptSeen({ root: one.root, content: one.root, contentProtected: false, from }).header, null);
  const two = parseMime(msg([`addr=bob@example.org; keydata=${key}`, `addr=bob@example.org; prefer-encrypt=mutual; keydata=${key}`], []));
  assert.equal(autocryptSeen({ root: two.root, content: two.root, contentProtected: false, from }).header, null);
  const other = parseMime(msg([`addr=mallory@example.org; keydata=${key}`], []));
  assert.equal(
    autocryptSeen({ root: other.root, content: other.root, contentProtected: false, from }).header,
    null,
    'only the From address',
  );
  // Inside protected content (as Delta Chat sends it), the inner header is the sender's.
  const inner = parseMime(
    Buffer.from(`Autocrypt: addr=bob@example.org; prefer-encrypt=mutual; keydata=${key}\r\nContent-Type: text/plain\r\n\r\nx\r\n`),
  );
  const seen = autocryptSeen({ root: one.root, content: inner.root, contentProtected: true, from });
  assert.equal(seen.header?.preferEncrypt, 'mutual');
});

let worker: RunningKeyring;
let home: { home: string; cleanup(): void };
before(async () => {
  home = tempHome();
  worker = startKeyringWorker(home.home);
  await worker.client.call('keys.import', { data: readFileSync(ALICE_SECRET), source: 'file' });
});
after(async () => {
  await worker?.close();
  home?.cleanup();
});

async function read(name: string) {
  const examined = await examineMessage(readFileSync(tbEml(name)), worker.client, { keyPasswords: [ALICE_PASSPHRASE] });
  await applyAutocrypt(examined, worker.client, Date.UTC(2026, 11, 7));
  return examined;
}

test('Thunderbird mail: an unsigned message records the header key without importing it; an encrypted one not decrypted changes nothing', async () => {
  const plain = await read('unsigned-unencrypted-0x3099ff1238852b9f-autocrypt.eml');
  const from = plain.report.from!.address;
  const state = await worker.client.call('keys.addressState', { address: from });
  assert.ok(state.autocrypt?.fingerprint, 'the header key is in the peer state');
  assert.equal(state.autocrypt?.lastSeen, state.autocrypt?.autocryptTimestamp);
  assert.deepEqual(state.keys, [], 'an unsigned message: the key waits for the user');

  // Encrypted to a key the profile does not have: the message cannot say whether it had a header inside.
  const raw = readFileSync(tbEml('unsigned-encrypted-to-0xf2823b8f6c9a7553-from-0x3099ff1238852b9f-autocrypt.eml'));
  const locked = await examineMessage(raw, worker.client, { keyPasswords: [ALICE_PASSPHRASE] });
  assert.equal(locked.report.encryption.status, 'no-key');
  const lockedFrom = locked.report.from!.address;
  const beforeLocked = await worker.client.call('keys.addressState', { address: lockedFrom });
  await applyAutocrypt(locked, worker.client, Date.UTC(2026, 11, 8));
  assert.deepEqual(
    await worker.client.call('keys.addressState', { address: lockedFrom }),
    beforeLocked,
    'nothing changed, not even last seen',
  );
});

test('Thunderbird mail: a first contact signed with a key the profile lacks: the header key is recorded and offered, not imported', async () => {
  const examined = await read('signed-encrypted-autocrypt-gossip.eml');
  assert.equal(examined.report.encryption.status, 'decrypted');
  assert.equal(examined.report.signature.status, 'unknown-key');
  const address = examined.report.from!.address;
  const sender = await worker.client.call('keys.addressState', { address });
  assert.ok(sender.autocrypt?.fingerprint);
  assert.deepEqual(sender.keys, [], 'not imported before the user saw its fingerprint');
  assert.ok(
    examined.report.keys.some((k) => k.fingerprint === sender.autocrypt!.fingerprint && k.source === 'autocrypt'),
    'the reader offers it',
  );
  // Once the user imported it, reading again verifies the signature, and the header key is taken in as an update.
  const headerKey = sender.autocrypt.fingerprint;
  const material = examined.keyMaterial.find((m) => m.fingerprints.includes(headerKey))!;
  await worker.client.call('keys.import', { data: material.data, source: 'autocrypt' });
  const again = await read('signed-encrypted-autocrypt-gossip.eml');
  assert.equal(again.report.signature.status, 'valid');
  assert.ok('key' in chooseRecipientKey(await worker.client.call('keys.addressState', { address })));
});

test('the composer’s recommendation from the peer state: a fresh Autocrypt key is available, one left 35 days behind the sender’s mail is discouraged, a gossip key is discouraged, an imported key is not judged', async () => {
  const { home, cleanup } = tempHome();
  try {
    const keyring = new Keyring(new KeyStore(home));
    const calls = { call: (method: string, p: { address: string }) => keyring.addressState(p.address) } as unknown as KeyringCalls;
    const bob = await keyFor(BOB);
    await keyring.autocryptSeen({
      address: BOB,
      date: at(1),
      header: { data: bob.data, preferEncrypt: 'mutual', import: true },
      gossip: [{ address: 'dan@example.org', data: (await keyFor('dan@example.org')).data }],
    });
    const erin = await openpgp.generateKey({ userIDs: [{ email: 'erin@example.org' }], type: 'curve25519', format: 'object' });
    await keyring.import(erin.publicKey.write(), 'wkd');
    const fresh = await recipientKeyStates(calls, [BOB, 'dan@example.org', 'erin@example.org', 'nobody@example.org']);
    assert.deepEqual(
      fresh.map((r) => [r.address, r.state, r.sources, r.recommendation, r.peerMutual]),
      [
        [BOB, 'unverified', ['autocrypt'], 'available', true],
        ['dan@example.org', 'unverified', ['gossip'], 'discourage', false],
        ['erin@example.org', 'unverified', ['wkd'], 'available', false],
        ['nobody@example.org', 'missing', [], 'disable', false],
      ],
    );
    // Bob's mail keeps coming, 36 days on, without an Autocrypt header: his key may have been left behind.
    await keyring.autocryptSeen({ address: BOB, date: at(37), header: null, gossip: [] });
    const [stale] = await recipientKeyStates(calls, [BOB]);
    assert.equal(stale!.recommendation, 'discourage');
    assert.equal(stale!.state, 'unverified', 'still usable when the user switches encryption on');
  } finally {
    cleanup();
  }
});
