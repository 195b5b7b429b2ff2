// The test host without a browser: its wire format, who it lets in, what it
// serves and with which policy, the save dialog's stand-in, events to every
// page, and a close() that leaves nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { buildCsp, CSP_DIRECTIVES } from '../../main/electron/csp.ts';
import { fromWire, toWire, type Base64 } from '../support/host/codec.ts';
import { injectBridge, startTestHost, type TestHost } from '../support/host/host.ts';

const b64: Base64 = {
  encode: (bytes) => Buffer.from(bytes).toString('base64'),
  decode: (text) => new Uint8Array(Buffer.from(text, 'base64')),
};
const STEP_MS = 5_000;

describe('wire format', () => {
  test('JSON values, bytes, non-finite numbers and $-keys survive a round trip through JSON', () => {
    const value = {
      text: 'é ✓',
      n: -0.5,
      nothing: null,
      flags: [true, false],
      data: new Uint8Array([0, 1, 2, 250, 255]),
      buffer: Buffer.from('hi'),
      empty: new Uint8Array(0),
      odd: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined],
      $bytes: 'a plain key that looks like a tag',
      nested: { $object: { $undefined: true } },
    };
    const back = fromWire(JSON.parse(JSON.stringify(toWire(value, b64))), b64) as Record<string, unknown>;
    assert.deepEqual(back, { ...value, buffer: new Uint8Array(Buffer.from('hi')) });
    assert.ok(back.data instanceof Uint8Array && back.buffer instanceof Uint8Array);
  });

  test('undefined object values are left out, as "undefined-free objects"', () => {
    assert.deepEqual(toWire({ a: undefined, b: 1 }, b64), { b: 1 });
  });

  test('a "__proto__" key stays a key', () => {
    const back = fromWire(JSON.parse('{"__proto__": {"polluted": true}}'), b64) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('what cannot be sent is refused where it is encoded', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const bad of [() => 1, Symbol('s'), 1n, new Date(0), new Map(), new Uint16Array(2), new ArrayBuffer(2), cycle]) {
      assert.throws(() => toWire({ x: bad }, b64), TypeError);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.throws(() => toWire(deep, b64), /deeper/);
  });

  test('malformed tags are refused, never read as something else', () => {
    for (const bad of [
      { $bytes: 'not base64!' },
      { $bytes: 'AAA' },
      { $bytes: 1 },
      { $bytes: 'AA==', extra: 1 },
      { $number: 'Infinityy' },
      { $undefined: false },
      { $object: [] },
      { $other: 1 },
      { a: { $bytes: 'AA==', b: 2 } },
    ]) {
      assert.throws(() => fromWire(bad, b64), TypeError, JSON.stringify(bad));
    }
  });
});

