/**
 * The composer (renderer/src/lib/composer.svelte.ts) and what seeds it
 * (reply.ts, addresses.ts): the encryption decision, the no-key prompt
 * (never in the clear silently), drafts, reply quoting and mailto prefill.
 */
import { test, before, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings } from '../../app/mail.ts';
import { fakeBridge, loadLib, sampleReport, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

const ACCOUNT = {
  id: 'a1',
  email: 'alice@example.org',
  displayName: 'Alice Example',
  imap: 'imaps://imap.example.org:993',
  smtp: 'smtps://smtp.example.org:465',
  user: 'alice',
  customCa: false,
  passwordSource: 'stored' as const,
};

function settings(over: Partial<Settings> = {}): Settings {
  return { ...lib.DEFAULT_SETTINGS, ...over };
}

/** Key states by address for compose.recipients; everything else answers plainly. */
function composerBridge(keys: Record<string, string>, extra: Record<string, (input: any) => unknown> = {}) {
  let draftId = 0;
  return fakeBridge({
    'compose.recipients': ({ addresses }: { addresses: string[] }) =>
      addresses.map((address) => ({
        address,
        state: keys[address.toLowerCase()] ?? 'missing',
        fingerprint: null,
        userId: null,
        sources: [],
        recommendation: 'available',
        peerMutual: false,
      })),
    'drafts.save': (input: { id?: number }) => ({
      id: input.id ?? ++draftId,
      accountId: 'a1',
      encrypted: false,
      revision: 1,
      updatedAt: 1000,
      unsaved: false,
    }),
    'drafts.delete': () => ({}),
    // The lookup as a recipient is added: offline, unless a test says otherwise.
    'keys.lookup': () => ({ found: [], imported: [], offline: true, disagreement: null }),
    'mail.send': () => ({
      id: 9,
      accountId: 'a1',
      messageId: '<x@example.org>',
      to: [],
      state: 'queued',
      attempts: 0,
      lastError: null,
      nextAttemptAt: 0,
      createdAt: 0,
      sentAt: null,
    }),
    ...extra,
  });
}

function newComposer(fake: ReturnType<typeof fakeBridge>, s: Settings = settings(), seed?: ReturnType<Lib['replySeed']>) {
  return new lib.ComposerState(
    fake.bridge,
    { accounts: () => [ACCOUNT], settings: () => s },
    { accountId: 'a1', ...(seed ? { seed } : {}) },
  );
}

test('encryption default: when possible (every recipient has a usable key), always, never; a reply to encrypted mail is encrypted', () => {
  const { encryptionDefault } = lib;
  assert.equal(encryptionDefault('when-possible', ['verified', 'unverified'], false), true);
  assert.equal(encryptionDefault('when-possible', ['verified', 'missing'], false), false);
  assert.equal(encryptionDefault('when-possible', ['verified', 'checking'], false), false);
  assert.equal(encryptionDefault('when-possible', ['expired'], false), false);
  assert.equal(encryptionDefault('when-possible', ['rejected'], false), false);
  assert.equal(
    encryptionDefault('when-possible', ['verified', 'changed'], false),
    true,
    'a key change is decided at Send, not by sending in the clear',
  );
  assert.equal(encryptionDefault('when-possible', [], false), false, 'no recipient yet: nothing to encrypt to');
  assert.equal(encryptionDefault('always', ['missing'], false), true);
  assert.equal(encryptionDefault('never', ['verified'], false), false);
  assert.equal(encryptionDefault('never', ['missing'], true), true, 'reply to encrypted mail');
  // Autocrypt Level 1's recommendation: discourage keeps a "when possible" message in the clear by default.
  assert.equal(encryptionDefault('when-possible', ['unverified', 'verified'], false, ['discourage', 'available']), false);
  assert.equal(encryptionDefault('when-possible', ['unverified', 'verified'], false, ['available', 'encrypt']), true);
  assert.equal(encryptionDefault('when-possible', ['unverified'], true, ['discourage']), true, 'a reply to encrypted mail is encrypted');
  assert.equal(encryptionDefault('always', ['unverified'], false, ['discourage']), true);
});

test('send plan: encryption on with a recipient without a usable key asks; off sends; bad addresses are refused', () => {
  const { sendPlan } = lib;
  assert.deepEqual(sendPlan(true, []), { kind: 'invalid', problem: 'Add at least one recipient.' });
  assert.equal(sendPlan(true, [{ address: 'bob', state: 'invalid' }]).kind, 'invalid');
  assert.deepEqual(sendPlan(true, [{ address: 'b@x.org', state: 'verified' }]), { kind: 'send', encrypt: true });
  assert.deepEqual(sendPlan(false, [{ address: 'b@x.org', state: 'missing' }]), { kind: 'send', encrypt: false });
  for (const state of ['missing', 'rejected', 'expired', 'revoked', 'unusable', 'checking'] as const) {
    const plan = sendPlan(true, [
      { address: 'b@x.org', state: 'unverified' },
      { address: 'c@x.org', state },
    ]);
    assert.deepEqual(plan, { kind: 'no-key', missing: [{ address: 'c@x.org', state }] }, state);
  }
});

test('the toggle follows the recipients until the user switches it; chips carry the key state', async () => {
  const fake = composerBridge({ 'bob@example.org': 'verified', 'carol@example.org': 'missing' });
  const c = newComposer(fake);
  c.to.text = 'Bob <bob@example.org>';
  await c.commitAll();
  assert.equal(c.to.chips.length, 1);
  assert.equal(c.chipState(c.to.chips[0]!), 'verified');
  assert.equal(c.encrypt, true);
  c.to.add('carol@example.org, "Smith, Dan" <dan@example.org>; not an address');
  assert.equal(c.chipState(c.to.chips[1]!), 'checking', 'until main answered');
  assert.equal(c.encrypt, true, 'a recipient being checked does not switch encryption off');
  await c.refreshKeys();
  await c.lookupsSettled(); // carol and dan are looked up online, and nothing is found
  assert.deepEqual(
    c.to.chips.map((ch) => [ch.name, ch.address, c.chipState(ch)]),
    [
      ['Bob', 'bob@example.org', 'verified'],
      ['', 'carol@example.org', 'missing'],
      ['Smith, Dan', 'dan@example.org', 'missing'],
      ['', 'not an address', 'invalid'],
    ],
  );
  assert.equal(c.encrypt, true, 'encryption was on: recipients without a key do not turn it off, they are marked');
  assert.deepEqual(
    c.withoutKey.map((r) => r.address),
    ['carol@example.org', 'dan@example.org'],
  );
  assert.deepEqual(
    lib.sendPlan(
      c.encrypt,
      c.recipients.filter((r) => r.state !== 'invalid'),
    ),
    {
      kind: 'no-key',
      missing: [
        { address: 'carol@example.org', state: 'missing' },
        { address: 'dan@example.org', state: 'missing' },
      ],
    },
  );
  c.to.remove(3);
  c.to.remove(2);
  c.to.remove(1);
  assert.equal(c.encrypt, true);
  c.setEncrypt(false);
  c.to.add('carol@example.org');
  c.to.remove(1);
  assert.equal(c.encrypt, false, 'the user\u2019s choice sticks');
  assert.equal(c.sign, true, 'signing follows the settings');
});

test('when possible: a keyless first recipient leaves encryption off; once it was on, only the user turns it off', async () => {
  const fake = composerBridge({ 'bob@example.org': 'verified', 'carol@example.org': 'missing' });
  const c = newComposer(fake);
  c.to.add('carol@example.org');
  await c.refreshKeys();
  assert.equal(c.encrypt, false, 'never on: nothing to keep');
  c.to.add('bob@example.org');
  await c.refreshKeys();
  assert.equal(c.encrypt, false, 'carol still has no key');
  c.to.remove(0);
  assert.equal(c.encrypt, true, 'every recipient has a key now');
  c.to.add('carol@example.org');
  assert.equal(c.encrypt, true, 'kept on');
  assert.deepEqual(
    c.withoutKey.map((r) => r.address),
    ['carol@example.org'],
  );
  c.setEncrypt(false);
  assert.equal(c.encrypt, false);
  c.setEncrypt(true);
  assert.equal(c.encrypt, true);
});

test('no-key prompt, "remove": the keyless recipients leave To, Cc and Bcc, the message stays encrypted, nothing is sent yet', async () => {
  const fake = composerBridge({ 'bob@example.org': 'verified', 'carol@example.org': 'missing', 'dan@example.org': 'expired' });
  const c = newComposer(fake, settings({ encrypt: 'always' }));
  c.to.add('bob@example.org, carol@example.org');
  c.bcc.add('Dan <dan@example.org>');
  await c.refreshKeys();
  assert.equal(await c.send(), 'prompt');
  c.removeKeyless();
  assert.equal(c.prompt, null);
  assert.deepEqual(
    [...c.to.chips, ...c.cc.chips, ...c.bcc.chips].map((ch) => ch.address),
    ['bob@example.org'],
  );
  assert.equal(c.encrypt, true);
  assert.equal(fake.callsOf('mail.send').length, 0, 'the user sees who is left and sends');
  assert.equal(await c.send(), 'sent');
  assert.equal(fake.callsOf('mail.send')[0].encrypt, true);
});

test('encryption on and a recipient without a key: the prompt, never a silent send in the clear', async () => {
  const keys: Record<string, string> = { 'bob@example.org': 'verified', 'carol@example.org': 'missing' };
  const fake = composerBridge(keys, {
    'keys.lookup': ({ email, onAdd }: { email: string; onAdd?: boolean }) => {
      // As the recipient is added the key server is out of reach; from the prompt it answers.
      if (onAdd) return { found: [{ source: 'wkd', keys: [], error: 'unreachable' }], imported: [], offline: true, disagreement: null };
      keys[email] = 'unverified';
      return {
        found: [{ source: 'wkd', keys: [], error: null }],
        imported: [{ fingerprint: 'F'.repeat(40), userIds: [email] }],
        offline: false,
        disagreement: null,
      };
    },
  });
  const c = newComposer(fake, settings({ encrypt: 'always' }));
  c.to.add('bob@example.org, carol@example.org');
  c.subject = 'Plans';
  c.body = 'Hello';
  assert.equal(await c.send(), 'prompt');
  assert.equal(fake.callsOf('mail.send').length, 0, 'nothing sent');
  assert.deepEqual(c.prompt!.missing, [{ address: 'carol@example.org', state: 'missing' }]);

  // Cancel: back to the composer, still nothing sent.
  c.cancelPrompt();
  assert.equal(c.prompt, null);
  assert.equal(fake.callsOf('mail.send').length, 0);

  // Look up keys: found and imported; the prompt offers to send encrypted.
  assert.equal(await c.send(), 'prompt');
  assert.equal(await c.lookUpKeys(), true);
  assert.deepEqual(fake.callsOf('keys.lookup'), [
    { email: 'carol@example.org', import: true, onAdd: true },
    { email: 'carol@example.org', import: true },
  ]);
  assert.equal(c.prompt!.lookup, 'done');
  assert.deepEqual(c.prompt!.missing, []);
  assert.equal(await c.sendEncrypted(), 'sent');
  const sent = fake.callsOf('mail.send');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].encrypt, true);
  assert.equal(sent[0].sign, true);
  assert.deepEqual(sent[0].draft.to, [
    { name: '', address: 'bob@example.org' },
    { name: '', address: 'carol@example.org' },
  ]);
  assert.deepEqual(sent[0].draft.from, { name: 'Alice Example', address: 'alice@example.org' });
});

