// The built app in Chromium, driven like a person would drive it, over the
// test bridge to the real dispatcher, keyring worker and mail service, with
// the loopback Dovecot and Postfix and GnuPG users on the other side:
// - first run on a fresh profile: the account (guessed servers corrected,
//   the run's CA pasted after the certificate was refused), then the user's
//   GnuPG-made secret key imported from a file and its passphrase checked
//   (a wrong one first); the mail screen opens and the inbox syncs;
// - the keys screen: a certificate imported from a file, a key generated
//   whose backup (still passphrase-protected) and revocation certificate
//   are saved through the save dialog;
// - a GnuPG user's key found in the Web Key Directory; a message to them
//   sent encrypted and signed: nothing readable on the server, GnuPG
//   decrypts it and verifies the signature;
// - PGP/MIME from that GnuPG user: the lock in the list, the banner
//   (outside the message content) says encrypted and signed by them;
// - a message signed by someone other than its sender: the banner warns;
// - encryption on for a recipient without a key: the no-key prompt, and
//   nothing goes out when the user cancels;
// - screenshots of every screen in the light and the dark theme.
// Every page is checked for console errors and CSP violations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import type { Browser, Page } from 'playwright-core';
import type { KeySummary } from '../../app/keys.ts';
import { chromiumUnavailable, launchChromium, openPage, screenshot } from '../support/browser.ts';
import { mailFilesWith } from '../support/imap-peer.ts';
import { armoredIn, headerBlock, packetSummary, pgpMimeMessage, screenshotBothThemes, submit, textPart } from '../support/e2e-mail.ts';
import { accountSettings, DEFAULT_RENDERER_DIR, startTestHost, type TestHost } from '../support/host/host.ts';
import { peer, type PeerKey } from '../support/peers/peers.ts';
import { mailServersAvailable, startMailServers, type MailServers } from '../support/servers/mailservers.ts';

const gpg = peer('gpg');
const skip = chromiumUnavailable() ?? mailServersAvailable() ?? (gpg.available() ? false : 'gpg is not on PATH');

const ALICE = 'alice@example.test';
const ALICE_PASSWORD = 'alice mailbox password';
const ALICE_KEY_PASSPHRASE = 'alice key passphrase 7';
const GUS = 'gus@example.test';
const GUS_PASSWORD = 'gus mailbox password';
const DORA = 'dora@example.test';
const DORA_PASSWORD = 'dora mailbox password';
const MALLORY_UID = 'Mallory Third <mallory@elsewhere.test>';
const HAL = 'hal@example.test';
const WELCOME_SUBJECT = `Welcome aboard ${randomBytes(3).toString('hex')}`;

/** "ABCD EF01 ...", as the screens show fingerprints. */
const grouped = (fingerprint: string) => fingerprint.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');

