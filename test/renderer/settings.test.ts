/**
 * Settings, accounts and first run (renderer/src/lib/settings.svelte.ts,
 * accounts.svelte.ts, setup.svelte.ts), and the shortcut table.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../app/mail.ts';
import { fakeBridge, loadLib, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

const ACCOUNT = {
  id: 'a1',
  email: 'alice@example.org',
  displayName: 'Alice',
  imap: 'imaps://imap.example.org:993',
  smtp: 'smtps://smtp.example.org:465',
  user: 'alice',
  customCa: false,
  passwordSource: 'stored' as const,
};

test('settings defaults are main\u2019s defaults; shown before main answers, replaced by its answer', async () => {
  assert.deepEqual({ ...lib.DEFAULT_SETTINGS }, DEFAULT_SETTINGS);
  const fake = fakeBridge({ 'settings.get': () => ({ ...DEFAULT_SETTINGS, theme: 'dark', remoteContent: 'never' }) });
  const s = new lib.SettingsState(fake.bridge);
  assert.equal(s.settings.encrypt, 'when-possible');
  assert.equal(s.settings.sign, true);
  assert.equal(s.settings.unlockMinutes, 30);
  assert.equal(s.settings.remoteContent, 'ask');
  assert.equal(s.settings.theme, 'system');
  assert.equal(s.settings.notifications, true);
  assert.equal(await s.load(), true);
  assert.equal(s.settings.theme, 'dark');
  assert.equal(s.settings.remoteContent, 'never');
});

test('a setting is shown at once, saved by main, and put back when main refuses', async () => {
  let refuse = false;
  const stored = { ...DEFAULT_SETTINGS };
  const fake = fakeBridge({
    'settings.get': () => stored,
    'settings.set': (p: object) => {
      if (refuse) throw { code: 'io', message: 'A file could not be read or written' };
      return Object.assign(stored, p);
    },
  });
  const s = new lib.SettingsState(fake.bridge);
  await s.load();
  assert.equal(await s.set('encrypt', 'always'), true);
  assert.deepEqual(fake.callsOf('settings.set'), [{ encrypt: 'always' }]);
  assert.equal(s.notice, 'Saved.');
  refuse = true;
  const saving = s.set('theme', 'dark');
  assert.equal(s.settings.theme, 'dark', 'shown before main answers');
  assert.equal(await saving, false);
  assert.equal(s.settings.theme, 'system', 'put back');
  assert.equal(s.error!.code, 'io');
  assert.equal(await s.set('theme', 'system'), true, 'no change, nothing sent');
  assert.equal(fake.callsOf('settings.set').length, 2);
});

test('theme: the choice, or the system\u2019s for "system"', () => {
  assert.equal(lib.effectiveTheme('system', true), 'dark');
  assert.equal(lib.effectiveTheme('system', false), 'light');
  assert.equal(lib.effectiveTheme('light', true), 'light');
  assert.equal(lib.effectiveTheme('dark', false), 'dark');
});

test('account form: servers guessed from the address, never over what the user typed; errors explained', async () => {
  const fake = fakeBridge({
    'accounts.guess': ({ email }: { email: string }) => ({
      imap: `imaps://imap.${email.split('@')[1]}:993`,
      smtp: `smtps://smtp.${email.split('@')[1]}:465`,
      user: email,
      known: true,
    }),
    'accounts.add': () => {
      throw { code: 'network-tls', message: "The server's TLS certificate was refused: self-signed certificate in certificate chain" };
    },
  });
  const form = new lib.AccountForm();
  assert.match(form.problem!, /e-mail address/);
  form.email = 'alice@example.org';
  form.smtp = 'smtp://mail.example.org:587';
  form.edited('smtp');
  await form.guess(fake.bridge);
  assert.equal(form.imap, 'imaps://imap.example.org:993');
  assert.equal(form.smtp, 'smtp://mail.example.org:587', 'typed by the user: kept');
  assert.equal(form.user, 'alice@example.org');
  assert.equal(form.guessKnown, true);
  await form.guess(fake.bridge);
  assert.equal(fake.callsOf('accounts.guess').length, 1, 'once per address');
  assert.match(form.problem!, /password/);
  form.password = 'secret';
  form.caPem = 'not a pem';
  assert.match(form.problem!, /PEM/);
  form.caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  assert.equal(form.problem, null);

  const accounts = new lib.AccountsState(fake.bridge);
  assert.equal(await accounts.add(form), null);
  assert.match(accounts.error!.summary, /certificate was refused.*paste that CA certificate/);
  assert.match(accounts.error!.detail, /self-signed certificate in certificate chain \(network-tls\)/);
  assert.equal(form.showServer, true, 'the CA field is shown');
  const sent = fake.callsOf('accounts.add')[0];
  assert.deepEqual(sent, {
    email: 'alice@example.org',
    imap: 'imaps://imap.example.org:993',
    smtp: 'smtp://mail.example.org:587',
    user: 'alice@example.org',
    password: 'secret',
    caPem: form.caPem.trim(),
  });
});

test('account edit sends only what changed; remove asks again when unsent mail remains', async () => {
  const unsent = true;
  const fake = fakeBridge({
    'accounts.list': () => [ACCOUNT],
    'accounts.update': (p: { id: string }) => ({ ...ACCOUNT, ...p }),
    'accounts.remove': ({ force }: { force: boolean }) => {
      if (unsent && !force)
        throw {
          code: 'account-has-unsent',
          message: 'The account has mail that was not sent or saved yet',
          details: { outbox: 1, drafts: 0 },
        };
      return {};
    },
  });
  const accounts = new lib.AccountsState(fake.bridge);
  await accounts.load();
  const form = new lib.AccountForm(ACCOUNT);
  assert.equal(form.problem, null, 'the password may stay empty');
  form.displayName = 'Alice E.';
  await accounts.update(form);
  assert.deepEqual(fake.callsOf('accounts.update'), [{ id: 'a1', displayName: 'Alice E.' }]);
  assert.equal(accounts.accounts[0]!.displayName, 'Alice E.');
  assert.equal(await accounts.remove('a1'), 'needs-force');
  assert.equal(accounts.accounts.length, 1);
  assert.equal(await accounts.remove('a1', true), 'removed');
  assert.deepEqual(fake.callsOf('accounts.remove').at(-1), { id: 'a1', force: true });
  assert.equal(accounts.accounts.length, 0);
});

test('first run: account, then no key for the address: import, a public key only is refused with advice, then the passphrase check', async () => {
  const secretKey = {
    fingerprint: 'A'.repeat(40),
    keyId: 'A'.repeat(16),
    userIds: ['Alice <alice@example.org>'],
    emails: ['alice@example.org'],
    hasSecret: true,
  };
  const publicKey = {
    ...secretKey,
    fingerprint: 'B'.repeat(40),
    userIds: ['Bob <bob@example.org>'],
    emails: ['bob@example.org'],
    hasSecret: false,
  };
  let keys: object[] = [];
  const fake = fakeBridge({
    'accounts.add': () => ACCOUNT,
    'keys.list': () => keys,
    'keys.import': ({ data }: { data: Uint8Array }) => {
      const k = new TextDecoder().decode(data).includes('PRIVATE') ? secretKey : publicKey;
      keys = [...keys, k];
      return { changed: [k], problems: [] };
    },
    'session.unlock': ({ passphrase }: { passphrase: string }) => {
      if (passphrase !== 'right') throw { code: 'key-wrong-passphrase', message: 'Wrong passphrase' };
      return { expiresAt: 1 };
    },
  });
  const accounts = new lib.AccountsState(fake.bridge);
  const keysState = new lib.KeysState(fake.bridge);
  const setup = new lib.FirstRunState(fake.bridge, accounts, keysState);
  Object.assign(setup.form, { email: 'alice@example.org', password: 'pw', imap: 'imaps://x:993', smtp: 'smtps://x:465', user: 'alice' });
  assert.equal(await setup.connect(), true);
  assert.equal(setup.step, 'key');
  assert.equal(keysState.form.email, 'alice@example.org', 'the generate form is filled in');

  setup.pasted = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
  assert.equal(await setup.importPasted(), false);
  assert.match(setup.keyProblem!, /no secret key, only public keys.*gpg --export-secret-keys --armor alice@example.org/);
  assert.equal(setup.step, 'key');

  assert.equal(await setup.importFile(new File(['-----BEGIN PGP PRIVATE KEY BLOCK-----'], 'alice.asc')), true);
  assert.equal(setup.step, 'unlock');
  setup.passphrase = 'wrong';
  assert.equal(await setup.checkPassphrase(), false);
  assert.equal(setup.unlockError!.code, 'key-wrong-passphrase');
  setup.passphrase = 'right';
  assert.equal(await setup.checkPassphrase(), true);
  assert.equal(setup.step, 'done');
  assert.deepEqual(fake.callsOf('session.unlock').at(-1), { fingerprint: secretKey.fingerprint, passphrase: 'right' });
});

test('first run: an address that already has a secret key skips the key step; a generated key goes to the backup', async () => {
  const own = {
    fingerprint: 'C'.repeat(40),
    keyId: 'C'.repeat(16),
    userIds: ['Alice <alice@example.org>'],
    emails: ['Alice@Example.org'],
    hasSecret: true,
  };
  const fake = fakeBridge({ 'accounts.add': () => ACCOUNT, 'keys.list': () => [own] });
  const setup = new lib.FirstRunState(fake.bridge, new lib.AccountsState(fake.bridge), new lib.KeysState(fake.bridge));
  Object.assign(setup.form, { email: 'alice@example.org', password: 'pw', imap: 'i', smtp: 's', user: 'u' });
  await setup.connect();
  assert.equal(setup.step, 'done');

  const made = { ...own, fingerprint: 'D'.repeat(40) };
  let available = false;
  const fake2 = fakeBridge({
    'accounts.add': () => ACCOUNT,
    'keys.list': () => [],
    'keys.generate': () => made,
    'keys.backup': () => ({ saved: true }),
    'keys.saveRevocation': () => ({ saved: available, available }),
  });
  const keys2 = new lib.KeysState(fake2.bridge);
  const setup2 = new lib.FirstRunState(fake2.bridge, new lib.AccountsState(fake2.bridge), keys2);
  Object.assign(setup2.form, { email: 'alice@example.org', displayName: 'Alice', password: 'pw', imap: 'i', smtp: 's', user: 'u' });
  await setup2.connect();
  assert.equal(keys2.form.name, 'Alice');
  Object.assign(keys2.form, { passphrase: 'long enough phrase', repeat: 'long enough phrase' });
  assert.equal(await setup2.generate(), true);
  assert.equal(setup2.step, 'backup');
  assert.equal(await setup2.backup(), true);
  assert.deepEqual(fake2.callsOf('keys.backup'), [{ fingerprint: made.fingerprint }]);
  assert.equal(setup2.backedUp, true);
  // The revocation certificate is saved apart (a backup holding it would revoke the key on import).
  assert.equal(await setup2.saveRevocation(), false);
  assert.match(keys2.notice!.text, /no revocation certificate for this key/);
  available = true;
  assert.equal(await setup2.saveRevocation(), true);
  assert.deepEqual(fake2.callsOf('keys.saveRevocation').at(-1), { fingerprint: made.fingerprint });
  assert.equal(setup2.revocationSaved, true);
});

test('shortcuts: letters only outside fields, two-key "g" sequences, Ctrl+Enter anywhere, and every action in the help table', () => {
  const r = new lib.ShortcutReader();
  const key = (k: string, more: Partial<{ ctrlKey: boolean; editing: boolean }> = {}) =>
    r.read({ key: k, ctrlKey: false, metaKey: false, altKey: false, editing: false, ...more });
  assert.equal(key('c'), 'compose');
  assert.equal(key('r'), 'reply');
  assert.equal(key('a'), 'reply-all');
  assert.equal(key('f'), 'forward');
  assert.equal(key('Delete'), 'trash');
  assert.equal(key('e'), 'archive');
  assert.equal(key('u'), 'toggle-read');
  assert.equal(key('s'), 'toggle-flag');
  assert.equal(key('j'), 'next');
  assert.equal(key('k'), 'previous');
  assert.equal(key('?'), 'help');
  assert.equal(key('Escape'), 'close');
  assert.equal(key('c', { editing: true }), null, 'typing a "c" in a field');
  assert.equal(key('Enter', { ctrlKey: true, editing: true }), 'send');
  assert.equal(key('c', { ctrlKey: true }), null, 'Ctrl+C is copy');
  assert.equal(key('g'), null);
  assert.equal(key('k'), 'go-keys');
  assert.equal(key('g'), null);
  assert.equal(key('x'), null);
  assert.equal(key('k'), 'previous', 'the sequence is over');
  const listed = new Set(lib.SHORTCUTS.map((s) => s.action));
  for (const action of [
    'compose',
    'reply',
    'reply-all',
    'forward',
    'trash',
    'archive',
    'toggle-read',
    'toggle-flag',
    'next',
    'previous',
    'send',
    'close',
    'help',
  ])
    assert.ok(listed.has(action as never), action);
});

test('errors: advice for the user, the registry text and code behind it', () => {
  const e = lib.uiError({
    code: 'network-auth-failed',
    message: 'The server refused the user name or password',
    retryable: false,
    details: {},
  });
  assert.match(e.summary, /app password/);
  assert.equal(e.detail, 'The server refused the user name or password (network-auth-failed)');
  const unknown = lib.uiError({ code: 'store-corrupt', message: 'The mail store is damaged', retryable: false, details: {} });
  assert.equal(unknown.summary, 'The mail store is damaged.');
});
