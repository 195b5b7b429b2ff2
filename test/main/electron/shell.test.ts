import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'node:events';
import { CONTENT_SECURITY_POLICY, CSP_DIRECTIVES, securityHeaders } from '../../../main/electron/csp.ts';
import { windowOptions } from '../../../main/electron/window-options.ts';
import { APP_ORIGIN, isTrustedSender, type FrameLike } from '../../../main/electron/sender.ts';
import { APP_SCHEME_PRIVILEGES, handleAppRequest, resolveAppPath } from '../../../main/electron/app-protocol.ts';
import { confirmAndOpen, denyAllPermissions, externalLink, guardWebContents } from '../../../main/electron/guards.ts';
import { fitToScreens, loadWindowState, saveWindowState } from '../../../main/electron/window-state.ts';
import { startKeyringProcess } from '../../../main/electron/keyring-process.ts';
import { createCallHandler, prepareShell, startShell } from '../../../main/electron/shell.ts';
import { attachToParent } from '../../../keyring/utility-entry.ts';
import { createFakeElectron, appFrame, type FakeElectron } from '../../support/fake-electron.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sealpost-shell-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('the window is sandboxed, isolated, without Node, with web security and no spell checker', () => {
  const options = windowOptions({ preload: '/app/dist/preload/preload.cjs' });
  const web = options.webPreferences!;
  assert.equal(web.sandbox, true);
  assert.equal(web.contextIsolation, true);
  assert.equal(web.nodeIntegration, false);
  assert.equal(web.nodeIntegrationInWorker, false);
  assert.equal(web.nodeIntegrationInSubFrames, false);
  assert.equal(web.webSecurity, true);
  assert.equal(web.allowRunningInsecureContent, false);
  assert.equal(web.webviewTag, false);
  assert.equal(web.spellcheck, false);
  assert.equal(web.preload, '/app/dist/preload/preload.cjs');
  assert.equal(options.show, false);
  const placed = windowOptions({ preload: 'p', bounds: { x: 5, y: 6, width: 900, height: 700 } });
  assert.deepEqual([placed.x, placed.y, placed.width, placed.height], [5, 6, 900, 700]);
});

