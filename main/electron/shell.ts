import type * as Electron from 'electron';
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { fail, type Result } from '../../app/result.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, type EventName, type EventPayload } from '../../app/ipc/contract.ts';
import { checkEvent, createDispatcher, type Dispatch } from '../ipc/dispatcher.ts';
import type { Services } from '../ipc/handlers.ts';
import { KeyRefreshSchedule } from '../services/key-refresh-schedule.ts';
import { MailService } from '../services/mail-service.ts';
import { SettingsStore } from '../services/settings-store.ts';
import { openStore } from '../store/database.ts';
import { APP_SCHEME_PRIVILEGES, handleAppRequest } from './app-protocol.ts';
import { MessageFrames } from '../services/message-frames.ts';
import { allowSessionRequest, type SessionRequest } from '../services/frame-requests.ts';
import { denyAllPermissions, guardWebContents, type GuardDeps } from './guards.ts';
import { startKeyringProcess, type KeyringProcess } from './keyring-process.ts';
import { listenForOpenUrl, MailtoLinks, registerMailtoClient } from './mailto-handler.ts';
import { createMailNotifier } from './notifications.ts';
import { SafeStorageSecretStore } from './safe-storage-secrets.ts';
import { createSaveFile } from './save-file.ts';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, isTrustedSender, type SenderEventLike } from './sender.ts';
import { createMainWindow } from './window-options.ts';
import { loadWindowState, saveWindowState, windowStateFile } from './window-state.ts';

/** The parts of the `electron` module the shell uses; main.ts passes the real one, a test a fake. */
export type ElectronApi = Pick<
  typeof Electron,
  | 'app'
  | 'BrowserWindow'
  | 'dialog'
  | 'ipcMain'
  | 'MessageChannelMain'
  | 'nativeTheme'
  | 'Notification'
  | 'powerMonitor'
  | 'protocol'
  | 'safeStorage'
  | 'screen'
  | 'session'
  | 'shell'
  | 'utilityProcess'
>;

/** Where the built pieces are (dist/renderer, dist/preload/preload.cjs, dist/keyring/utility.mjs). */
export interface ShellPaths {
  renderer: string;
  preload: string;
  keyringEntry: string;
}

export interface ShellOptions {
  /** mailto: links received before the shell started (macOS `open-url`); the one prepareShell listened with. */
  links?: MailtoLinks;
  /** The command line of this start (a mailto: link on Windows and Linux); default process.argv. */
  argv?: readonly string[];
  /** How long quitting waits for the mail service's running work (ms). */
  quitTimeoutMs?: number;
}

/** The sealpost:call handler: the sender check, then the dispatcher. Never throws. */
export function createCallHandler(dispatch: Dispatch) {
  return async (event: SenderEventLike, procedure: unknown, input: unknown): Promise<Result<unknown>> => {
    if (!isTrustedSender(event)) return fail(new SealpostError('protocol-invalid', 'call refused: not from the app page').toAppError());
    if (typeof procedure !== 'string')
      return fail(new SealpostError('protocol-invalid', 'the procedure name must be a string').toAppError());
    return dispatch(procedure, input);
  };
}

/** What frame-requests.ts needs of Electron's request details: the URL, its kind, and the URL of the frame that asks. */
export function sessionRequestOf(details: Pick<Electron.OnBeforeRequestListenerDetails, 'url' | 'resourceType' | 'frame'>): SessionRequest {
  let frameUrl: string | null = null;
  try {
    // The frame can be gone already (navigated away or destroyed); reading it then throws.
    frameUrl = details.frame?.url ?? null;
  } catch {
    frameUrl = null;
  }
  return { url: details.url, resourceType: details.resourceType, frameUrl };
}

/**
 * Before the app is ready: the privileged scheme, the sandbox for every
 * renderer, one instance, and macOS's `open-url` (sent as early as the
 * launch). Returns false when another instance runs.
 */