describe('the test host', { timeout: 60_000 }, () => {
  let renderer: string;
  let host: TestHost;

  before(async () => {
    renderer = mkdtempSync(join(tmpdir(), 'sealpost-renderer-'));
    mkdirSync(join(renderer, 'assets'));
    writeFileSync(
      join(renderer, 'index.html'),
      '<!doctype html><html><head><title>Sealpost</title><script type="module" src="./assets/app.js"></script></head><body></body></html>',
    );
    writeFileSync(join(renderer, 'assets/app.js'), 'export {};\n');
    host = await startTestHost({ rendererDir: renderer, checkServers: false, backgroundIntervalMs: null });
  });

  after(async () => {
    await host?.close();
    rmSync(renderer, { recursive: true, force: true });
  });

  const get = (path: string, opts: { method?: string; host?: string } = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path,
          method: opts.method ?? 'GET',
          headers: { host: opts.host ?? `127.0.0.1:${host.port}` },
          timeout: STEP_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });

  /** Opens a bridge connection; resolves with the socket, or rejects with the HTTP status it was refused with. */
  const open = (opts: { token?: string; origin?: string | null; path?: string } = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const url = `ws://127.0.0.1:${host.port}${opts.path ?? '/__bridge'}?token=${encodeURIComponent(opts.token ?? host.token)}`;
      const ws = new WebSocket(url, { ...(opts.origin === null ? {} : { origin: opts.origin ?? host.origin }), handshakeTimeout: STEP_MS });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(new Error(`refused ${res.statusCode}`));
      });
      ws.once('error', reject);
    });

  const nextMessage = (ws: WebSocket) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message')), STEP_MS);
      ws.once('message', (data) => {
        clearTimeout(timer);
        resolve(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>);
      });
    });

  const messages = (ws: WebSocket, count: number) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const got: Record<string, unknown>[] = [];
      const timer = setTimeout(() => reject(new Error(`${got.length} of ${count} messages`)), 30_000);
      const onMessage = (data: WebSocket.RawData) => {
        got.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>);
        if (got.length < count) return;
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(got);
      };
      ws.on('message', onMessage);
    });

  const closed = (ws: WebSocket) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not closed')), STEP_MS);
      ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

  test('the page is the built index.html with the bridge script first, under the app CSP with only connect-src opened', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.ok(page.body.indexOf('<script src="/__bridge.js"></script>') < page.body.indexOf('./assets/app.js'));
    const expected = buildCsp({ ...CSP_DIRECTIVES, 'connect-src': [`ws://127.0.0.1:${host.port}`] });
    assert.equal(page.headers['content-security-policy'], expected);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    for (const [name, sources] of Object.entries(CSP_DIRECTIVES)) {
      if (name !== 'connect-src') assert.ok(expected.includes(`${name} ${sources.join(' ')}`));
    }
    const script = await get('/__bridge.js');
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.ok(!script.body.includes(host.token), 'the bridge script carries no token');
    assert.equal((await get('/assets/app.js')).status, 200);
  });

  test('injectBridge puts the script before the first script even without a head', () => {
    assert.match(injectBridge('<html><script src=a></script></html>'), /^<html>\n\s*<script src="\/__bridge.js"><\/script><script src=a>/);
    assert.throws(() => injectBridge('<p>nothing</p>'));
  });

  test('only GET and HEAD of files inside the renderer folder, only under the host name', async () => {
    assert.equal((await get('/assets/../../etc/passwd')).status, 400);
    assert.equal((await get('/assets/%2e%2e/%2e%2e/etc/passwd')).status, 400);
    assert.equal((await get('/missing.js')).status, 404);
    assert.equal((await get('/', { method: 'POST' })).status, 405);
    assert.equal((await get('/', { host: 'evil.example:80' })).status, 421);
    assert.equal((await get('/', { method: 'HEAD' })).status, 200);
  });

  test('a bridge connection needs the token and the host origin', async () => {
    const before = host.bridgeStats();
    await assert.rejects(open({ token: 'wrong' }), /refused 401/);
    await assert.rejects(open({ token: '' }), /refused 401/);
    await assert.rejects(open({ origin: 'http://evil.example' }), /refused 403/);
    await assert.rejects(open({ origin: `http://localhost:${host.port}` }), /refused 403/);
    await assert.rejects(open({ origin: null }), /refused 403/);
    await assert.rejects(open({ path: '/other' }), /refused 404/);
    const after = host.bridgeStats();
    assert.equal(after.accepted, before.accepted);
    assert.equal(after.refused, before.refused + 6);
  });

  test('calls go to the dispatcher; bad calls are values or a closed socket', async () => {
    const ws = await open();
    try {
      ws.send(JSON.stringify({ t: 'call', id: 1, procedure: 'keys.list', input: {} }));
      assert.deepEqual(await nextMessage(ws), { t: 'result', id: 1, result: { ok: true, value: [] } });
      ws.send(JSON.stringify({ t: 'call', id: 2, procedure: 42, input: {} }));
      const notString = await nextMessage(ws);
      assert.equal((notString.result as { error: { code: string } }).error.code, 'protocol-invalid');
      ws.send(JSON.stringify({ t: 'call', id: 3, procedure: 'keys.import', input: { data: { $bytes: '!!' }, source: 'file' } }));
      const badBytes = await nextMessage(ws);
      assert.equal((badBytes.result as { error: { code: string } }).error.code, 'protocol-invalid');
      ws.send('not json');
      assert.equal(await closed(ws), 1003);
    } finally {
      ws.terminate();
    }
    const other = await open();
    try {
      other.send(JSON.stringify({ t: 'call', id: 'x', procedure: 'keys.list' }));
      assert.equal(await closed(other), 1008);
    } finally {
      other.terminate();
    }
  });

  test('events reach every open page, encoded like results', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    try {
      const fromA = messages(a, 2); // the result and the event, in either order
      const fromB = messages(b, 1);
      a.send(
        JSON.stringify({
          t: 'call',
          id: 1,
          procedure: 'keys.generate',
          input: { name: 'Events', email: 'events@example.test', expiresInSeconds: null, passphrase: null },
        }),
      );
      const seenByA = await fromA;
      const [seenByB] = await fromB;
      const result = seenByA.find((m) => m.t === 'result') as { result: { ok: boolean; value: { fingerprint: string } } };
      assert.equal(result.result.ok, true);
      const expected = { t: 'event', event: 'keyring.changed', payload: { fingerprints: [result.result.value.fingerprint] } };
      assert.deepEqual(
        seenByA.find((m) => m.t === 'event'),
        expected,
      );
      assert.deepEqual(seenByB, expected);
      assert.deepEqual(host.badEvents, []);
    } finally {
      a.terminate();
      b.terminate();
    }
  });

  test('the save dialog writes into <home>/saved/, never over a file or outside, and can be cancelled', async () => {
    const { dialogs } = host.services;
    assert.equal(await dialogs.saveFile('report.pdf', new Uint8Array([1, 2, 3])), true);
    assert.equal(await dialogs.saveFile('report.pdf', new Uint8Array([4])), true);
    assert.equal(await dialogs.saveFile('../../escape\u0007.txt', new Uint8Array([5])), true);
    assert.equal(await dialogs.saveFile('..', new Uint8Array([6])), true);
    const names = dialogs.saved.map((s) => s.path.slice(dialogs.dir.length + 1));
    assert.deepEqual(names, ['report.pdf', 'report (2).pdf', 'escape.txt', 'unnamed']);
    assert.deepEqual([...readFileSync(join(host.home, 'saved', 'report.pdf'))], [1, 2, 3]);
    dialogs.cancel = true;
    assert.equal(await dialogs.saveFile('no.txt', new Uint8Array([7])), false);
    dialogs.cancel = false;
    assert.equal(dialogs.saved.length, 4);
  });

  test('close() stops the server, the sockets and the keyring, and removes the profile it made', async () => {
    const other = await startTestHost({ rendererDir: renderer, checkServers: false, backgroundIntervalMs: 60_000 });
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const s = new WebSocket(`ws://127.0.0.1:${other.port}/__bridge?token=${other.token}`, {
        origin: other.origin,
        handshakeTimeout: STEP_MS,
      });
      s.once('open', () => resolve(s));
      s.once('error', reject);
    });
    const socketClosed = closed(ws);
    assert.ok(existsSync(other.home));
    await other.close();
    assert.equal(await socketClosed, 1006);
    assert.equal(existsSync(other.home), false);
    const refused = await new Promise<string>((resolve) => {
      const c = connect(other.port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve('connected');
      });
      c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
    const afterClose = await other.dispatch('keys.list', {});
    assert.ok(!afterClose.ok && afterClose.error.code === 'keyring-unavailable', JSON.stringify(afterClose));
  });
});
