/**
 * Resuming a draft (AppState.resumeDraft in renderer/src/lib/app.svelte.ts):
 * an encrypted draft whose key is locked asks for that key's passphrase
 * (session.unlock, the user's secret keys for the draft's account address),
 * then opens in the composer; a wrong passphrase says so and lets the user
 * try again; Cancel opens nothing.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fakeBridge, loadLib, until, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

const ALICE = {
  id: 'a1',
  email: 'alice@example.org',
  displayName: 'Alice Example',
  imap: 'imaps://imap.example.org:993',
  smtp: 'smtps://smtp.example.org:465',
  user: 'alice',
  customCa: false,
  passwordSource: 'stored' as const,
};
const WORK = { ...ALICE, id: 'a2', email: 'alice@work.example', user: 'alice.work' };
const OLD_FPR = '1111222233334444555566667777888899990000';
const NEW_FPR = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333';
const WORK_FPR = '9999888877776666555544443333222211110000';
const PUBLIC_FPR = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

function key(fingerprint: string, userId: string, email: string, hasSecret: boolean) {
  return {
    fingerprint,
    keyId: fingerprint.slice(-16),
    userIds: [userId],
    emails: [email],
    hasSecret,
    algorithm: 'ed25519',
    version: 4,
    created: '2026-01-01T00:00:00.000Z',
    expires: null,
    revoked: false,
    canEncrypt: true,
    canSign: true,
    trust: 'unverified',
    sources: ['file'],
  };
}

const KEYS = [
  key(OLD_FPR, 'Alice (old) <alice@example.org>', 'alice@example.org', true),
  key(NEW_FPR, 'Alice Example <alice@example.org>', 'alice@example.org', true),
  key(WORK_FPR, 'Alice at work <alice@work.example>', 'alice@work.example', true),
  key(PUBLIC_FPR, 'Alice (public only) <alice@example.org>', 'alice@example.org', false),
];

const summary = (id: number, accountId: string) => ({ id, accountId, encrypted: true, revision: 2, updatedAt: 1000 + id, unsaved: false });

/**
 * Draft 7 (account a1) is encrypted to NEW_FPR, draft 8 (account a2) to a key
 * the user does not hold: drafts.load answers key-passphrase-required until
 * session.unlock got the right passphrase for the draft's key.
 */
function draftsBridge() {
  const unlocked = new Set<string>();
  const fake = fakeBridge({
    'settings.get': () => lib.DEFAULT_SETTINGS,
    'accounts.list': () => [ALICE, WORK],
    'keys.list': () => KEYS,
    'mail.folders': () => [],
    'outbox.list': () => [],
    'drafts.list': ({ accountId }: { accountId: string }) => (accountId === 'a1' ? [summary(7, 'a1')] : [summary(8, 'a2')]),
    'compose.recipients': ({ addresses }: { addresses: string[] }) =>
      addresses.map((address) => ({
        address,
        state: 'verified',
        fingerprint: null,
        userId: null,
        sources: [],
        recommendation: 'available',
        peerMutual: false,
      })),
    'drafts.save': (input: { id: number; accountId: string }) => summary(input.id, input.accountId),
    'session.unlock': ({ fingerprint, passphrase }: { fingerprint: string; passphrase: string }) => {
      if (passphrase !== 'right') throw { code: 'key-wrong-passphrase', message: 'Wrong passphrase' };
      unlocked.add(fingerprint);
      return { expiresAt: 1 };
    },
    'drafts.load': ({ id }: { id: number }) => {
      if (id !== 7 || !unlocked.has(NEW_FPR))
        throw {
          code: 'key-passphrase-required',
          message: 'the draft is encrypted to a locked key; give its passphrase',
          details: { fingerprints: [] },
        };
      return {
        summary: summary(7, 'a1'),
        draft: {
          from: { name: 'Alice Example', address: 'alice@example.org' },
          to: [{ name: 'Bob', address: 'bob@example.org' }],
          cc: [],
          bcc: [],
          subject: 'The plan',
          text: 'Secret plan.',
          attachments: [{ filename: 'plan.txt', contentType: 'text/plain', content: new Uint8Array([1, 2]) }],
        },
      };
    },
  });
  return { fake, unlocked };
}

async function started() {
  const { fake, unlocked } = draftsBridge();
  const app = new lib.AppState(fake.bridge);
  await app.start();
  await until(() => app.keys.loaded, 'keys loaded');
  assert.equal(app.screen, 'mail');
  return { app, fake, unlocked };
}