describe('the mail client in Chromium against real servers and GnuPG users', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let servers: MailServers;
  let host: TestHost;
  let alice: PeerKey;
  let gus: PeerKey;
  let mallory: PeerKey;
  let hal: PeerKey;
  let rendererDir: string | undefined;

  /** A procedure's value through the dispatcher (for checks only; the tests drive the UI). */
  async function value<T>(procedure: string, input: unknown): Promise<T> {
    const r = await host.dispatch(procedure, input);
    assert.ok(r.ok, `${procedure}: ${JSON.stringify(r)}`);
    return r.value as T;
  }

  /** The app opened on its mail screen (a new page per test; the profile, account and unlocked key stay). */
  async function openMail(t: Parameters<typeof openPage>[1]): Promise<Page> {
    const { page } = await openPage(browser, t);
    await page.goto(host.url);
    try {
      await page.getByTestId('message-list').waitFor({ timeout: 15_000 });
    } catch (e) {
      const shown = await page
        .locator('body')
        .innerText({ timeout: 2_000 })
        .catch(() => '(no body)');
      throw new Error(`the mail screen did not open; the page shows:\n${shown.slice(0, 2_000)}`, { cause: e });
    }
    return page;
  }

  async function show(page: Page, section: 'Mail' | 'Keys' | 'Settings'): Promise<void> {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: section, exact: true }).click();
  }

  /** Get new mail as the user would, and wait for the row with `subject`. */
  async function rowWith(page: Page, subject: string) {
    await page.getByRole('button', { name: 'Get mail', exact: true }).click();
    const row = page.getByTestId('message-row').filter({ hasText: subject });
    await row.waitFor({ timeout: 20_000 });
    return row;
  }

  /** Message files of `address` that were not there before, polled until there is one. */
  async function newMailFiles(address: string, known: Set<string>, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = (await servers.mailFiles(address)).filter((f) => !known.has(f));
      if (fresh.length > 0 || Date.now() > deadline) return fresh;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A message from the GnuPG user, encrypted to the app user and signed by `signer`, sent through Postfix. */
  async function sendFromGus(subject: string, text: string, signer: PeerKey): Promise<string> {
    const messageId = `<${randomBytes(8).toString('hex')}@example.test>`;
    const armored = Buffer.from(await gpg.encrypt(textPart(text), [alice.cert], { signer })).toString('latin1');
    await submit(
      servers,
      GUS,
      GUS_PASSWORD,
      [ALICE],
      pgpMimeMessage({ from: `Gus GnuPG <${GUS}>`, to: `Alice Liddell <${ALICE}>`, subject, messageId, armored }),
    );
    assert.equal((await mailFilesWith(servers, ALICE, messageId)).length, 1, 'delivered to the app user');
    return messageId;
  }

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_RENDERER_DIR, 'index.html')), 'no built renderer in dist/renderer: run `npm run build` first');
    // The build as it is now, so that a rebuild of dist/ while the tests run cannot change the page under them.
    rendererDir = mkdtempSync(join(tmpdir(), 'sealpost-e2e-renderer-'));
    cpSync(DEFAULT_RENDERER_DIR, rendererDir, { recursive: true });
    const started = await Promise.allSettled([
      startMailServers(),
      launchChromium(),
      gpg.generateKey(`Alice Liddell <${ALICE}>`, { passphrase: ALICE_KEY_PASSPHRASE }),
      gpg.generateKey(`Gus GnuPG <${GUS}>`),
      gpg.generateKey(MALLORY_UID),
      gpg.generateKey(`Hal Directory <${HAL}>`),
    ]);
    if (started[0].status === 'fulfilled') servers = started[0].value;
    if (started[1].status === 'fulfilled') browser = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    [alice, gus, mallory, hal] = started.slice(2).map((s) => (s as PromiseFulfilledResult<PeerKey>).value) as [
      PeerKey,
      PeerKey,
      PeerKey,
      PeerKey,
    ];

    await Promise.all([servers.addUser(ALICE, ALICE_PASSWORD), servers.addUser(GUS, GUS_PASSWORD), servers.addUser(DORA, DORA_PASSWORD)]);
    const welcome = [
      `From: Postmaster <postmaster@example.test>`,
      `To: ${ALICE}`,
      `Subject: ${WELCOME_SUBJECT}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <welcome-${randomBytes(4).toString('hex')}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Your mailbox is ready.',
      '',
    ].join('\r\n');
    await servers.deliver(ALICE, Buffer.from(welcome, 'utf8'));
    // The GnuPG users publish their keys in their domain's Web Key Directory (the host's stand-in).
    host = await startTestHost({ servers, rendererDir, wkd: { [GUS]: gus.cert, [HAL]: hal.cert }, backgroundIntervalMs: null });
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      try {
        await host?.close();
      } finally {
        try {
          await servers?.close();
        } finally {
          if (rendererDir) rmSync(rendererDir, { recursive: true, force: true });
        }
      }
    }
  });

  test(
    'first run: the account on the loopback servers, then the GnuPG-made key imported and its passphrase checked; the inbox syncs',
    { timeout: 90_000 },
    async (t) => {
      const { page } = await openPage(browser, t);
      await page.goto(host.url);
      const firstRun = page.getByTestId('first-run');
      await firstRun.and(page.locator('[data-step="account"]')).waitFor();
      await screenshotBothThemes(page, 'first-run');

      const settings = accountSettings(servers, ALICE, ALICE_PASSWORD);
      await page.getByLabel('E-mail address').fill(ALICE);
      await page.getByLabel('Password', { exact: true }).fill(ALICE_PASSWORD); // leaving the address fills in the servers
      await page.getByLabel('Your name (shown to recipients)').fill('Alice Liddell');
      // An unknown provider: the guessed servers are shown, and they are editable.
      await page.getByText('Server settings (guessed: please check)').waitFor();
      const imap = page.getByLabel('Incoming mail server (IMAP)');
      assert.equal(await imap.inputValue(), 'imaps://imap.example.test:993');
      await imap.fill(settings.imap);
      await page.getByLabel('Outgoing mail server (SMTP)').fill(settings.smtp);
      await page.getByLabel('User name').fill(settings.user);

      // Without the run's CA the server's certificate is refused, said clearly, and nothing is saved.
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: "The server's certificate was refused" }).waitFor({ timeout: 20_000 });
      assert.deepEqual(await value('accounts.list', {}), []);
      await page.getByLabel(/^Certificate authority/).fill(settings.caPem);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await firstRun.and(page.locator('[data-step="key"]')).waitFor({ timeout: 20_000 });
      const accounts = await value<Array<{ email: string; imap: string; smtp: string; customCa: boolean }>>('accounts.list', {});
      assert.deepEqual(
        accounts.map((a) => [a.email, a.imap, a.smtp, a.customCa]),
        [[ALICE, settings.imap, settings.smtp, true]],
      );

      // The secret key as `gpg --export-secret-keys --armor` wrote it, picked as a file.
      assert.match(alice.secret, /^-----BEGIN PGP PRIVATE KEY BLOCK-----/);
      await page
        .getByLabel('Your secret key file')
        .setInputFiles({ name: 'alice-secret.asc', mimeType: 'application/pgp-keys', buffer: Buffer.from(alice.secret, 'utf8') });
      await firstRun.and(page.locator('[data-step="unlock"]')).waitFor();
      await firstRun.getByText(grouped(alice.fingerprint)).waitFor();
      await screenshot(page, 'e2e-first-run-passphrase');

      await page.getByLabel('Passphrase of this key').fill('not the passphrase');
      await page.getByRole('button', { name: 'Check passphrase' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong passphrase. Try again.' }).waitFor();
      assert.equal(await firstRun.getAttribute('data-step'), 'unlock', 'still asking');
      await page.getByLabel('Passphrase of this key').fill(ALICE_KEY_PASSPHRASE);
      await page.getByRole('button', { name: 'Check passphrase' }).click();

      // The mail screen, and a first sync that brings the inbox.
      await page.getByTestId('message-list').waitFor({ timeout: 20_000 });
      assert.equal(await firstRun.count(), 0);
      await page.getByTestId('folders').getByText('Inbox').first().waitFor();
      const welcome = page.getByTestId('message-row').filter({ hasText: WELCOME_SUBJECT });
      await welcome.waitFor({ timeout: 20_000 });
      assert.equal(await welcome.getAttribute('data-unread'), 'true');
      await page.locator('footer').getByText('Up to date').waitFor({ timeout: 20_000 });
      const own = await value<Array<{ fingerprint: string; hasSecret: boolean }>>('keys.list', { secret: true });
      assert.deepEqual(
        own.map((k) => k.fingerprint),
        [alice.fingerprint],
      );
      await screenshotBothThemes(page, 'mail-list');
    },
  );

  test(
    'keys screen: a certificate imported from a file; a key generated, its backup and revocation certificate saved',
    { timeout: 60_000 },
    async (t) => {
      const page = await openMail(t);
      await show(page, 'Keys');
      const keysScreen = page.getByTestId('keys-screen');
      await keysScreen.waitFor();

      await keysScreen.getByRole('button', { name: 'Import keys', exact: true }).click();
      await page
        .getByLabel('Key file', { exact: true })
        .setInputFiles({ name: 'mallory.asc', mimeType: 'application/pgp-keys', buffer: Buffer.from(mallory.cert, 'utf8') });
      await keysScreen.getByText(`Imported or updated 1 key: ${MALLORY_UID}.`).waitFor();
      const others = keysScreen.getByRole('list', { name: "Other people's keys" });
      await others
        .getByRole('button')
        .filter({ hasText: MALLORY_UID })
        .filter({ hasText: grouped(mallory.fingerprint) })
        .waitFor();

      await keysScreen.getByRole('button', { name: 'Generate a key', exact: true }).click();
      const passphrase = 'a new key passphrase';
      await page.getByLabel('Your name', { exact: true }).fill('Alice Liddell (work)');
      await page.getByLabel('Your e-mail address').fill('alice@work.example');
      await page.getByLabel(/^Passphrase \(at least/).fill(passphrase);
      await page.getByLabel('Passphrase again', { exact: true }).fill(passphrase);
      await page.getByRole('button', { name: 'Generate key', exact: true }).click();
      await keysScreen.getByText('Generated a key for Alice Liddell (work) <alice@work.example>.').waitFor({ timeout: 30_000 });

      const listed = await value<Array<{ fingerprint: string; keyId: string; emails: string[]; hasSecret: boolean }>>('keys.list', {});
      const made = listed.find((k) => k.emails.includes('alice@work.example'));
      assert.ok(made?.hasSecret, 'the new key has its secret part');
      const yours = keysScreen.getByRole('list', { name: 'Your keys' });
      await yours
        .getByRole('button')
        .filter({ hasText: 'alice@work.example' })
        .filter({ hasText: grouped(made.fingerprint) })
        .waitFor();
      await yours
        .getByRole('button')
        .filter({ hasText: grouped(alice.fingerprint) })
        .waitFor();

      // The new key's backup and its revocation certificate, apart, through the save dialog.
      await keysScreen.getByRole('button', { name: 'Save a backup…' }).click();
      await keysScreen.getByRole('button', { name: 'Backup saved ✓' }).waitFor();
      await keysScreen.getByRole('button', { name: 'Save the revocation certificate…' }).click();
      await keysScreen.getByRole('button', { name: 'Revocation certificate saved ✓' }).waitFor();
      const saved = host.services.dialogs.saved.filter((s) => s.name.includes(made.keyId));
      const backup = saved.find((s) => s.name.endsWith('-secret-key.asc'));
      const revocation = saved.find((s) => s.name.endsWith('-revocation-certificate.asc'));
      assert.ok(backup && revocation, `saved: ${saved.map((s) => s.name).join(', ')}`);
      assert.ok(existsSync(backup.path) && existsSync(revocation.path));

      // The backup is the secret key, still protected by its passphrase, without the revocation.
      const backupText = readFileSync(backup.path, 'utf8');
      const key = await openpgp.readPrivateKey({ armoredKey: backupText });
      assert.equal(key.getFingerprint().toUpperCase(), made.fingerprint);
      assert.equal(key.isDecrypted(), false, 'the backup is passphrase-protected');
      await assert.rejects(openpgp.decryptKey({ privateKey: key, passphrase: 'not the passphrase' }));
      assert.equal((await openpgp.decryptKey({ privateKey: key, passphrase })).isDecrypted(), true);
      const packets = packetSummary(backupText);
      const secretPackets = packets.filter((p) => p.tag === 5 || p.tag === 7);
      assert.ok(
        secretPackets.length >= 2 && secretPackets.every((p) => p.s2kUsage === 253 || p.s2kUsage === 254 || p.s2kUsage === 255),
        JSON.stringify(packets),
      );
      assert.ok(!packets.some((p) => p.signatureType === 0x20), 'no revocation inside the backup');
      // The revocation certificate: one key revocation signature, and nothing secret.
      assert.deepEqual(packetSummary(readFileSync(revocation.path, 'utf8')), [{ tag: 2, signatureType: 0x20 }]);

      await keysScreen.getByRole('button', { name: 'Done', exact: true }).click();
      await keysScreen.getByRole('button', { name: 'Generate a key', exact: true }).click(); // fold the form away
      await page.getByLabel('Passphrase again', { exact: true }).waitFor({ state: 'detached' });
      await others.getByRole('button').filter({ hasText: MALLORY_UID }).click();
      const details = page.getByTestId('key-details');
      await details.getByLabel(`Fingerprint ${grouped(mallory.fingerprint)}`).waitFor();
      await screenshotBothThemes(page, 'keys');
    },
  );

  test(
    "the GnuPG user's key from the Web Key Directory; a message to him encrypted and signed; GnuPG decrypts and verifies it",
    { timeout: 60_000 },
    async (t) => {
      const page = await openMail(t);
      await show(page, 'Keys');
      const keysScreen = page.getByTestId('keys-screen');
      await keysScreen.getByRole('button', { name: 'Import keys', exact: true }).click();
      await page.getByLabel('Find a key by e-mail address').fill(GUS);
      await keysScreen.getByRole('button', { name: 'Look up', exact: true }).click();
      await keysScreen.getByText(`Imported 1 key for ${GUS}: Gus GnuPG <${GUS}>.`).waitFor({ timeout: 20_000 });
      await keysScreen
        .getByRole('list', { name: "Other people's keys" })
        .getByRole('button')
        .filter({ hasText: grouped(gus.fingerprint) })
        .waitFor();

      await show(page, 'Mail');
      await page.getByRole('button', { name: 'Write', exact: true }).click();
      const composer = page.getByTestId('composer');
      await composer.waitFor();
      const subject = `Quarterly figures ${randomBytes(4).toString('hex')}`;
      const secret = `secret number ${randomBytes(6).toString('hex')}`;
      await composer.getByLabel('To', { exact: true }).fill(GUS);
      await composer.getByLabel('To', { exact: true }).press('Enter');
      await composer.locator(`[data-testid="recipient"][data-address="${GUS}"][data-key-state="unverified"]`).waitFor();
      await composer.getByLabel('Subject').fill(subject);
      await composer.getByLabel('Message text').fill(`Hello Gus,\n\nthe ${secret} stays between us.\n\nAlice`);
      assert.equal(
        await composer.getByRole('switch', { name: 'Encrypt' }).isChecked(),
        true,
        'encrypted by default: the recipient has a key',
      );
      assert.equal(await composer.getByRole('switch', { name: 'Sign' }).isChecked(), true);
      await composer.getByText('Encrypted to every recipient (and to you).').waitFor();
      await screenshotBothThemes(page, 'composer');

      const known = new Set(await servers.mailFiles(GUS));
      await composer.getByRole('button', { name: 'Send', exact: true }).click();
      await composer.waitFor({ state: 'detached' });
      const delivered = await newMailFiles(GUS, known);
      assert.equal(delivered.length, 1, 'delivered once');
      const raw = readFileSync(delivered[0]!);
      const text = raw.toString('latin1');
      assert.ok(!text.includes(subject), 'no real subject on the server');
      assert.ok(!text.includes(secret), 'no plaintext on the server');
      assert.match(headerBlock(raw), /^Subject: \.\.\.$/m, 'the outer subject is obscured');
      assert.match(headerBlock(raw), /multipart\/encrypted/);

      const { plaintext, goodSignature } = await gpg.decrypt(Buffer.from(armoredIn(raw)), gus, { verifyWith: [alice.cert] });
      assert.equal(goodSignature, true, "GnuPG verifies the app user's signature");
      const inner = Buffer.from(plaintext)
        .toString('utf8')
        .replace(/=\r?\n/g, '');
      assert.ok(inner.includes(`Subject: ${subject}`), 'the real subject is protected inside');
      assert.ok(inner.includes(secret), 'the text is inside');

      // The Sent copy on the server holds the same ciphertext; the outbox empties.
      const messageId = /^Message-ID: (<[^>]+>)/im.exec(headerBlock(raw))?.[1];
      assert.ok(messageId);
      const sentCopies = await mailFilesWith(servers, ALICE, messageId);
      assert.equal(sentCopies.length, 1, 'one Sent copy');
      assert.equal(armoredIn(readFileSync(sentCopies[0]!)), armoredIn(raw));
      const deadline = Date.now() + 10_000;
      while ((await value<unknown[]>('outbox.list', {})).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await value('outbox.list', {}), []);
    },
  );

  test(
    'PGP/MIME from the GnuPG user: the lock in the list, the banner says encrypted and signed by him, outside the message',
    { timeout: 60_000 },
    async (t) => {
      const subject = `From the GnuPG side ${randomBytes(3).toString('hex')}`;
      const token = randomBytes(6).toString('hex');
      await sendFromGus(subject, `Hallo Alice,\n\ndas Codewort ist ${token}.\n\nGus`, gus);

      const page = await openMail(t);
      const row = await rowWith(page, subject);
      await row.getByTitle('Encrypted', { exact: true }).waitFor();
      await row.click();
      const reader = page.getByTestId('reader');
      const banner = reader.getByTestId('security-banner');
      await banner.waitFor({ timeout: 20_000 });
      assert.equal(await banner.getAttribute('data-tone'), 'secure');
      await banner.getByRole('heading', { name: 'Encrypted and signed' }).waitFor();
      await banner.getByText(`Signed by Gus GnuPG <${GUS}>`).waitFor();
      await banner.getByLabel(`Fingerprint ${grouped(gus.fingerprint)}`).waitFor();
      const body = reader.getByRole('article', { name: 'Message text' });
      await body.getByText(`das Codewort ist ${token}.`).waitFor();

      // Drawn by the app, outside the message content: not inside the text, no frame, before the content.
      const place = await page.evaluate(() => {
        const b = document.querySelector('[data-testid="security-banner"]');
        const content = document.querySelector('[aria-label="Message text"]');
        return {
          found: b !== null && content !== null,
          inContent: content?.contains(b) ?? true,
          inTopDocument: b?.ownerDocument === document,
          before: b && content ? (b.compareDocumentPosition(content) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0 : false,
          frames: document.querySelectorAll('iframe').length,
        };
      });
      assert.deepEqual(place, { found: true, inContent: false, inTopDocument: true, before: true, frames: 0 });
      assert.ok(!(await body.innerText()).includes('Encrypted and signed'));
      assert.equal(page.frames().length, 1);
      await screenshotBothThemes(page, 'reader');
    },
  );

  test(
    'HTML mail from the GnuPG user: shown in the sandboxed frame with its own styles; a remote image only after consent',
    { timeout: 60_000 },
    async (t) => {
      const subject = `HTML from the GnuPG side ${randomBytes(3).toString('hex')}`;
      const boundary = `alt-${randomBytes(6).toString('hex')}`;
      const html =
        '<p style="color: rgb(0, 128, 0)" class="greeting">Hallo <b>Alice</b></p><img src="https://tracker.example/pixel.png" alt="pixel"><script>parent.document.title = "owned"</script>';
      const inner = Buffer.from(
        [
          `Content-Type: multipart/alternative; boundary="${boundary}"`,
          '',
          `--${boundary}`,
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Hallo Alice',
          `--${boundary}`,
          'Content-Type: text/html; charset=utf-8',
          '',
          html,
          `--${boundary}--`,
          '',
        ].join('\r\n'),
        'utf8',
      );
      const messageId = `<${randomBytes(8).toString('hex')}@example.test>`;
      const armored = Buffer.from(await gpg.encrypt(inner, [alice.cert], { signer: gus })).toString('latin1');
      await submit(
        servers,
        GUS,
        GUS_PASSWORD,
        [ALICE],
        pgpMimeMessage({ from: `Gus GnuPG <${GUS}>`, to: `Alice Liddell <${ALICE}>`, subject, messageId, armored }),
      );
      assert.equal((await mailFilesWith(servers, ALICE, messageId)).length, 1);

      const page = await openMail(t);
      // The remote image must never be fetched before consent; after it, it is asked for.
      const remote: string[] = [];
      await page.route('https://tracker.example/**', (route) => {
        remote.push(route.request().url());
        // Answered here (a 1x1 GIF): the test never goes online.
        return route.fulfill({ status: 200, contentType: 'image/gif', body: Buffer.from('R0lGODlhAQABAAAAACw=', 'base64') });
      });
      const row = await rowWith(page, subject);
      await row.click();
      const reader = page.getByTestId('reader');
      await reader.getByTestId('security-banner').getByRole('heading', { name: 'Encrypted and signed' }).waitFor({ timeout: 20_000 });
      await reader.getByRole('button', { name: 'Show HTML' }).click();
      const frame = reader.locator('iframe');
      await frame.waitFor();
      assert.equal(await frame.getAttribute('sandbox'), '');
      assert.match((await frame.getAttribute('src'))!, /\/message\/[A-Za-z0-9_-]{24}$/);
      const content = (await (await frame.elementHandle()).contentFrame())!;
      await content.locator('b', { hasText: 'Alice' }).waitFor();
      assert.equal(
        await content.locator('p.greeting').evaluate((p) => getComputedStyle(p).color),
        'rgb(0, 128, 0)',
        "the mail's own style applies",
      );
      assert.equal(await content.locator('script').count(), 0);
      assert.notEqual(await page.title(), 'owned');
      await page.waitForTimeout(300);
      assert.deepEqual(remote, [], 'no remote request before consent');
      await reader.getByRole('button', { name: 'Load remote content for this message' }).click();
      for (let i = 0; i < 50 && remote.length === 0; i++) await page.waitForTimeout(100);
      assert.equal(remote.length, 1, 'the image is asked for once the user allowed it');
      await content.locator('img[alt="pixel"]').waitFor();
      await screenshot(page, 'e2e-reader-html');
    },
  );

  test('a message signed by someone other than its sender: the banner warns', { timeout: 60_000 }, async (t) => {
    const subject = `Signed by a stranger ${randomBytes(3).toString('hex')}`;
    await sendFromGus(subject, 'This is Gus. Honestly.', mallory);

    const page = await openMail(t);
    const row = await rowWith(page, subject);
    await row.getByTitle('Encrypted', { exact: true }).waitFor();
    await row.click();
    const banner = page.getByTestId('reader').getByTestId('security-banner');
    await banner.waitFor({ timeout: 20_000 });
    assert.equal(await banner.getAttribute('data-tone'), 'warning');
    await banner.getByText('Signed by someone else').waitFor();
    await banner.getByText(`Signed by ${MALLORY_UID}, who is not the sender ${GUS}.`).waitFor();
    await banner.getByLabel(`Fingerprint ${grouped(mallory.fingerprint)}`).waitFor();
    assert.equal(await banner.getByText(`Signed by Gus GnuPG`).count(), 0);
    await screenshot(page, 'e2e-reader-signer-mismatch');
  });

  test('encryption on for a recipient without a key: the no-key prompt; Cancel sends nothing', { timeout: 60_000 }, async (t) => {
    const page = await openMail(t);
    await page.getByRole('button', { name: 'Write', exact: true }).click();
    const composer = page.getByTestId('composer');
    await composer.waitFor();
    await composer.getByLabel('To', { exact: true }).fill(DORA);
    await composer.getByLabel('To', { exact: true }).press('Enter');
    await composer.locator(`[data-testid="recipient"][data-address="${DORA}"][data-key-state="missing"]`).waitFor();
    await composer.getByLabel('Subject').fill('Not for the servers to read');
    await composer.getByLabel('Message text').fill('Something private.');
    const encrypt = composer.getByRole('switch', { name: 'Encrypt' });
    assert.equal(await encrypt.isChecked(), false, 'no key: not encrypted by default');
    await encrypt.check();
    await composer.getByText(`Encryption is on, but ${DORA} has no usable key: you will be asked before sending.`).waitFor();

    await composer.getByRole('button', { name: 'Send', exact: true }).click();
    const prompt = page.getByTestId('no-key-prompt');
    await prompt.waitFor();
    assert.equal(await prompt.getAttribute('role'), 'alertdialog');
    await prompt.getByText(`${DORA}: No key`).waitFor();
    // Nothing goes out while the user decides.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await value('outbox.list', {}), []);
    assert.deepEqual(await servers.mailFiles(DORA), []);
    // Looking up finds nothing for her (the directory has no key): the prompt stays.
    await prompt.getByRole('button', { name: 'Look up keys' }).click();
    await prompt.getByRole('list', { name: 'Lookup results' }).getByText(DORA).waitFor({ timeout: 20_000 });
    await screenshotBothThemes(page, 'no-key-prompt');

    await prompt.getByRole('button', { name: 'Cancel', exact: true }).click();
    await prompt.waitFor({ state: 'detached' });
    await composer.getByLabel('Subject').waitFor();
    assert.deepEqual(await value('outbox.list', {}), []);
    await composer.getByRole('button', { name: 'Discard', exact: true }).click();
    await composer.waitFor({ state: 'detached' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await value('outbox.list', {}), []);
    assert.deepEqual(await servers.mailFiles(DORA), [], 'nothing delivered');
  });

  test(
    'encrypted by default, then a recipient without a key is added: it stays encrypted, Send asks, removing her sends encrypted; nothing reaches the servers in the clear',
    { timeout: 90_000 },
    async (t) => {
      const page = await openMail(t);
      await page.getByRole('button', { name: 'Write', exact: true }).click();
      const composer = page.getByTestId('composer');
      await composer.waitFor();
      const to = composer.getByLabel('To', { exact: true });
      await to.fill(GUS);
      await to.press('Enter');
      await composer.locator(`[data-testid="recipient"][data-address="${GUS}"][data-key-state="unverified"]`).waitFor();
      const encrypt = composer.getByRole('switch', { name: 'Encrypt' });
      assert.equal(await encrypt.isChecked(), true, 'Gus has a key: encrypted by default');
      const token = randomBytes(6).toString('hex');
      const subject = `Stays encrypted ${token}`;
      await composer.getByLabel('Subject').fill(subject);
      await composer.getByLabel('Message text').fill(`The code word is ${token}.`);
      await to.fill(DORA);
      await to.press('Enter');
      await composer.locator(`[data-testid="recipient"][data-address="${DORA}"][data-key-state="missing"]`).waitFor();
      assert.equal(await encrypt.isChecked(), true, 'a recipient without a key does not switch encryption off');
      await composer.getByText(`Encryption is on, but ${DORA} has no usable key: you will be asked before sending.`).waitFor();

      const before = new Set(await servers.mailFiles(GUS));
      await composer.getByRole('button', { name: 'Send', exact: true }).click();
      const prompt = page.getByTestId('no-key-prompt');
      await prompt.getByText(`${DORA}: No key`).waitFor();
      assert.deepEqual(await value('outbox.list', {}), [], 'nothing queued while the user decides');
      await prompt.getByRole('button', { name: 'Remove this recipient' }).click();
      // Back in the message, still encrypted, to see who is left before sending.
      await prompt.waitFor({ state: 'detached' });
      assert.equal(await composer.locator(`[data-testid="recipient"][data-address="${DORA}"]`).count(), 0);
      assert.equal(await encrypt.isChecked(), true);
      await composer.getByText('Encrypted to every recipient (and to you).').waitFor();
      await composer.getByRole('button', { name: 'Send', exact: true }).click();
      await composer.waitFor({ state: 'detached', timeout: 20_000 });

      // Postfix delivered it to Gus: encrypted, the subject and the text nowhere in the clear; Dora got nothing.
      let arrived: string[] = [];
      for (let i = 0; i < 150 && arrived.length === 0; i++) {
        arrived = (await servers.mailFiles(GUS)).filter((f) => !before.has(f));
        if (arrived.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(arrived.length, 1, 'one message reached Gus');
      const raw = readFileSync(arrived[0]!);
      assert.match(headerBlock(raw), /^Content-Type: multipart\/encrypted;/im);
      assert.ok(!raw.includes(token), 'neither the subject nor the text in the clear');
      assert.deepEqual(await servers.mailFiles(DORA), [], 'nothing for the removed recipient');
      // And Gus reads it with GnuPG.
      const { plaintext } = await gpg.decrypt(Buffer.from(armoredIn(raw)), gus);
      assert.ok(Buffer.from(plaintext).toString('utf8').includes(token));
    },
  );

  test(
    'a recipient without a key is looked up as they are added: the key from the Web Key Directory is used, encrypted by default',
    { timeout: 60_000 },
    async (t) => {
      const page = await openMail(t);
      await page.getByRole('button', { name: 'Write', exact: true }).click();
      const composer = page.getByTestId('composer');
      await composer.waitFor();
      const to = composer.getByLabel('To', { exact: true });
      await to.fill(HAL);
      await to.press('Enter');
      const chip = composer.locator(`[data-testid="recipient"][data-address="${HAL}"]`);
      await chip.and(page.locator('[data-key-state="unverified"]')).waitFor({ timeout: 20_000 });
      assert.match((await chip.getAttribute('title')) ?? '', /Key found, not verified: Hal Directory/);
      assert.equal(await composer.getByRole('switch', { name: 'Encrypt' }).isChecked(), true, 'encrypted by default with the key found');
      await composer.getByText('Encrypted to every recipient (and to you).').waitFor();
      // The key came into the keyring from the directory, and says so.
      const key = await value<KeySummary>('keys.show', { query: hal.fingerprint });
      assert.ok(key.sources.includes('wkd'));
      // Dora has no key anywhere: looked up as well, quietly, and marked.
      await to.fill(DORA);
      await to.press('Enter');
      const dora = composer.locator(`[data-testid="recipient"][data-address="${DORA}"]`);
      await dora.and(page.locator('[data-key-state="missing"]')).waitFor({ timeout: 20_000 });
      assert.match((await dora.getAttribute('title')) ?? '', /No key \(none found in the Web Key Directory or on the key server\)/);
      assert.equal(await composer.getByRole('alert').count(), 0, 'no error for a lookup that found nothing');
      await composer.getByRole('button', { name: 'Discard', exact: true }).click();
      await composer.waitFor({ state: 'detached' });
    },
  );

  test('settings: the account with its custom CA; the theme switch; screenshots', { timeout: 60_000 }, async (t) => {
    const page = await openMail(t);
    await show(page, 'Settings');
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
    await page.getByText(`${ALICE} · ${accountSettings(servers, ALICE, ALICE_PASSWORD).imap}`).waitFor();
    await screenshotBothThemes(page, 'settings');
    // The app's own switch overrides the system's scheme.
    await page.getByRole('radio', { name: 'Dark', exact: true }).check();
    await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
    await page.getByRole('radio', { name: 'Follow the system' }).check();
    await page.locator('html[data-theme="light"]').waitFor({ state: 'attached' });
    await show(page, 'Mail');
    await page.getByTestId('message-row').first().waitFor();
  });
});
