/**
 * The Keys screen's state (renderer/src/lib/keys.svelte.ts) in Node. A
 * `.svelte.ts` module uses runes, so it is compiled here the way Vite does
 * it: TypeScript stripped (esbuild), then Svelte's compileModule (client
 * output), bundled with Svelte's runtime into one temporary module.
 *
 * The bridge is backed by the real dispatcher and a real keyring worker, so
 * the state class is checked against the contract as main serves it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../../app/result.ts';
import type { SealpostBridge } from '../../app/ipc/contract.ts';
import { startKeyringWorker, type RunningKeyring } from '../../main/keyring-host/worker-keyring.ts';
import { createDispatcher } from '../../main/ipc/dispatcher.ts';
import { capabilityText, expiryText, groupFingerprint, isUsable, primaryUserId } from '../../renderer/src/lib/format.ts';
import type * as KeysModule from '../../renderer/src/lib/keys.svelte.ts';
import { bundleRenderer, loadRenderer } from '../support/renderer/bundle.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sealpost-renderer-'));
let mod: typeof KeysModule;
let keyring: RunningKeyring;
let listeners: ((event: string, payload: unknown) => void)[] = [];

async function compileStateModule(): Promise<typeof KeysModule> {
  return loadRenderer<typeof KeysModule>('lib/keys.svelte.ts');
}

before(async () => {
  mod = await compileStateModule();
  keyring = startKeyringWorker(join(scratch, 'home'));
});

after(async () => {
  await keyring.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A bridge as the preload gives it, over the real dispatcher; `calls` records what the state sent. */
function realBridge() {
  const calls: { procedure: string; input: unknown }[] = [];
  const dispatch = createDispatcher({
    keyring: keyring.client,
    emit: (event, payload) => listeners.forEach((l) => l(event, payload)),
  });
  const bridge = {
    call: async (procedure: string, input: unknown) => {
      calls.push({ procedure, input });
      return dispatch(procedure, input);
    },
    on: (event: string, handler: (payload: unknown) => void) => {
      const listener = (name: string, payload: unknown) => name === event && handler(payload);
      listeners.push(listener);
      return () => {
        listeners = listeners.filter((l) => l !== listener);
      };
    },
  } as unknown as SealpostBridge;
  return { bridge, calls };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), `timed out waiting: ${what}`);
}

test('formatting: fingerprints in groups of four, capabilities, expiry', () => {
  assert.equal(groupFingerprint('0123456789ABCDEF0123456789ABCDEF01234567'), '0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567');
  assert.equal(capabilityText({ canSign: true, canEncrypt: true }), 'Signs and encrypts');
  assert.equal(capabilityText({ canSign: false, canEncrypt: true }), 'Encrypts only');
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(expiryText({ expires: null, revoked: false }, now), 'Does not expire');
  assert.equal(expiryText({ expires: '2027-03-04T00:00:00Z', revoked: false }, now), 'Expires on 2027-03-04');
  assert.equal(expiryText({ expires: '2025-03-04T00:00:00Z', revoked: false }, now), 'Expired on 2025-03-04');
  assert.equal(expiryText({ expires: null, revoked: true }, now), 'Revoked');
  assert.equal(isUsable({ expires: '2025-03-04T00:00:00Z', revoked: false }, now), false);
  assert.equal(primaryUserId({ userIds: [], keyId: 'ABCD' }), 'Key ABCD');
});

test('the generate form says what is wrong, in order, and builds the contract input', () => {
  const form = new mod.GenerateForm();
  assert.equal(form.problem, 'Enter your name.');
  form.name = 'Alice <evil>';
  assert.match(form.problem, /cannot contain/);
  form.name = '  Alice Example ';
  assert.match(form.problem, /e-mail/);
  form.email = 'alice@example.org';
  assert.match(form.problem, /at least 8/);
  form.passphrase = 'correct horse';
  assert.equal(form.problem, 'The two passphrases differ.');
  form.repeat = 'correct horse';
  assert.equal(form.problem, null);
  form.expiry = 'never';
  assert.deepEqual(form.input(), {
    name: 'Alice Example',
    email: 'alice@example.org',
    algo: 'curve25519',
    expiresInSeconds: null,
    passphrase: 'correct horse',
  });
  form.clearSecrets();
  assert.equal(form.passphrase + form.repeat, '');
});