test('a recipient without a key is looked up as they are added: "looking up" meanwhile, the key found is used, Send waits for it', async () => {
  const keys: Record<string, string> = { 'bob@example.org': 'verified' };
  let answer!: () => void;
  const fake = composerBridge(keys, {
    'keys.lookup': ({ email }: { email: string }) =>
      new Promise((resolve) => {
        answer = () => {
          keys[email] = 'unverified';
          resolve({
            found: [{ source: 'wkd', keys: [], error: null }],
            imported: [{ fingerprint: 'F'.repeat(40), userIds: [email] }],
            offline: false,
            disagreement: null,
          });
        };
      }),
  });
  const c = newComposer(fake, settings());
  c.to.add('bob@example.org');
  await c.refreshKeys();
  assert.equal(c.encrypt, true);
  c.to.add('carol@example.org');
  await c.refreshKeys();
  const carol = c.to.chips[1]!;
  assert.equal(c.chipState(carol), 'looking');
  assert.equal(c.lookupNote(carol), null);
  assert.deepEqual(c.withoutKey, [], 'not yet marked as keyless while looking');
  assert.deepEqual(
    c.lookingUp.map((r) => r.address),
    ['carol@example.org'],
  );
  assert.equal(c.encrypt, true, 'encryption stays on while the key is looked up');
  // Refreshing the key states again does not start a second lookup.
  await c.refreshKeys();
  assert.equal(fake.callsOf('keys.lookup').length, 1);
  assert.deepEqual(fake.callsOf('keys.lookup'), [{ email: 'carol@example.org', import: true, onAdd: true }]);

  c.subject = 'Plans';
  c.body = 'Hello';
  const sending = c.send();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fake.callsOf('mail.send').length, 0, 'Send waits for the lookup');
  assert.equal(c.waitingForLookups, true, 'and says so');
  assert.equal(await c.send(), 'failed', 'a second press does nothing meanwhile');
  answer();
  assert.equal(await sending, 'sent', 'the key found is used: no prompt');
  assert.equal(c.waitingForLookups, false);
  assert.equal(c.chipState(carol), 'unverified');
  assert.equal(fake.callsOf('mail.send')[0].encrypt, true);
  assert.equal(c.error, null);
});

