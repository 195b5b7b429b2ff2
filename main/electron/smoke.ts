import type * as Electron from 'electron';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ENTRY_URL } from './sender.ts';
import { SafeStorageSecretStore, secretServiceRefusal } from './safe-storage-secrets.ts';
import { prepareShell, startShell, type ElectronApi, type RunningShell, type ShellPaths } from './shell.ts';
import { reasonOf, runChecks, type SmokeCheck } from './smoke-report.ts';
import {
  BRIDGE_PROBE,
  CALL_PROBE,
  FOREIGN_URL,
  FRAME_DOCUMENT,
  FRAME_REMOVE_PROBE,
  FRAME_SCRIPT_MARKER,
  frameProbe,
  LOCATION_PROBE,
  NAVIGATE_PROBE,
  NODE_PROBE,
  type FrameProbeResult,
} from './smoke-probes.ts';

/**
 * `--smoke-test`: the real shell (the one startShell the app runs) in a
 * throwaway profile, checked from inside, for the parts only Electron
 * exercises: the ES module main, app:// and the message frame under their
 * policies, the sandboxed preload, the keyring utilityProcess (from the
 * asar, when packaged), safeStorage, the single-instance lock and the
 * navigation guard. One line per check, exit code 0 only when all pass.
 *
 * It takes the Electron API as a parameter, so the same code runs in the
 * tests against the mocked electron module (test/main/electron/smoke.test.ts).
 */

export const SMOKE_FLAG = '--smoke-test';
export const SMOKE_TIME_LIMIT_MS = 60_000;
/** How long the shell's own shutdown (mail, store, keyring) may take at the end. */
const CLOSE_LIMIT_MS = 5_000;

export type SmokeElectronApi = ElectronApi;

export interface SmokeOptions {
  /** Where the lines go (main.ts: stdout). */
  write: (line: string) => void;
  timeLimitMs?: number;
  /** The folder the throwaway profile is made in (default: the system's temp folder). */
  tmp?: string;
  platform?: NodeJS.Platform;
  /** How long the navigation check waits for the guard to act (ms). */
  navigationWaitMs?: number;
}

export function isSmokeTest(argv: readonly string[]): boolean {
  return argv.includes(SMOKE_FLAG);
}

/** `target` with some members replaced; every other method stays bound to the real object (Electron's native ones need that). */
function overriding<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(replaced, property)) return replaced[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * The Electron API as the shell gets it in a smoke run: the same, except
 * that the guard's "open this link in your browser?" question is answered
 * "Cancel" without a dialog, nothing is ever opened outside the app, and the
 * app is not offered as the system's mail program (a smoke test must not
 * change the user's settings); the first two are recorded, so that a check
 * can see what the guard did.
 */
export function smokeElectron(e: ElectronApi): { api: ElectronApi; asked: string[]; opened: string[] } {
  const asked: string[] = [];
  const opened: string[] = [];
  const showMessageBox = async (...args: unknown[]) => {
    const options = args[args.length - 1] as Electron.MessageBoxOptions;
    asked.push(options.detail ?? options.message);
    return { response: options.cancelId ?? 1, checkboxChecked: false };
  };
  const openExternal = async (url: string) => {
    opened.push(url);
  };
  const api: ElectronApi = {
    app: overriding(e.app, { setAsDefaultProtocolClient: () => false }),
    BrowserWindow: e.BrowserWindow,
    dialog: overriding(e.dialog, { showMessageBox }),
    ipcMain: e.ipcMain,
    MessageChannelMain: e.MessageChannelMain,
    nativeTheme: e.nativeTheme,
    Notification: e.Notification,
    powerMonitor: e.powerMonitor,
    protocol: e.protocol,
    safeStorage: e.safeStorage,
    screen: e.screen,
    session: e.session,
    shell: overriding(e.shell, { openExternal }),
    utilityProcess: e.utilityProcess,
  };
  return { api, asked, opened };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= until) return false;
    await sleep(25);
  }
  return true;
}

function withLimit<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/**
 * Runs the smoke test and resolves with the exit code. The throwaway
 * profile is set as userData here, synchronously, before the app is ready
 * (Chromium takes its user data folder, and the single-instance lock its
 * place, from it at ready), and removed at the end.
 */