test('list, generate, import and lock through the contract', async () => {
  const { bridge, calls } = realBridge();
  const state = new mod.KeysState(bridge);
  const stop = state.start();
  await until(() => state.loaded, 'the first list');
  assert.deepEqual(state.keys, []);

  // generate: refused locally while the form is wrong (nothing sent), then sent once it is right
  assert.equal(await state.generate(), false);
  assert.equal(state.form.attempted, true);
  assert.equal(calls.filter((c) => c.procedure === 'keys.generate').length, 0);
  Object.assign(state.form, {
    name: 'Alice Example',
    email: 'alice@example.org',
    passphrase: 'a long passphrase',
    repeat: 'a long passphrase',
  });
  assert.equal(await state.generate(), true, state.notice?.text);
  const sent = calls.find((c) => c.procedure === 'keys.generate')!.input as { expiresInSeconds: number; passphrase: string };
  assert.equal(sent.expiresInSeconds, 2 * 365 * 86_400);
  assert.equal(sent.passphrase, 'a long passphrase');
  assert.equal(state.form.passphrase, '', 'the passphrase is not kept in the form');
  assert.equal(state.form.name, '', 'the form is reset');
  assert.deepEqual(state.notice, { kind: 'ok', text: 'Generated a key for Alice Example <alice@example.org>.' });
  assert.equal(state.ownKeys.length, 1);
  assert.equal(state.otherKeys.length, 0);

  // import: bytes from a file, with source "file"
  const bob = await keyring.client.call('sop.generateKey', { userIds: ['Bob <bob@example.org>'], passphrase: null, armor: true });
  const { cert } = await keyring.client.call('sop.extractCert', { key: bob.key, armor: true });
  assert.equal(await state.importFile(new File([new Uint8Array(cert)], 'bob.asc')), true, state.notice?.text);
  const importCall = calls.find((c) => c.procedure === 'keys.import')!.input as { data: Uint8Array; source: string };
  assert.ok(importCall.data instanceof Uint8Array);
  assert.equal(importCall.source, 'file');
  assert.deepEqual(state.notice, { kind: 'ok', text: 'Imported or updated 1 key: Bob <bob@example.org>.' });
  assert.equal(state.otherKeys.length, 1);
  assert.equal(state.otherKeys[0]!.hasSecret, false);

  // a file that is not a key: the keyring's message is shown
  assert.equal(await state.importFile(new File(['hello'], 'notes.txt')), false);
  assert.equal(state.notice?.kind, 'error');
  assert.match(state.notice.text, /Not an OpenPGP key/);

  // trust, then lock
  assert.equal(await state.setTrust(state.otherKeys[0]!.fingerprint, 'verified'), true);
  assert.equal(state.otherKeys[0]!.trust, 'verified');
  assert.equal(await state.lock(), true);
  assert.equal(calls.at(-1)!.procedure, 'session.lock');
  assert.equal(state.notice?.kind, 'ok');

  // a change made elsewhere (another window, the command line) arrives as an event
  await keyring.client.call('keys.generate', {
    name: 'Carol',
    email: 'carol@example.org',
    algo: 'curve25519',
    expiresInSeconds: null,
    passphrase: null,
  });
  listeners.forEach((l) => l('keyring.changed', { fingerprints: [] }));
  await until(() => state.ownKeys.length === 2, 'the refresh after keyring.changed');
  stop();
  assert.equal(listeners.length, 0);
});

