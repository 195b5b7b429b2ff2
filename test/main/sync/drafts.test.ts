// Drafts: composed and stored (encrypted to the sender alone when the message
// will be encrypted, plain otherwise), read back for the composer, and
// appended to the real Dovecot's Drafts folder (test/support/servers/mailservers.ts)
// with \Draft and \Seen. What the server stored is read from its maildir
// files; GnuPG, with Alice's secret key, decrypts the server copy. Skipped,
// with the reason, where the servers or gpg cannot run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ImapFlow } from 'imapflow';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { run } from '../../support/process.ts';
import { addTestAccount } from '../../support/imap-peer.ts';
import { onPath } from '../../support/peers/peers.ts';
import { ALICE_PASSPHRASE, ALICE_SECRET, BOB_PUBLIC } from '../../support/fixtures.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { openStore } from '../../../main/store/database.ts';
import { deleteDraft, getDraft, listDrafts, saveDraft, unsavedDrafts } from '../../../main/store/drafts.ts';
import { findFolder, findFolderByRole, getFolder, upsertFolder } from '../../../main/store/folders.ts';
import { listActions } from '../../../main/store/pending-actions.ts';
import { Accounts, type Account } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { closeImap, connectImap, type ImapSession } from '../../../main/mail/imap-session.ts';
import { syncFolderList } from '../../../main/sync/folders.ts';
import { uploadDrafts } from '../../../main/sync/upload-drafts.ts';
import { loadDraft, saveComposedDraft } from '../../../main/pgp-mime/write/save-draft.ts';
import { inspectMessage } from '../../../main/pgp-mime/read/inspect.ts';
import { SealpostError } from '../../../app/errors.ts';
import type { Draft } from '../../../main/pgp-mime/write/draft.ts';

const ALICE = 'alice@openpgp.example';
const PASSWORD = 'drafts-pässword-1';
const OTHER = 'other@sealpost.test';
const OTHER_PASSWORD = 'other-password-2';
const skip = mailServersAvailable() ?? (onPath('gpg') && onPath('gpgconf') ? null : 'gpg is not on PATH');

const SUBJECT_TOKEN = 'subject-token-5d1e';
const BODY_TOKEN = 'body-token-c07a';
const HTML_TOKEN = 'html-token-38b2';
const ATTACHMENT_TOKEN = 'attachment-token-e4f9';

/** A draft with everything the composer has: recipients with and without keys, Bcc, HTML, an attachment, a reply. */
function fullDraft(revision = 1): Draft {
  return {
    from: { name: 'Alice Lovelace', address: ALICE },
    to: [
      { name: 'Bob Babbage', address: 'bob@openpgp.example' },
      { name: '', address: 'carol@no-key.example' },
    ],
    cc: [{ name: 'Dave Ünicode', address: 'dave@no-key.example' }],
    bcc: [{ name: 'Eve', address: 'eve@no-key.example' }],
    subject: `Grüße ${SUBJECT_TOKEN} r${revision}`,
    text: `Hello Bob,\n${BODY_TOKEN} r${revision}\nFrom the start of a line.\nGrüße 🌍\n`,
    html: `<p>Hello Bob, ${HTML_TOKEN} r${revision}</p>\n`,
    attachments: [
      { filename: 'Notizen März.txt', contentType: 'text/plain', content: Buffer.from(`${ATTACHMENT_TOKEN}\r\nzwei\r\n`, 'utf8') },
    ],
    inReplyTo: '<question-1@openpgp.example>',
    references: ['<start-0@openpgp.example>', '<question-1@openpgp.example>'],
  };
}

/** Attachment contents as Buffers, so that drafts compare with deepEqual. */
function comparable(d: Draft): Draft {
  return { ...d, attachments: d.attachments.map((a) => ({ ...a, content: Buffer.from(a.content) })) };
}

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const lf = (s: string): string => s.replace(/\r\n/g, '\n');