test('a locked encrypted draft asks for the passphrase of a key for its address; a wrong one says so, the right one opens the draft', async () => {
  const { app, fake } = await started();
  assert.equal(await app.resumeDraft(7), null);
  assert.equal(app.composer, null);
  assert.equal(app.mail.error, null, 'a prompt, not an error');
  const pending = app.draftUnlock!;
  assert.equal(pending.id, 7);
  // Both secret keys for alice@example.org, for the user to pick from; not the other account's, nor a public key.
  assert.deepEqual(pending.prompt.candidates, [
    { fingerprint: OLD_FPR, label: `Alice (old) <alice@example.org> (${OLD_FPR.slice(-16)})` },
    { fingerprint: NEW_FPR, label: `Alice Example <alice@example.org> (${NEW_FPR.slice(-16)})` },
  ]);
  assert.equal(pending.prompt.fingerprint, OLD_FPR);

  pending.prompt.fingerprint = NEW_FPR;
  pending.prompt.passphrase = 'wrong';
  assert.equal(await app.unlockDraft(), null);
  assert.equal(app.draftUnlock, pending, 'the prompt stays open to try again');
  assert.equal(pending.prompt.error!.summary, 'Wrong passphrase. Try again.');
  assert.equal(pending.prompt.passphrase, '', 'the passphrase is not kept');
  assert.equal(app.composer, null);

  pending.prompt.passphrase = 'right';
  const composer = await app.unlockDraft();
  assert.ok(composer);
  assert.equal(app.composer, composer);
  assert.equal(app.draftUnlock, null);
  assert.equal(pending.prompt.passphrase, '');
  assert.deepEqual(fake.callsOf('session.unlock'), [
    { fingerprint: NEW_FPR, passphrase: 'wrong' },
    { fingerprint: NEW_FPR, passphrase: 'right' },
  ]);
  assert.equal(composer.draftId, 7);
  assert.equal(composer.accountId, 'a1');
  assert.equal(composer.subject, 'The plan');
  assert.equal(composer.body, 'Secret plan.');
  assert.equal(composer.encrypt, true, 'an encrypted draft stays encrypted');
  assert.deepEqual(
    composer.attachments.map((a) => a.filename),
    ['plan.txt'],
  );
  assert.equal(fake.callsOf('drafts.load').length, 2, 'loaded again only once the key was unlocked');
  composer.stopAutosave();
  app.stop();
});

test('the wrong key of several: the draft is still locked, said in the prompt; then the right key opens it', async () => {
  const { app, unlocked } = await started();
  await app.resumeDraft(7);
  const pending = app.draftUnlock!;
  pending.prompt.passphrase = 'right'; // for OLD_FPR, the first offered
  assert.equal(await app.unlockDraft(), null);
  assert.ok(unlocked.has(OLD_FPR));
  assert.equal(app.draftUnlock, pending);
  assert.match(pending.prompt.error!.summary, /still locked/);
  pending.prompt.fingerprint = NEW_FPR;
  pending.prompt.passphrase = 'right';
  const composer = await app.unlockDraft();
  assert.equal(composer?.subject, 'The plan');
  composer.stopAutosave();
  app.stop();
});

test('Cancel (or Escape) opens nothing, even while the key is being unlocked', async () => {
  const { app, fake } = await started();
  await app.resumeDraft(7);
  app.draftUnlock!.prompt.passphrase = 'typed';
  const prompt = app.draftUnlock!.prompt;
  app.cancelDraftUnlock();
  assert.equal(app.draftUnlock, null);
  assert.equal(prompt.passphrase, '', 'what was typed is dropped');
  assert.equal(app.composer, null);
  assert.equal(fake.callsOf('session.unlock').length, 0);

  await app.resumeDraft(7);
  assert.equal(await app.shortcut('close'), true);
  assert.equal(app.draftUnlock, null);

  await app.resumeDraft(7);
  app.draftUnlock!.prompt.fingerprint = NEW_FPR;
  app.draftUnlock!.prompt.passphrase = 'right';
  const unlocking = app.unlockDraft();
  app.cancelDraftUnlock();
  assert.equal(await unlocking, null);
  assert.equal(app.composer, null);
  assert.equal(app.draftUnlock, null);
  app.stop();
});

test("the keys offered are the draft account's; with no secret key for its address, the error is shown as before", async () => {
  const { app } = await started();
  // Draft 8 is the other account's: that account's key is offered.
  await app.resumeDraft(8);
  assert.deepEqual(
    app.draftUnlock!.prompt.candidates.map((c) => c.fingerprint),
    [WORK_FPR],
  );
  app.cancelDraftUnlock();
  // No secret key at all for the address: nothing to unlock, the error is shown.
  app.accounts.accounts = [ALICE, { ...WORK, email: 'nobody@work.example' }];
  assert.equal(await app.resumeDraft(8), null);
  assert.equal(app.draftUnlock, null);
  assert.equal(app.mail.error!.code, 'key-passphrase-required');
  app.stop();
});
