// The test host's stand-in Web Key Directory: `keys.lookup` through the real
// dispatcher finds (and imports when asked) a certificate the host serves,
// finds nothing for other addresses, and never goes online.
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startKeyringWorker, type RunningKeyring } from '../../main/keyring-host/worker-keyring.ts';
import { startTestHost, type TestHost } from '../support/host/host.ts';

let host: TestHost;
let peer: RunningKeyring;
let fingerprint: string;
let peerHome: string;

before(async () => {
  peerHome = mkdtempSync(join(tmpdir(), 'sealpost-wkd-peer-'));
  peer = startKeyringWorker(peerHome);
  const key = await peer.client.call('keys.generate', {
    name: 'Wanda',
    email: 'wanda@wkd.example',
    algo: 'curve25519',
    expiresInSeconds: null,
    passphrase: null,
  });
  fingerprint = key.fingerprint;
  const { armored } = await peer.client.call('keys.export', { query: fingerprint });
  host = await startTestHost({ wkd: { 'wanda@wkd.example': armored }, backgroundIntervalMs: null });
});

after(async () => {
  await host?.close();
  await peer?.close();
  if (peerHome) rmSync(peerHome, { recursive: true, force: true });
});

test('keys.lookup finds the served certificate and imports it only when asked', { timeout: 30_000 }, async () => {
  const looked = await host.dispatch('keys.lookup', { email: 'wanda@wkd.example' });
  assert.ok(looked.ok, JSON.stringify(looked));
  const value = looked.value as { found: Array<{ source: string; keys: Array<{ fingerprint: string }> }>; imported: unknown[] };
  assert.ok(value.found.some((f) => f.keys.some((k) => k.fingerprint === fingerprint)));
  assert.deepEqual(value.imported, []);
  const listed = await host.dispatch('keys.list', {});
  assert.ok(listed.ok && (listed.value as unknown[]).length === 0, 'nothing imported without asking');

  const imported = await host.dispatch('keys.lookup', { email: 'wanda@wkd.example', import: true });
  assert.ok(imported.ok);
  assert.deepEqual(
    (imported.value as { imported: Array<{ fingerprint: string }> }).imported.map((k) => k.fingerprint),
    [fingerprint],
  );

  const none = await host.dispatch('keys.lookup', { email: 'nobody@wkd.example' });
  assert.ok(none.ok);
  assert.ok((none.value as { found: Array<{ keys: unknown[] }> }).found.every((f) => f.keys.length === 0));
});
