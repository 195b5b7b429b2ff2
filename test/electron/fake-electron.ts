/**
 * A stand-in for the parts of the `electron` module the shell uses, for
 * tests that cannot start Electron. It records what the shell asks for.
 * The utility process is simulated in this process: `utilityProcess.fork`
 * runs keyring/utility-entry.ts's attachToParent with the real serve(), and
 * MessageChannelMain is built on Node's MessageChannel, so the keyring that
 * answers is the real one.
 */
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { attachToParent } from '../../keyring/utility-entry.ts';

/** Electron's MessagePortMain shape ('message' events are `{ data }`), over a Node MessagePort. */
export class FakePortMain extends EventEmitter {
  readonly port: MessagePort;
  #started = false;
  constructor(port: MessagePort) {
    super();
    this.port = port;
    port.on('close', () => this.emit('close'));
  }
  postMessage(message: unknown): void {
    this.port.postMessage(message);
  }
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.port.on('message', (data) => this.emit('message', { data }));
  }
  close(): void {
    this.port.close();
  }
}

export class FakeMessageChannelMain {
  readonly port1: FakePortMain;
  readonly port2: FakePortMain;
  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port1 = new FakePortMain(port1);
    this.port2 = new FakePortMain(port2);
  }
}

export class FakeUtilityProcess extends EventEmitter {
  readonly entry: string;
  readonly options: unknown;
  readonly parent = new EventEmitter();
  killed = false;
  ports: FakePortMain[] = [];
  constructor(entry: string, options: unknown) {
    super();
    this.entry = entry;
    this.options = options;
    attachToParent(this.parent as never, undefined, () => {});
  }
  postMessage(message: unknown, ports: FakePortMain[] = []): void {
    this.ports.push(...ports);
    setImmediate(() => this.parent.emit('message', { data: message, ports }));
  }
  kill(): boolean {
    this.killed = true;
    for (const p of this.ports) p.close();
    setImmediate(() => this.emit('exit', 0));
    return true;
  }
  /** As if the process crashed. */
  crash(): void {
    for (const p of this.ports) p.close();
    this.emit('exit', 1);
  }
}

export interface FakeFrame {
  url: string;
  origin?: string;
  parent: FakeFrame | null;
}

export function appFrame(url = 'app://sealpost/index.html'): FakeFrame {
  return { url, origin: new URL(url).protocol === 'app:' ? `app://${new URL(url).host}` : new URL(url).origin, parent: null };
}

export function createFakeElectron(opts: { profile: string; singleInstance?: boolean; dialogResponse?: number }) {
  const calls: { what: string; args: unknown[] }[] = [];
  const record = (what: string, ...args: unknown[]) => void calls.push({ what, args });

  const app = Object.assign(new EventEmitter(), {
    getPath: (name: string) => {
      record('app.getPath', name);
      return opts.profile;
    },
    enableSandbox: () => record('app.enableSandbox'),
    requestSingleInstanceLock: () => opts.singleInstance ?? true,
    quit: () => record('app.quit'),
    exit: (code: number) => record('app.exit', code),
    whenReady: () => Promise.resolve(),
  });

  const protocolHandlers = new Map<string, (request: Request) => Promise<Response> | Response>();
  const protocol = {
    registerSchemesAsPrivileged: (schemes: unknown) => record('protocol.registerSchemesAsPrivileged', schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
      record('protocol.handle', scheme);
      protocolHandlers.set(scheme, handler);
    },
  };

  const permission: { request?: Function; check?: Function; device?: Function } = {};
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (fn: Function) => void (permission.request = fn),
      setPermissionCheckHandler: (fn: Function) => void (permission.check = fn),
      setDevicePermissionHandler: (fn: Function) => void (permission.device = fn),
    },
  };

  const windows: FakeBrowserWindow[] = [];
  class FakeWebContents extends EventEmitter {
    readonly mainFrame: FakeFrame = appFrame();
    readonly sent: unknown[][] = [];
    windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    setWindowOpenHandler(fn: (details: { url: string }) => { action: string }) {
      this.windowOpenHandler = fn;
    }
  }
  class FakeBrowserWindow extends EventEmitter {
    readonly options: Record<string, unknown>;
    readonly webContents = new FakeWebContents();
    loadedUrl: string | null = null;
    maximized = false;
    shown = false;
    destroyed = false;
    constructor(options: Record<string, unknown>) {
      super();
      this.options = options;
      windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    static getAllWindows() {
      return windows.filter((w) => !w.destroyed);
    }
    static fromWebContents(contents: unknown) {
      return windows.find((w) => w.webContents === contents) ?? null;
    }
    async loadURL(url: string) {
      this.loadedUrl = url;
      setImmediate(() => this.emit('ready-to-show'));
    }
    show() {
      this.shown = true;
    }
    maximize() {
      this.maximized = true;
    }
    isMaximized() {
      return this.maximized;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {}
    isDestroyed() {
      return this.destroyed;
    }
    getNormalBounds() {
      const o = this.options as { x?: number; y?: number; width: number; height: number };
      return { x: o.x ?? 10, y: o.y ?? 20, width: o.width, height: o.height };
    }
  }

  const ipcHandlers = new Map<string, Function>();
  const ipcMain = {
    handle: (channel: string, fn: Function) => {
      record('ipcMain.handle', channel);
      ipcHandlers.set(channel, fn);
    },
  };

  const dialog = {
    showMessageBox: async (...args: unknown[]) => {
      record('dialog.showMessageBox', ...args);
      return { response: opts.dialogResponse ?? 1, checkboxChecked: false };
    },
    showErrorBox: (...args: unknown[]) => record('dialog.showErrorBox', ...args),
  };
  const shell = { openExternal: async (url: string) => record('shell.openExternal', url) };
  const screen = { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] };
  const nativeTheme = { shouldUseDarkColors: false };
  const powerMonitor = new EventEmitter();

  const children: FakeUtilityProcess[] = [];
  const utilityProcess = {
    fork: (entry: string, _args: string[], options: unknown) => {
      record('utilityProcess.fork', entry, options);
      const child = new FakeUtilityProcess(entry, options);
      children.push(child);
      return child;
    },
  };

  const electron = {
    app,
    protocol,
    session,
    BrowserWindow: FakeBrowserWindow,
    ipcMain,
    dialog,
    shell,
    screen,
    nativeTheme,
    powerMonitor,
    utilityProcess,
    MessageChannelMain: FakeMessageChannelMain,
  };
  return { electron, calls, protocolHandlers, ipcHandlers, permission, windows, children };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