test('files that are empty or too large are refused before anything is sent', async () => {
  const { bridge, calls } = realBridge();
  const state = new mod.KeysState(bridge);
  assert.equal(await state.importFile(new File([], 'empty.asc')), false);
  assert.match(state.notice!.text, /"empty.asc" is empty/);
  assert.equal(await state.importFile(new File([new Uint8Array(mod.MAX_IMPORT_BYTES + 1)], 'huge.asc')), false);
  assert.match(state.notice!.text, /larger than 10 MiB/);
  assert.equal(calls.length, 0);
});

test('a bridge that fails is an error message, not an exception; one action at a time', async () => {
  let release: (v: Result<unknown>) => void = () => {};
  const bridge = {
    call: (procedure: string) =>
      procedure === 'session.lock' ? new Promise((resolve) => (release = resolve)) : Promise.reject(new Error('ipc gone')),
    on: () => () => {},
  } as unknown as SealpostBridge;
  const state = new mod.KeysState(bridge);
  await state.refresh();
  assert.match(state.loadError!, /did not answer/);

  const first = state.lock();
  assert.equal(state.busy, 'lock');
  assert.equal(await state.lock(), false, 'a second action while one runs is not started');
  release({
    ok: false,
    error: { code: 'keyring-unavailable', message: 'The keyring service is not running', retryable: true, details: {} },
  });
  assert.equal(await first, false);
  assert.deepEqual(state.notice, { kind: 'error', text: 'The keyring service is not running' });
  assert.equal(state.busy, null);
});

test('the screen, rendered: app name, keys with grouped fingerprints, a label for every control, no inline style', async () => {
  const entry = [
    "export { render } from 'svelte/server';",
    "export { default as App } from './App.svelte';",
    "export { AppState } from './lib/app.svelte.ts';",
  ].join('\n');
  const ssr = (await import((await bundleRenderer({ contents: entry }, 'server')).url)) as {
    render(component: unknown, options: { props: Record<string, unknown> }): { body: string };
    App: unknown;
    AppState: new (bridge: SealpostBridge) => { screen: string; keys: InstanceType<typeof KeysModule.KeysState> };
  };
  const { bridge } = realBridge();
  const app = new ssr.AppState(bridge);
  const summary = await keyring.client.call('keys.list', { secret: false });
  assert.ok(summary.length >= 2);
  app.screen = 'keys';
  app.keys.keys = summary;
  app.keys.loaded = true;
  const { body } = ssr.render(ssr.App, { props: { app } });

  assert.match(body, /<h1[^>]*>.*Sealpost<\/h1>/s);
  assert.match(body, /data-testid="keys-screen"/);
  assert.match(body, /Lock keys now/);
  assert.match(body, /Your keys/);
  assert.match(body, /Other people's keys/);
  for (const key of summary) assert.ok(body.includes(groupFingerprint(key.fingerprint)), key.fingerprint);
  assert.match(body, /Signs and encrypts/);
  assert.doesNotMatch(body, /\sstyle="/, 'inline style attributes would be refused by the CSP');

  // Every form control is named for screen readers: a <label for> or an aria-label.
  const controls = [...body.matchAll(/<(input|select|textarea)\b([^>]*)>/g)];
  assert.ok(controls.length >= 1, `found ${controls.length} controls`);
  for (const [tag, , attrs] of controls) {
    const id = /\sid="([^"]+)"/.exec(attrs!)?.[1];
    const labelled = /aria-label="[^"]+"/.test(attrs!) || (id !== undefined && body.includes(`for="${id}"`));
    assert.ok(labelled, `unlabelled control: ${tag}`);
  }
  for (const [button, text] of body.matchAll(/<button\b[^>]*>([\s\S]*?)<\/button>/g)) {
    assert.ok(
      /aria-label="[^"]+"/.test(button) ||
        text!
          .replace(/<!--.*?-->/g, '')
          .replace(/<svg[\s\S]*?<\/svg>/g, '')
          .trim().length > 0,
      `unnamed button: ${button}`,
    );
  }
});