test('a lookup as a recipient is added: offline is quiet, disagreeing sources import nothing, and Send still asks', async () => {
  const answers: Record<string, object> = {
    'dan@example.org': { found: [{ source: 'wkd', keys: [], error: 'unreachable' }], imported: [], offline: true, disagreement: null },
    'erin@example.org': {
      found: [],
      imported: [],
      offline: false,
      disagreement: [
        { fingerprint: 'A'.repeat(40), from: ['wkd'] },
        { fingerprint: 'B'.repeat(40), from: ['vks keys.openpgp.org'] },
      ],
    },
    'fay@example.org': { found: [{ source: 'wkd', keys: [], error: null }], imported: [], offline: false, disagreement: null },
  };
  const fake = composerBridge(
    {},
    {
      'keys.lookup': ({ email }: { email: string }) => {
        if (email === 'gus@example.org') throw { code: 'usage', message: 'not an address' };
        return answers[email];
      },
    },
  );
  const c = newComposer(fake, settings({ encrypt: 'always' }));
  c.to.add('dan@example.org, erin@example.org, fay@example.org, gus@example.org');
  await c.refreshKeys();
  await c.lookupsSettled();
  const notes = Object.fromEntries(c.to.chips.map((chip) => [chip.address, [c.chipState(chip), c.lookupNote(chip)]]));
  assert.deepEqual(notes, {
    'dan@example.org': ['missing', lib.LOOKUP_OUTCOME_TEXT.offline],
    'erin@example.org': ['missing', lib.LOOKUP_OUTCOME_TEXT.disagree],
    'fay@example.org': ['missing', lib.LOOKUP_OUTCOME_TEXT['not-found']],
    'gus@example.org': ['missing', lib.LOOKUP_OUTCOME_TEXT.failed],
  });
  assert.equal(c.error, null, 'no error for a lookup that found nothing');
  assert.equal(c.encrypt, true);
  c.subject = 'x';
  assert.equal(await c.send(), 'prompt');
  assert.equal(fake.callsOf('mail.send').length, 0);
  assert.equal(fake.callsOf('keys.lookup').length, 4, 'one lookup per address');
});

