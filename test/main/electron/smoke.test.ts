import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isSmokeTest, runSmokeTest } from '../../../main/electron/smoke.ts';
import { createFakeElectron, type FakeElectron, type FakeFrame } from '../../support/fake-electron.ts';

/**
 * The smoke test's own code (the one main.ts runs with --smoke-test) against
 * the mocked electron module, with a simulated page: the probes that would
 * run in the window run here in a vm context with a small DOM, the bridge
 * goes to the shell's real IPC handler, the frame is served by the shell's
 * real app:// handler, and a navigation goes through the shell's real guard.
 */

const scratch = mkdtempSync(join(tmpdir(), 'sealpost-smoke-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface PageOptions {
  /** The page sees Node (a renderer without the sandbox). */
  node?: boolean;
  /** The preload exposes more than call and on. */
  extraBridge?: boolean;
  /** The browser ignores the guard's preventDefault. */
  navigationAllowed?: boolean;
  /** The browser gives the frame the page's origin despite its sandbox. */
  frameNotSandboxed?: boolean;
  /** The page never answers this probe (a substring of its code). */
  hangOn?: string;
}

/** The parts of a page the probes use, over the fake window's web contents. */
function simulatePage(fake: FakeElectron, contents: EventEmitter & { mainFrame: FakeFrame }, opts: PageOptions) {
  let navigatedTo: string | null = null;
  const frames: { url: string; origin: string }[] = [];
  const listeners: ((event: { data: unknown }) => void)[] = [];
  const getURL = () => navigatedTo ?? fake.windows.find((w) => w.webContents === (contents as unknown))?.loadedUrl ?? '';
  const call = (procedure: string, input: unknown) =>
    fake.ipcHandlers.get('sealpost:call')!({ senderFrame: contents.mainFrame, sender: contents }, procedure, input);
  const bridge: Record<string, unknown> = { call, on: () => () => {} };
  if (opts.extraBridge) bridge.ipcRenderer = {};
  const elements = new Map<string, { remove(): void }>();

  const document = {
    title: 'Sealpost',
    body: {
      appendChild(frame: { attach(): void }) {
        frame.attach();
      },
    },
    getElementById: (id: string) => elements.get(id) ?? null,
    createElement(tag: string) {
      assert.equal(tag, 'iframe');
      const attributes = new Map<string, string>();
      const onLoad: (() => void)[] = [];
      let sandboxed = true;
      const frame = {
        id: '',
        src: '',
        contentDocument: null as object | null,
        contentWindow: null as object | null,
        setAttribute: (name: string, value: string) => void attributes.set(name, value),
        addEventListener: (type: string, fn: () => void) => void (type === 'load' && onLoad.push(fn)),
        remove() {
          const at = frames.findIndex((f) => f.url === frame.src);
          if (at >= 0) frames.splice(at, 1);
        },
        async attach() {
          elements.set(frame.id, frame);
          const response = await fake.protocolHandlers.get('app')!(new Request(frame.src));
          if (response.status !== 200) return;
          sandboxed = attributes.has('sandbox') && !opts.frameNotSandboxed;
          frames.push({ url: frame.src, origin: sandboxed ? 'null' : 'app://sealpost' });
          frame.contentDocument = sandboxed ? null : { body: {} };
          frame.contentWindow = {
            get document() {
              if (sandboxed) throw new Error('Blocked a frame with origin "app://sealpost" from accessing a cross-origin frame.');
              return { body: {} };
            },
          };
          // Scripts run in a frame without the sandbox: this one posts its marker to the page.
          const body = await response.text();
          const marker = /parent\.postMessage\('([^']+)'/.exec(body)?.[1];
          if (!sandboxed && marker) for (const fn of listeners) fn({ data: marker });
          for (const fn of onLoad) fn();
        },
      };
      return frame;
    },
  };
  const location = {
    get href() {
      return getURL();
    },
    set href(url: string) {
      let prevented = false;
      contents.emit('will-navigate', {
        url,
        preventDefault: () => {
          prevented = true;
        },
      });
      if (!prevented || opts.navigationAllowed) navigatedTo = url;
    },
  };
  const window = {
    sealpost: bridge,
    addEventListener: (type: string, fn: (event: { data: unknown }) => void) => void (type === 'message' && listeners.push(fn)),
    removeEventListener: (_type: string, fn: (event: { data: unknown }) => void) => void listeners.splice(listeners.indexOf(fn) >>> 0, 1),
  };
  const globals: Record<string, unknown> = { window, document, location, setTimeout };
  if (opts.node) Object.assign(globals, { process, require: () => ({}) });
  const context = vm.createContext(globals);
  Object.assign(contents, {
    getURL,
    mainFrame: Object.assign(contents.mainFrame, { framesInSubtree: frames }),
    executeJavaScript: async (code: string) => {
      if (opts.hangOn && code.includes(opts.hangOn)) return new Promise(() => {});
      return vm.runInContext(code, context);
    },
  });
}

