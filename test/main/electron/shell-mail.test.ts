/**
 * The shell's mail side with a mocked electron module: the mail store and
 * service, account passwords in safeStorage, the save dialog, desktop
 * notifications for new mail, and mailto: links from every way the system
 * hands them over.
 */
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { EventPayload } from '../../../app/ipc/contract.ts';
import { MailtoLinks, registerMailtoClient } from '../../../main/electron/mailto-handler.ts';
import { mailNotificationText } from '../../../main/electron/notifications.ts';
import { NO_SECRET_SERVICE_MESSAGE, SafeStorageSecretStore } from '../../../main/electron/safe-storage-secrets.ts';
import { Accounts } from '../../../main/accounts/accounts.ts';
import { openStore } from '../../../main/store/database.ts';
import { safeFileName } from '../../../main/electron/save-file.ts';
import { prepareShell, startShell, type RunningShell } from '../../../main/electron/shell.ts';
import { startKeyringProcess } from '../../../main/electron/keyring-process.ts';
import { KeyRefreshSchedule } from '../../../main/services/key-refresh-schedule.ts';
import { MailService } from '../../../main/services/mail-service.ts';
import { createFakeElectron, type FakeElectron } from '../../support/fake-electron.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sealpost-shell-mail-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type FakeOptions = Parameters<typeof createFakeElectron>[0];