test('"Send unencrypted" is an explicit choice in the prompt; a failed send keeps the composer', async () => {
  let fail = true;
  const fake = composerBridge(
    { 'carol@example.org': 'missing' },
    {
      'mail.send': (input: { encrypt: boolean }) => {
        if (fail) throw { code: 'store-busy', message: 'The mail store is in use by another process' };
        return {
          id: 1,
          accountId: 'a1',
          messageId: null,
          to: [],
          state: 'queued',
          attempts: 0,
          lastError: null,
          nextAttemptAt: 0,
          createdAt: 0,
          sentAt: null,
          _e: input.encrypt,
        };
      },
    },
  );
  const c = newComposer(fake, settings({ encrypt: 'when-possible' }), {
    ...lib.emptySeed(),
    to: [{ name: '', address: 'carol@example.org' }],
    encrypt: true,
  });
  assert.equal(c.replyToEncrypted, true);
  assert.equal(await c.sendUnencrypted(), 'failed', 'only from the prompt');
  assert.equal(await c.send(), 'prompt');
  assert.equal(await c.sendUnencrypted(), 'failed');
  assert.equal(c.error!.summary, 'The mail store is busy. Try again in a moment.');
  assert.equal(c.sent, null);
  fail = false;
  assert.equal(await c.send(), 'sent', 'the user chose unencrypted for this message');
  assert.equal(fake.callsOf('mail.send').at(-1).encrypt, false);
});

