import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealpostError } from '../../../app/errors.ts';
import { CallError, MAX_IMPORT_BYTES, procedures } from '../../../app/ipc/contract.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { createDispatcher, type Dispatch } from '../../../main/ipc/dispatcher.ts';
import { createHandlers, type Services } from '../../../main/ipc/handlers.ts';

let home: string;
let keyring: RunningKeyring;
let dispatch: Dispatch;
const events: { event: string; payload: unknown }[] = [];

before(() => {
  home = mkdtempSync(join(tmpdir(), 'sealpost-dispatch-'));
  keyring = startKeyringWorker(home);
  dispatch = createDispatcher({ keyring: keyring.client, emit: (event, payload) => void events.push({ event, payload }) });
});

after(async () => {
  await keyring.close();
  rmSync(home, { recursive: true, force: true });
});

function assertFailure(result: Awaited<ReturnType<Dispatch>>, code: string): string {
  assert.equal(result.ok, false, `expected a failure with ${code}, got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.error.code, code);
  assert.equal(typeof result.error.message, 'string');
  assert.equal(typeof result.error.retryable, 'boolean');
  assert.deepEqual(Object.keys(result.error).sort(), ['code', 'details', 'message', 'retryable']);
  // What the renderer's bridge side will check: a registry code with details of that code's shape.
  assert.deepEqual(CallError.parse(result.error), result.error);
  return result.error.message;
}

test('an unknown procedure is refused as a value, including names from the prototype', async () => {
  for (const name of ['keys.delete', 'nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '']) {
    assertFailure(await dispatch(name, {}), 'protocol-invalid');
  }
  assertFailure(await dispatch(42 as unknown as string, {}), 'protocol-invalid');
});

test('inputs are strict: an extra key, a wrong type, a missing field, no object', async () => {
  assert.match(assertFailure(await dispatch('keys.list', { secret: false, extra: 1 }), 'protocol-invalid'), /extra|nrecognized/);
  assertFailure(await dispatch('keys.list', { secret: 'yes' }), 'protocol-invalid');
  assertFailure(await dispatch('keys.list', null), 'protocol-invalid');
  assertFailure(await dispatch('keys.list', undefined), 'protocol-invalid');
  assertFailure(await dispatch('keys.show', {}), 'protocol-invalid');
  assertFailure(await dispatch('keys.import', { data: 'not bytes', source: 'file' }), 'protocol-invalid');
  assertFailure(await dispatch('keys.import', { data: new Uint8Array([1]), source: 'wkd' }), 'protocol-invalid');
});

test('secret export is not part of the renderer contract', async () => {
  assertFailure(await dispatch('keys.export', { query: 'alice@example.org', secret: true }), 'protocol-invalid');
});

test('oversized input is refused before any handler runs', async () => {
  const big = new Uint8Array(MAX_IMPORT_BYTES + 1);
  assert.match(assertFailure(await dispatch('keys.import', { data: big, source: 'file' }), 'protocol-invalid'), /data/);
  assertFailure(await dispatch('keys.show', { query: 'x'.repeat(513) }), 'protocol-invalid');
  assertFailure(
    await dispatch('keys.generate', { name: 'n'.repeat(300), email: 'a@example.org', expiresInSeconds: null, passphrase: null }),
    'protocol-invalid',
  );
  assertFailure(
    await dispatch('keys.generate', { name: 'Alice', email: 'a@example.org', expiresInSeconds: null, passphrase: 'p'.repeat(5000) }),
    'protocol-invalid',
  );
  // A user id cannot be smuggled in through the name.
  assertFailure(
    await dispatch('keys.generate', { name: 'Alice <evil@example.org>', email: 'a@example.org', expiresInSeconds: null, passphrase: null }),
    'protocol-invalid',
  );
});

test('keys.generate, keys.list, keys.show, keys.export, keys.trust, session.lock work through the real keyring', async () => {
  const empty = await dispatch('keys.list', {});
  assert.deepEqual(empty, { ok: true, value: [] });

  const generated = await dispatch('keys.generate', {
    name: 'Alice Example',
    email: 'alice@example.org',
    expiresInSeconds: 2 * 365 * 86_400,
    passphrase: 'correct horse battery staple',
  });
  assert.equal(generated.ok, true, JSON.stringify(generated));
  if (!generated.ok) return;
  const key = generated.value as { fingerprint: string; hasSecret: boolean; userIds: string[]; expires: string | null };
  assert.match(key.fingerprint, /^[0-9A-F]{40}$/);
  assert.equal(key.hasSecret, true);
  assert.deepEqual(key.userIds, ['Alice Example <alice@example.org>']);
  assert.ok(key.expires);
  assert.deepEqual(events.at(-1), { event: 'keyring.changed', payload: { fingerprints: [key.fingerprint] } });

  const listed = await dispatch('keys.list', {});
  assert.equal(listed.ok, true);
  if (listed.ok)
    assert.deepEqual(
      (listed.value as { fingerprint: string }[]).map((k) => k.fingerprint),
      [key.fingerprint],
    );
  const secretOnly = await dispatch('keys.list', { secret: true });
  assert.equal(secretOnly.ok && (secretOnly.value as unknown[]).length, 1);

  const shown = await dispatch('keys.show', { query: 'alice@example.org' });
  assert.equal(shown.ok, true);

  const exported = await dispatch('keys.export', { query: key.fingerprint });
  assert.equal(exported.ok, true);
  if (exported.ok) {
    const armored = (exported.value as { armored: string }).armored;
    assert.match(armored, /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.doesNotMatch(armored, /PRIVATE/);
  }

  const trusted = await dispatch('keys.trust', { fingerprint: key.fingerprint, trust: 'verified' });
  assert.equal(trusted.ok && (trusted.value as { trust: string }).trust, 'verified');

  assert.deepEqual(await dispatch('session.lock', {}), { ok: true, value: {} });
  assert.deepEqual(events.at(-1), { event: 'session.locked', payload: {} });
});

test('keys.import takes bytes and reports what changed; garbage is an error with its registry code', async () => {
  const exported = await keyring.client.call('sop.generateKey', { userIds: ['Bob <bob@example.org>'], passphrase: null, armor: true });
  const { cert } = await keyring.client.call('sop.extractCert', { key: exported.key, armor: true });
  const imported = await dispatch('keys.import', { data: cert, source: 'file' });
  assert.equal(imported.ok, true, JSON.stringify(imported));
  if (imported.ok) {
    const value = imported.value as { changed: { userIds: string[]; hasSecret: boolean }[]; problems: unknown[] };
    assert.deepEqual(
      value.changed.map((k) => k.userIds),
      [['Bob <bob@example.org>']],
    );
    assert.equal(value.changed[0]!.hasSecret, false);
  }
  assertFailure(await dispatch('keys.import', { data: new TextEncoder().encode('hello, not a key'), source: 'file' }), 'key-unparseable');
});

test('a handler error comes back with its code and message', async () => {
  const result = await dispatch('keys.show', { query: 'nobody@example.org' });
  const message = assertFailure(result, 'key-not-found');
  assert.match(message, /No such key/);
  // The details came from the keyring worker through the keyring protocol, checked there and here.
  assert.deepEqual(!result.ok && result.error.details, { query: 'nobody@example.org' });
});

test('an error whose details no longer match its code leaves main as "internal", never as it is', async () => {
  const services: Services = { keyring: keyring.client };
  const handlers = createHandlers(services);
  handlers['keys.list'] = async () => {
    const e = new SealpostError('compose-no-key', 'bob@example.org (no key)', { addresses: ['bob@example.org'] });
    e.details.addresses = [];
    throw e;
  };
  const d = createDispatcher(services, handlers);
  const result = await d('keys.list', {});
  assertFailure(result, 'internal');
  assert.deepEqual(!result.ok && result.error.details, {});
});

test('an unexpected exception becomes "internal" without its text; a bad answer is caught too', async () => {
  const services: Services = { keyring: keyring.client };
  const handlers = createHandlers(services);
  handlers['keys.list'] = async () => {
    throw new Error('secret passphrase hunter2 leaked');
  };
  handlers['keys.show'] = async () => ({ fingerprint: 42 }) as never;
  const d = createDispatcher(services, handlers);
  const message = assertFailure(await d('keys.list', {}), 'internal');
  assert.doesNotMatch(message, /hunter2|secret/);
  assertFailure(await d('keys.show', { query: 'x' }), 'internal');

  handlers['keys.list'] = async () => {
    throw new SealpostError('keyring-busy');
  };
  const busy = await d('keys.list', {});
  assert.equal(!busy.ok && busy.error.retryable, true);
});

test('outputs are cut down to the contract: nothing unnamed leaves main', async () => {
  const services: Services = { keyring: keyring.client };
  const handlers = createHandlers(services);
  const real = await keyring.client.call('keys.list', { secret: false });
  handlers['keys.show'] = async () => ({ ...real[0]!, armoredSecretKey: '-----BEGIN PGP PRIVATE KEY BLOCK-----' });
  handlers['session.lock'] = async () => ({ secretKey: 'should never leave main' }) as never;
  const d = createDispatcher(services, handlers);
  const shown = await d('keys.show', { query: 'x' });
  assert.equal(shown.ok, true);
  if (shown.ok) {
    assert.equal((shown.value as { fingerprint: string }).fingerprint, real[0]!.fingerprint);
    assert.equal(Object.hasOwn(shown.value as object, 'armoredSecretKey'), false);
  }
  // session.lock's output is a strict empty object: an extra field is a bug, reported as internal.
  assertFailure(await d('session.lock', {}), 'internal');
  assert.ok(Object.keys(procedures).includes('session.lock'));
});

test('the keyring going away is a retryable error, not a crash', async () => {
  const services: Services = {
    keyring: { call: () => Promise.reject(new SealpostError('keyring-unavailable', 'the keyring process stopped')) },
  };
  const result = await createDispatcher(services)('keys.list', {});
  assert.equal(result.ok, false);
  if (!result.ok) assert.deepEqual([result.error.code, result.error.retryable], ['keyring-unavailable', true]);
});

test('an event that cannot be delivered does not turn a done operation into a failure', async () => {
  const d = createDispatcher({
    keyring: keyring.client,
    emit: () => {
      throw new Error('window gone');
    },
  });
  assert.deepEqual(await d('session.lock', {}), { ok: true, value: {} });
});