interface Started {
  fake: FakeElectron;
  shell: RunningShell;
  profile: string;
  options: FakeOptions;
  call(procedure: string, input: unknown): Promise<{ ok: boolean; value?: any; error?: { code: string; message: string } }>;
  quit(): Promise<void>;
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function start(
  opts: Partial<FakeOptions> & { argv?: string[]; links?: MailtoLinks; before?: (fake: FakeElectron, profile: string) => void } = {},
): Promise<Started> {
  const profile = mkdtempSync(join(scratch, 'profile-'));
  const renderer = join(profile, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html>');
  const options: FakeOptions = { profile, ...opts };
  const fake = createFakeElectron(options);
  opts.before?.(fake, profile);
  const shell = await startShell(
    fake.electron as never,
    { renderer, preload: '/dist/preload/preload.cjs', keyringEntry: '/dist/keyring/utility.mjs' },
    { argv: opts.argv ?? ['/opt/Sealpost/sealpost'], links: opts.links, quitTimeoutMs: 2000 },
  );
  const win = fake.windows[0]!;
  const handler = fake.ipcHandlers.get('sealpost:call')!;
  return {
    fake,
    shell,
    profile,
    options,
    call: (procedure, input) => handler({ senderFrame: win.webContents.mainFrame, sender: win.webContents }, procedure, input),
    quit: async () => {
      const quits = () => fake.calls.filter((c) => c.what === 'app.quit').length;
      const before = quits();
      fake.electron.app.emit('will-quit', { preventDefault() {} });
      await until(() => quits() > before, 'app.quit after cleaning up');
    },
  };
}

const sentEvents = (fake: FakeElectron, name: string) => fake.windows[0]!.webContents.sent.filter((s) => s[1] === name).map((s) => s[2]);
const arrived = (count: number, latest: EventPayload<'mail.arrived'>['latest']): EventPayload<'mail.arrived'> => ({
  accountId: 'acct-1',
  folderId: 3,
  count,
  latest,
});

test('the mail service starts after the window opened; quitting stops it, then closes the store, then the keyring', async () => {
  const startSpy = mock.method(MailService.prototype, 'start');
  const stopSpy = mock.method(MailService.prototype, 'stop');
  try {
    const s = await start();
    assert.equal(startSpy.mock.callCount(), 1);
    assert.ok(s.fake.windows[0]!.loadedUrl, 'started after the page loaded');
    assert.ok(s.shell.mail, 'mail is available');
    assert.equal(s.shell.mailProblem, null);
    assert.ok(existsSync(join(s.profile, 'mail.sqlite')), 'the store is in the profile');

    // Mail calls reach the service and its store.
    assert.deepEqual(await s.call('accounts.list', {}), { ok: true, value: [] });
    assert.deepEqual((await s.call('settings.get', {})).ok, true);

    let prevented = 0;
    s.fake.electron.app.emit('will-quit', { preventDefault: () => prevented++ });
    assert.equal(prevented, 1, 'quitting waits for the clean-up');
    await until(() => s.fake.calls.some((c) => c.what === 'app.quit'), 'app.quit');
    assert.equal(stopSpy.mock.callCount(), 1);
    assert.equal(s.fake.children[0]!.killed, true, 'the keyring process was stopped');
    assert.throws(() => s.shell.mail!.accounts(), /not open/i, 'the store is closed');

    // The quit that follows the clean-up is not held up again.
    s.fake.electron.app.emit('will-quit', { preventDefault: () => prevented++ });
    assert.equal(prevented, 1);
  } finally {
    startSpy.mock.restore();
    stopSpy.mock.restore();
  }
});

test('the daily key refresh starts with mail, follows the setting, and stops on quit before the keyring', async () => {
  const startSpy = mock.method(KeyRefreshSchedule.prototype, 'start');
  const stopSpy = mock.method(KeyRefreshSchedule.prototype, 'stop');
  try {
    const s = await start();
    assert.equal(startSpy.mock.callCount(), 1, 'started once the window loaded');
    // No keys from a network source: a run asks nobody.
    assert.deepEqual(await s.shell.keyRefresh.runNow(), []);
    assert.equal((await s.call('settings.set', { keyRefresh: false })).ok, true);
    assert.equal(await s.shell.keyRefresh.runNow(), null, 'switched off in Settings: no run');
    await s.quit();
    assert.equal(stopSpy.mock.callCount(), 1);
    assert.equal(s.fake.children[0]!.killed, true);
    assert.equal(await s.shell.keyRefresh.runNow(), null, 'no run after quitting');
  } finally {
    startSpy.mock.restore();
    stopSpy.mock.restore();
  }
});

test(
  'no secret service (Linux basic_text): the app opens, keys work, mail calls fail with the clear error',
  { skip: process.platform !== 'linux' && 'the basic_text fallback exists on Linux only' },
  async () => {
    const s = await start({ before: (fake) => void (fake.safeStorage.backend = 'basic_text') });
    try {
      assert.equal(s.fake.windows[0]!.loadedUrl, 'app://sealpost/index.html');
      assert.equal(s.shell.mail, null);
      assert.equal(s.shell.mailProblem!.message, NO_SECRET_SERVICE_MESSAGE);
      assert.deepEqual(await s.call('keys.list', {}), { ok: true, value: [] }, 'keys work');
      for (const [procedure, input] of [
        ['accounts.list', {}],
        [
          'accounts.add',
          { email: 'a@example.org', imap: 'imaps://imap.example.org:993', smtp: 'smtps://smtp.example.org:465', user: 'a', password: 'pw' },
        ],
        ['mail.sync', { accountId: 'acct-1' }],
      ] as const) {
        const result = await s.call(procedure, input);
        assert.equal(result.ok, false, procedure);
        assert.equal(result.error!.code, 'secret-store-unavailable', procedure);
        assert.equal(result.error!.message, NO_SECRET_SERVICE_MESSAGE, procedure);
      }
      assert.equal(s.fake.safeStorage.encryptions, 0);
      assert.equal(existsSync(join(s.profile, 'secrets.safe.json')), false);
    } finally {
      await s.quit();
    }
  },
);

test('a mail store that cannot be opened: keys still work, mail calls say what is wrong', async () => {
  const s = await start({
    before: (_fake, profile) =>
      writeFileSync(join(profile, 'mail.sqlite'), 'this is not a SQLite database, just some text that is long enough to have a header'),
  });
  try {
    assert.equal(s.shell.mail, null);
    assert.ok(s.shell.mailProblem);
    assert.deepEqual(await s.call('keys.list', {}), { ok: true, value: [] });
    const listed = await s.call('accounts.list', {});
    assert.equal(listed.ok, false);
    assert.equal(listed.error!.code, s.shell.mailProblem.code);
    assert.notEqual(listed.error!.code, 'internal');
    assert.equal(readFileSync(join(s.profile, 'mail.sqlite'), 'utf8').startsWith('this is not'), true, 'left as it was');
  } finally {
    await s.quit();
  }
});

test('the mail service reads account passwords from safeStorage, and nothing is stored in the clear', async () => {
  const s = await start();
  const getSpy = mock.method(SafeStorageSecretStore.prototype, 'get');
  try {
    // An account saved as the app saves it (another connection to the same store, the same safeStorage file).
    const db = openStore(s.profile);
    let id: string;
    try {
      const saved = await new Accounts(db, new SafeStorageSecretStore(s.fake.electron.safeStorage, s.profile)).add({
        email: 'ann@example.org',
        imap: 'imaps://127.0.0.1:1',
        smtp: 'smtps://127.0.0.1:1',
        user: 'ann',
        password: 'hunter2 secret',
      });
      id = saved.id;
    } finally {
      db.close();
    }
    assert.doesNotMatch(readFileSync(join(s.profile, 'secrets.safe.json'), 'utf8'), /hunter2/);
    assert.deepEqual(
      (await s.call('accounts.list', {})).value.map((a: { email: string }) => a.email),
      ['ann@example.org'],
    );

    // A sync needs the password: the shell's mail service asks safeStorage for it, then fails on the (closed) port.
    getSpy.mock.resetCalls();
    const synced = await s.call('mail.sync', { accountId: id });
    assert.equal(synced.ok, false);
    assert.match(synced.error!.code, /^network-/);
    const asked = getSpy.mock.calls.find((c) => c.arguments[0] === id);
    assert.ok(asked, 'the password came from the safeStorage store');
    assert.equal(await asked.result, 'hunter2 secret');
  } finally {
    getSpy.mock.restore();
    await s.quit();
  }
});

test('dialogs.saveFile: the save dialog over the window, then an atomic, private write; false when cancelled', async () => {
  const s = await start();
  try {
    const target = join(s.profile, 'chosen', 'report.pdf');
    mkdirSync(dirname(target));
    s.options.savePath = target;
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    assert.equal(await s.shell.services.dialogs!.saveFile('../../.bashrc', bytes), true);
    assert.deepEqual([...readFileSync(target)], [...bytes]);
    if (process.platform !== 'win32') assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dirname(target)), ['report.pdf'], 'no temporary file left');

    const asked = s.fake.calls.find((c) => c.what === 'dialog.showSaveDialog')!;
    assert.equal(asked.args[0], s.fake.windows[0], 'the dialog belongs to the window');
    const defaultPath = (asked.args[1] as { defaultPath: string }).defaultPath;
    assert.equal(dirname(defaultPath), join(s.profile, 'downloads'), 'it starts in Downloads');
    assert.equal(basename(defaultPath), safeFileName('../../.bashrc'));
    assert.doesNotMatch(basename(defaultPath), /^\.|[/\\]/);

    // Overwriting keeps it atomic; cancelling writes nothing.
    assert.equal(await s.shell.services.dialogs!.saveFile('report.pdf', new Uint8Array([1, 2, 3])), true);
    assert.deepEqual([...readFileSync(target)], [1, 2, 3]);
    s.options.savePath = null;
    assert.equal(await s.shell.services.dialogs!.saveFile('other.pdf', new Uint8Array([9])), false);
    assert.deepEqual([...readFileSync(target)], [1, 2, 3]);
    assert.deepEqual(readdirSync(dirname(target)), ['report.pdf']);

    // A folder that cannot be written: an io error, not a crash.
    s.options.savePath = join(s.profile, 'missing-parent', 'sub', 'x.txt');
    writeFileSync(join(s.profile, 'missing-parent'), 'a file where a folder should be');
    await assert.rejects(s.shell.services.dialogs!.saveFile('x.txt', new Uint8Array([1])), (e: { code: string }) => e.code === 'io');
  } finally {
    await s.quit();
  }
});