test('a locked signing key: its passphrase is asked for, the key unlocked, and the message sent as decided', async () => {
  const FPR = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333';
  let unlocked = false;
  const fake = composerBridge(
    { 'bob@example.org': 'verified' },
    {
      'mail.send': (input: { encrypt: boolean }) => {
        // The key is named in the details only: the message text is for people, the prompt reads the details.
        if (!unlocked)
          throw {
            code: 'key-passphrase-required',
            message: 'A passphrase is needed to unlock the secret key',
            details: { fingerprints: [FPR] },
          };
        return {
          id: 3,
          accountId: 'a1',
          messageId: null,
          to: [],
          state: 'queued',
          attempts: 0,
          lastError: null,
          nextAttemptAt: 0,
          createdAt: 0,
          sentAt: null,
          encrypt: input.encrypt,
        };
      },
      'session.unlock': ({ passphrase }: { passphrase: string }) => {
        if (passphrase !== 'right') throw { code: 'key-wrong-passphrase', message: 'Wrong passphrase' };
        unlocked = true;
        return { expiresAt: 1 };
      },
    },
  );
  const own = [
    {
      fingerprint: FPR,
      keyId: FPR.slice(-16),
      userIds: ['Alice Example <alice@example.org>'],
      emails: ['alice@example.org'],
      hasSecret: true,
    },
    // Another secret key for the same address: only the one the details name is asked for.
    {
      fingerprint: 'C'.repeat(40),
      keyId: 'C'.repeat(16),
      userIds: ['Alice Example <alice@example.org>'],
      emails: ['alice@example.org'],
      hasSecret: true,
    },
  ] as never[];
  const c = new lib.ComposerState(
    fake.bridge,
    { accounts: () => [ACCOUNT], settings: () => settings(), ownKeys: () => own },
    { accountId: 'a1' },
  );
  c.to.add('bob@example.org');
  assert.equal(await c.send(), 'unlock');
  assert.deepEqual(
    c.unlock!.candidates.map((k: { fingerprint: string }) => k.fingerprint),
    [FPR],
  );
  assert.equal(c.unlock!.fingerprint, FPR);
  assert.equal(c.unlock!.label, `Alice Example <alice@example.org> (${FPR.slice(-16)})`);
  assert.equal(c.error, null, 'a prompt, not an error');
  c.unlock!.passphrase = 'wrong';
  assert.equal(await c.unlockAndSend(), 'unlock');
  assert.equal(c.unlock!.error!.code, 'key-wrong-passphrase');
  assert.equal(c.unlock!.passphrase, '');
  c.unlock!.passphrase = 'right';
  assert.equal(await c.unlockAndSend(), 'sent');
  assert.deepEqual(fake.callsOf('session.unlock').at(-1), { fingerprint: FPR, passphrase: 'right' });
  assert.equal(fake.callsOf('mail.send').length, 2);
  assert.equal(fake.callsOf('mail.send').at(-1).encrypt, true);
  assert.equal(c.unlock, null);
});

