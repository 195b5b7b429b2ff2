/**
 * Network faults for tests, on 127.0.0.1 with ports picked at run time.
 *
 * `startCuttingProxy(target)`: a TCP proxy in front of a server. It forwards
 * bytes untouched (TLS passes through, so the client still checks the
 * server's certificate end to end), counts what the server sends, and can
 * - cut every open connection at once (`cut`), or once the server has sent
 *   N more bytes (`cutAfter`: the first N are forwarded, the rest of that
 *   chunk is not), with a TCP reset or a plain FIN;
 * - stop forwarding the server's bytes while keeping both connections open
 *   (`freeze`): to the client, the server has gone silent mid-answer.
 *
 * `startSilentServer()`: accepts TCP connections and never sends a byte.
 *
 * Both stop exactly what they opened: `close()` destroys their own sockets
 * and closes their own listener, bounded in time.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type CutKind = 'reset' | 'end';

export interface CuttingProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections the proxy has cut so far. */
  readonly cuts: number;
  /** Bytes the server has sent through the proxy, over every connection. */
  readonly serverBytes: number;
  /** Cuts every open connection now. */
  cut(kind?: CutKind): void;
  /**
   * Cuts the connections once the server has sent `bytes` more bytes
   * (counted from now, on any connection). Resolves when the cut was made
   * (or the proxy closed).
   */
  cutAfter(bytes: number, kind?: CutKind): Promise<void>;
  /** From now on the server's bytes are held back (connections stay open); new connections too. */
  freeze(): void;
  /** Forwards again, starting with what was held back. */
  thaw(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  held: Buffer[];
}

const CLOSE_TIMEOUT_MS = 5_000;
const CUT_DELAY_MS = 25;
/** Connecting to the server behind the proxy (on loopback: refused or accepted at once). */
const CONNECT_TIMEOUT_MS = 5_000;

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('the test server has no port'));
    });
  });
}

/** Closes the listener (bounded: sockets it still has are destroyed first by the caller). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function kill(socket: Socket, kind: CutKind): void {
  if (socket.destroyed) return;
  if (kind === 'reset') socket.resetAndDestroy();
  else socket.destroySoon();
}

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let cuts = 0;
  let serverBytes = 0;
  let frozen = false;
  let armed: { left: number; kind: CutKind; done: () => void } | null = null;
  let closed = false;
  /** Between reaching the armed byte count and the cut: nothing more is forwarded. */
  let cutting = false;
  let cutTimer: NodeJS.Timeout | undefined;
  let pendingCut: (() => void) | null = null;

  const cutAll = (kind: CutKind) => {
    for (const pair of pairs) {
      if (pair.client.destroyed && pair.server.destroyed) continue;
      cuts++;
      // The server side goes away quietly; the client sees the kind of cut asked for.
      pair.server.destroy();
      kill(pair.client, kind);
    }
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    if (closed) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    const pair: Pair = { client, server: upstream, held: [] };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (upstream.connecting) drop();
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => {
      if (pair.held.length === 0) client.end();
    });
    client.on('data', (chunk: Buffer) => {
      if (!upstream.destroyed) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (frozen) {
        pair.held.push(chunk);
        return;
      }
      forward(pair, chunk);
    });
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.resume();
    });
  });

  function forward(pair: Pair, chunk: Buffer): void {
    if (cutting) return;
    if (armed && chunk.length >= armed.left) {
      const { left, kind, done } = armed;
      armed = null;
      cutting = true;
      serverBytes += left;
      pair.server.pause();
      const cutNow = () => {
        cutTimer = undefined;
        pendingCut = null;
        cutting = false;
        cutAll(kind);
        done();
      };
      // The first `left` bytes reach the client, and are read, before the cut: on
      // loopback a reset right behind unread data can reach the client as a plain end.
      if (left > 0) pair.client.write(chunk.subarray(0, left));
      pendingCut = done;
      cutTimer = setTimeout(cutNow, CUT_DELAY_MS);
      return;
    }
    if (armed) armed.left -= chunk.length;
    serverBytes += chunk.length;
    pair.client.write(chunk);
  }

  const port = await listen(server);

  return {
    host: '127.0.0.1',
    port,
    get accepted() {
      return accepted;
    },
    get cuts() {
      return cuts;
    },
    get serverBytes() {
      return serverBytes;
    },
    cut(kind: CutKind = 'reset') {
      cutAll(kind);
    },
    cutAfter(bytes: number, kind: CutKind = 'reset') {
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError('cutAfter: a byte count');
      return new Promise<void>((resolve) => {
        armed = { left: bytes, kind, done: resolve };
      });
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) {
        const held = pair.held.splice(0);
        for (const chunk of held) forward(pair, chunk);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      armed?.done();
      armed = null;
      clearTimeout(cutTimer);
      pendingCut?.();
      pendingCut = null;
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server.destroy();
      }
      pairs.clear();
      await closeServer(server);
    },
  };
}

export interface SilentServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and says nothing, ever. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // What the client sends is read and dropped, so it never blocks on a full window.
    socket.resume();
  });
  const port = await listen(server);
  return {
    host: '127.0.0.1',
    port,
    get accepted() {
      return accepted;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closeServer(server);
    },
  };
}