export function prepareShell(e: Pick<ElectronApi, 'app' | 'protocol'>, links?: MailtoLinks): boolean {
  e.protocol.registerSchemesAsPrivileged([{ ...APP_SCHEME_PRIVILEGES, privileges: { ...APP_SCHEME_PRIVILEGES.privileges } }]);
  e.app.enableSandbox();
  if (!e.app.requestSingleInstanceLock()) {
    e.app.quit();
    return false;
  }
  if (links) listenForOpenUrl(e.app, links);
  return true;
}

/**
 * The mail service stand-in when mail cannot work in this session (no
 * secret service, a mail store that cannot be opened): every mail call
 * fails with that reason, and the rest of the app (keys) works.
 */
function unavailableMail(reason: SealpostError): MailService {
  return new Proxy({} as MailService, {
    get(_target, property) {
      if (property === 'then') return undefined;
      return () => {
        throw reason;
      };
    },
  });
}

export interface RunningShell {
  dispatch: Dispatch;
  /** What the handlers were given (the command line and the test host build their own). */
  services: Services;
  keyring: KeyringProcess;
  /** The shell's event sender (every window, plus the notification for `mail.arrived`). */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** The mail service, or null when mail is unavailable in this session. */
  mail: MailService | null;
  /** Why mail is unavailable, or null. */
  mailProblem: SealpostError | null;
  /** The daily refresh of correspondents' keys (started after the window opened, with mail). */
  keyRefresh: KeyRefreshSchedule;
  openWindow(): Promise<Electron.BrowserWindow>;
  /** What quitting does (mail stopped, the store closed, the keyring stopped), for a caller that exits on its own (the smoke test). */
  close(): Promise<void>;
}