export async function runSmokeTest(e: ElectronApi, paths: ShellPaths, options: SmokeOptions): Promise<number> {
  const { app } = e;
  const platform = options.platform ?? process.platform;
  const profile = mkdtempSync(join(options.tmp ?? tmpdir(), 'sealpost-smoke-'));
  app.setPath('userData', profile);
  options.write(`# Sealpost smoke test, throwaway profile ${profile}`);
  const locked = prepareShell(e);
  const { api, asked, opened } = smokeElectron(e);

  let running: RunningShell | null = null;
  let page: Electron.WebContents | null = null;
  let fingerprint: string | null = null;
  const shell = () => {
    if (!running || !page) throw new Error('the window did not open');
    return { running, page };
  };

  const checks: SmokeCheck[] = [
    {
      name: 'the window opens on app://sealpost/index.html',
      async run() {
        if (!locked) throw new Error('another instance holds the single-instance lock of the throwaway profile');
        await app.whenReady();
        running = await startShell(api, paths, { argv: [] });
        const win = e.BrowserWindow.getAllWindows()[0];
        if (!win) throw new Error('no window after start');
        page = win.webContents;
        const url = page.getURL();
        if (url !== APP_ENTRY_URL) throw new Error(`the window shows ${url}`);
      },
    },
    {
      name: 'the renderer has no Node',
      async run() {
        const seen = (await shell().page.executeJavaScript(NODE_PROBE)) as Record<string, string>;
        const present = Object.entries(seen).filter(([, type]) => type !== 'undefined');
        if (present.length > 0) throw new Error(`the page sees ${present.map(([name, type]) => `${name} (${type})`).join(', ')}`);
        return `typeof ${Object.keys(seen).join('/')} are undefined`;
      },
    },
    {
      name: 'the preload exposes only call and on',
      async run() {
        const keys = (await shell().page.executeJavaScript(BRIDGE_PROBE)) as string[] | null;
        if (keys === null) throw new Error('window.sealpost is missing');
        if (keys.join(',') !== 'call:function,on:function') throw new Error(`window.sealpost has ${keys.join(', ') || 'nothing'}`);
        return 'window.sealpost has call, on';
      },
    },
    {
      name: 'the keyring utilityProcess answers',
      async run() {
        const client = shell().running.keyring.client;
        const key = await client.call('keys.generate', {
          name: 'Sealpost Smoke Test',
          email: 'smoke-test@sealpost.invalid',
          algo: 'curve25519',
          expiresInSeconds: 3600,
          passphrase: null,
        });
        const listed = await client.call('keys.list', { secret: true });
        if (!listed.some((k) => k.fingerprint === key.fingerprint)) throw new Error('the generated key is not listed');
        fingerprint = key.fingerprint;
        return `generated and listed ${key.fingerprint} in the throwaway profile`;
      },
    },
    {
      name: 'a call from the page reaches the dispatcher and the keyring',
      async run() {
        const result = (await shell().page.executeJavaScript(CALL_PROBE)) as
          { ok: true; value: { fingerprint: string }[] } | { ok: false; error: { code: string; message: string } };
        if (!result || typeof result !== 'object') throw new Error('no answer');
        if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
        if (fingerprint && !result.value.some((k) => k.fingerprint === fingerprint)) throw new Error('keys.list lacks the generated key');
        return `keys.list answered ${result.value.length} key(s)`;
      },
    },
    {
      name: 'safe storage',
      async run() {
        const { running: shellState } = shell();
        const refusal = secretServiceRefusal(e.safeStorage, platform);
        const backend = platform === 'linux' ? (e.safeStorage.getSelectedStorageBackend?.() ?? 'unknown') : null;
        if (refusal) {
          // Designed (safe-storage-secrets.ts): on Linux without a secret service the app refuses to keep
          // passwords, says so, and works without mail. Elsewhere the system's store must be there.
          if (platform !== 'linux') throw new Error(`not available: ${refusal.message}`);
          if (shellState.mailProblem?.code !== 'secret-store-unavailable')
            throw new Error(
              `refused (${backend}), but the app did not report it (mail problem: ${shellState.mailProblem?.code ?? 'none'})`,
            );
          const store = new SafeStorageSecretStore(e.safeStorage, app.getPath('userData'), { platform });
          const stored = await store.set('smoke-test', 'never-stored').then(
            () => 'stored',
            (error: { code?: string }) => error.code,
          );
          if (stored !== 'secret-store-unavailable') throw new Error(`refused (${backend}), but a password store write gave ${stored}`);
          return `refused the ${backend} backend as designed (no secret service: passwords are never stored, mail is unavailable, keys work)`;
        }
        const secret = `smoke-${randomBytes(12).toString('hex')}`;
        const encrypted = e.safeStorage.encryptString(secret);
        if (encrypted.includes(Buffer.from(secret))) throw new Error('the encrypted form contains the plain text');
        if (e.safeStorage.decryptString(encrypted) !== secret) throw new Error('decryption gave something else');
        const store = new SafeStorageSecretStore(e.safeStorage, app.getPath('userData'), { platform });
        await store.set('smoke-test', secret);
        if ((await store.get('smoke-test')) !== secret) throw new Error("the password store's round trip gave something else");
        if (shellState.mailProblem) throw new Error(`available, but mail is unavailable: ${shellState.mailProblem.message}`);
        return `encrypts and decrypts${backend ? ` (${backend})` : ''}`;
      },
    },
    {
      name: 'the single-instance lock is held',
      async run() {
        if (!locked || !app.hasSingleInstanceLock()) throw new Error('this instance does not hold it');
      },
    },
    {
      name: 'a message frame loads from app://sealpost/message/<id> and cannot reach its parent',
      async run() {
        const { running: shellState, page: contents } = shell();
        const frames = shellState.services.frames;
        if (!frames) throw new Error('the shell serves no message frames');
        const url = frames.put(FRAME_DOCUMENT, false);
        try {
          const seen = (await contents.executeJavaScript(frameProbe(url))) as FrameProbeResult;
          if (!seen.loaded) throw new Error(`${url} did not load`);
          const frame = contents.mainFrame.framesInSubtree.find((f) => f.url === url);
          if (!frame) throw new Error('the frame is not among the window frames (blocked by the page policy?)');
          if (frame.origin !== 'null') throw new Error(`the frame has the origin ${frame.origin}, not an opaque one`);
          if (seen.contentDocument !== 'null' || seen.reach !== 'blocked') throw new Error('the page and the frame can reach each other');
          if (seen.posted.includes(FRAME_SCRIPT_MARKER) || seen.title === FRAME_SCRIPT_MARKER) throw new Error("the frame's script ran");
          return 'opaque origin, its script did not run, the page cannot see into it';
        } finally {
          await contents.executeJavaScript(FRAME_REMOVE_PROBE).catch(() => {});
        }
      },
    },
    {
      name: 'a navigation away from the app is denied',
      async run() {
        const { page: contents } = shell();
        await contents.executeJavaScript(NAVIGATE_PROBE);
        // The guard refuses will-navigate and asks whether to open the link in the browser (answered "Cancel" here).
        const askedInTime = await waitFor(() => asked.includes(FOREIGN_URL), options.navigationWaitMs ?? 5_000);
        await sleep(300); // a navigation that was not stopped would have started by now
        const url = contents.getURL();
        const inPage = (await contents.executeJavaScript(LOCATION_PROBE)) as string;
        if (url !== APP_ENTRY_URL || inPage !== APP_ENTRY_URL)
          throw new Error(`the window went to ${url === APP_ENTRY_URL ? inPage : url}`);
        if (!askedInTime) throw new Error('the navigation guard did not see the navigation');
        if (opened.length > 0) throw new Error(`opened ${opened.join(', ')} outside the app`);
        return `${FOREIGN_URL} refused, the page stays on ${APP_ENTRY_URL}`;
      },
    },
  ];

  let code = 1;
  try {
    const outcome = await runChecks(checks, options.write, options.timeLimitMs ?? SMOKE_TIME_LIMIT_MS);
    code = outcome.failed === 0 ? 0 : 1;
  } finally {
    const current = running as RunningShell | null;
    if (current) {
      const closed = await withLimit(
        current.close().then(() => 'closed' as const),
        CLOSE_LIMIT_MS,
      ).catch(() => 'failed' as const);
      if (closed !== 'closed') options.write(`# the shell did not close cleanly (${closed})`);
    }
    if (locked) app.releaseSingleInstanceLock();
    removeProfile(profile, options.write);
  }
  return code;
}

/**
 * Removes the throwaway profile. While Electron runs, Chromium may still
 * hold files in it open (on Windows such files cannot be deleted): then it
 * is tried again as the process exits, and the folder is named.
 */
function removeProfile(profile: string, write: (line: string) => void): void {
  const remove = () => rmSync(profile, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  try {
    remove();
    write('# throwaway profile removed');
  } catch (error) {
    write(`# the throwaway profile could not be removed yet (${reasonOf(error)}); tried again at exit: ${profile}`);
    process.once('exit', () => {
      try {
        remove();
      } catch {
        // it stays in the system's temp folder, named above
      }
    });
  }
}
