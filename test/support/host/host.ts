/**
 * The test host: the app without Electron. An HTTP server on 127.0.0.1
 * serves the built renderer (dist/renderer) with the app's own CSP, and a
 * WebSocket bridge carries `window.sealpost.call`/`on` to the real
 * dispatcher (main/ipc/dispatcher.ts) over real services: the keyring in a
 * worker thread, the mail service on the profile's store, and a save
 * "dialog" that writes into `<home>/saved/`.
 *
 * What differs from the app, and only that:
 *  - the page is http://127.0.0.1:PORT/ instead of app://sealpost/;
 *  - the CSP's connect-src allows the bridge's ws://127.0.0.1:PORT (and
 *    nothing else); every other directive is the app's (main/electron/csp.ts);
 *  - `window.sealpost` comes from /__bridge.js, a script of the host's own
 *    origin injected before the app's scripts, instead of the preload.
 *
 * The bridge accepts a WebSocket only with the host's random token (given to
 * the page in its URL fragment) and only from the host's own origin, so
 * neither another local process nor another web page can call the app.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import { SealpostError } from '../../../app/errors.ts';
import type { EventName, EventPayload } from '../../../app/ipc/contract.ts';
import { fail } from '../../../app/result.ts';
import { MemorySecretStore, type SecretStore } from '../../../main/accounts/secret-store.ts';
import { mimeTypeFor, resolveAppPath } from '../../../main/electron/app-protocol.ts';
import { buildCsp, CSP_DIRECTIVES, securityHeaders } from '../../../main/electron/csp.ts';
import { APP_ORIGIN } from '../../../main/electron/sender.ts';
import { checkEvent, createDispatcher, type Dispatch } from '../../../main/ipc/dispatcher.ts';
import type { Services } from '../../../main/ipc/handlers.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { BACKGROUND_INTERVAL_MS, MailService, type MailServiceOptions } from '../../../main/services/mail-service.ts';
import { openStore } from '../../../main/store/database.ts';
import { SettingsStore } from '../../../main/services/settings-store.ts';
import { MESSAGE_FRAME_PATH, MessageFrames } from '../../../main/services/message-frames.ts';
import type { Fetcher } from '../../../main/discovery/http.ts';
import type { MailServers } from '../servers/mailservers.ts';
import { BRIDGE_PATH, BRIDGE_SCRIPT_PATH, fromWire, toWire, TOKEN_PARAM, type Base64, type HostMessage } from './codec.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_RENDERER_DIR = join(ROOT, 'dist/renderer');

/** Room for the contract's largest message (64 MiB of attachments) in base64, and then some. */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
/** Each step of close() gets this long before it is given up (and reported). */
const CLOSE_STEP_MS = 15_000;

export interface SavedFile {
  /** The name main asked for (an attachment's file name, a backup's name). */
  name: string;
  /** Where it was written: under `<home>/saved/`. */
  path: string;
  bytes: Uint8Array;
}

/** What the app's save dialog does; the test host's answers without asking anyone. */
export interface SaveDialogs {
  saveFile(name: string, bytes: Uint8Array): Promise<boolean>;
}

/** Saves into one folder and remembers what it saved; `cancel` makes it answer as a cancelled dialog. */
export interface RecordingDialogs extends SaveDialogs {
  readonly dir: string;
  readonly saved: SavedFile[];
  cancel: boolean;
}

/** A file name as a save dialog would offer it: one path segment, no control characters. */
function safeFileName(name: string): string {
  const cleaned = basename(name.replace(/\\/g, '/'))
    .replace(/[\p{Cc}/]/gu, '')
    .trim()
    .slice(0, 200);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'unnamed' : cleaned;
}

export function recordingDialogs(dir: string): RecordingDialogs {
  const saved: SavedFile[] = [];
  return {
    dir,
    saved,
    cancel: false,
    async saveFile(name, bytes) {
      if (this.cancel) return false;
      mkdirSync(dir, { recursive: true });
      const wanted = safeFileName(name);
      const dot = wanted.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [wanted.slice(0, dot), wanted.slice(dot)] : [wanted, ''];
      for (let n = 1; ; n++) {
        const path = join(dir, n === 1 ? wanted : `${stem} (${n})${ext}`);
        try {
          await writeFile(path, bytes, { flag: 'wx' }); // never over an earlier save
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 1000) continue;
          throw e;
        }
        saved.push({ name, path, bytes: new Uint8Array(bytes) });
        return true;
      }
    },
  };
}

/** The services the host gives the dispatcher: the app's, with the save dialog that writes into the profile. */
export type TestServices = Services & {
  readonly keyring: RunningKeyring['client'];
  readonly mail: MailService;
  readonly dialogs: RecordingDialogs;
};