/** After `app` is ready: protocol, guards, keyring, mail, IPC, window, notifications, mailto: links. */
export async function startShell(e: ElectronApi, paths: ShellPaths, options: ShellOptions = {}): Promise<RunningShell> {
  const { app, BrowserWindow } = e;
  const profile = app.getPath('userData');
  const defaultSession = e.session.defaultSession;
  const links = options.links ?? new MailtoLinks();

  // The reader's HTML frames, in memory only, served from the app's origin with their own policy.
  const frames = new MessageFrames(APP_ORIGIN);
  e.protocol.handle(APP_SCHEME, (request) => handleAppRequest(request, paths.renderer, frames));
  denyAllPermissions(defaultSession);
  // The second wall behind the frame's CSP: the window's session (the frame's too: an iframe has no session of its
  // own) cancels every request the user has not allowed (main/services/frame-requests.ts decides).
  defaultSession.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !allowSessionRequest(sessionRequestOf(details), frames, APP_ORIGIN) }),
  );

  const guardDeps: GuardDeps = { shell: e.shell, dialog: e.dialog, windowFor: (contents) => BrowserWindow.fromWebContents(contents) };
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, guardDeps));

  const keyring = startKeyringProcess(e, paths.keyringEntry, profile);

  // --- windows
  let loading: Promise<Electron.BrowserWindow> | null = null;
  const stateFile = windowStateFile(profile);
  const openWindow = (): Promise<Electron.BrowserWindow> => {
    const opening = (async () => {
      const state = await loadWindowState(
        stateFile,
        e.screen.getAllDisplays().map((d) => d.workArea),
      );
      const win = createMainWindow(BrowserWindow, {
        preload: paths.preload,
        bounds: state.bounds,
        darkBackground: e.nativeTheme.shouldUseDarkColors,
      });
      if (state.maximized) win.maximize();
      win.once('ready-to-show', () => win.show());
      win.on('close', () => {
        try {
          saveWindowState(stateFile, { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
        } catch {
          // only a convenience: the next start uses the default size
        }
      });
      await win.loadURL(APP_ENTRY_URL);
      return win;
    })();
    loading = opening;
    const settled = () => {
      if (loading === opening) loading = null;
    };
    opening.then(settled, settled);
    return opening;
  };
  /** The app's window, loaded, in front; opened when there is none (macOS keeps running without one). */
  const frontWindow = async (): Promise<Electron.BrowserWindow> => {
    const win = loading ? await loading : (BrowserWindow.getAllWindows()[0] ?? (await openWindow()));
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    return win;
  };

  // --- events to the windows, and the desktop notification for new mail
  let dispatch: Dispatch | null = null;
  const notify = createMailNotifier({
    Notification: e.Notification,
    enabled: async () => {
      const settings = await dispatch!('settings.get', {});
      return !(settings.ok && (settings.value as { notifications?: unknown }).notifications === false);
    },
    focus: () => void frontWindow().catch(() => {}),
  });
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    const checked = checkEvent(event, payload);
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event, checked);
    }
    if (event === 'mail.arrived') void notify(checked as EventPayload<'mail.arrived'>).catch(() => {});
  };

  // --- mail: the store, account passwords in the system's secret service, the mail service
  const secrets = new SafeStorageSecretStore(e.safeStorage, profile);
  const settings = new SettingsStore({ profile });
  let db: DatabaseSync | null = null;
  let mail: MailService | null = null;
  let mailProblem: SealpostError | null = secrets.refusal();
  if (!mailProblem) {
    try {
      db = openStore(profile);
      mail = new MailService({ db, secrets, keyring: keyring.live, emit, settings });
    } catch (error) {
      try {
        db?.close();
      } catch {
        // it was not open
      }
      db = null;
      mailProblem =
        error instanceof SealpostError ? error : new SealpostError('store-corrupt', error instanceof Error ? error.message : String(error));
    }
  }
  const mailService = mail ?? unavailableMail(mailProblem!);

  const services: Services = {
    get keyring() {
      return keyring.client;
    },
    emit,
    frames,
    mail: mailService,
    settings,
    dialogs: {
      saveFile: createSaveFile({
        dialog: e.dialog,
        window: () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null,
        folder: () => app.getPath('downloads'),
      }),
    },
  };
  void keyring.client; // start it now, not on the first call
  // Keys are refreshed whether or not mail works in this session; announced as keys.refresh announces them.
  const keyRefresh = new KeyRefreshSchedule({
    keyring: () => keyring.client,
    enabled: async () => (await settings.get()).keyRefresh,
    changed: (fingerprints) => emit('keyring.changed', { fingerprints }),
  });
  dispatch = createDispatcher(services);
  const onCall = createCallHandler(dispatch);
  e.ipcMain.handle(CALL_CHANNEL, (event, procedure: unknown, input: unknown) => onCall(event, procedure, input));

  // Unlocked keys do not outlive the user's presence.
  const lockAll = () => void dispatch('session.lock', {});
  e.powerMonitor.on('lock-screen', lockAll);
  e.powerMonitor.on('suspend', lockAll);

  // Quitting: the mail service and a key refresh finish what they are doing (bounded), then the store closes, then the keyring stops.
  let cleanedUp = false;
  let cleaning: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= cleanUp());
  const cleanUp = async () => {
    const stopped = Promise.all([mail?.stop().catch(() => {}), keyRefresh.stop()]);
    await Promise.race([stopped, new Promise((r) => setTimeout(r, options.quitTimeoutMs ?? 5000).unref())]);
    try {
      db?.close();
    } catch {
      // already closed
    }
    keyring.stop();
  };
  app.on('will-quit', (event) => {
    if (cleanedUp) return;
    event?.preventDefault();
    cleaning ??= close().finally(() => {
      cleanedUp = true;
      app.quit();
    });
  });

  // mailto: links, from this start's command line, a second start's, or macOS.
  links.addArguments(options.argv ?? process.argv);
  registerMailtoClient(app, profile);

  app.on('second-instance', (_event, argv) => {
    void frontWindow()
      .catch(() => {})
      .then(() => links.addArguments(Array.isArray(argv) ? argv : []));
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && !loading) void openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await openWindow();
  // Only now is there a page listening for compose.open.
  links.attach((request) => {
    void frontWindow()
      .then(() => emit('compose.open', request))
      .catch(() => {});
  });
  mail?.start();
  keyRefresh.start();
  return { dispatch, services, keyring, emit, mail, mailProblem, keyRefresh, openWindow, close };
}
