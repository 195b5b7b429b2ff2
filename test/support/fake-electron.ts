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
    attachToParent(this.parent, undefined, () => {});
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

/**
 * Electron's safeStorage: a reversible transform that is not the plain text
 * (so a test can see that nothing is stored in the clear), and the Linux
 * backend a test chooses.
 */
export class FakeSafeStorage {
  available = true;
  backend: string = 'gnome_libsecret';
  /** Set to make the next decryption ask for re-encryption (a rotated key). */
  rotate = false;
  encryptions = 0;
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
  encryptString(plain: string): Buffer {
    if (!this.available) throw new Error('Encryption is not available.');
    this.encryptions++;
    const bytes = Buffer.from(`fake-safe:${plain}`, 'utf8');
    return Buffer.from(bytes.map((b) => b ^ 0x5a));
  }
  decryptString(encrypted: Buffer): string {
    if (!this.available) throw new Error('Decryption is not available.');
    const text = Buffer.from(encrypted.map((b) => b ^ 0x5a)).toString('utf8');
    if (!text.startsWith('fake-safe:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return text.slice('fake-safe:'.length);
  }
  async encryptStringAsync(plain: string): Promise<Buffer> {
    return this.encryptString(plain);
  }
  async decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    const result = this.decryptString(encrypted);
    const shouldReEncrypt = this.rotate;
    this.rotate = false;
    return { shouldReEncrypt, result };
  }
}

export function createFakeElectron(opts: {
  profile: string;
  singleInstance?: boolean;
  dialogResponse?: number;
  /** What the save dialog answers: a path, or null for "cancelled". */
  savePath?: string | null;
  isPackaged?: boolean;
  notificationsSupported?: boolean;
}) {
  const calls: { what: string; args: unknown[] }[] = [];
  const record = (what: string, ...args: unknown[]) => void calls.push({ what, args });

  const app = Object.assign(new EventEmitter(), {
    isPackaged: opts.isPackaged ?? false,
    getPath: (name: string) => {
      record('app.getPath', name);
      return name === 'userData' ? opts.profile : `${opts.profile}/${name}`;
    },
    enableSandbox: () => record('app.enableSandbox'),
    requestSingleInstanceLock: () => opts.singleInstance ?? true,
    quit: () => record('app.quit'),
    exit: (code: number) => record('app.exit', code),
    whenReady: () => Promise.resolve(),
    setAsDefaultProtocolClient: (...args: unknown[]) => {
      record('app.setAsDefaultProtocolClient', ...args);
      return true;
    },
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
  /** The session's request filter (webRequest.onBeforeRequest), as the shell set it. */
  const webRequest: { beforeRequest?: (details: object, callback: (response: { cancel?: boolean }) => void) => void } = {};
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (fn: Function) => void (permission.request = fn),
      setPermissionCheckHandler: (fn: Function) => void (permission.check = fn),
      setDevicePermissionHandler: (fn: Function) => void (permission.device = fn),
      webRequest: {
        onBeforeRequest: (fn: typeof webRequest.beforeRequest) => void (webRequest.beforeRequest = fn),
      },
    },
  };

  const windows: FakeBrowserWindow[] = [];
  class FakeWebContents extends EventEmitter {
    readonly mainFrame: FakeFrame = appFrame();
    readonly sent: unknown[][] = [];
    windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
    send(...args: unknown[]) {
      record('webContents.send', ...args);
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
    minimized = false;
    shown = false;
    focused = false;
    focusCount = 0;
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
    static getFocusedWindow() {
      return windows.find((w) => !w.destroyed && w.focused) ?? null;
    }
    static fromWebContents(contents: unknown) {
      return windows.find((w) => w.webContents === contents) ?? null;
    }
    async loadURL(url: string) {
      await new Promise((r) => setImmediate(r)); // loading takes a moment: anything sent before the page is there is lost
      record('window.loaded', url);
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
      return this.minimized;
    }
    restore() {
      this.minimized = false;
    }
    focus() {
      this.focused = true;
      this.focusCount++;
    }
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
    showSaveDialog: async (...args: unknown[]) => {
      record('dialog.showSaveDialog', ...args);
      const path = opts.savePath ?? null;
      return path === null ? { canceled: true, filePath: '' } : { canceled: false, filePath: path };
    },
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

  const notifications: FakeNotification[] = [];
  class FakeNotification extends EventEmitter {
    readonly options: { title?: string; body?: string };
    shown = false;
    constructor(options: { title?: string; body?: string }) {
      super();
      this.options = options;
      notifications.push(this);
    }
    static isSupported() {
      return opts.notificationsSupported ?? true;
    }
    show() {
      this.shown = true;
    }
  }
  const safeStorage = new FakeSafeStorage();

  const electron = {
    app,
    Notification: FakeNotification,
    safeStorage,
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
  return { electron, calls, protocolHandlers, ipcHandlers, permission, webRequest, windows, children, notifications, safeStorage };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