test('drafts: saved when something changed (encrypted when the message will be), updated in place, deleted after sending', async () => {
  const fake = composerBridge({ 'bob@example.org': 'verified' });
  const c = newComposer(fake);
  await c.saveDraft();
  assert.equal(fake.callsOf('drafts.save').length, 0, 'an untouched composer is no draft');
  c.to.add('bob@example.org');
  await c.refreshKeys();
  c.body = 'first words';
  await c.saveDraft();
  const first = fake.callsOf('drafts.save')[0];
  assert.equal(first.accountId, 'a1');
  assert.equal(first.id, undefined);
  assert.equal(first.encrypt, true, 'the draft is encrypted like the message will be');
  assert.equal(first.draft.text, 'first words');
  assert.equal(c.draftId, 1);
  await c.saveDraft();
  assert.equal(fake.callsOf('drafts.save').length, 1, 'nothing changed since');
  c.body += ' and more';
  await c.saveDraft();
  assert.equal(fake.callsOf('drafts.save')[1].id, 1, 'the same draft, updated');

  assert.equal(await c.send(), 'sent');
  assert.deepEqual(fake.callsOf('drafts.delete'), [{ id: 1 }]);
  assert.equal(c.draftId, null);
});

test('drafts are saved every few seconds while the composer is open', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const fake = composerBridge({});
    const c = newComposer(fake);
    c.startAutosave(3000);
    c.subject = 'typed';
    mock.timers.tick(3000);
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.callsOf('drafts.save').length, 1);
    c.subject = 'typed more';
    mock.timers.tick(3000);
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.callsOf('drafts.save').length, 2);
    c.stopAutosave();
    c.subject = 'after close';
    mock.timers.tick(9000);
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.callsOf('drafts.save').length, 2);
  } finally {
    mock.timers.reset();
  }
});

test('reply quotes only the protected text shown, with the protected subject; encrypted mail gets an encrypted reply', () => {
  const report = sampleReport({
    subject: 'The real subject',
    outerSubject: '...',
    text: 'Line one\n> earlier quote\n\nLine three\n',
    encryption: { status: 'decrypted', integrity: 'aead', recipients: ['ABCD'], protectedHeaders: true, lockedKeys: [] },
    to: [
      { name: 'Alice', address: 'alice@example.org' },
      { name: 'Carol', address: 'carol@example.org' },
    ],
    cc: [
      { name: 'Dan', address: 'dan@example.org' },
      { name: 'Me again', address: 'ALICE@example.org' },
    ],
  });
  const r = lib.replySeed(report, 'reply', 'alice@example.org');
  assert.equal(r.subject, 'Re: The real subject');
  assert.deepEqual(r.to, [{ name: 'Bob Example', address: 'bob@example.org' }]);
  assert.deepEqual(r.cc, []);
  assert.equal(r.encrypt, true);
  assert.equal(r.inReplyTo, '<m1@example.org>');
  assert.deepEqual(r.references, ['<m1@example.org>']);
  assert.match(r.body, /Bob Example <bob@example.org> wrote:\n> Line one\n>> earlier quote\n>\n> Line three\n$/);
  assert.doesNotMatch(r.body, /\.\.\./);

  const all = lib.replySeed(report, 'reply-all', 'alice@example.org');
  assert.deepEqual(
    all.to.map((a) => a.address),
    ['bob@example.org', 'carol@example.org'],
    'not to myself',
  );
  assert.deepEqual(
    all.cc.map((a) => a.address),
    ['dan@example.org'],
  );

  const fwd = lib.replySeed(report, 'forward', 'alice@example.org');
  assert.equal(fwd.subject, 'Fwd: The real subject');
  assert.deepEqual(fwd.to, []);
  assert.equal(fwd.encrypt, true);
  assert.match(fwd.body, /Forwarded message[\s\S]*Subject: The real subject[\s\S]*Line one\n> earlier quote/);

  const plain = lib.replySeed(sampleReport({ subject: 'RE: hello' }), 'reply', 'alice@example.org');
  assert.equal(plain.subject, 'RE: hello', 'no "Re: Re:"');
  assert.equal(plain.encrypt, null, 'plain mail: the settings decide');
});