export interface TestHostOptions {
  /** The profile folder (keyring, mail store, saved files). Default: a new temporary folder, removed by close(). */
  home?: string;
  /** The built renderer to serve. Default: dist/renderer (`npm run build`). */
  rendererDir?: string;
  /** The loopback mail servers the test uses; kept on the handle for convenience, never closed by the host. */
  servers?: MailServers;
  /** Where account passwords go. Default: a MemorySecretStore. */
  secrets?: SecretStore;
  /** Log in to both servers before an account is saved (default true, as in the app). */
  checkServers?: boolean;
  /** The mail service's background interval (outbox, actions, drafts); null: no timer (sends still flush at once). */
  backgroundIntervalMs?: number | null;
  /** Port on 127.0.0.1; default 0 (picked by the system). */
  port?: number;
  /**
   * Certificates (armored) the host's stand-in Web Key Directory serves, by
   * address: `keys.lookup` asks it instead of the network (the host never
   * goes online; the keyserver is not asked).
   */
  wkd?: Record<string, string>;
  /** More of the app's services for the dispatcher; default: settings in the profile and the stand-in WKD. */
  services?: Omit<Partial<Services>, 'keyring' | 'mail' | 'emit' | 'dialogs'>;
}

/**
 * A fetcher that answers Web Key Directory requests (draft-koch-openpgp-webkey-service,
 * section 3.1: `...?l=LOCAL` on the domain, the advanced or the direct method) from `keys`,
 * in binary as a WKD serves them, and 404 for everything else.
 */
export function standInWkd(keys: Record<string, string>): Fetcher {
  const byAddress = new Map(Object.entries(keys).map(([address, armored]) => [address.toLowerCase(), armored]));
  return async (url) => {
    const u = new URL(url);
    const local = u.searchParams.get('l');
    const domain = u.hostname.replace(/^openpgpkey\./, '');
    const armored =
      local !== null && u.pathname.includes('/.well-known/openpgpkey/') ? byAddress.get(`${local}@${domain}`.toLowerCase()) : undefined;
    if (armored === undefined) return new Response('not found', { status: 404 });
    const body = armored
      .replace(/-----(BEGIN|END)[^\n]*\n?/g, '')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '' && !/^[A-Za-z-]+: /.test(l) && !l.startsWith('='))
      .join('');
    return new Response(Buffer.from(body, 'base64'), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
  };
}

export interface EmittedEvent {
  event: EventName;
  payload: unknown;
}

export interface TestHost {
  /** The page to open: the app with this host's bridge token in the fragment. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** The bridge's secret; the page takes it from the URL fragment. */
  token: string;
  /** The page URL with another token (for refusal tests). */
  urlWithToken(token: string): string;
  home: string;
  /** The dispatcher the bridge calls (tests may call it directly as well). */
  dispatch: Dispatch;
  services: TestServices;
  servers: MailServers | undefined;
  /** Every event sent to the pages, in order (after the contract's check). */
  events: EmittedEvent[];
  /** Events the contract refused (a bug in main): their names and why. */
  badEvents: { event: string; error: string }[];
  /** Bridge connections: open now, accepted and refused since the start. */
  bridgeStats(): { open: number; accepted: number; refused: number };
  /** Stops what the host started: sockets, server, mail service, store, keyring (and the temporary profile). */
  close(): Promise<void>;
}

const nodeBase64: Base64 = {
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  decode: (text) => {
    const b = Buffer.from(text, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
};

let bridgeScript: Promise<string> | null = null;

/** /__bridge.js: test/support/host/bridge-client.ts and what it imports, as one classic script. */
export function buildBridgeScript(): Promise<string> {
  bridgeScript ??= esbuild
    .build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, 'test/support/host/bridge-client.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome140',
      logLevel: 'silent',
    })
    .then((result) => {
      const file = result.outputFiles[0];
      if (!file) throw new Error('the bridge script did not build');
      return file.text;
    });
  bridgeScript.catch(() => {
    bridgeScript = null;
  });
  return bridgeScript;
}

/** The app's CSP with connect-src opened to the bridge's WebSocket only. */
export function hostCsp(port: number): string {
  return buildCsp({ ...CSP_DIRECTIVES, 'connect-src': [`ws://127.0.0.1:${port}`] });
}

