/**
 * The Autocrypt Setup Message in the renderer (renderer/src/lib/setup-message.svelte.ts
 * and its use by KeysState): the code boxes (typing, pasting, Backspace), the
 * Passphrase-Begin hint, making a message with the passphrase asked only when
 * the keyring needs it, the code shown once, errors by registry code; and an
 * import of the specification's example through the real dispatcher and
 * keyring worker, after which the imported key is the selected one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SealpostBridge } from '../../app/ipc/contract.ts';
import type { KeySummary } from '../../app/keys.ts';
import { startKeyringWorker } from '../../main/keyring-host/worker-keyring.ts';
import { createDispatcher } from '../../main/ipc/dispatcher.ts';
import type * as SetupModule from '../../renderer/src/lib/setup-message.svelte.ts';
import type { UiError } from '../../renderer/src/lib/outcome.ts';

/** The error as it is now (an assertion on an earlier value narrows the property for the type checker, not for the state). */
const errorOf = (state: { error: UiError | null }): UiError | null => state.error;
import type * as KeysModule from '../../renderer/src/lib/keys.svelte.ts';
import { bundleRenderer, fakeBridge } from '../support/renderer/bundle.ts';

const SPEC = readFileSync(new URL('../fixtures/autocrypt/example-setup-message.eml', import.meta.url));
const SPEC_CODE = '1742-0185-6197-1303-7016-8412-3581-4441-0597';
const SPEC_FPR = 'EB85BB5FA33A75E15E944E63F231550C4F47E38E';

// One bundle for both modules, so that they share one Svelte runtime.
const lib = (async () => {
  const { url } = await bundleRenderer({
    contents: ["export * from './lib/setup-message.svelte.ts';", "export * from './lib/keys.svelte.ts';"].join('\n'),
  });
  return (await import(url)) as typeof SetupModule & typeof KeysModule;
})();