interface Run {
  code: number;
  lines: string[];
  fake: FakeElectron;
  profile: string | null;
  readyAfterSetPath: boolean;
}

async function smoke(
  opts: PageOptions & {
    platform?: NodeJS.Platform;
    backend?: string;
    available?: boolean;
    singleInstance?: boolean;
    keyringSilent?: boolean;
    timeLimitMs?: number;
  } = {},
): Promise<Run> {
  const base = mkdtempSync(join(scratch, 'run-'));
  const renderer = join(base, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html>');
  const tmp = join(base, 'tmp');
  mkdirSync(tmp);
  const fake = createFakeElectron({ profile: join(base, 'unused'), singleInstance: opts.singleInstance });
  const paths = new Map<string, string>();
  let setPathCalled = false;
  let readyAfterSetPath = false;
  let held = opts.singleInstance ?? true;
  const realGetPath = fake.electron.app.getPath;
  Object.assign(fake.electron.app, {
    setPath: (name: string, path: string) => {
      setPathCalled = true;
      paths.set(name, path);
    },
    getPath: (name: string) => paths.get(name) ?? realGetPath(name),
    whenReady: () => {
      readyAfterSetPath = setPathCalled;
      return Promise.resolve();
    },
    hasSingleInstanceLock: () => held,
    releaseSingleInstanceLock: () => void (held = false),
  });
  fake.safeStorage.backend = opts.backend ?? 'gnome_libsecret';
  fake.safeStorage.available = opts.available ?? true;
  if (opts.keyringSilent) {
    // A keyring process that starts and never answers.
    fake.electron.utilityProcess.fork = (() =>
      Object.assign(new EventEmitter(), { postMessage() {}, kill: () => true })) as unknown as typeof fake.electron.utilityProcess.fork;
  }
  fake.electron.app.on('web-contents-created', (_event: unknown, contents: EventEmitter & { mainFrame: FakeFrame }) =>
    simulatePage(fake, contents, opts),
  );
  const lines: string[] = [];
  const code = await runSmokeTest(
    fake.electron as never,
    { renderer, preload: '/dist/preload/preload.cjs', keyringEntry: '/dist/keyring/utility.mjs' },
    {
      write: (line) => void lines.push(line),
      tmp,
      platform: opts.platform ?? 'linux',
      timeLimitMs: opts.timeLimitMs ?? 20_000,
      navigationWaitMs: 1000,
    },
  );
  return { code, lines, fake, profile: paths.get('userData') ?? null, readyAfterSetPath };
}

const NAMES = [
  'the window opens on app://sealpost/index.html',
  'the renderer has no Node',
  'the preload exposes only call and on',
  'the keyring utilityProcess answers',
  'a call from the page reaches the dispatcher and the keyring',
  'safe storage',
  'the single-instance lock is held',
  'a message frame loads from app://sealpost/message/<id> and cannot reach its parent',
  'a navigation away from the app is denied',
];

const checkLines = (run: Run) => run.lines.filter((l) => !l.startsWith('#'));
const lineOf = (run: Run, name: string) => checkLines(run).find((l) => l.startsWith(`ok - ${name}`) || l.startsWith(`not ok - ${name}`));

function assertOnlyFailing(run: Run, failing: string[], reason: RegExp) {
  assert.equal(run.code, 1, run.lines.join('\n'));
  for (const name of NAMES) {
    const line = lineOf(run, name);
    assert.ok(line, `a line for ${name}`);
    if (failing.includes(name)) assert.match(line, new RegExp(`^not ok - ${name.replace(/[<>()]/g, '.')}: `), line);
    else assert.match(line, /^ok - /, line);
  }
  assert.match(failing.map((n) => lineOf(run, n)).join('\n'), reason);
}

test('--smoke-test is recognised on the command line', () => {
  assert.equal(isSmokeTest(['electron', '.', '--smoke-test']), true);
  assert.equal(isSmokeTest(['electron', '.']), false);
  assert.equal(isSmokeTest(['electron', '.', '--smoke-tests']), false);
});

test('every check passes on a working shell: one line each, exit 0, the throwaway profile set before ready and removed', async () => {
  const run = await smoke();
  assert.equal(run.code, 0, run.lines.join('\n'));
  assert.deepEqual(
    checkLines(run).map((l) => l.replace(/:.*$/, '')),
    NAMES.map((n) => `ok - ${n.replace(/:.*$/, '')}`),
  );
  assert.equal(checkLines(run).length, NAMES.length);
  assert.equal(run.lines.at(-2), `# ${NAMES.length} passed, 0 failed`);
  assert.equal(run.lines.at(-1), '# throwaway profile removed');
  assert.ok(run.profile && run.profile.includes('sealpost-smoke-'));
  assert.equal(existsSync(run.profile), false);
  assert.equal(run.readyAfterSetPath, true, 'userData is set before the app is ready');
  assert.match(lineOf(run, 'safe storage')!, /encrypts and decrypts \(gnome_libsecret\)/);
  assert.match(lineOf(run, 'the keyring utilityProcess answers')!, /generated and listed [0-9A-F]{40}/i);
  // The guard was asked about the link and answered Cancel without a dialog; nothing opened, the app not made the mail program.
  assert.ok(!run.fake.calls.some((c) => c.what === 'dialog.showMessageBox' || c.what === 'shell.openExternal'));
  assert.ok(!run.fake.calls.some((c) => c.what === 'app.setAsDefaultProtocolClient'));
  // The shell was closed: the keyring process stopped.
  assert.equal(run.fake.children[0]!.killed, true);
});

test("Linux without a secret service (basic_text): the app's refusal is reported as the designed outcome", async () => {
  const run = await smoke({ backend: 'basic_text' });
  assert.equal(run.code, 0, run.lines.join('\n'));
  assert.match(lineOf(run, 'safe storage')!, /^ok - safe storage: refused the basic_text backend as designed/);
});

test('safe storage that is not available on macOS or Windows fails the check', async () => {
  const run = await smoke({ platform: 'darwin', available: false });
  assertOnlyFailing(run, ['safe storage'], /not available: /);
});

test('a renderer with Node fails its check', async () => {
  const run = await smoke({ node: true });
  assertOnlyFailing(run, ['the renderer has no Node'], /the page sees process \(object\), require \(function\)/);
});

test('a preload that exposes more fails its check', async () => {
  const run = await smoke({ extraBridge: true });
  assertOnlyFailing(run, ['the preload exposes only call and on'], /window\.sealpost has call:function, ipcRenderer:object, on:function/);
});

test('a navigation that is allowed fails its check', async () => {
  const run = await smoke({ navigationAllowed: true });
  assertOnlyFailing(run, ['a navigation away from the app is denied'], /the window went to https:\/\/example\.org\//);
});

test('a message frame with the page origin fails its check', async () => {
  const run = await smoke({ frameNotSandboxed: true });
  assertOnlyFailing(run, ['a message frame loads from app://sealpost/message/<id> and cannot reach its parent'], /origin app:\/\/sealpost/);
});

test('no single-instance lock: the window check and the lock check fail, the rest cannot run', async () => {
  const run = await smoke({ singleInstance: false });
  assert.equal(run.code, 1);
  assert.match(lineOf(run, NAMES[0]!)!, /^not ok - .*another instance holds the single-instance lock/);
  assert.match(lineOf(run, 'the single-instance lock is held')!, /^not ok - .*this instance does not hold it/);
  assert.match(lineOf(run, 'the renderer has no Node')!, /^not ok - .*the window did not open/);
  assert.equal(existsSync(run.profile!), false);
});

test('a keyring that does not answer: the time limit names what did not finish and what did not run, exit 1', async () => {
  const started = Date.now();
  const run = await smoke({ keyringSilent: true, timeLimitMs: 1500 });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(run.code, 1);
  const lines = checkLines(run);
  assert.deepEqual(
    lines.slice(0, 3).map((l) => l.slice(0, 5)),
    ['ok - ', 'ok - ', 'ok - '],
  );
  assert.equal(lines[3], 'not ok - the keyring utilityProcess answers: did not finish within the time limit (2 s)');
  for (const name of NAMES.slice(4)) assert.ok(lines.includes(`not ok - ${name}: not run (the time limit of 2 s was reached)`), name);
  assert.equal(lines.length, NAMES.length);
  assert.equal(existsSync(run.profile!), false);
});

test('a page that never answers a probe is cut off by the time limit', async () => {
  const run = await smoke({ hangOn: 'typeof process', timeLimitMs: 1000 });
  assert.equal(run.code, 1);
  assert.equal(lineOf(run, 'the renderer has no Node'), 'not ok - the renderer has no Node: did not finish within the time limit (1 s)');
  assert.deepEqual(readdirSync(join(run.profile!, '..')), []);
});

test('main.ts with --smoke-test runs the smoke test instead of the app, prints its lines and exits with its code', () => {
  const fixture = fileURLToPath(new URL('./fixtures/smoke-main.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--experimental-test-module-mocks', '--no-warnings', fixture, scratch, '--smoke-test'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  const report = JSON.parse(lines.pop()!) as { exit: number[] | null; schemesRegistered: number; windows: number; userData: string | null };
  assert.match(lines[0]!, /^# Sealpost smoke test, throwaway profile .*sealpost-smoke-/);
  // The fake window is no page (no getURL, no probes): the checks fail, named, and so the exit code is 1.
  assert.match(lines[1]!, /^not ok - the window opens on app:\/\/sealpost\/index\.html: /);
  assert.match(lines[2]!, /^not ok - the renderer has no Node: .*executeJavaScript is not a function$/);
  assert.equal(lines.filter((l) => /^(ok|not ok) - /.test(l)).length, NAMES.length);
  assert.deepEqual(report.exit, [1]);
  assert.equal(report.schemesRegistered, 1, 'the app itself was not started as well');
  assert.equal(report.windows, 1);
  assert.ok(report.userData && !existsSync(report.userData), 'the throwaway profile is gone');
});