test('a reply seeds the composer: encryption on by default even where the settings say "never"', async () => {
  const fake = composerBridge({ 'bob@example.org': 'missing' });
  const report = sampleReport({
    encryption: { status: 'decrypted', integrity: 'mdc', recipients: [], protectedHeaders: false, lockedKeys: [] },
  });
  const c = newComposer(fake, settings({ encrypt: 'never' }), lib.replySeed(report, 'reply', 'alice@example.org'));
  await c.refreshKeys();
  assert.equal(c.encrypt, true);
  assert.equal(c.outgoing().inReplyTo, '<m1@example.org>');
  assert.equal(await c.send(), 'prompt', 'no key for Bob: asked, not sent in the clear');
});

test('mailto prefill (compose.open): addresses parsed, bad entries kept for the user, no attachments', () => {
  const { seed, invalid } = lib.mailtoSeed({
    to: ['bob@example.org', 'Carol <carol@example.org>, dan@example.org'],
    cc: ['not-an-address'],
    bcc: ['eve@example.org'],
    subject: 'Hi\r\nBcc: injected@example.org',
    body: 'line 1\r\nline 2',
  });
  assert.deepEqual(seed.to, [
    { name: '', address: 'bob@example.org' },
    { name: 'Carol', address: 'carol@example.org' },
    { name: '', address: 'dan@example.org' },
  ]);
  assert.deepEqual(seed.cc, []);
  assert.deepEqual(seed.bcc, [{ name: '', address: 'eve@example.org' }]);
  assert.deepEqual(invalid, ['not-an-address']);
  assert.equal(seed.subject, 'Hi Bcc: injected@example.org', 'one line');
  assert.equal(seed.body, 'line 1\nline 2');
  assert.equal(seed.encrypt, null);
  assert.ok(!('attachments' in seed));
});

/** A fake main for the whole app with one account and nothing in it yet. */
function appBridge() {
  const fake = composerBridge({});
  fake.handlers['settings.get'] = () => lib.DEFAULT_SETTINGS;
  fake.handlers['accounts.list'] = () => [ACCOUNT];
  fake.handlers['keys.list'] = () => [];
  fake.handlers['mail.folders'] = () => [];
  fake.handlers['outbox.list'] = () => [];
  fake.handlers['mail.sync'] = () => ({ sent: 0, unsent: 0, actionsApplied: 0, folders: [], problems: [] });
  return fake;
}

test('the app opens the composer for compose.open, with bad entries as invalid chips', async () => {
  const fake = appBridge();
  const app = new lib.AppState(fake.bridge);
  await app.start();
  assert.equal(app.screen, 'mail');
  fake.emit('compose.open', { to: ['bob@example.org', 'bad'], cc: [], bcc: [], subject: 'From a link', body: '' });
  assert.ok(app.composer);
  assert.deepEqual(
    app.composer.to.chips.map((c) => [c.address, c.invalid]),
    [
      ['bob@example.org', false],
      ['bad', true],
    ],
  );
  assert.equal(app.composer.subject, 'From a link');
  assert.equal(await app.composer.send(), 'invalid');
  assert.match(app.composer.error!.summary, /"bad"/);
  await app.closeComposer(true);
  app.stop();
});

