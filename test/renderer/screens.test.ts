/**
 * Every screen, rendered on the server side from prepared state: the test
 * ids the end-to-end tests use, landmarks, a name for every control and
 * button, and no style attribute (the CSP refuses them).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { SealpostBridge } from '../../app/ipc/contract.ts';
import { bundleRenderer, fakeBridge, sampleReport } from '../support/renderer/bundle.ts';

type AnyState = any;
let ssr: {
  render(component: unknown, options: { props: Record<string, unknown> }): { body: string };
  App: unknown;
  AppState: new (bridge: SealpostBridge) => AnyState;
  FirstRunState: new (bridge: SealpostBridge, accounts: AnyState, keys: AnyState) => AnyState;
  ComposerState: new (bridge: SealpostBridge, context: AnyState, options: AnyState) => AnyState;
  securityBanner: (report: AnyState) => AnyState;
};

before(async () => {
  const entry = [
    "export { render } from 'svelte/server';",
    "export { default as App } from './App.svelte';",
    "export { AppState } from './lib/app.svelte.ts';",
    "export { FirstRunState } from './lib/setup.svelte.ts';",
    "export { ComposerState } from './lib/composer.svelte.ts';",
    "export { securityBanner } from './lib/security.ts';",
  ].join('\n');
  ssr = await import((await bundleRenderer({ contents: entry }, 'server')).url);
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
const FOLDERS = [
  { id: 1, accountId: 'a1', path: 'INBOX', role: 'inbox', unread: 2, total: 3, lastSyncAt: null },
  { id: 2, accountId: 'a1', path: 'Trash', role: 'trash', unread: 0, total: 0, lastSyncAt: null },
];

function checkAccessible(body: string, where: string): void {
  assert.doesNotMatch(body, /\sstyle="/, `${where}: a style attribute`);
  for (const m of body.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const [, tag, attrs] = m;
    if (/type="hidden"/.test(attrs!)) continue;
    const id = /\sid="([^"]+)"/.exec(attrs!)?.[1];
    const labelled = /aria-label="[^"]+"/.test(attrs!) || (id !== undefined && body.includes(`for="${id}"`));
    // A control inside a <label>…</label> is named by it.
    const wrapped = body.lastIndexOf('<label', m.index) > body.lastIndexOf('</label>', m.index);
    assert.ok(labelled || wrapped, `${where}: unlabelled ${tag}${attrs}`);
  }
  for (const [button, text] of body.matchAll(/<button\b[^>]*>([\s\S]*?)<\/button>/g)) {
    const visible = text!
      .replace(/<!--.*?-->/g, '')
      .replace(/<svg[\s\S]*?<\/svg>/g, '')
      .replace(/<[^>]+>/g, '')
      .trim();
    assert.ok(/aria-label="[^"]+"/.test(button) || visible.length > 0, `${where}: unnamed button ${button.slice(0, 200)}`);
  }
}

function mailApp() {
  const fake = fakeBridge();
  const app = new ssr.AppState(fake.bridge);
  app.screen = 'mail';
  app.accounts.accounts = [ACCOUNT];
  app.accounts.loaded = true;
  app.mail.folders = { a1: FOLDERS };
  app.mail.accountId = 'a1';
  app.mail.folderId = 1;
  return { app, fake };
}

test('first run: the form and each step, with its test id and step', () => {
  for (const step of ['account', 'key', 'unlock', 'backup']) {
    const fake = fakeBridge();
    const app = new ssr.AppState(fake.bridge);
    app.screen = 'first-run';
    app.setup = new ssr.FirstRunState(fake.bridge, app.accounts, app.keys);
    app.setup.step = step;
    app.setup.account = ACCOUNT;
    const { body } = ssr.render(ssr.App, { props: { app } });
    assert.match(body, new RegExp(`data-testid="first-run" data-step="${step}"`), step);
    checkAccessible(body, `first run, ${step}`);
    if (step === 'account') {
      assert.match(body, /E-mail address/);
      assert.match(body, /Server settings/);
      assert.match(body, />Connect</);
    }
    if (step === 'key') assert.match(body, /Or paste the key text/);
    if (step === 'backup') assert.match(body, /revocation certificate/);
  }
});

test('mail: folders in a nav, list and reader in main, banner and actions', () => {
  const { app } = mailApp();
  const item = {
    folderId: 1,
    uid: '7',
    messageId: null,
    from: { name: 'Bob', address: 'bob@example.org' },
    to: [],
    cc: [],
    subject: '...',
    date: 0,
    flags: [],
    security: 'encrypted',
    size: 10,
  };
  app.mail.reader.message = item;
  app.mail.reader.view = {
    report: sampleReport({
      encryption: { status: 'decrypted', integrity: 'aead', recipients: [], protectedHeaders: true, lockedKeys: [] },
      signature: {
        status: 'valid',
        signer: { fingerprint: '0123456789ABCDEF0123456789ABCDEF01234567', userIds: ['Bob Example <bob@example.org>'] },
        signerMatchesFrom: true,
        created: null,
      },
      attachments: [{ filename: 'a.pdf', contentType: 'application/pdf', size: 2048, sha256: '', protected: true }],
      keys: [{ fingerprint: 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333', source: 'attachment' }],
    }),
    html: '<p>hi</p>',
  };
  const { body } = ssr.render(ssr.App, { props: { app } });
  assert.match(body, /<nav[^>]*aria-label="Folders"[^>]*data-testid="folders"/);
  assert.match(body, /<main[^>]*aria-label="Mail"/);
  assert.match(body, /data-testid="message-list"/);
  assert.match(body, /role="listbox"/);
  assert.match(body, /data-testid="reader"/);
  assert.match(body, /data-testid="security-banner"[^>]*data-tone="secure"|data-tone="secure"[^>]*data-testid="security-banner"/);
  assert.match(body, /role="status"[^>]*aria-labelledby="security-heading"/);
  assert.match(body, /Encrypted and signed/);
  assert.match(body, /0123<\/span><span class="group[^"]*">4567/);
  assert.match(body, /Inbox/);
  assert.match(body, /aria-label="2 unread"/);
  for (const name of ['Reply', 'Reply all', 'Forward', 'Archive', 'Delete', 'Show HTML', 'Save…', 'Import the key'])
    assert.ok(body.includes(`>${name}<`) || body.includes(name), name);
  assert.match(body, /aria-label="Save a.pdf"/);
  checkAccessible(body, 'mail');
});

test('composer and no-key prompt: test ids, recipients with their key state', () => {
  const { app, fake } = mailApp();
  const composer = new ssr.ComposerState(
    fake.bridge,
    { accounts: () => [ACCOUNT], settings: () => app.settings.settings },
    { accountId: 'a1' },
  );
  composer.to.add('bob@example.org, carol@example.org');
  composer.keyStates = {
    'bob@example.org': {
      address: 'bob@example.org',
      state: 'verified',
      fingerprint: null,
      userId: 'Bob',
      sources: [],
      recommendation: 'available',
      peerMutual: false,
    },
  };
  composer.prompt = { missing: [{ address: 'carol@example.org', state: 'missing' }], lookup: 'idle', results: [] };
  app.composer = composer;
  const { body } = ssr.render(ssr.App, { props: { app } });
  assert.match(body, /data-testid="composer"/);
  assert.match(body, /data-testid="no-key-prompt"/);
  assert.match(body, /data-testid="recipient" data-key-state="verified" data-address="bob@example.org"/);
  assert.match(body, /data-testid="recipient" data-key-state="checking" data-address="carol@example.org"/);
  for (const name of ['Look up keys', 'Send unencrypted', 'Cancel', 'Send', 'Discard']) assert.ok(body.includes(name), name);
  assert.match(body, /role="switch"/);
  checkAccessible(body, 'composer');
});

test('keys screen with details, settings, help', () => {
  const { app } = mailApp();
  const key = {
    fingerprint: '0123456789ABCDEF0123456789ABCDEF01234567',
    keyId: '89ABCDEF01234567',
    userIds: ['Bob <bob@example.org>'],
    emails: ['bob@example.org'],
    hasSecret: true,
    algorithm: 'ed25519',
    version: 4,
    created: '2026-01-01T00:00:00Z',
    expires: null,
    revoked: false,
    canEncrypt: true,
    canSign: true,
    trust: 'unverified',
    sources: ['generated'],
  };
  app.screen = 'keys';
  app.keys.keys = [key];
  app.keys.loaded = true;
  app.keys.selected = key.fingerprint;
  let { body } = ssr.render(ssr.App, { props: { app } });
  assert.match(body, /data-testid="keys-screen"/);
  assert.match(body, /data-testid="key-details"/);
  assert.match(body, /<code>0123<\/code><code>4567<\/code>/);
  for (const name of ['Export public key', 'Back up secret key…', 'Change passphrase', 'Change expiry', 'Revoke', 'Delete…'])
    assert.ok(body.includes(name), name);
  checkAccessible(body, 'keys');

  app.screen = 'settings';
  app.helpOpen = true;
  ({ body } = ssr.render(ssr.App, { props: { app } }));
  for (const text of [
    'Accounts',
    'Encrypt new messages',
    'Keep unlocked keys unlocked for',
    'Remote content',
    'Theme',
    'Desktop notifications',
    'Tell others I prefer encrypted mail',
    'Refresh keys from key servers daily',
    'Add an account',
  ])
    assert.ok(body.includes(text), text);
  assert.match(body, /data-testid="help"/);
  assert.match(body, /<kbd[^>]*>Ctrl\+Enter<\/kbd>/);
  checkAccessible(body, 'settings');
});
