// The app's Setup Message procedures through the dispatcher, over the real keyring worker:
// create saves the message through the save dialog and answers with the code only; import takes the file's bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeyringWorker } from '../../../main/keyring-host/worker-keyring.ts';
import { createDispatcher } from '../../../main/ipc/dispatcher.ts';
import type { SaveDialogs } from '../../../main/ipc/handlers.ts';
import type { ProcedureOutput } from '../../../app/ipc/contract.ts';
import { DEFAULT_SETTINGS } from '../../../app/mail.ts';
import { findSetupPayload } from '../../../main/pgp-mime/read/setup-message.ts';
import * as openpgp from 'openpgp';

const SPEC = readFileSync(new URL('../../fixtures/autocrypt/example-setup-message.eml', import.meta.url));
const SPEC_CODE = '1742-0185-6197-1303-7016-8412-3581-4441-0597';
const SPEC_FPR = 'EB85BB5FA33A75E15E944E63F231550C4F47E38E';

test('keys.setupMessage.import then keys.setupMessage.create: the key goes in protected, the message to the save dialog, the code to the caller', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-ipc-'));
  const keyring = startKeyringWorker(join(dir, 'home'));
  try {
    const saved: { name: string; bytes: Buffer }[] = [];
    let cancel = false;
    const dialogs: SaveDialogs = {
      saveFile: async (name, bytes) => {
        if (cancel) return false;
        saved.push({ name, bytes: Buffer.from(bytes) });
        writeFileSync(join(dir, name), bytes);
        return true;
      },
    };
    const events: string[] = [];
    const dispatch = createDispatcher({ keyring: keyring.client, dialogs, emit: (e) => events.push(e) });

    const wrong = await dispatch('keys.setupMessage.import', { data: SPEC, code: SPEC_CODE.replace(/7$/, '8'), passphrase: null });
    assert.equal(wrong.ok, false);
    assert.equal(!wrong.ok && wrong.error.code, 'crypto-wrong-password');
    const listed = await dispatch('keys.list', { secret: true });
    assert.deepEqual(listed.ok && listed.value, []);

    const imported = await dispatch('keys.setupMessage.import', {
      data: SPEC,
      code: SPEC_CODE.replace(/-/g, ''),
      passphrase: 'device two',
    });
    assert.ok(imported.ok, JSON.stringify(imported));
    assert.deepEqual(
      (imported.value as ProcedureOutput<'keys.setupMessage.import'>).changed.map((k) => [k.fingerprint, k.hasSecret, k.sources]),
      [[SPEC_FPR, true, ['setup-message']]],
    );
    assert.deepEqual(events, ['keyring.changed']);

    const locked = await dispatch('keys.setupMessage.create', { fingerprint: SPEC_FPR });
    assert.equal(!locked.ok && locked.error.code, 'key-passphrase-required');

    const created = await dispatch('keys.setupMessage.create', { fingerprint: SPEC_FPR, passphrase: 'device two' });
    assert.ok(created.ok, JSON.stringify(created));
    const value = created.value as ProcedureOutput<'keys.setupMessage.create'>;
    assert.equal(value.saved, true);
    const code = value.code!;
    assert.match(code, /^[0-9]{4}(-[0-9]{4}){8}$/);
    assert.equal(saved.length, 1);
    assert.equal(saved[0]!.name, 'autocrypt-setup-message.eml');
    assert.ok(!JSON.stringify(created).includes('PGP'), 'nothing of the key in the answer');
    assert.match(saved[0]!.bytes.toString('latin1'), /^Autocrypt-Setup-Message: v1\r$/m);

    // What was saved opens with that code (here, in the same keyring: nothing new).
    const again = await dispatch('keys.setupMessage.import', { data: saved[0]!.bytes, code, passphrase: null });
    assert.ok(again.ok, JSON.stringify(again));

    // With "prefer encrypted mail" in the settings, the key inside says so, as the user's Autocrypt headers do (4.4.2).
    const mutual = createDispatcher({
      keyring: keyring.client,
      dialogs,
      settings: { get: async () => ({ ...DEFAULT_SETTINGS, preferEncrypt: 'mutual' }), set: async () => DEFAULT_SETTINGS },
    });
    const withMutual = await mutual('keys.setupMessage.create', { fingerprint: SPEC_FPR, passphrase: 'device two' });
    assert.ok(withMutual.ok, JSON.stringify(withMutual));
    const mutualCode = (withMutual.value as ProcedureOutput<'keys.setupMessage.create'>).code!;
    const payload = await openpgp.readMessage({ armoredMessage: findSetupPayload(saved.at(-1)!.bytes) });
    const { data: inside } = await openpgp.decrypt({ message: payload, passwords: [mutualCode] });
    assert.match(String(inside), /^-----BEGIN PGP PRIVATE KEY BLOCK-----\nAutocrypt-Prefer-Encrypt: mutual\n/);

    cancel = true;
    const cancelled = await dispatch('keys.setupMessage.create', { fingerprint: SPEC_FPR, passphrase: 'device two' });
    assert.deepEqual(cancelled.ok && cancelled.value, { saved: false, code: null });

    const noDialog = await createDispatcher({ keyring: keyring.client })('keys.setupMessage.create', {
      fingerprint: SPEC_FPR,
      passphrase: null,
    });
    assert.equal(!noDialog.ok && noDialog.error.code, 'dialog-unavailable');
  } finally {
    await keyring.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