test('file names offered in the save dialog are plain names', () => {
  assert.equal(safeFileName('report.pdf'), 'report.pdf');
  assert.equal(safeFileName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(safeFileName('..\\..\\boot.ini'), '_.._boot.ini');
  assert.equal(safeFileName('C:\\Windows\\evil.dll'), 'C__Windows_evil.dll');
  assert.equal(safeFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe', 'no right-to-left override hiding the extension');
  assert.equal(safeFileName('a\u0000b\r\nc.txt'), 'abc.txt');
  assert.equal(safeFileName('   ...  '), 'attachment');
  assert.equal(safeFileName(''), 'attachment');
  assert.equal(safeFileName('CON'), 'attachment');
  assert.equal(safeFileName('lpt1.txt'), 'attachment');
  assert.equal(safeFileName('.hidden'), 'hidden');
  assert.equal(safeFileName('name.'), 'name');
  const long = safeFileName(`${'x'.repeat(500)}.tar.gz`);
  assert.ok(long.length <= 200);
  assert.ok(long.endsWith('.gz'));
});

test('mail.arrived: the window is told, and a desktop notification shows the count, From and the outer subject', async () => {
  const s = await start();
  try {
    const win = s.fake.windows[0]!;
    win.focused = false;
    const focusBefore = win.focusCount;
    s.shell.emit('mail.arrived', arrived(3, { from: 'Alice <alice@example.org>', subject: '...' }));
    assert.deepEqual(sentEvents(s.fake, 'mail.arrived').at(-1), arrived(3, { from: 'Alice <alice@example.org>', subject: '...' }));
    await until(() => s.fake.notifications.length === 1, 'the notification');
    const shown = s.fake.notifications[0]!;
    assert.equal(shown.shown, true);
    assert.deepEqual(shown.options.title, '3 new messages');
    assert.equal(shown.options.body, 'Alice <alice@example.org>\n...');

    // Clicking it brings the window to the front.
    win.minimized = true;
    shown.emit('click');
    await until(() => win.focusCount > focusBefore, 'focus');
    assert.equal(win.minimized, false);
    assert.equal(win.shown, true);

    // Turned off in the settings: the window is still told, no notification.
    assert.equal((await s.call('settings.set', { notifications: false })).ok, true);
    s.shell.emit('mail.arrived', arrived(1, { from: 'Bob <bob@example.org>', subject: 'Hi' }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.fake.notifications.length, 1);
    assert.equal(sentEvents(s.fake, 'mail.arrived').length, 2);

    // Settings that cannot be read count as the default (on).
    assert.equal((await s.call('settings.set', { notifications: true })).ok, true);
    (s.shell.services as { settings?: unknown }).settings = {
      get: async () => Promise.reject(new Error('unreadable')),
      set: async () => ({}),
    };
    s.shell.emit('mail.arrived', arrived(1, { from: 'Carol <carol@example.org>', subject: 'Lunch' }));
    await until(() => s.fake.notifications.length === 2, 'the notification despite unreadable settings');
    assert.equal(s.fake.notifications[1]!.options.title, '1 new message');

    // An invalid payload is refused before anything is shown.
    assert.throws(() => s.shell.emit('mail.arrived', { accountId: 'a', folderId: 1, count: 0, latest: null }));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.fake.notifications.length, 2);
  } finally {
    await s.quit();
  }
});

test('no notification where the system has none', async () => {
  const s = await start({ notificationsSupported: false });
  try {
    s.shell.emit('mail.arrived', arrived(1, null));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.fake.notifications.length, 0);
    assert.equal(sentEvents(s.fake, 'mail.arrived').length, 1);
  } finally {
    await s.quit();
  }
});

test('notification text: one line per field, bounded, no controls', () => {
  assert.deepEqual(mailNotificationText(arrived(1, null)), { title: '1 new message', body: '' });
  const text = mailNotificationText(arrived(2, { from: 'Mallory\r\n<m@example.org>\u202E', subject: `${'s'.repeat(399)}\u0007` }));
  assert.equal(text.title, '2 new messages');
  const [from, subject, ...rest] = text.body.split('\n');
  assert.equal(from, 'Mallory <m@example.org>');
  assert.ok(subject!.length <= 200 && subject!.endsWith('…'));
  assert.deepEqual(rest, []);
  assert.equal(mailNotificationText(arrived(1, { from: 'a@example.org', subject: '' })).body, 'a@example.org\n(no subject)');
});

test('a mailto: link on the command line opens the composer once the page has loaded; attachments are not taken', async () => {
  const s = await start({
    argv: [
      '/opt/Sealpost/sealpost',
      '--',
      'mailto:bob@example.org,carol@example.org?subject=Hello%0D%0ABcc:%20x@evil.example&body=Hi%20Bob&attach=/etc/passwd',
    ],
  });
  try {
    await until(() => sentEvents(s.fake, 'compose.open').length === 1, 'compose.open');
    assert.deepEqual(sentEvents(s.fake, 'compose.open')[0], {
      to: ['bob@example.org', 'carol@example.org'],
      cc: [],
      bcc: [],
      subject: 'Hello Bcc: x@evil.example',
      body: 'Hi Bob',
    });
    const loaded = s.fake.calls.findIndex((c) => c.what === 'window.loaded');
    const sent = s.fake.calls.findIndex((c) => c.what === 'webContents.send' && c.args[1] === 'compose.open');
    assert.ok(loaded >= 0 && sent > loaded, 'sent after the page loaded');
    assert.doesNotMatch(JSON.stringify(s.fake.windows[0]!.webContents.sent), /passwd/);
  } finally {
    await s.quit();
  }
});

test('a second start with a mailto: link brings the window forward and opens the composer; other arguments do nothing', async () => {
  const s = await start();
  try {
    const win = s.fake.windows[0]!;
    const focused = win.focusCount;
    s.fake.electron.app.emit('second-instance', {}, [
      '/opt/Sealpost/sealpost',
      'javascript:alert(1)',
      '--inspect=9229',
      'https://evil.example/',
    ]);
    await until(() => win.focusCount > focused, 'focus');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sentEvents(s.fake, 'compose.open').length, 0);

    s.fake.electron.app.emit('second-instance', {}, [
      '/opt/Sealpost/sealpost',
      'mailto:dave@example.org?cc=erin@example.org&subject=Re%3A%20plans',
    ]);
    await until(() => sentEvents(s.fake, 'compose.open').length === 1, 'compose.open');
    assert.deepEqual(sentEvents(s.fake, 'compose.open')[0], {
      to: ['dave@example.org'],
      cc: ['erin@example.org'],
      bcc: [],
      subject: 'Re: plans',
      body: '',
    });
    assert.equal(s.fake.windows.length, 1, 'no second window');
  } finally {
    await s.quit();
  }
});