test('the CSP denies by default and allows no inline code, eval or network', () => {
  assert.match(CONTENT_SECURITY_POLICY, /^default-src 'none';/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|\*|http:|https:/);
  assert.deepEqual(CSP_DIRECTIVES['script-src'], ["'self'"]);
  assert.deepEqual(CSP_DIRECTIVES['connect-src'], ["'none'"]);
  for (const directive of ['object-src', 'base-uri', 'form-action']) {
    assert.match(CONTENT_SECURITY_POLICY, new RegExp(`${directive} 'none'`));
  }
  // Frames only from the app itself: the reader's message frame (main/services/message-frames.ts).
  assert.deepEqual(CSP_DIRECTIVES['frame-src'], ["'self'"]);
  assert.equal(
    CONTENT_SECURITY_POLICY,
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
  );
  assert.equal(securityHeaders()['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
  assert.equal(securityHeaders()['X-Content-Type-Options'], 'nosniff');
});

test('only the main frame of the app page may call', () => {
  const main = appFrame();
  const event = (frame: FrameLike | null, mainFrame: FrameLike = main) => ({ senderFrame: frame, sender: { mainFrame } });
  assert.equal(isTrustedSender(event(main)), true);
  assert.equal(isTrustedSender(event(appFrame('app://sealpost/deeper/page.html?x#y'))), false, 'not the main frame of this contents');
  const other = appFrame('app://sealpost/other.html');
  assert.equal(isTrustedSender(event(other, other)), true);

  const sub: FrameLike = { url: 'app://sealpost/index.html', origin: APP_ORIGIN, parent: main };
  assert.equal(isTrustedSender(event(sub)), false, 'a subframe');
  assert.equal(isTrustedSender(event(null)), false, 'a destroyed frame');
  for (const url of [
    'app://evil/index.html',
    'app://sealpost.evil/index.html',
    'app://user@sealpost/index.html',
    'https://sealpost/index.html',
    'http://localhost:5173/',
    'file:///work/main/dist/renderer/index.html',
    'about:blank',
    'data:text/html,hi',
    'not a url',
  ]) {
    const frame = { url, parent: null };
    assert.equal(isTrustedSender(event(frame, frame)), false, url);
  }
  // The URL looks right but Electron reports another origin (about:blank child, opaque origin): refused.
  const opaque = { url: 'app://sealpost/index.html', origin: 'null', parent: null };
  assert.equal(isTrustedSender(event(opaque, opaque)), false);
});

test('app:// paths resolve inside the renderer folder only', () => {
  const root = join(scratch, 'renderer');
  assert.equal(resolveAppPath(root, 'app://sealpost/'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'app://sealpost'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'app://sealpost/index.html'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'app://sealpost/assets/index-1a2b.js?v=1#x'), join(root, 'assets', 'index-1a2b.js'));
  assert.equal(resolveAppPath(root, 'app://sealpost/assets/a%20b.css'), join(root, 'assets', 'a b.css'));
  for (const url of [
    'app://sealpost/../secret',
    'app://sealpost/assets/../../secret',
    'app://sealpost/%2e%2e/secret',
    'app://sealpost/%2E%2E%2Fsecret',
    'app://sealpost/assets/..%2f..%2fsecret',
    'app://sealpost/..%5c..%5csecret',
    'app://sealpost/assets\\..\\..\\secret',
    'app://sealpost//etc/passwd',
    'app://sealpost/%2Fetc%2Fpasswd',
    'app://sealpost/C:/Windows/win.ini',
    'app://sealpost/C%3A%5CWindows',
    'app://sealpost/index.html%00.js',
    'app://sealpost/%E0%A4%A',
    'app://sealpost/assets/',
    'app://sealpost/./index.html',
    'app://other/index.html',
    'app://user:pw@sealpost/index.html',
    'file:///etc/passwd',
    'https://sealpost/index.html',
    'sealpost/index.html',
  ]) {
    assert.equal(resolveAppPath(root, url), null, url);
  }
});

test('app:// requests: files with the CSP, refusals without a body from outside', async () => {
  const root = join(scratch, 'served');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(scratch, 'secret.txt'), 'top secret');

  const page = await handleAppRequest({ url: 'app://sealpost/', method: 'GET' }, root);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(await page.text(), '<!doctype html><title>t</title>');

  const script = await handleAppRequest({ url: 'app://sealpost/assets/app.js', method: 'GET' }, root);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');

  const traversal = await handleAppRequest({ url: 'app://sealpost/%2e%2e/secret.txt', method: 'GET' }, root);
  assert.equal(traversal.status, 400);
  assert.doesNotMatch(await traversal.text(), /top secret/);
  assert.equal((await handleAppRequest({ url: 'app://sealpost/missing.js', method: 'GET' }, root)).status, 404);
  assert.equal((await handleAppRequest({ url: 'app://sealpost/assets', method: 'GET' }, root)).status, 404, 'a directory');
  assert.equal((await handleAppRequest({ url: 'app://sealpost/index.html', method: 'POST' }, root)).status, 405);
  const head = await handleAppRequest({ url: 'app://sealpost/index.html', method: 'HEAD' }, root);
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('the app scheme is standard and secure, readable only by itself, and does not bypass the CSP', () => {
  assert.equal(APP_SCHEME_PRIVILEGES.scheme, 'app');
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.standard, true);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.secure, true);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.bypassCSP, false);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.allowServiceWorkers, false);
  // corsEnabled would make app:// readable from other origins (Electron serves custom schemes without ACAO checks).
  assert.equal(APP_SCHEME_PRIVILEGES.privileges.corsEnabled, false);
});

