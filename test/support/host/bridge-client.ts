/**
 * The page side of the test bridge, served as /__bridge.js (bundled by the
 * host) and run before the app's own scripts. It defines `window.sealpost`
 * as the preload does in the app (main/preload/preload.ts): `call` and `on`,
 * nothing else, carried over one WebSocket to the test host.
 *
 * The token comes from the page URL's fragment (`#sealpost-token=...`); it
 * is taken out of the address at once, so the app never sees it, and kept in
 * sessionStorage so that a reload of the page reconnects.
 */
import { isEventName } from '../../../app/ipc/channels.ts';
import { BRIDGE_PATH, fromWire, toWire, TOKEN_PARAM, type Base64, type CallMessage, type HostMessage } from './codec.ts';

const STORAGE_KEY = 'sealpost-test-bridge-token';

const base64: Base64 = {
  encode(bytes) {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  },
  decode(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  },
};

function takeToken(): string | null {
  const params = location.hash.replace(/^#/, '').split('&');
  const mine = params.find((p) => p.startsWith(`${TOKEN_PARAM}=`));
  if (mine) {
    const token = decodeURIComponent(mine.slice(TOKEN_PARAM.length + 1));
    const rest = params.filter((p) => p !== mine && p !== '').join('&');
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    try {
      sessionStorage.setItem(STORAGE_KEY, token);
    } catch {
      // storage refused: the page still works until it is reloaded
    }
    return token;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

const token = takeToken();
const pending = new Map<number, Pending>();
const listeners = new Map<string, Set<(payload: unknown) => void>>();
const queued: string[] = [];
let nextId = 1;
let closedBecause: string | null = token ? null : 'the page URL carries no bridge token';
let socket: WebSocket | null = null;

function closeAll(reason: string): void {
  closedBecause = reason;
  queued.length = 0;
  for (const p of pending.values()) p.reject(new Error(reason));
  pending.clear();
}

if (token) {
  const url = `ws://${location.host}${BRIDGE_PATH}?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    for (const text of queued.splice(0)) ws.send(text);
  };
  ws.onmessage = (message: MessageEvent) => {
    let parsed: HostMessage;
    try {
      parsed = JSON.parse(String(message.data)) as HostMessage;
    } catch {
      reportError(new Error('the test host sent a message that is not JSON'));
      return;
    }
    if (parsed.t === 'result') {
      const p = pending.get(parsed.id);
      if (!p) return;
      pending.delete(parsed.id);
      try {
        p.resolve(fromWire(parsed.result, base64, 'result'));
      } catch (e) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    } else if (parsed.t === 'event') {
      const handlers = listeners.get(parsed.event);
      if (!handlers || handlers.size === 0) return;
      let payload: unknown;
      try {
        payload = fromWire(parsed.payload, base64, parsed.event);
      } catch (e) {
        reportError(e);
        return;
      }
      for (const handler of [...handlers]) {
        try {
          handler(payload);
        } catch (e) {
          reportError(e); // as an uncaught error in an IPC listener would be
        }
      }
    }
  };
  ws.onclose = (event: CloseEvent) => {
    socket = null;
    closeAll(
      event.code === 1000
        ? 'the test host closed the bridge'
        : `the bridge to the test host is closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`,
    );
  };
}

const sealpost = Object.freeze({
  call(procedure: string, input: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (closedBecause) return reject(new Error(closedBecause));
      const id = nextId++;
      const message: CallMessage = { t: 'call', id, procedure };
      // As structured clone would: a value that cannot be sent fails the call, nothing is sent.
      if (input !== undefined) message.input = toWire(input, base64, 'input');
      const text = JSON.stringify(message);
      pending.set(id, { resolve, reject });
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
      else queued.push(text);
    });
  },
  on(event: string, handler: (payload: unknown) => void): () => void {
    if (!isEventName(event)) throw new TypeError(`unknown event: ${String(event).slice(0, 64)}`);
    if (typeof handler !== 'function') throw new TypeError('the handler must be a function');
    // Each subscription is its own: the same function subscribed twice is called twice, as with ipcRenderer.on.
    const wrapper = (payload: unknown) => handler(payload);
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(wrapper);
    return () => {
      set.delete(wrapper);
    };
  },
});

Object.defineProperty(window, 'sealpost', { value: sealpost, enumerable: true, configurable: false, writable: false });
