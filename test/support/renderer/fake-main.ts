/**
 * A stand-in for the main process inside a Chromium page: `window.sealpost`
 * with `call` and `on`, answering from an in-page model (accounts, folders,
 * a 20,000-message inbox generated on demand, reports, keys, drafts, the
 * outbox). It exists to test the renderer's screens on their own; the
 * end-to-end tests drive the same UI against the real main process.
 *
 * `installFakeMain` is passed to `page.addInitScript` and runs in the page:
 * it must not close over anything in this module.
 */

export interface FakeMainConfig {
  /** Start with an account (mail screen) or none (first run). */
  withAccount: boolean;
  inboxTotal: number;
  /** compose.recipients answers, by address. */
  recipientKeys: Record<string, string>;
  /** Start with a draft encrypted to Alice's key, which stays unreadable (key-passphrase-required) until session.unlock. */
  lockedDraft?: boolean;
  /** The HTML of messages by index (message 0 has a sample with a remote image otherwise), and where its parts start. */
  html?: Record<number, { html: string; htmlStarts?: number[] }>;
}

export function installFakeMain(config: FakeMainConfig): void {
  type Json = any;
  const calls: { procedure: string; input: Json }[] = [];
  const listeners: Record<string, Set<(p: Json) => void>> = {};
  const emit = (event: string, payload: Json) => {
    for (const l of listeners[event] ?? []) l(payload);
  };
  /** An error as main's dispatcher sends it: a registry code and the details of that code (checked by the renderer). */
  const fail = (code: string, message: string, details: object = {}) => Object.assign(new Error(message), { code, details });
  const hex = (n: number, len: number) => n.toString(16).toUpperCase().padStart(len, '0').slice(-len);

  const mkKey = (name: string, email: string, secret: boolean, seed: number) => {
    const fingerprint = (hex(seed * 7919 + 12345, 8) + 'A1B2C3D4E5F60718293A4B5C6D7E8F90').slice(0, 40);
    return {
      fingerprint,
      keyId: fingerprint.slice(-16),
      userIds: [`${name} <${email}>`],
      emails: [email],
      hasSecret: secret,
      algorithm: 'ed25519',
      version: 4,
      created: '2026-01-01T00:00:00.000Z',
      expires: '2028-01-01T00:00:00.000Z',
      revoked: false,
      canEncrypt: true,
      canSign: true,
      trust: 'unverified',
      sources: [secret ? 'generated' : 'file'],
    };
  };

  const ACCOUNT = {
    id: 'acct-1',
    email: 'alice@example.org',
    displayName: 'Alice Example',
    imap: 'imaps://imap.example.org:993',
    smtp: 'smtps://smtp.example.org:465',
    user: 'alice',
    customCa: false,
    passwordSource: 'stored',
  };
  const alice = mkKey('Alice Example', 'alice@example.org', true, 1);
  const bob = mkKey('Bob Example', 'bob@example.org', false, 2);
  const state = {
    accounts: config.withAccount ? [ACCOUNT] : ([] as Json[]),
    keys: config.withAccount ? [alice, bob] : [bob],
    settings: {
      encrypt: 'when-possible',
      sign: true,
      unlockMinutes: 30,
      remoteContent: 'ask',
      theme: 'system',
      notifications: true,
    } as Json,
    outbox: [] as Json[],
    drafts: (config.withAccount && config.lockedDraft
      ? [{ id: 1, accountId: ACCOUNT.id, encrypted: true, revision: 1, updatedAt: Date.UTC(2026, 2, 1, 9), unsaved: false }]
      : []) as Json[],
    draftContents: new Map<number, Json>([
      [
        1,
        {
          from: { name: ACCOUNT.displayName, address: ACCOUNT.email },
          to: [{ name: 'Bob Example', address: 'bob@example.org' }],
          cc: [],
          bcc: [],
          subject: 'Plans for Friday',
          text: 'Only for Bob.',
          attachments: [],
        },
      ],
    ]),
    unlocked: false,
    flags: new Map<string, string[]>(),
  };
  const folders = () => [
    { id: 1, accountId: ACCOUNT.id, path: 'INBOX', role: 'inbox', unread: 3, total: config.inboxTotal, lastSyncAt: null },
    { id: 2, accountId: ACCOUNT.id, path: 'Drafts', role: 'drafts', unread: 0, total: 0, lastSyncAt: null },
    { id: 3, accountId: ACCOUNT.id, path: 'Sent', role: 'sent', unread: 0, total: 0, lastSyncAt: null },
    { id: 4, accountId: ACCOUNT.id, path: 'Archive', role: 'archive', unread: 0, total: 0, lastSyncAt: null },
    { id: 5, accountId: ACCOUNT.id, path: 'Trash', role: 'trash', unread: 0, total: 0, lastSyncAt: null },
    { id: 6, accountId: ACCOUNT.id, path: 'Projects/Sealpost', role: null, unread: 0, total: 0, lastSyncAt: null },
  ];
  /** Message i of the inbox (0 newest): every third encrypted, every third signed; uid 20000-i. */
  const item = (i: number) => {
    const uid = String(config.inboxTotal - i);
    return {
      folderId: 1,
      uid,
      messageId: `<m${i}@example.org>`,
      from: { name: `Sender ${i}`, address: i % 5 === 0 ? 'bob@example.org' : `s${i}@example.org` },
      to: [{ name: 'Alice Example', address: 'alice@example.org' }],
      cc: [],
      subject: i % 3 === 0 ? '...' : `Message ${i}`,
      date: Date.UTC(2026, 2, 1) - i * 3_600_000,
      flags: state.flags.get(uid) ?? (i < 3 ? [] : ['\\Seen']),
      security: i % 3 === 0 ? 'encrypted' : i % 3 === 1 ? 'signed' : 'none',
      size: 2048 + i,
    };
  };
  const report = (i: number) => {
    const encrypted = i % 3 === 0;
    const locked = i === 6 && !state.unlocked;
    return {
      from: { name: `Sender ${i}`, address: i % 5 === 0 ? 'bob@example.org' : `s${i}@example.org` },
      to: [{ name: 'Alice Example', address: 'alice@example.org' }],
      cc: [],
      date: new Date(Date.UTC(2026, 2, 1) - i * 3_600_000).toISOString(),
      messageId: `<m${i}@example.org>`,
      subject: locked ? '...' : `Protected subject ${i}`,
      outerSubject: encrypted ? '...' : `Message ${i}`,
      outerFrom: { name: `Sender ${i}`, address: i % 5 === 0 ? 'bob@example.org' : `s${i}@example.org` },
      outerTo: [{ name: 'Alice Example', address: 'alice@example.org' }],
      outerCc: [],
      outerDate: new Date(Date.UTC(2026, 2, 1) - i * 3_600_000).toISOString(),
      encryption: locked
        ? { status: 'no-key', integrity: null, recipients: [alice.keyId], protectedHeaders: false, lockedKeys: [alice.fingerprint] }
        : encrypted
          ? { status: 'decrypted', integrity: 'aead', recipients: [alice.keyId], protectedHeaders: true, lockedKeys: [] }
          : { status: 'none', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [] },
      signature:
        i % 3 === 1 || (encrypted && !locked)
          ? {
              status: 'valid',
              signer: { fingerprint: bob.fingerprint, userIds: bob.userIds },
              signerMatchesFrom: i % 5 === 0,
              created: null,
            }
          : { status: 'none', signer: null, signerMatchesFrom: false, created: null },
      parts: [],
      text: locked ? '' : `Hello Alice,\n\nthis is message ${i}.\n\nBob`,
      attachments: i === 0 ? [{ filename: 'plan.pdf', contentType: 'application/pdf', size: 48_213, sha256: 'x', protected: true }] : [],
      keys: [],
      warnings: [
        ...(locked
          ? [{ code: 'needs-passphrase', message: `a secret key for this message is locked (${alice.fingerprint}); give its passphrase` }]
          : []),
        ...(i % 3 === 1 && i % 5 !== 0
          ? [{ code: 'signer-mismatch', message: `the message is signed by ${bob.userIds[0]}, who is not the sender s${i}@example.org` }]
          : []),
      ],
    };
  };
  const indexOfUid = (uid: string) => config.inboxTotal - Number(uid);

  function recipientKey(a: string): Record<string, unknown> {
    const keyState = config.recipientKeys[a.toLowerCase()] ?? 'missing';
    // A key change: the key in use so far is all A's, the new one all B's (verified before when the state says so).
    if (keyState === 'changed' || keyState === 'changed-verified' || keyState === 'changed-certified' || keyState === 'changed-revoked')
      return {
        address: a,
        state: 'changed',
        fingerprint: 'B'.repeat(40),
        userId: `New <${a}>`,
        change: {
          known: 'A'.repeat(40),
          knownVerified: keyState === 'changed-verified',
          successor: keyState === 'changed-certified' ? 'certified' : null,
          // The key in use so far was revoked (compromised, say): keeping it is no choice.
          knownProblem: keyState === 'changed-revoked' ? 'revoked' : null,
        },
      };
    // A key known only from another sender's gossip: usable, but Autocrypt discourages encrypting by default.
    if (keyState === 'unverified-gossip')
      return {
        address: a,
        state: 'unverified',
        fingerprint: 'C'.repeat(40),
        userId: `<${a}>`,
        sources: ['gossip'],
        recommendation: 'discourage',
      };
    if (keyState === 'unverified-autocrypt')
      return {
        address: a,
        state: 'unverified',
        fingerprint: 'D'.repeat(40),
        userId: `<${a}>`,
        sources: ['autocrypt'],
        recommendation: 'available',
      };
    return { address: a, state: keyState, fingerprint: null, userId: null };
  }

  const handlers: Record<string, (p: Json) => Json> = {
    'settings.get': () => state.settings,
    'settings.set': (p) => Object.assign(state.settings, p),
    'accounts.list': () => state.accounts,
    'accounts.guess': ({ email }) => {
      const domain = email.split('@')[1];
      return { imap: `imaps://imap.${domain}:993`, smtp: `smtps://smtp.${domain}:465`, user: email, known: false };
    },
    'accounts.add': (p) => {
      if (p.password !== 'mail password')
        throw fail('network-auth-failed', 'The server refused the user name or password: IMAP said NO [AUTHENTICATIONFAILED]');
      const a = { ...ACCOUNT, email: p.email, displayName: p.displayName ?? '', imap: p.imap, smtp: p.smtp, user: p.user };
      state.accounts.push(a);
      return a;
    },
    'accounts.update': (p) =>
      Object.assign(
        state.accounts.find((a) => a.id === p.id),
        p,
      ),
    'accounts.remove': () => ({}),
    'keys.list': ({ secret }) => state.keys.filter((k) => !secret || k.hasSecret),
    'keys.show': ({ query }) => {
      const k = state.keys.find((x) => x.fingerprint === query);
      if (!k) throw fail('key-not-found', 'No such key in the keyring', { query });
      return {
        ...k,
        subkeys: [
          {
            fingerprint: 'C'.repeat(40),
            keyId: 'CCCCCCCCCCCCCCCC',
            algorithm: 'x25519',
            created: k.created,
            expires: k.expires,
            revoked: false,
            canEncrypt: true,
            canSign: false,
            hasSecret: k.hasSecret,
          },
        ],
      };
    },
    'keys.import': ({ data }) => {
      const text = new TextDecoder().decode(data);
      if (!text.includes('BEGIN PGP')) throw fail('key-unparseable', 'Not an OpenPGP key');
      const k = text.includes('PRIVATE')
        ? mkKey('Alice Example', 'alice@example.org', true, 1)
        : mkKey('Carol', 'carol@example.org', false, 3);
      state.keys = [...state.keys.filter((x) => x.fingerprint !== k.fingerprint), k];
      return { changed: [k], problems: [] };
    },
    'keys.generate': (p) => {
      const k = mkKey(p.name, p.email, true, 1);
      state.keys.push(k);
      return k;
    },
    'keys.export': () => ({ armored: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEZ...\n-----END PGP PUBLIC KEY BLOCK-----\n' }),
    'keys.trust': ({ fingerprint, trust }) => {
      const k = state.keys.find((x) => x.fingerprint === fingerprint);
      if (!k) throw fail('key-not-found', 'No such key in the keyring', { query: fingerprint });
      k.trust = trust;
      return k;
    },
    'keys.backup': () => ({ saved: true }),
    'keys.saveRevocation': () => ({ saved: true, available: true }),
    'keys.lookup': ({ email }) => ({
      found: [{ source: 'wkd', keys: [], error: `no key for ${email}` }],
      imported: [],
      offline: false,
      disagreement: null,
    }),
    'keys.delete': ({ fingerprint }) => {
      state.keys = state.keys.filter((k) => k.fingerprint !== fingerprint);
      return {};
    },
    'session.unlock': ({ passphrase }) => {
      if (passphrase !== 'correct horse battery') throw fail('key-wrong-passphrase', 'Wrong passphrase');
      state.unlocked = true;
      return { expiresAt: Date.now() + 1_800_000 };
    },
    'session.lock': () => ({}),
    'mail.folders': () => (state.accounts.length ? folders() : []),
    'mail.messages': ({ folderId, offset, limit }) => {
      if (folderId !== 1) return { total: 0, items: [] };
      const items = [];
      for (let i = offset; i < Math.min(config.inboxTotal, offset + limit); i++) items.push(item(i));
      return { total: config.inboxTotal, items };
    },
    'mail.watch': () => ({}),
    'mail.sync': ({ accountId }) => {
      emit('sync.progress', { accountId, phase: 'started' });
      emit('sync.progress', { accountId, phase: 'folder', folder: 'INBOX', done: 1200, total: config.inboxTotal });
      return { sent: 0, unsent: 0, actionsApplied: 0, folders: [], problems: [] };
    },
    'mail.read': ({ uid }) => {
      const i = indexOfUid(uid);
      const own = config.html?.[i];
      if (own) return { report: report(i), ...own };
      const html =
        i === 0
          ? '<p style="color: red">Hello <b>Alice</b></p><img src="https://tracker.example/pixel.png" alt="pixel"><script>parent.alert(1)</script>'
          : null;
      return { report: report(i), html };
    },
    'mail.action': ({ kind, uids }) => {
      for (const uid of uids) {
        const f = state.flags.get(uid) ?? item(indexOfUid(uid)).flags;
        if (kind === 'read') state.flags.set(uid, [...new Set([...f, '\\Seen'])]);
        if (kind === 'unread')
          state.flags.set(
            uid,
            f.filter((x) => x !== '\\Seen'),
          );
        if (kind === 'flag') state.flags.set(uid, [...new Set([...f, '\\Flagged'])]);
        if (kind === 'unflag')
          state.flags.set(
            uid,
            f.filter((x) => x !== '\\Flagged'),
          );
      }
      return { changed: uids.length };
    },
    // Main serves the frame's document at a URL with the frame's own policy; the test's route handler does it here.
    'mail.frame': ({ document, allowRemote, remoteUrls }) => {
      const frames = ((window as any).__frames ??= []) as Array<{ document: string; allowRemote: boolean; remoteUrls?: string[] }>;
      frames.push({ document, allowRemote, remoteUrls });
      return { url: `${location.origin}/message/${frames.length - 1}` };
    },
    'mail.saveAttachment': () => ({ saved: true }),
    'mail.importKeys': () => ({ changed: [], problems: [] }),
    // Whole RecipientKey shapes, as main's dispatcher sends them (its output schema fills the defaults).
    'compose.recipients': ({ addresses }) =>
      addresses.map((a: string) => ({ sources: [], recommendation: 'available', peerMutual: false, ...recipientKey(a) })),
    'keys.accept': ({ address, fingerprint }) => {
      config.recipientKeys[address.toLowerCase()] = 'unverified';
      return { address, accepted: { fingerprint, at: new Date().toISOString(), how: 'accepted' }, keys: [] };
    },
    'drafts.save': (p) => {
      const id = p.id ?? Math.max(0, ...state.drafts.map((d) => d.id), ...state.draftContents.keys()) + 1;
      const summary = { id, accountId: p.accountId, encrypted: p.encrypt, revision: 1, updatedAt: Date.now(), unsaved: false };
      state.drafts = [...state.drafts.filter((d) => d.id !== id), summary];
      state.draftContents.set(id, p.draft);
      return summary;
    },
    'drafts.list': () => state.drafts,
    'drafts.load': ({ id }) => {
      const summary = state.drafts.find((d) => d.id === id);
      if (!summary) throw fail('bad-input', `no draft ${id} for this account`);
      // Encrypted drafts are encrypted to the sender's own key (Alice's, which unlocks with the same passphrase as for message 6).
      if (summary.encrypted && !state.unlocked)
        throw fail('key-passphrase-required', 'the draft is encrypted to a locked key; give its passphrase', { fingerprints: [] });
      return { summary, draft: state.draftContents.get(id) };
    },
    'drafts.delete': ({ id }) => {
      state.drafts = state.drafts.filter((d) => d.id !== id);
      return {};
    },
    'mail.send': (p) => {
      const entry = {
        id: state.outbox.length + 1,
        accountId: p.accountId,
        messageId: '<sent@example.org>',
        to: p.draft.to.map((t: Json) => t.address),
        state: 'queued',
        attempts: 0,
        lastError: null,
        nextAttemptAt: Date.now(),
        createdAt: Date.now(),
        sentAt: null,
      };
      state.outbox.push(entry);
      return entry;
    },
    'outbox.list': () => state.outbox,
    'outbox.retry': ({ id }) => state.outbox.find((e) => e.id === id),
    'outbox.cancel': () => ({}),
  };

  // --- Autocrypt Setup Message: keys.setupMessage.create and keys.setupMessage.import ---
  // Alice's key unlocks with "correct horse battery"; `state.setupMessage.cancelSave` makes the save dialog cancelled.
  // An import opens with SETUP_CODE only, refuses a file without an armored message and a mail whose From is not its To,
  // and brings Dana's secret key.
  {
    const SETUP_CODE = '1742-0185-6197-1303-7016-8412-3581-4441-0597';
    const setup = { cancelSave: false };
    (state as Json).setupMessage = setup;
    Object.assign(handlers, {
      'keys.setupMessage.create': ({ fingerprint, passphrase }: Json) => {
        const k = state.keys.find((x) => x.fingerprint === fingerprint);
        if (!k) throw fail('key-not-found', 'No such key in the keyring', { query: fingerprint });
        if (!k.hasSecret) throw fail('key-no-secret', 'The secret key is not available', { fingerprint });
        if (passphrase === null)
          throw fail('key-passphrase-required', 'A passphrase is needed to unlock the secret key', { fingerprints: [fingerprint] });
        if (passphrase !== 'correct horse battery') throw fail('key-wrong-passphrase', 'Wrong passphrase', { fingerprint });
        return setup.cancelSave ? { saved: false, code: null } : { saved: true, code: SETUP_CODE };
      },
      'keys.setupMessage.import': ({ data, code }: Json) => {
        const text = new TextDecoder().decode(data);
        if (!text.includes('-----BEGIN PGP MESSAGE-----'))
          throw fail('setup-message-invalid', 'Not an Autocrypt Setup Message that can be imported: no armored OpenPGP message', {
            reason: 'no-payload',
          });
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(text)?.[1]?.trim().toLowerCase();
        if (field('From') !== undefined && field('From') !== field('To'))
          throw fail('setup-message-invalid', 'Not an Autocrypt Setup Message that can be imported: its From is not its To', {
            reason: 'not-to-self',
          });
        if (code !== SETUP_CODE) throw fail('crypto-wrong-password', 'Wrong password for the encrypted data');
        const k = { ...mkKey('Dana Example', 'dana@example.org', true, 4), trust: 'verified', sources: ['setup-message'] };
        state.keys = [...state.keys.filter((x) => x.fingerprint !== k.fingerprint), k];
        emit('keyring.changed', { fingerprints: [k.fingerprint] });
        return { changed: [k], problems: [] };
      },
    });
  }
  // --- end of the Autocrypt Setup Message block ---

  const bridge = {
    async call(procedure: string, input: Json) {
      calls.push({ procedure, input });
      const handler = handlers[procedure];
      if (!handler) return { ok: false, error: { code: 'internal', message: `no fake for ${procedure}`, retryable: false, details: {} } };
      try {
        return { ok: true, value: structuredClone(await handler(input)) };
      } catch (e) {
        const err = e as { code?: string; message?: string; details?: object };
        return {
          ok: false,
          error: { code: err.code ?? 'internal', message: err.message ?? 'failed', retryable: false, details: err.details ?? {} },
        };
      }
    },
    on(event: string, handler: (p: Json) => void) {
      (listeners[event] ??= new Set()).add(handler);
      return () => listeners[event]!.delete(handler);
    },
  };
  Object.defineProperty(window, 'sealpost', { value: Object.freeze(bridge), configurable: false, writable: false });
  Object.defineProperty(window, '__fake', { value: { calls, emit, state } });
}