test('navigation is refused; http(s) links open in the browser only after the user confirms', async () => {
  for (const [url, expected] of [
    ['https://example.org/a?b#c', 'https://example.org/a?b#c'],
    ['http://example.org', 'http://example.org/'],
    ['https://bank.example@evil.example/', null],
    ['javascript:alert(1)', null],
    ['file:///etc/passwd', null],
    ['app://sealpost/index.html', null],
    ['mailto:someone@example.org', null],
    ['smb://host/share', null],
  ] as const) {
    assert.equal(externalLink(url), expected, url);
  }

  const opened: string[] = [];
  const asked: unknown[] = [];
  let answer = 1;
  const deps = {
    shell: { openExternal: async (url: string) => void opened.push(url) },
    dialog: {
      showMessageBox: async (...args: unknown[]) => {
        asked.push(args.at(-1));
        return { response: answer, checkboxChecked: false };
      },
    },
    windowFor: () => null,
  };
  const contents = Object.assign(new EventEmitter(), {
    openHandler: null as ((d: { url: string }) => { action: string }) | null,
    setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
      this.openHandler = fn;
    },
  });
  guardWebContents(contents as never, deps);

  for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
    let prevented = false;
    contents.emit(name, { url: 'app://sealpost/elsewhere.html', isMainFrame: false, preventDefault: () => (prevented = true) });
    assert.equal(prevented, true, name);
  }
  // The one frame the app loads: the reader's message frame, in a subframe, from the app's origin; nothing else.
  const frameNavigation = (url: string, isMainFrame = false) => {
    let prevented = false;
    contents.emit('will-frame-navigate', { url, isMainFrame, preventDefault: () => (prevented = true) });
    return prevented;
  };
  assert.equal(frameNavigation('app://sealpost/message/AAAAAAAAAAAAAAAAAAAAAAAA'), false);
  assert.equal(frameNavigation('app://sealpost/message/AAAAAAAAAAAAAAAAAAAAAAAA', true), true, 'never the main frame');
  assert.equal(frameNavigation('app://evil/message/AAAAAAAAAAAAAAAAAAAAAAAA'), true);
  assert.equal(frameNavigation('https://sealpost/message/x'), true);
  assert.equal(frameNavigation('app://sealpost/message/x?y=1'), true);
  assert.deepEqual(contents.openHandler!({ url: 'app://sealpost/x' }), { action: 'deny' });
  assert.deepEqual(contents.openHandler!({ url: 'javascript:alert(1)' }), { action: 'deny' });
  assert.deepEqual(contents.openHandler!({ url: 'https://example.org/' }), { action: 'deny' });
  await new Promise((r) => setImmediate(r));
  assert.equal(asked.length, 1, 'asked once, for the https link only');
  assert.equal((asked[0] as { detail: string }).detail, 'https://example.org/');
  assert.deepEqual(opened, [], 'the user cancelled');

  answer = 0;
  assert.equal(await confirmAndOpen('https://example.org/ok', contents as never, deps as never), true);
  assert.deepEqual(opened, ['https://example.org/ok']);
  assert.equal(await confirmAndOpen('file:///etc/passwd', contents as never, deps as never), false);
  assert.deepEqual(opened, ['https://example.org/ok']);
});

test('every permission request and check is denied', () => {
  const handlers: Record<string, Function> = {};
  denyAllPermissions({
    setPermissionRequestHandler: (fn: Function) => void (handlers.request = fn),
    setPermissionCheckHandler: (fn: Function) => void (handlers.check = fn),
    setDevicePermissionHandler: (fn: Function) => void (handlers.device = fn),
  } as never);
  for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal']) {
    let granted: boolean | null = null;
    handlers.request!({}, permission, (g: boolean) => (granted = g), {});
    assert.equal(granted, false, permission);
    assert.equal(handlers.check!({}, permission, 'app://sealpost', {}), false);
  }
  assert.equal(handlers.device!({}), false);
});