/** index.html with the bridge script placed before any script of the app's. */
export function injectBridge(html: string): string {
  const tag = `<script src="${BRIDGE_SCRIPT_PATH}"></script>`;
  const head = /<head[^>]*>/i.exec(html);
  const firstScript = html.search(/<script[\s>]/i);
  const at = head && (firstScript === -1 || head.index + head[0].length <= firstScript) ? head.index + head[0].length : firstScript;
  if (at === -1 || at === undefined) throw new Error('index.html has neither <head> nor a script');
  return `${html.slice(0, at)}\n    ${tag}${html.slice(at)}`;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(token, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

async function bounded<T>(what: string, work: Promise<T>, ms = CLOSE_STEP_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const ownHome = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'sealpost-host-'));
  const rendererDir = resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const cleanup: { what: string; run: () => Promise<void> | void }[] = [];
  const closeStarted = async () => {
    const errors: string[] = [];
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await bounded(step.what, Promise.resolve().then(step.run));
      } catch (e) {
        errors.push(`${step.what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (errors.length) throw new Error(`test host: close: ${errors.join('; ')}`);
  };

  try {
    if (ownHome) cleanup.push({ what: 'remove the profile', run: () => rmSync(home, { recursive: true, force: true, maxRetries: 3 }) });
    const index = await stat(join(rendererDir, 'index.html')).catch(() => null);
    if (!index?.isFile()) throw new Error(`no built renderer at ${rendererDir}: run \`npm run build\` first`);
    const script = await buildBridgeScript();

    const keyring = startKeyringWorker(home);
    cleanup.push({ what: 'stop the keyring', run: () => keyring.close() });
    const db: DatabaseSync = openStore(home);
    cleanup.push({ what: 'close the store', run: () => db.close() });

    const sockets = new Set<WebSocket>();
    const stats = { accepted: 0, refused: 0 };
    const events: EmittedEvent[] = [];
    const badEvents: { event: string; error: string }[] = [];
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
      let checked: EventPayload<E>;
      try {
        checked = checkEvent(event, payload);
      } catch (e) {
        badEvents.push({ event, error: e instanceof Error ? e.message.slice(0, 500) : String(e) });
        throw e;
      }
      events.push({ event, payload: checked });
      const message: HostMessage = { t: 'event', event, payload: toWire(checked, nodeBase64, event) };
      const text = JSON.stringify(message);
      for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(text);
    };

    const mailEmit: MailServiceOptions['emit'] = (event, payload) => emit(event, payload as EventPayload<typeof event>);
    const mail = new MailService({
      db,
      secrets: options.secrets ?? new MemorySecretStore(),
      keyring: keyring.client,
      emit: mailEmit,
      checkServers: options.checkServers ?? true,
    });
    cleanup.push({ what: 'stop the mail service', run: () => mail.stop() });
    if (options.backgroundIntervalMs !== null) mail.start(options.backgroundIntervalMs ?? BACKGROUND_INTERVAL_MS);

    const dialogs = recordingDialogs(join(home, 'saved'));
    const frames = new MessageFrames(() => origin());
    const services: TestServices = {
      frames,
      settings: new SettingsStore({ profile: home, onWarning: () => undefined }),
      lookup: { fetcher: standInWkd(options.wkd ?? {}), sources: ['wkd'] },
      ...options.services,
      keyring: keyring.client,
      mail,
      emit,
      dialogs,
    };
    const dispatch = createDispatcher(services);

    const token = randomBytes(32).toString('base64url');
    let port = 0;
    const origin = () => `http://127.0.0.1:${port}`;

    const server: Server = createServer((req, res) => {
      void serve(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, 'Internal error');
        else res.destroy();
      });
    });
    const send = (res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8', head = false) => {
      const body = Buffer.from(text, 'utf8');
      res.writeHead(status, { ...headers(), 'Content-Type': type, 'Content-Length': String(body.length) });
      res.end(head ? undefined : body);
    };
    const headers = (): Record<string, string> => ({ ...securityHeaders(), 'Content-Security-Policy': hostCsp(port) });
    const serve = async (req: IncomingMessage, res: ServerResponse) => {
      // A page of another name (DNS rebinding) is not this host.
      if (req.headers.host !== `127.0.0.1:${port}`) return send(res, 421, 'Misdirected request');
      const head = req.method === 'HEAD';
      if (req.method !== 'GET' && !head) return send(res, 405, 'Method not allowed');
      const url = req.url ?? '/';
      const pathname = url.split(/[?#]/, 1)[0] ?? '/';
      if (pathname === BRIDGE_SCRIPT_PATH) return send(res, 200, script, 'text/javascript; charset=utf-8', head);
      // Chromium asks for one on its own (an app:// window does not): nothing, rather than a 404 in the console.
      if (pathname === '/favicon.ico') return send(res, 204, '', 'text/plain; charset=utf-8', true);
      // The reader's message frames, with their own policy, as the app:// handler serves them.
      if (pathname.startsWith(MESSAGE_FRAME_PATH)) {
        const frame = frames.response(pathname);
        if (!frame) return send(res, 404, 'Not found');
        const body = Buffer.from(frame.body, 'utf8');
        res.writeHead(200, { ...frame.headers, 'Content-Length': String(body.length) });
        return res.end(head ? undefined : body);
      }
      // The same path rules as the app:// handler (no .., no escapes, nothing outside the folder).
      const path = resolveAppPath(rendererDir, `${APP_ORIGIN}${url}`);
      if (!path) return send(res, 400, 'Bad request');
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) return send(res, 404, 'Not found');
      if (path === join(rendererDir, 'index.html'))
        return send(res, 200, injectBridge(await readFile(path, 'utf8')), 'text/html; charset=utf-8', head);
      const body = head ? null : await readFile(path);
      res.writeHead(200, { ...headers(), 'Content-Type': mimeTypeFor(path), 'Content-Length': String(info.size) });
      res.end(body);
    };

    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => {
      const refuse = (status: number, text: string) => {
        stats.refused++;
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        socket.destroy();
      };
      socket.on('error', () => socket.destroy());
      let url: URL;
      try {
        url = new URL(req.url ?? '/', origin());
      } catch {
        return refuse(400, 'Bad Request');
      }
      if (url.pathname !== BRIDGE_PATH || req.headers.host !== `127.0.0.1:${port}`) return refuse(404, 'Not Found');
      if (req.headers.origin !== origin()) return refuse(403, 'Forbidden');
      const given = url.searchParams.get('token');
      if (given === null || !sameToken(given, token)) return refuse(401, 'Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => connected(ws));
    });

    const connected = (ws: WebSocket) => {
      stats.accepted++;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => ws.terminate());
      ws.on('message', (data, isBinary) => {
        void answer(ws, data, isBinary);
      });
    };
    const answer = async (ws: WebSocket, data: WebSocket.RawData, isBinary: boolean) => {
      let message: unknown;
      try {
        if (isBinary) throw new Error('binary');
        message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
      } catch {
        return ws.close(1003, 'the bridge takes JSON text messages');
      }
      const m = message as { t?: unknown; id?: unknown; procedure?: unknown; input?: unknown };
      if (typeof message !== 'object' || message === null || m.t !== 'call' || !Number.isSafeInteger(m.id) || (m.id as number) < 1) {
        return ws.close(1008, 'malformed call');
      }
      const id = m.id as number;
      let result: unknown;
      if (typeof m.procedure !== 'string') {
        result = fail(new SealpostError('protocol-invalid', 'the procedure name must be a string').toAppError());
      } else {
        let input: unknown;
        let decoded = true;
        try {
          input = 'input' in m ? fromWire(m.input, nodeBase64, 'input') : undefined;
        } catch (e) {
          decoded = false;
          result = fail(
            new SealpostError(
              'protocol-invalid',
              `${m.procedure.slice(0, 64)}: ${e instanceof Error ? e.message.slice(0, 150) : 'input'}`,
            ).toAppError(),
          );
        }
        if (decoded) result = await dispatch(m.procedure, input);
      }
      if (ws.readyState !== ws.OPEN) return;
      const reply: HostMessage = { t: 'result', id, result: toWire(result, nodeBase64, 'result') };
      ws.send(JSON.stringify(reply));
    };

    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
    port = (server.address() as AddressInfo).port;
    cleanup.push({
      what: 'stop the HTTP server',
      run: () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
    });
    cleanup.push({
      what: 'close the bridge',
      run: async () => {
        for (const ws of sockets) ws.terminate();
        sockets.clear();
        await new Promise<void>((done) => wss.close(() => done()));
      },
    });

    const pageUrl = (t: string) => `${origin()}/#${TOKEN_PARAM}=${encodeURIComponent(t)}`;
    return {
      url: pageUrl(token),
      origin: origin(),
      port,
      token,
      urlWithToken: pageUrl,
      home,
      dispatch,
      services,
      servers: options.servers,
      events,
      badEvents,
      bridgeStats: () => ({ open: sockets.size, ...stats }),
      close: closeStarted,
    };
  } catch (e) {
    await closeStarted().catch(() => undefined);
    throw e;
  }
}

/** The first-run form's settings for a user of the loopback servers (implicit TLS on both, the run's CA). */
export function accountSettings(servers: MailServers, address: string, password: string) {
  return {
    email: address,
    imap: `imaps://127.0.0.1:${servers.imap.tlsPort}`,
    smtp: `smtps://127.0.0.1:${servers.submission.tlsPort}`,
    user: address,
    password,
    caPem: servers.ca,
  };
}