const scratch = mkdtempSync(join(tmpdir(), 'sealpost-setup-ui-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ALICE: KeySummary = {
  fingerprint: 'A'.repeat(40),
  keyId: 'A'.repeat(16),
  userIds: ['Alice <alice@example.org>'],
  emails: ['alice@example.org'],
  hasSecret: true,
  algorithm: 'ed25519',
  version: 4,
  created: '2026-01-01T00:00:00.000Z',
  expires: null,
  revoked: false,
  canEncrypt: true,
  canSign: true,
  trust: 'verified',
  sources: ['generated'],
};

const fail = (code: string, message: string, details: object = {}) => Object.assign(new Error(message), { code, details });

test('Passphrase-Begin: read from the armor headers of a mail, a saved page or a bare block; null when not readable', async () => {
  const { passphraseBegin } = await lib;
  assert.equal(passphraseBegin(SPEC), '17');
  assert.equal(passphraseBegin(SPEC.subarray(SPEC.indexOf('<html>'))), '17');
  const block = '-----BEGIN PGP MESSAGE-----\nPassphrase-Format: numeric9x4\nPassphrase-Begin: 42\n\nwy4E\n-----END PGP MESSAGE-----\n';
  assert.equal(passphraseBegin(new TextEncoder().encode(block)), '42');
  assert.equal(passphraseBegin(new TextEncoder().encode(block.replace('Passphrase-Begin: 42\n', ''))), null);
  // After the blank line it is armored data, not a header.
  assert.equal(passphraseBegin(new TextEncoder().encode(block.replace('Passphrase-Begin: 42\n\n', '\nPassphrase-Begin: 42\n'))), null);
  assert.equal(passphraseBegin(new TextEncoder().encode('Content-Transfer-Encoding: base64\r\n\r\nLS0tLS1CRUdJTiBQR1A=')), null);
});

test('the code boxes: four digits move on, letters are dropped, a pasted code fills all nine, Backspace in an empty box goes back', async () => {
  const { SetupMessageImport, SETUP_CODE_BLOCKS } = await lib;
  const imp = new SetupMessageImport(fakeBridge().bridge);
  assert.equal(SETUP_CODE_BLOCKS, 9);
  assert.equal(imp.problem, 'Choose the setup message file first.');
  assert.equal(await imp.chooseFile(new File([SPEC], 'setup.eml')), true);
  assert.equal(imp.begin, '17');
  assert.deepEqual(imp.blocks, ['17', '', '', '', '', '', '', '', ''], 'the hint prefilled');
  assert.equal(imp.firstOpenBox, 0);

  assert.equal(imp.input(0, '17a4'), 0, 'a letter is dropped: three digits, stay');
  assert.equal(imp.blocks[0], '174');
  assert.equal(imp.input(0, '1742'), 1, 'four digits: the next box');
  assert.equal(imp.input(1, '0185'), 2);
  assert.equal(imp.backspace(2), 1, 'Backspace in an empty box goes back');
  assert.equal(imp.backspace(1), null, 'in a box with digits it deletes as usual');
  assert.equal(imp.backspace(0), null);
  assert.equal(imp.input(2, '61971303'), 4, 'more than four digits spread over the next boxes');
  assert.deepEqual(imp.blocks.slice(0, 4), ['1742', '0185', '6197', '1303']);
  assert.match(imp.problem, /all nine blocks/);

  // A whole code pasted into any box, in any writing the code reader takes, fills every box.
  assert.equal(imp.paste(5, '1742 0185 6197\n1303 7016 8412\n3581 4441 0597\n'), 8);
  assert.equal(imp.code, SPEC_CODE);
  assert.equal(imp.problem, null);
  assert.equal(imp.paste(3, 'not digits'), null, 'nothing to take: the box does as usual');
  assert.equal(imp.code, SPEC_CODE);

  // A code that does not begin as the message says is stopped here.
  imp.input(0, '9742');
  assert.equal(imp.problem, 'The Setup Code of this message begins with 17.');
  imp.input(0, '1742');
  imp.passphrase = 'short';
  imp.repeat = 'short';
  assert.match(imp.problem, /at least 8 characters/);
  imp.passphrase = 'device two passphrase';
  assert.equal(imp.problem, 'The two passphrases differ.');
  imp.repeat = 'device two passphrase';
  assert.equal(imp.problem, null);

  assert.equal(await imp.chooseFile(new File([], 'empty.eml')), false);
  assert.match(imp.error!.summary, /"empty.eml" is empty/);
  assert.equal(imp.file, null);
  imp.reset();
  assert.deepEqual([imp.blocks.join(''), imp.passphrase, imp.repeat, imp.begin], ['', '', '', null]);
});

test('import errors are said by registry code: a wrong code, not a setup message, not to oneself; nothing is read from message text', async () => {
  const { SetupMessageImport } = await lib;
  let answer: () => unknown = () => ({ changed: [], problems: [] });
  const fake = fakeBridge({ 'keys.setupMessage.import': () => answer() });
  const imp = new SetupMessageImport(fake.bridge);
  await imp.chooseFile(new File([SPEC], 'setup.eml'));
  imp.paste(0, SPEC_CODE);
  imp.passphrase = imp.repeat = 'device two passphrase';

  answer = () => {
    throw fail('crypto-wrong-password', 'Wrong password for the encrypted data: anything at all');
  };
  assert.equal(await imp.submit(), null);
  assert.equal(imp.error?.code, 'crypto-wrong-password');
  assert.match(imp.error.summary, /^The Setup Code does not open this message/);
  assert.equal(imp.passphrase + imp.repeat, '', 'the new passphrase is not kept');
  assert.equal(imp.code, SPEC_CODE, 'the code stays, to correct one block');
  imp.input(8, '0597');
  assert.equal(imp.error, null, 'a change to the code clears what was said of the one before');
  const sent = fake.callsOf('keys.setupMessage.import')[0]!;
  assert.deepEqual([sent.code, sent.passphrase, sent.data.byteLength], [SPEC_CODE, 'device two passphrase', SPEC.byteLength]);

  const reasons = [
    ['not-marked', /no Autocrypt-Setup-Message header/],
    ['not-to-self', /not sent from an address to itself/],
    ['no-payload', /holds no Autocrypt Setup Message/],
    ['other-version', /cannot read/],
    ['too-large', /far larger/],
  ] as const;
  for (const [reason, advice] of reasons) {
    answer = () => {
      throw fail('setup-message-invalid', 'Not an Autocrypt Setup Message that can be imported: the same words', { reason });
    };
    assert.equal(await imp.submit(), null);
    assert.match(errorOf(imp)?.summary ?? '', advice, reason);
    assert.match(errorOf(imp)?.detail ?? '', /\(setup-message-invalid\)$/);
  }
  answer = () => {
    throw fail('setup-message-invalid', 'x', { reason: 'made-up' });
  };
  await imp.submit();
  assert.equal(errorOf(imp)?.code, 'protocol-invalid', 'details that do not match the registry are not trusted');
  assert.equal(fake.callsOf('keys.setupMessage.import')[1]!.passphrase, null, 'no new passphrase: none sent');
});

test('making a message: the passphrase is asked only when the key is locked; a wrong one is said; the code is shown once; Cancel shows nothing', async () => {
  const { SetupMessageCreation } = await lib;
  const PASS = 'correct horse battery';
  let saved = true;
  const fake = fakeBridge({
    'keys.setupMessage.create': ({ passphrase }: { passphrase: string | null }) => {
      if (passphrase === null) throw fail('key-passphrase-required', 'A passphrase is needed', { fingerprints: [ALICE.fingerprint] });
      if (passphrase !== PASS) throw fail('key-wrong-passphrase', 'Wrong passphrase', { fingerprint: ALICE.fingerprint });
      return { saved, code: saved ? SPEC_CODE : null };
    },
  });
  const creation = new SetupMessageCreation(fake.bridge);
  await creation.start(ALICE);
  assert.equal(creation.step, 'passphrase');
  assert.equal(creation.error, null, 'asking is not an error');

  creation.passphrase = 'nope';
  await creation.submitPassphrase();
  assert.equal(creation.step, 'passphrase');
  assert.equal(errorOf(creation)?.code, 'key-wrong-passphrase');
  assert.equal(creation.passphrase, '', 'cleared as the call starts');

  creation.passphrase = PASS;
  await creation.submitPassphrase();
  assert.equal(creation.step, 'code');
  assert.deepEqual(creation.blocks, SPEC_CODE.split('-'));
  assert.deepEqual(
    fake.callsOf('keys.setupMessage.create').map((c) => c.passphrase),
    [null, 'nope', PASS],
  );
  assert.ok(fake.callsOf('keys.setupMessage.create').every((c) => c.fingerprint === ALICE.fingerprint));
  creation.close();
  assert.deepEqual([creation.step, creation.code, creation.blocks, creation.key], ['idle', null, [], null], 'the code is forgotten');

  // The save dialog cancelled: nothing shown.
  saved = false;
  await creation.start(ALICE);
  creation.passphrase = PASS;
  await creation.submitPassphrase();
  assert.deepEqual([creation.step, creation.code], ['idle', null]);

  // Another failure is shown as what it is; closing forgets it.
  const broken = new SetupMessageCreation(
    fakeBridge({
      'keys.setupMessage.create': () => {
        throw fail('dialog-unavailable', 'There is no save dialog here to save the file with');
      },
    }).bridge,
  );
  await broken.start(ALICE);
  assert.equal(broken.step, 'error');
  assert.equal(broken.error?.code, 'dialog-unavailable');
  broken.close();
  assert.equal(broken.error, null);
});

test('KeysState: a setup message imported through the real dispatcher and keyring selects the key, now the user own and verified', async () => {
  const { KeysState } = await lib;
  const keyring = startKeyringWorker(join(scratch, 'home'));
  try {
    const saved: string[] = [];
    const dialogs = {
      saveFile: async (name: string) => {
        saved.push(name);
        return false; // the user cancels the save dialog
      },
    };
    const dispatch = createDispatcher({ keyring: keyring.client, dialogs, emit: () => {} });
    const bridge = {
      call: (procedure: string, input: unknown) => dispatch(procedure, input),
      on: () => () => {},
    } as unknown as SealpostBridge;
    const state = new KeysState(bridge);
    await state.refresh();
    const imp = state.setupImport;

    // A mail that is not to oneself: refused by main with its registry code, nothing imported.
    const notToSelf = Buffer.from(SPEC.toString('latin1').replace(/^From: .*$/m, 'From: mallory@example.org'), 'latin1');
    await imp.chooseFile(new File([notToSelf], 'forwarded.eml'));
    imp.paste(0, SPEC_CODE);
    assert.equal(await state.importSetupMessage(), false);
    assert.equal(imp.error?.code, 'setup-message-invalid');
    assert.equal(imp.error?.code === 'setup-message-invalid' && imp.error.details.reason, 'not-to-self');
    assert.deepEqual(state.keys, []);

    await imp.chooseFile(new File([SPEC], 'setup.eml'));
    imp.paste(0, SPEC_CODE.replace(/7$/, '8'));
    assert.equal(await state.importSetupMessage(), false);
    assert.equal(imp.error?.code, 'crypto-wrong-password');

    imp.paste(0, SPEC_CODE);
    imp.passphrase = imp.repeat = 'device two passphrase';
    assert.equal(await state.importSetupMessage(), true, errorOf(imp)?.summary);
    assert.equal(state.selected, SPEC_FPR);
    assert.deepEqual(
      state.ownKeys.map((k) => [k.fingerprint, k.trust, k.sources]),
      [[SPEC_FPR, 'verified', ['setup-message']]],
    );
    assert.deepEqual(state.notice, {
      kind: 'ok',
      text: 'Imported your key alice@autocrypt.example from the setup message: it is now your own key, used to sign and to read mail encrypted to you.',
    });
    assert.equal(imp.file, null, 'the form is reset');
    assert.equal(state.busy, null);

    // The key is protected with the new passphrase: making a setup message asks for it.
    await state.setupCreation.start(state.ownKeys[0]!);
    assert.equal(state.setupCreation.step, 'passphrase');
    assert.deepEqual(saved, [], 'no save dialog before the key is unlocked');
    state.setupCreation.passphrase = 'device two passphrase';
    await state.setupCreation.submitPassphrase();
    assert.deepEqual(saved, ['autocrypt-setup-message.eml']);
    assert.deepEqual([state.setupCreation.step, state.setupCreation.code], ['idle', null], 'dialog cancelled: nothing shown');
  } finally {
    await keyring.close();
  }
});
