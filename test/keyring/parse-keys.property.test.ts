/**
 * Properties of key import for any bytes: the real key files of the corpus
 * (armored and binary) damaged in every way the arbitraries know, broken
 * armor, random packets. Parsing resolves or refuses with a registry error,
 * each problem is a registry error, every key it gives has a valid
 * self-signature, and an import that is refused changes nothing on disk.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { parseKeyMaterial, checkSelfSignatures } from '../../keyring/parse-keys.ts';
import { isErrorCode } from '../../app/errors.ts';
import { keyringAt, keyringSnapshot, tempHome } from '../support/keyring.ts';
import {
  assertRegistryError,
  corpusKeys,
  fuzzParams,
  heapGrowth,
  lineMutatedOf,
  mutatedOf,
  withinDeadline,
} from '../support/arbitraries.ts';

const armored = corpusKeys();
let binary: Buffer[] = [];
const home = tempHome('sealpost-fuzz-import-');

before(async () => {
  binary = await Promise.all(
    armored.slice(0, 12).map(async (a) => Buffer.from((await openpgp.unarmor(a.toString('utf8'))).data as Uint8Array)),
  );
});
after(() => home.cleanup());

/** Per input: parsing a key file and checking its self-signatures (RSA included). */
const DEADLINE_MS = 15_000;

async function parseChecked(bytes: Uint8Array): Promise<void> {
  let parsed;
  try {
    parsed = await withinDeadline(DEADLINE_MS, 'parseKeyMaterial', () => parseKeyMaterial(bytes));
  } catch (e) {
    assertRegistryError(e);
    return;
  }
  for (const p of parsed.problems) assertRegistryError(p);
  for (const key of parsed.keys) await checkSelfSignatures(key);
  for (const r of parsed.revocations) assert.ok(r instanceof openpgp.SignaturePacket);
}

test('damaged armored key files parse to keys and registry problems, never a crash', async () => {
  await fc.assert(fc.asyncProperty(fc.oneof(mutatedOf(armored, 3), lineMutatedOf(armored)), parseChecked), fuzzParams(60));
});

test('damaged binary key files parse to keys and registry problems, never a crash', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constant(null).chain(() => mutatedOf(binary, 3)),
      parseChecked,
    ),
    fuzzParams(60),
  );
});

test('random bytes and random packets are refused with registry errors', async () => {
  const packetish = fc
    .tuple(fc.constantFrom(0x99, 0x95, 0xc6, 0xc5, 0x89, 0xc2, 0xa8, 0xcd, 0xb4), fc.uint8Array({ maxLength: 300 }))
    .map(([tag, rest]) => Buffer.concat([Buffer.from([tag]), rest]));
  await fc.assert(fc.asyncProperty(fc.oneof(packetish, fc.uint8Array({ maxLength: 300 })), parseChecked), fuzzParams(150));
});

test('an import the keyring refuses leaves the keyring as it was; what it takes is what it reports', async () => {
  const { keyring } = keyringAt(home.home);
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutatedOf(armored, 2), mutatedOf(binary, 2)), async (bytes) => {
      const before = keyringSnapshot(home.home);
      try {
        const outcome = await withinDeadline(DEADLINE_MS, 'keyring.import', () => keyring.import(bytes, 'file'));
        for (const p of outcome.problems) assert.ok(isErrorCode(p.code), p.code);
        if (outcome.changed.length === 0) assert.equal(keyringSnapshot(home.home), before, 'nothing changed, nothing written');
        for (const k of outcome.changed) assert.match(k.fingerprint, /^[0-9A-F]{40}$/);
      } catch (e) {
        assertRegistryError(e);
        assert.equal(keyringSnapshot(home.home), before, `a refused import changed the keyring (${e.code})`);
      }
    }),
    fuzzParams(40),
  );
});

test('a large armored block of garbage is refused in bounded time and memory', async () => {
  const data = Buffer.alloc(8 * 1024 * 1024, 0x99);
  const text = `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${data.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
  const growth = await heapGrowth(() => parseChecked(Buffer.from(text)));
  assert.ok(growth < 512 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(0)} MiB on an 11 MiB input`);
});