test('macOS open-url: taken before the app is ready, delivered after the window loaded', async () => {
  const links = new MailtoLinks();
  const s = await start({
    links,
    before: (fake) => {
      assert.equal(prepareShell(fake.electron as never, links), true);
      let prevented = false;
      fake.electron.app.emit('open-url', { preventDefault: () => (prevented = true) }, 'mailto:frank@example.org?subject=early');
      fake.electron.app.emit('open-url', { preventDefault() {} }, 'javascript:alert(1)');
      assert.equal(prevented, true, 'the system is told the app handled it');
    },
  });
  try {
    await until(() => sentEvents(s.fake, 'compose.open').length === 1, 'compose.open');
    assert.deepEqual(sentEvents(s.fake, 'compose.open')[0], { to: ['frank@example.org'], cc: [], bcc: [], subject: 'early', body: '' });
    // And later ones go straight to the window.
    s.fake.electron.app.emit('open-url', { preventDefault() {} }, 'mailto:grace@example.org');
    await until(() => sentEvents(s.fake, 'compose.open').length === 2, 'second compose.open');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sentEvents(s.fake, 'compose.open').length, 2, 'the javascript: URL was ignored');
  } finally {
    await s.quit();
  }
});

test('links that arrive before the window are kept, in order, up to a limit', () => {
  const links = new MailtoLinks();
  for (let i = 0; i < 15; i++) links.add(`mailto:u${i}@example.org`);
  assert.equal(links.add('javascript:alert(1)'), false);
  const got: string[] = [];
  links.attach((r) => got.push(r.to[0]!));
  assert.deepEqual(
    got,
    Array.from({ length: MailtoLinks.MAX_PENDING }, (_, i) => `u${i}@example.org`),
  );
  links.add('mailto:late@example.org');
  assert.equal(got.at(-1), 'late@example.org');
});