describe(
  'drafts: stored, encrypted to the sender, uploaded to Drafts (real Dovecot, GnuPG)',
  { skip: skip ?? false, timeout: 120_000 },
  () => {
    let servers: MailServers;
    let dir: string;
    let gnupg: string;
    let db: DatabaseSync;
    let keyring: RunningKeyring;
    let accounts: Accounts;
    let account: Account;
    let session: ImapSession;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sealpost-drafts-'));
      servers = await startMailServers();
      await servers.addUser(ALICE, PASSWORD);
      await servers.addUser(OTHER, OTHER_PASSWORD);
      const profile = join(dir, 'profile');
      await mkdir(profile, { mode: 0o700 });
      keyring = startKeyringWorker(profile);
      for (const file of [ALICE_SECRET, BOB_PUBLIC]) {
        const imported = await keyring.client.call('keys.import', { data: await readFile(file), source: 'file' });
        assert.deepEqual(imported.problems, []);
      }
      db = openStore(profile);
      accounts = new Accounts(db, new MemorySecretStore());
      account = await addTestAccount(accounts, servers, ALICE, PASSWORD);
      session = await connectImap(account, await accounts.password(ALICE));
      await syncFolderList(db, account.id, session);

      // GnuPG with Alice's secret key, its agent stopped in `after`.
      gnupg = join(dir, 'gnupg');
      await mkdir(gnupg, { mode: 0o700 });
      await writeFile(join(gnupg, 'gpg-agent.conf'), 's2k-count 1048576\n', { mode: 0o600 });
      const imported = await gpg(['--passphrase-fd', '0', '--import', ALICE_SECRET], `${ALICE_PASSPHRASE}\n`);
      assert.equal(imported.code, 0, imported.stderr.toString());
    });

    after(async () => {
      try {
        if (session) await closeImap(session);
        await keyring?.close();
        db?.close();
        if (gnupg) await run('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { cwd: dir, timeoutMs: 15_000 }).catch(() => undefined);
      } finally {
        try {
          await servers?.close();
        } finally {
          if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
        }
      }
    });

    function gpg(args: string[], stdin = '') {
      const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: gnupg, LC_ALL: 'C.UTF-8', LANGUAGE: 'C' };
      delete env.GPG_AGENT_INFO;
      return run('gpg', ['--homedir', gnupg, '--batch', '--no-tty', '--yes', '--pinentry-mode', 'loopback', '--status-fd', '1', ...args], {
        cwd: dir,
        env,
        stdin,
        timeoutMs: 30_000,
      });
    }

    /** `gpg --decrypt` of the armored message in a mail file: the plaintext and the key ids it was encrypted to. */
    async function gpgDecrypt(mail: string): Promise<{ plaintext: string; encTo: string[] }> {
      const armored = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(mail)?.[0];
      assert.ok(armored, 'an armored OpenPGP message in the mail');
      const input = join(dir, 'server-copy.asc');
      const output = join(dir, 'server-copy.out');
      await writeFile(input, `${armored}\n`, { mode: 0o600 });
      try {
        const r = await gpg(['--passphrase-fd', '0', '--output', output, '--decrypt', input], `${ALICE_PASSPHRASE}\n`);
        assert.equal(r.code, 0, r.stderr.toString());
        const status = r.stdout
          .toString('utf8')
          .split('\n')
          .filter((l) => l.startsWith('[GNUPG:] '));
        assert.ok(
          status.some((l) => l.startsWith('[GNUPG:] DECRYPTION_OKAY')),
          'DECRYPTION_OKAY',
        );
        const encTo = status.filter((l) => l.startsWith('[GNUPG:] ENC_TO ')).map((l) => l.split(' ')[2]!);
        return { plaintext: await readFile(output, 'utf8'), encTo };
      } finally {
        await rm(input, { force: true });
        await rm(output, { force: true });
      }
    }

    /** The maildir files of a user's Drafts folder (Maildir++: `.Drafts`). */
    async function draftFiles(address: string): Promise<{ path: string; text: string }[]> {
      const files = (await servers.mailFiles(address)).filter((p) => p.includes('/.Drafts/'));
      return Promise.all(files.map(async (path) => ({ path, text: await readFile(path, 'latin1') })));
    }

    /** The server's copy of a stored draft: the maildir file with the same bytes (Dovecot may store LF line ends). */
    async function serverCopy(address: string, raw: Uint8Array): Promise<{ path: string; text: string }> {
      const found = (await draftFiles(address)).filter((f) => lf(f.text) === lf(latin1(raw)));
      assert.equal(found.length, 1, 'one maildir file holds the draft as stored');
      return found[0]!;
    }

    /** FLAGS and Message-ID of a UID in Drafts, over IMAP. */
    async function flagsAt(client: ImapFlow, path: string, uid: string): Promise<{ flags: string[]; messageId: string | undefined }> {
      const lock = await client.getMailboxLock(path, { readOnly: true });
      try {
        const msg = await client.fetchOne(uid, { flags: true, envelope: true }, { uid: true });
        assert.ok(msg, `UID ${uid} exists in ${path}`);
        // \Recent belongs to the session (RFC 3501, 2.3.2), not to the stored message.
        return { flags: [...(msg.flags ?? [])].filter((f) => f !== '\\Recent').sort(), messageId: msg.envelope?.messageId };
      } finally {
        lock.release();
      }
    }

    /** The session with `append` observed: `hook` runs before each APPEND, `answer` may change imapflow's result. */
    function observed(hooks: {
      before?: () => void;
      answer?: (r: Awaited<ReturnType<ImapFlow['append']>>) => Awaited<ReturnType<ImapFlow['append']>>;
    }): ImapSession {
      const client = new Proxy(session.client, {
        get(target, prop) {
          if (prop === 'append') {
            return async (...args: Parameters<ImapFlow['append']>) => {
              hooks.before?.();
              const r = await target.append(...args);
              return hooks.answer ? hooks.answer(r) : r;
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return { ...session, client };
    }

    const messageIdOf = (raw: Uint8Array): string => /^Message-ID:\s*(<[^>]+>)/im.exec(latin1(raw))![1]!;

    let encryptedId: number;
    let firstUid: string;

    test('an encrypted draft is stored encrypted to the sender only, the real headers inside', async () => {
      const item = await saveComposedDraft(db, keyring.client, account.id, fullDraft(), { encrypt: true });
      encryptedId = item.id;
      assert.equal(item.encrypted, true);
      assert.equal(item.revision, 1);
      assert.equal(item.unsaved, true);

      const raw = latin1(getDraft(db, item.id)!.raw);
      for (const secret of [
        SUBJECT_TOKEN,
        BODY_TOKEN,
        HTML_TOKEN,
        ATTACHMENT_TOKEN,
        'Grüße',
        'Gr=C3=BC',
        'bob@',
        'carol@',
        'dave@',
        'eve@',
        'question-1',
        'Notizen',
      ]) {
        assert.ok(!raw.includes(secret), `"${secret}" does not appear in the stored draft`);
      }
      assert.match(raw, /^Subject: \.\.\.\r$/m, 'the outer Subject is obscured (RFC 9788)');
      assert.match(raw, /^From: Alice Lovelace <alice@openpgp\.example>\r$/m);
      assert.match(raw, /^Content-Type: multipart\/encrypted;/m);
      assert.doesNotMatch(raw, /^(To|Cc|Bcc|In-Reply-To|References):/im, 'no recipient or thread field outside');

      // The reader sees it as an encrypted message with protected headers, encrypted to one key.
      const report = await inspectMessage(getDraft(db, item.id)!.raw, keyring.client, { keyPasswords: [ALICE_PASSPHRASE] });
      assert.equal(report.encryption.status, 'decrypted');
      assert.equal(report.encryption.protectedHeaders, true);
      assert.equal(report.encryption.recipients.length, 1, 'encrypted to the sender only');
      assert.equal(report.subject, `Grüße ${SUBJECT_TOKEN} r1`);
      assert.equal(report.outerSubject, '...');
      assert.deepEqual(
        report.to.map((a) => a.address),
        ['bob@openpgp.example', 'carol@no-key.example'],
      );
      assert.deepEqual(
        report.cc.map((a) => a.address),
        ['dave@no-key.example'],
      );
      assert.equal(report.signature.status, 'none', 'drafts are not signed');
      assert.ok(!report.warnings.some((w) => w.code === 'from-mismatch'), JSON.stringify(report.warnings));
    });

    test('loadDraft decrypts it and gives back every field', async () => {
      const loaded = await loadDraft(db, keyring.client, encryptedId, { keyPasswords: [ALICE_PASSPHRASE] });
      assert.ok(loaded);
      assert.equal(loaded.encrypted, true);
      assert.equal(loaded.revision, 1);
      assert.deepEqual(comparable(loaded.draft), comparable(fullDraft()));

      await assert.rejects(
        loadDraft(db, keyring.client, encryptedId),
        (e: unknown) => e instanceof SealpostError && e.code === 'key-passphrase-required',
      );
      assert.equal(await loadDraft(db, keyring.client, 999_999), null);
    });

    test('upload: the encrypted draft lands in Drafts with \\Draft and \\Seen, still encrypted; GnuPG decrypts it', async () => {
      const result = await uploadDrafts(db, session, account.id);
      assert.deepEqual(result, { uploaded: 1, failed: [], unsaved: 0 });

      const stored = getDraft(db, encryptedId)!;
      const drafts = findFolderByRole(db, account.id, 'drafts')!;
      assert.equal(drafts.path, 'Drafts');
      assert.equal(stored.unsaved, false);
      assert.equal(stored.syncedRevision, 1);
      assert.equal(stored.server?.folderId, drafts.id);
      firstUid = stored.server.uid;
      assert.ok(getFolder(db, drafts.id)!.uidvalidity, 'the UIDVALIDITY of the APPENDUID is recorded');

      const { flags, messageId } = await flagsAt(session.client, 'Drafts', firstUid);
      assert.deepEqual(flags, ['\\Draft', '\\Seen']);
      assert.equal(messageId, messageIdOf(stored.raw), 'the recorded UID is the draft');

      const copy = await serverCopy(ALICE, stored.raw);
      assert.match(copy.path, /:2,[A-Z]*D[A-Z]*S?$/, 'the maildir file carries the draft flag');
      for (const secret of [SUBJECT_TOKEN, BODY_TOKEN, HTML_TOKEN, ATTACHMENT_TOKEN, 'bob@', 'carol@', 'eve@']) {
        assert.ok(!copy.text.includes(secret), `"${secret}" does not appear in the server copy`);
      }
      assert.match(copy.text, /^Subject: \.\.\.$/m);

      const { plaintext, encTo } = await gpgDecrypt(copy.text);
      assert.equal(encTo.length, 1, `encrypted to one key only (${encTo.join(', ')})`);
      assert.match(plaintext, new RegExp(`${BODY_TOKEN} r1`), 'the body, decrypted by GnuPG');
      assert.match(plaintext, /^Content-Type: multipart\/alternative|^Content-Type: multipart\/mixed/m);
      assert.match(plaintext, /protected-headers="v1"; hp="cipher"/);
      assert.match(plaintext, /^To: Bob Babbage <bob@openpgp\.example>, carol@no-key\.example\r?$/m, 'the real To inside');
      assert.match(plaintext, /^Bcc: Eve <eve@no-key\.example>\r?$/m, 'Bcc inside');
      assert.match(plaintext, /^Subject: =\?UTF-8\?/m, 'the real Subject inside');
      assert.match(plaintext, /^HP-Outer: Subject: \.\.\.\r?$/m, 'the outer Subject recorded (RFC 9788, 2.2)');
    });

    test('a new revision replaces the server copy: the old UID is queued for deletion', async () => {
      const item = await saveComposedDraft(db, keyring.client, account.id, fullDraft(2), { encrypt: true, id: encryptedId });
      assert.equal(item.revision, 2);
      assert.equal(item.unsaved, true);
      assert.equal(listActions(db, account.id).length, 0, 'nothing queued before the new copy is up');

      const result = await uploadDrafts(db, session, account.id);
      assert.deepEqual(result, { uploaded: 1, failed: [], unsaved: 0 });
      const stored = getDraft(db, encryptedId)!;
      assert.equal(stored.syncedRevision, 2);
      assert.notEqual(stored.server!.uid, firstUid);

      const drafts = findFolderByRole(db, account.id, 'drafts')!;
      const actions = listActions(db, account.id);
      assert.equal(actions.length, 1);
      assert.equal(actions[0]!.kind, 'delete');
      assert.deepEqual(actions[0]!.payload, { folder: 'Drafts', uidvalidity: drafts.uidvalidity, uids: [firstUid] });

      // Both copies are on the server until the queue is replayed; the new one is the new revision.
      assert.equal((await draftFiles(ALICE)).length, 2);
      const { plaintext } = await gpgDecrypt((await serverCopy(ALICE, stored.raw)).text);
      assert.match(plaintext, new RegExp(`${BODY_TOKEN} r2`));
      const loaded = await loadDraft(db, keyring.client, encryptedId, { keyPasswords: [ALICE_PASSPHRASE] });
      assert.deepEqual(comparable(loaded!.draft), comparable(fullDraft(2)));
    });

    test('a plain draft is stored plain, Bcc in its header; one without recipients has no To', async () => {
      const draft = fullDraft(3);
      const item = await saveComposedDraft(db, keyring.client, account.id, draft, { encrypt: false });
      assert.equal(item.encrypted, false);
      const raw = latin1(getDraft(db, item.id)!.raw);
      assert.ok(raw.includes(BODY_TOKEN) && raw.includes(SUBJECT_TOKEN) && raw.includes(HTML_TOKEN), 'plain text in a plain draft');
      assert.doesNotMatch(raw, /multipart\/(encrypted|signed)/, 'neither encrypted nor signed');
      assert.match(raw, /^Bcc: Eve <eve@no-key\.example>\r$/m);
      const loaded = await loadDraft(db, keyring.client, item.id);
      assert.equal(loaded!.encrypted, false);
      assert.deepEqual(comparable(loaded!.draft), comparable(draft));

      const empty: Draft = {
        from: { name: 'Alice Lovelace', address: ALICE },
        to: [],
        cc: [],
        subject: '',
        text: 'just started\n',
        attachments: [],
      };
      const started = await saveComposedDraft(db, keyring.client, account.id, empty, { encrypt: false });
      assert.doesNotMatch(latin1(getDraft(db, started.id)!.raw), /^(To|Cc|Bcc|Subject):/im);
      assert.deepEqual((await loadDraft(db, keyring.client, started.id))!.draft, empty);
      // And encrypted, without recipients (nobody's key is needed but the sender's).
      const startedEncrypted = await saveComposedDraft(db, keyring.client, account.id, empty, { encrypt: true });
      assert.deepEqual((await loadDraft(db, keyring.client, startedEncrypted.id, { keyPasswords: [ALICE_PASSPHRASE] }))!.draft, empty);

      const result = await uploadDrafts(db, session, account.id);
      assert.deepEqual(result, { uploaded: 3, failed: [], unsaved: 0 });
      const copy = await serverCopy(ALICE, getDraft(db, item.id)!.raw);
      assert.ok(copy.text.includes(`${BODY_TOKEN} r3`), 'the server copy is plain');
      for (const d of [item, started, startedEncrypted]) deleteDraft(db, d.id);
    });

    test('a draft saved again during its upload stays unsaved; the newer revision goes up next', async () => {
      const item = await saveComposedDraft(db, keyring.client, account.id, fullDraft(4), { encrypt: false });
      const actionsBefore = listActions(db, account.id).length;
      const newer = fullDraft(5);
      const newerRaw = Buffer.from(
        `From: ${ALICE}\r\nTo: bob@openpgp.example\r\nSubject: r5\r\nMessage-ID: <r5@openpgp.example>\r\n\r\n${newer.text}`,
        'utf8',
      );
      const racing = observed({
        before: () => void saveDraft(db, { id: item.id, accountId: account.id, raw: newerRaw, encrypted: false }),
      });

      const first = await uploadDrafts(db, racing, account.id);
      assert.deepEqual(first, { uploaded: 1, failed: [], unsaved: 1 });
      const afterFirst = getDraft(db, item.id)!;
      assert.equal(afterFirst.revision, 2);
      assert.equal(afterFirst.syncedRevision, 1, 'the revision that went up is recorded');
      assert.equal(afterFirst.unsaved, true);
      assert.deepEqual(Buffer.from(afterFirst.raw), newerRaw, 'the newer revision is kept');
      const firstCopy = afterFirst.server!.uid;

      const second = await uploadDrafts(db, session, account.id);
      assert.deepEqual(second, { uploaded: 1, failed: [], unsaved: 0 });
      const actions = listActions(db, account.id).slice(actionsBefore);
      assert.deepEqual(
        actions.map((a) => [a.kind, (a.payload as { uids: string[] }).uids]),
        [['delete', [firstCopy]]],
      );
      deleteDraft(db, item.id);
    });

    test('a draft deleted during its upload: the copy just appended is queued for deletion', async () => {
      const item = await saveComposedDraft(db, keyring.client, account.id, fullDraft(6), { encrypt: true });
      const actionsBefore = listActions(db, account.id).length;
      let appendedUid = '';
      const racing = observed({
        before: () => void deleteDraft(db, item.id),
        answer: (r) => {
          appendedUid = String(r && r.uid);
          return r;
        },
      });
      const result = await uploadDrafts(db, racing, account.id);
      assert.deepEqual(result, { uploaded: 0, failed: [], unsaved: 0 });
      const actions = listActions(db, account.id).slice(actionsBefore);
      assert.equal(actions.length, 1);
      assert.equal(actions[0]!.kind, 'delete');
      assert.deepEqual((actions[0]!.payload as { uids: string[] }).uids, [appendedUid]);
    });

    test('without APPENDUID (no UIDPLUS) the UID is found by the Message-ID', async () => {
      const item = await saveComposedDraft(db, keyring.client, account.id, fullDraft(7), { encrypt: true });
      const noUidplus = observed({ answer: (r) => (r ? { destination: r.destination } : r) });
      const result = await uploadDrafts(db, noUidplus, account.id);
      assert.deepEqual(result, { uploaded: 1, failed: [], unsaved: 0 });
      const stored = getDraft(db, item.id)!;
      const { flags, messageId } = await flagsAt(session.client, 'Drafts', stored.server!.uid);
      assert.equal(messageId, messageIdOf(stored.raw));
      assert.deepEqual(flags, ['\\Draft', '\\Seen']);

      // A UID without UIDVALIDITY (imapflow looked it up in the selected folder): the selected folder's UIDVALIDITY.
      const again = await saveComposedDraft(db, keyring.client, account.id, fullDraft(8), { encrypt: false });
      await flagsAt(session.client, 'Drafts', stored.server!.uid);
      assert.equal(session.client.mailbox && session.client.mailbox.path, 'Drafts', 'Drafts is the selected folder');
      const uidOnly = observed({ answer: (r) => (r ? { destination: r.destination, ...(r.uid ? { uid: r.uid } : {}) } : r) });
      assert.deepEqual(await uploadDrafts(db, uidOnly, account.id), { uploaded: 1, failed: [], unsaved: 0 });
      const againStored = getDraft(db, again.id)!;
      assert.equal((await flagsAt(session.client, 'Drafts', againStored.server!.uid)).messageId, messageIdOf(againStored.raw));
      deleteDraft(db, item.id);
      deleteDraft(db, again.id);
    });

    test('a failed upload (the connection is gone) leaves the unsaved drafts as they were', async () => {
      const a = await saveComposedDraft(db, keyring.client, account.id, fullDraft(8), { encrypt: true });
      const b = await saveComposedDraft(db, keyring.client, account.id, fullDraft(9), { encrypt: false });
      const before = unsavedDrafts(db, account.id);
      const raws = before.map((d) => Buffer.from(getDraft(db, d.id)!.raw));
      const actions = listActions(db, account.id);

      const closed = await connectImap(account, await accounts.password(ALICE));
      await closeImap(closed);
      await assert.rejects(
        uploadDrafts(db, closed, account.id),
        (e: unknown) => e instanceof SealpostError && e.code.startsWith('network-'),
      );

      assert.deepEqual(unsavedDrafts(db, account.id), before);
      assert.deepEqual(
        before.map((d) => Buffer.from(getDraft(db, d.id)!.raw)),
        raws,
      );
      assert.deepEqual(listActions(db, account.id), actions);
      assert.deepEqual(
        before.map((d) => d.id),
        [a.id, b.id],
      );

      // They go up with the next working connection.
      assert.deepEqual(await uploadDrafts(db, session, account.id), { uploaded: 2, failed: [], unsaved: 0 });
      assert.ok(listDrafts(db, account.id).every((d) => !d.unsaved));
    });

    test('an account without a known Drafts folder: Drafts is created on the server and stored with its role; a refusal is counted', async () => {
      const other = await addTestAccount(accounts, servers, OTHER, OTHER_PASSWORD);
      const otherSession = await connectImap(other, await accounts.password(OTHER));
      try {
        assert.equal(findFolderByRole(db, other.id, 'drafts'), null);
        const plain: Draft = {
          from: { name: '', address: OTHER },
          to: [{ name: '', address: ALICE }],
          cc: [],
          subject: 'no key',
          text: 'a plain draft\n',
          attachments: [],
        };
        const item = await saveComposedDraft(db, keyring.client, other.id, plain, { encrypt: false });
        assert.deepEqual(await uploadDrafts(db, otherSession, other.id), { uploaded: 1, failed: [], unsaved: 0 });
        const folder = findFolderByRole(db, other.id, 'drafts')!;
        assert.equal(folder.path, 'Drafts');
        assert.ok(folder.uidvalidity);
        assert.equal(getDraft(db, item.id)!.server?.folderId, folder.id);
        await serverCopy(OTHER, getDraft(db, item.id)!.raw);

        // The server refuses an APPEND to a mailbox that does not exist ([TRYCREATE]): counted, left unsaved.
        upsertFolder(db, other.id, { path: 'Drafts', delimiter: '/', role: null });
        const gone = upsertFolder(db, other.id, { path: 'Gone', delimiter: '/', role: 'drafts' });
        const next = await saveComposedDraft(db, keyring.client, other.id, { ...plain, text: 'again\n' }, { encrypt: false, id: item.id });
        const result = await uploadDrafts(db, otherSession, other.id);
        assert.equal(result.uploaded, 0);
        assert.equal(result.unsaved, 1);
        assert.deepEqual(
          result.failed.map((f) => f.draftId),
          [item.id],
        );
        assert.ok(result.failed[0]!.code.startsWith('network-'), result.failed[0]!.code);
        assert.equal(getDraft(db, item.id)!.revision, next.revision);
        assert.equal(getDraft(db, item.id)!.unsaved, true);
        assert.equal(findFolder(db, other.id, 'Gone')!.id, gone.id);
        deleteDraft(db, item.id);
      } finally {
        await closeImap(otherSession);
      }
    });
  },
);