test('window bounds: saved atomically, restored, moved back on screen', async () => {
  const file = join(scratch, 'profile', 'window-state.json');
  const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  assert.deepEqual(await loadWindowState(file, screens), { bounds: { width: 1100, height: 760 }, maximized: false });
  saveWindowState(file, { bounds: { x: 40, y: 50, width: 1000, height: 700 }, maximized: true });
  assert.deepEqual(await loadWindowState(file, screens), { bounds: { x: 40, y: 50, width: 1000, height: 700 }, maximized: true });
  // A monitor that is gone: keep the size, let the window system place it.
  assert.deepEqual(fitToScreens({ x: 4000, y: 50, width: 1000, height: 700 }, screens), { width: 1000, height: 700 });
  assert.deepEqual(fitToScreens({ x: 0, y: 0, width: 100, height: 100 }, screens), { x: 0, y: 0, width: 640, height: 480 });
  assert.deepEqual(fitToScreens({ x: 0, y: 0, width: 9000, height: 9000 }, screens), { x: 0, y: 0, width: 1920, height: 1080 });
  writeFileSync(file, '{"bounds": {"x": "a"}}');
  assert.deepEqual((await loadWindowState(file, screens)).bounds, { width: 1100, height: 760 });
  writeFileSync(file, 'not json');
  assert.deepEqual((await loadWindowState(file, screens)).bounds, { width: 1100, height: 760 });
});

test('the utility-process entry serves only after a valid init message with a port', () => {
  const parent = new EventEmitter();
  const served: unknown[] = [];
  const fakeServe = ((_port: unknown, options: unknown) => {
    served.push(options);
    return { close() {} };
  }) as never;
  attachToParent(parent, fakeServe, () => {});
  const port = Object.assign(new EventEmitter(), { postMessage() {}, start() {}, close() {} });
  parent.emit('message', { data: { t: 'init', home: '/p' } }); // no port
  parent.emit('message', { data: { t: 'hello' }, ports: [port] });
  parent.emit('message', { data: { t: 'init', home: 42 }, ports: [port] });
  parent.emit('message', { data: null, ports: [port] });
  assert.deepEqual(served, []);
  parent.emit('message', { data: { t: 'init', home: '/p' }, ports: [port] });
  parent.emit('message', { data: { t: 'init', home: '/q' }, ports: [port] });
  assert.deepEqual(served, [{ home: '/p' }]);
});