test('the app offers itself as the mail program once, and only when packaged; on Windows the link follows "--"', async () => {
  const calls: unknown[][] = [];
  const app = (isPackaged: boolean) => ({
    isPackaged,
    setAsDefaultProtocolClient: (...args: unknown[]) => {
      calls.push(args);
      return true;
    },
  });
  const profile = mkdtempSync(join(scratch, 'reg-'));
  const exe = 'C:\\Program Files\\Sealpost\\Sealpost.exe';
  assert.equal(registerMailtoClient(app(false) as never, profile, exe), false);
  assert.deepEqual(calls, [], 'a development run registers nothing');
  assert.equal(registerMailtoClient(app(true) as never, profile, exe), true);
  assert.deepEqual(calls, [['mailto', exe, ['--']]]);
  assert.equal(registerMailtoClient(app(true) as never, profile, exe), false, 'not again: the user may have chosen another program since');
  assert.equal(calls.length, 1);

  // Through the shell: packaged, first start.
  const s = await start({ isPackaged: true });
  try {
    assert.ok(s.fake.calls.some((c) => c.what === 'app.setAsDefaultProtocolClient' && c.args[0] === 'mailto'));
  } finally {
    await s.quit();
  }
  const dev = await start();
  try {
    assert.ok(!dev.fake.calls.some((c) => c.what === 'app.setAsDefaultProtocolClient'));
  } finally {
    await dev.quit();
  }
});

test('the mail service keeps reaching the keyring after the keyring process restarted', async () => {
  const fake = createFakeElectron({ profile: scratch });
  const home = mkdtempSync(join(scratch, 'kr-'));
  const kp = startKeyringProcess(fake.electron as never, '/entry.mjs', home);
  try {
    const live = kp.live;
    assert.deepEqual(await live.call('keys.list', { secret: false }), []);
    fake.children[0]!.crash();
    assert.deepEqual(await live.call('keys.list', { secret: false }), []);
    assert.equal(fake.children.length, 2, 'a new process answered');
    assert.equal((live as unknown as { then?: unknown }).then, undefined, 'not mistaken for a promise');
  } finally {
    kp.stop();
  }
  assert.throws(() => kp.live.call('keys.list', { secret: false }), /closing/);
});