test('a forward carries the attachments of the message, their bytes from main', async () => {
  const fake = appBridge();
  const attachments = [
    { filename: 'plan.pdf', contentType: 'application/pdf', size: 3, sha256: 'x', protected: true },
    { filename: 'notes.txt', contentType: 'text/plain', size: 2, sha256: 'y', protected: true },
  ];
  fake.handlers['mail.read'] = () => ({ report: sampleReport({ attachments }), html: null });
  fake.handlers['mail.attachment'] = ({ index }: { index: number }) => ({
    filename: attachments[index]!.filename,
    contentType: attachments[index]!.contentType,
    content: new Uint8Array([index, 1, 2].slice(0, attachments[index]!.size)),
  });
  const app = new lib.AppState(fake.bridge);
  await app.start();
  await app.mail.reader.open({
    folderId: 3,
    uid: '9',
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: '',
    date: null,
    flags: [],
    security: 'encrypted',
    size: null,
  });
  const composer = app.reply('forward')!;
  assert.ok(composer);
  await app.forwarding;
  assert.deepEqual(fake.callsOf('mail.attachment'), [
    { folderId: 3, uid: '9', index: 0 },
    { folderId: 3, uid: '9', index: 1 },
  ]);
  assert.deepEqual(
    composer.attachments.map((a: { filename: string; contentType: string; content: Uint8Array }) => [
      a.filename,
      a.contentType,
      [...a.content],
    ]),
    [
      ['plan.pdf', 'application/pdf', [0, 1, 2]],
      ['notes.txt', 'text/plain', [1, 1]],
    ],
  );
  await app.closeComposer(true);
  // A reply carries none.
  const reply = app.reply('reply')!;
  await app.forwarding;
  assert.deepEqual(reply.attachments, []);
  await app.closeComposer(true);
  app.stop();
});

test('a mailto: link that arrives during first run opens the composer once the account is there', async () => {
  const fake = composerBridge({});
  fake.handlers['settings.get'] = () => lib.DEFAULT_SETTINGS;
  let accounts: object[] = [];
  fake.handlers['accounts.list'] = () => accounts;
  fake.handlers['accounts.add'] = () => {
    accounts = [ACCOUNT];
    return ACCOUNT;
  };
  fake.handlers['keys.list'] = () => [];
  fake.handlers['mail.folders'] = () => [];
  fake.handlers['outbox.list'] = () => [];
  fake.handlers['mail.sync'] = () => ({ sent: 0, unsent: 0, actionsApplied: 0, folders: [], problems: [] });
  const app = new lib.AppState(fake.bridge);
  await app.start();
  assert.equal(app.screen, 'first-run');
  fake.emit('compose.open', { to: ['bob@example.org'], cc: [], bcc: [], subject: 'Later', body: '' });
  assert.equal(app.composer, null);
  Object.assign(app.setup!.form, { email: 'alice@example.org', password: 'pw', imap: 'i', smtp: 's', user: 'u' });
  await app.setup!.connect();
  await app.finishSetup();
  assert.equal(app.screen, 'mail');
  const opened = app.composer as { subject: string } | null; // (narrowed to null by the assertion above)
  assert.equal(opened?.subject, 'Later');
  await app.closeComposer(true);
  app.stop();
});

test('address entry: pasted lists, quoted names with commas, mailto:, duplicates', () => {
  assert.deepEqual(lib.splitEntries('"Smith, Dan" <dan@x.org>, bob@x.org;\ncarol@x.org'), [
    '"Smith, Dan" <dan@x.org>',
    'bob@x.org',
    'carol@x.org',
  ]);
  assert.deepEqual(lib.parseEntry('mailto:bob@x.org'), { name: '', address: 'bob@x.org' });
  assert.equal(lib.parseEntry('Bob <bob at x.org>'), null);
  const field = new lib.RecipientField();
  field.add('bob@x.org, BOB@x.org');
  assert.equal(field.chips.length, 1);
  field.text = 'Carol <carol@x.org>';
  field.commit();
  assert.equal(field.text, '');
  field.edit(1);
  assert.equal(field.text, 'Carol <carol@x.org>');
  assert.equal(field.chips.length, 1);
});
