import type * as Electron from 'electron';
import { SealpostError } from '../../app/errors.ts';
import { fail, type Result } from '../../app/result.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, type EventName, type EventPayload } from '../../app/ipc/contract.ts';
import { checkEvent, createDispatcher, type Dispatch } from '../ipc/dispatcher.ts';
import type { Services } from '../ipc/handlers.ts';
import { APP_SCHEME_PRIVILEGES, handleAppRequest } from './app-protocol.ts';
import { denyAllPermissions, guardWebContents, type GuardDeps } from './guards.ts';
import { startKeyringProcess, type KeyringProcess } from './keyring-process.ts';
import { APP_ENTRY_URL, APP_SCHEME, isTrustedSender, type SenderEventLike } from './sender.ts';
import { windowOptions } from './window-options.ts';
import { loadWindowState, saveWindowState, windowStateFile } from './window-state.ts';

/** The parts of the `electron` module the shell uses; main.ts passes the real one, a test a fake. */
export type ElectronApi = Pick<
  typeof Electron,
  'app' | 'BrowserWindow' | 'dialog' | 'ipcMain' | 'MessageChannelMain' | 'nativeTheme' | 'powerMonitor' | 'protocol' | 'screen' | 'session' | 'shell' | 'utilityProcess'
>;

/** Where the built pieces are (dist/renderer, dist/preload/preload.cjs, dist/keyring/utility.mjs). */
export interface ShellPaths {
  renderer: string;
  preload: string;
  keyringEntry: string;
}

/** The sealpost:call handler: the sender check, then the dispatcher. Never throws. */
export function createCallHandler(dispatch: Dispatch) {
  return async (event: SenderEventLike, procedure: unknown, input: unknown): Promise<Result<unknown>> => {
    if (!isTrustedSender(event)) return fail(new SealpostError('protocol-invalid', 'call refused: not from the app page').toAppError());
    if (typeof procedure !== 'string') return fail(new SealpostError('protocol-invalid', 'the procedure name must be a string').toAppError());
    return dispatch(procedure, input);
  };
}

/** Before the app is ready: the privileged scheme, the sandbox for every renderer, one instance. Returns false when another instance runs. */
export function prepareShell(e: Pick<ElectronApi, 'app' | 'protocol'>): boolean {
  e.protocol.registerSchemesAsPrivileged([{ ...APP_SCHEME_PRIVILEGES, privileges: { ...APP_SCHEME_PRIVILEGES.privileges } }]);
  e.app.enableSandbox();
  if (!e.app.requestSingleInstanceLock()) {
    e.app.quit();
    return false;
  }
  return true;
}

export interface RunningShell {
  dispatch: Dispatch;
  keyring: KeyringProcess;
  openWindow(): Promise<Electron.BrowserWindow>;
}

/** After `app` is ready: protocol, guards, keyring, IPC, window. */
export async function startShell(e: ElectronApi, paths: ShellPaths): Promise<RunningShell> {
  const { app, BrowserWindow } = e;
  const profile = app.getPath('userData');
  const defaultSession = e.session.defaultSession;

  e.protocol.handle(APP_SCHEME, (request) => handleAppRequest(request, paths.renderer));
  denyAllPermissions(defaultSession);

  const guardDeps: GuardDeps = { shell: e.shell, dialog: e.dialog, windowFor: (contents) => BrowserWindow.fromWebContents(contents) };
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, guardDeps));

  const keyring = startKeyringProcess(e, paths.keyringEntry, profile);
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    const checked = checkEvent(event, payload);
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event, checked);
    }
  };
  const services: Services = {
    get keyring() {
      return keyring.client;
    },
    emit,
  };
  void keyring.client; // start it now, not on the first call
  const dispatch = createDispatcher(services);
  const onCall = createCallHandler(dispatch);
  e.ipcMain.handle(CALL_CHANNEL, (event, procedure: unknown, input: unknown) => onCall(event, procedure, input));

  // Unlocked keys do not outlive the user's presence.
  const lockAll = () => void dispatch('session.lock', {});
  e.powerMonitor.on('lock-screen', lockAll);
  e.powerMonitor.on('suspend', lockAll);
  app.on('will-quit', () => keyring.stop());

  const stateFile = windowStateFile(profile);
  const openWindow = async () => {
    const state = await loadWindowState(stateFile, e.screen.getAllDisplays().map((d) => d.workArea));
    const win = new BrowserWindow(windowOptions({ preload: paths.preload, bounds: state.bounds, darkBackground: e.nativeTheme.shouldUseDarkColors }));
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
  };

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (!win) return void openWindow();
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await openWindow();
  return { dispatch, keyring, openWindow };
}