async function withShell(fn: (fake: FakeElectron, profile: string) => Promise<void>, opts: { dialogResponse?: number } = {}) {
  const profile = mkdtempSync(join(scratch, 'profile-'));
  const renderer = join(profile, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html>');
  const fake = createFakeElectron({ profile, ...opts });
  await startShell(
    fake.electron as never,
    { renderer, preload: '/dist/preload/preload.cjs', keyringEntry: '/dist/keyring/utility.mjs' },
    { argv: [] },
  );
  try {
    await fn(fake, profile);
  } finally {
    fake.electron.app.emit('will-quit', { preventDefault() {} });
    for (let i = 0; i < 500 && !fake.calls.some((c) => c.what === 'app.quit'); i++) await new Promise((r) => setTimeout(r, 10));
  }
}

test('before ready: privileged scheme, sandbox for all, a single instance', () => {
  const fake = createFakeElectron({ profile: scratch });
  assert.equal(prepareShell(fake.electron as never), true);
  const registered = fake.calls.find((c) => c.what === 'protocol.registerSchemesAsPrivileged')!.args[0] as {
    scheme: string;
    privileges: { standard: boolean; secure: boolean };
  }[];
  assert.equal(registered[0]!.scheme, 'app');
  assert.equal(registered[0]!.privileges.standard && registered[0]!.privileges.secure, true);
  assert.ok(fake.calls.some((c) => c.what === 'app.enableSandbox'));
  assert.ok(!fake.calls.some((c) => c.what === 'app.quit'));

  const second = createFakeElectron({ profile: scratch, singleInstance: false });
  assert.equal(prepareShell(second.electron as never), false);
  assert.ok(second.calls.some((c) => c.what === 'app.quit'));
});

test('the shell wiring: protocol, window, guards, keyring process, IPC with the sender check', async () => {
  await withShell(async (fake, profile) => {
    assert.deepEqual(fake.calls.find((c) => c.what === 'protocol.handle')!.args, ['app']);
    const served = await fake.protocolHandlers.get('app')!(new Request('app://sealpost/index.html'));
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);

    // permissions denied on the default session
    let granted: boolean | null = null;
    fake.permission.request!({}, 'media', (g: boolean) => (granted = g));
    assert.equal(granted, false);

    // the session's request filter: the app's files; a message frame only what its user allowed (frame-requests.ts)
    const decide = (details: object) => {
      let cancel: boolean | undefined;
      fake.webRequest.beforeRequest!(details, (response) => (cancel = response.cancel));
      return cancel;
    };
    const page = { url: 'app://sealpost/index.html' };
    assert.equal(decide({ url: 'app://sealpost/assets/index.js', resourceType: 'script', frame: page }), false);
    assert.equal(decide({ url: 'https://tracker.example/p.png', resourceType: 'image', frame: page }), true);
    const contents = fake.windows[0]!.webContents;
    const frameCall = await fake.ipcHandlers.get('sealpost:call')!({ senderFrame: contents.mainFrame, sender: contents }, 'mail.frame', {
      document: '<img src="https://img.example/a.png">',
      allowRemote: true,
      remoteUrls: ['https://img.example/a.png'],
    });
    const frameUrl = (frameCall as { ok: true; value: { url: string } }).value.url;
    assert.equal(decide({ url: frameUrl, resourceType: 'subFrame', frame: page }), false);
    assert.equal(decide({ url: 'https://img.example/a.png', resourceType: 'image', frame: { url: frameUrl } }), false);
    assert.equal(decide({ url: 'https://tracker.example/p.png', resourceType: 'image', frame: { url: frameUrl } }), true);
    assert.equal(decide({ url: 'app://sealpost/assets/index.js', resourceType: 'script', frame: { url: frameUrl } }), true);
    const gone = {
      get url(): string {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    };
    assert.equal(
      decide({ url: 'https://img.example/a.png', resourceType: 'image', frame: gone }),
      true,
      'a frame that is gone: not the message frame',
    );

    // the window
    assert.equal(fake.windows.length, 1);
    const win = fake.windows[0]!;
    const web = win.options.webPreferences as Record<string, unknown>;
    assert.deepEqual(
      [web.sandbox, web.contextIsolation, web.nodeIntegration, web.preload],
      [true, true, false, '/dist/preload/preload.cjs'],
    );
    assert.equal(win.loadedUrl, 'app://sealpost/index.html');
    await new Promise((r) => setImmediate(r));
    assert.equal(win.shown, true);
    // the window's web contents were guarded (web-contents-created)
    assert.deepEqual(win.webContents.windowOpenHandler!({ url: 'https://example.org/' }), { action: 'deny' });

    // the keyring in a utility process, with the profile as its home
    const fork = fake.calls.find((c) => c.what === 'utilityProcess.fork')!;
    assert.equal(fork.args[0], '/dist/keyring/utility.mjs');
    assert.equal(fake.children.length, 1);

    // IPC: only sealpost:call, and only from the app's main frame
    assert.deepEqual([...fake.ipcHandlers.keys()], ['sealpost:call']);
    const call = fake.ipcHandlers.get('sealpost:call')!;
    const trusted = { senderFrame: win.webContents.mainFrame, sender: win.webContents };
    assert.deepEqual(await call(trusted, 'keys.list', {}), { ok: true, value: [] });
    const evil = { url: 'https://evil.example/', origin: 'https://evil.example', parent: null };
    const refused = await call({ senderFrame: evil, sender: { mainFrame: evil } }, 'keys.list', {});
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'protocol-invalid');
    const sub = { url: 'app://sealpost/index.html', origin: 'app://sealpost', parent: win.webContents.mainFrame };
    assert.equal((await call({ senderFrame: sub, sender: win.webContents }, 'keys.list', {})).ok, false);
    assert.equal((await call(trusted, 'keys.nope', {})).error.code, 'protocol-invalid');

    // a change reaches the window as a validated event
    const generated = await call(trusted, 'keys.generate', {
      name: 'Alice',
      email: 'alice@example.org',
      expiresInSeconds: null,
      passphrase: 'a long passphrase',
    });
    assert.equal(generated.ok, true, JSON.stringify(generated));
    assert.deepEqual(win.webContents.sent.at(-1), ['sealpost:event', 'keyring.changed', { fingerprints: [generated.value.fingerprint] }]);

    // screen lock locks the keys and tells the window
    fake.electron.powerMonitor.emit('lock-screen');
    for (let i = 0; i < 500 && win.webContents.sent.at(-1)?.[1] !== 'session.locked'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(win.webContents.sent.at(-1), ['sealpost:event', 'session.locked', {}]);

    // the keyring process crashes: calls fail as values, and the next call starts a new one
    fake.children[0]!.crash();
    const after = await call(trusted, 'keys.list', {});
    assert.equal(after.ok, true, JSON.stringify(after));
    assert.equal(fake.children.length, 2);

    // closing the window saves its bounds in the profile
    win.emit('close');
    assert.deepEqual(JSON.parse(readFileSync(join(profile, 'window-state.json'), 'utf8')).maximized, false);
  });
});

test('the keyring process supervisor: stop() kills the child and refuses later calls', async () => {
  const fake = createFakeElectron({ profile: scratch });
  const home = mkdtempSync(join(scratch, 'kr-'));
  const kp = startKeyringProcess(fake.electron as never, '/entry.mjs', home);
  assert.deepEqual(await kp.client.call('keys.list', { secret: false }), []);
  kp.stop();
  assert.equal(fake.children[0]!.killed, true);
  assert.throws(() => kp.client, /not running/);
});

test('the IPC handler refuses a non-string procedure', async () => {
  const handler = createCallHandler(async () => ({ ok: true, value: 'dispatched' }));
  const frame = appFrame();
  const event = { senderFrame: frame, sender: { mainFrame: frame } };
  assert.deepEqual(await handler(event, 'keys.list', {}), { ok: true, value: 'dispatched' });
  assert.equal((await handler(event, { toString: () => 'keys.list' }, {})).ok, false);
});

test('main.ts and the preload, loaded with a mocked electron module', () => {
  const fixture = fileURLToPath(new URL('./fixtures/load-with-mocked-electron.ts', import.meta.url));
  const link = 'mailto:zoe@example.org?subject=From%20the%20command%20line&attach=/etc/passwd';
  const run = spawnSync(process.execPath, ['--experimental-test-module-mocks', '--no-warnings', fixture, scratch, link], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as Record<string, unknown>;
  assert.deepEqual(report.exposedName, 'sealpost');
  assert.deepEqual(report.exposedKeys, ['call', 'on']);
  assert.deepEqual(report.invoked, ['sealpost:call', 'keys.list', { secret: true }]);
  assert.equal(report.unknownEventRefused, true);
  assert.deepEqual(report.eventsDelivered, [{ fingerprints: [] }]);
  assert.equal(report.listenersAfterUnsubscribe, 0);
  assert.equal(report.mainRegisteredScheme, 'app');
  assert.equal(report.mainSandbox, true);
  assert.equal(report.mainWindowUrl, 'app://sealpost/index.html');
  assert.match(String(report.mainPreload), /preload[\\/]preload\.cjs$/);
  assert.match(String(report.mainKeyringEntry), /keyring[\\/]utility\.mjs$/);
  assert.deepEqual(report.composeOpen, [{ to: ['zoe@example.org'], cc: [], bcc: [], subject: 'From the command line', body: '' }]);
  assert.equal(report.mailStarted, true);
  assert.equal(report.quitAfterCleanUp, true);
  assert.equal(report.keyringStopped, true);
});
