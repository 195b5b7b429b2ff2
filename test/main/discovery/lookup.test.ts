// Key discovery (main/discovery) against loopback HTTPS servers that answer
// for openpgpkey.example.org, example.org and keys.example.net, with a CA
// made by openssl for this run. The fetcher below maps those host names to
// 127.0.0.1 and the server's port, and trusts only that CA; everything else
// (limits, redirects, fallbacks, filtering, errors) is the code under test.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import type { Fetcher } from '../../../main/discovery/http.ts';
import { wkdHash, wkdUrls, zbase32 } from '../../../main/discovery/wkd.ts';
import { allNetworkUnreachable, importFound, lookupKeys, parseAddress, type LookupResult } from '../../../main/discovery/lookup.ts';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';
import { makeTestPki } from '../../support/keyservers.ts';

const HOSTS = ['openpgpkey.example.org', 'example.org', 'keys.example.net'];
const KEYSERVER = 'https://keys.example.net';

let dir: TempDir;
let ca: string;
let good: Server;
let rogue: Server;
let goodPort: number;
let roguePort: number;
let generator: RunningKeyring;
const keys: Record<'alice' | 'mallory' | 'bob' | 'carol' | 'hang', { fpr: string; binary: Uint8Array; armored: Uint8Array }> = {} as never;

type Route = (req: IncomingMessage, res: ServerResponse) => void;
let routes = new Map<string, Route>();
let requests: string[] = [];

/** A CA and a server certificate for HOSTS signed by it, in `dir/name-*`. */
const makePki = (name: string) => makeTestPki(dir.path, name, HOSTS);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  res.on('error', () => {});
  const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
  requests.push(`${url.hostname}${url.pathname}${url.search}`);
  const route = routes.get(`${url.hostname}${url.pathname}`);
  if (route) route(req, res);
  else res.writeHead(404).end('not here');
}

const serve =
  (body: Uint8Array, type = 'application/octet-stream'): Route =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
  };

/**
 * The transport for the tests: node:https with our CA only, HOSTS (or the
 * given subset) resolved to 127.0.0.1, every connection to `port`. Unknown
 * names fail as DNS does (ENOTFOUND).
 */
function loopbackFetcher(port: number, resolvable: readonly string[] = HOSTS): Fetcher {
  const lookup = ((hostname: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (!resolvable.includes(hostname)) {
      cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
    } else if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;
  return (href, init) =>
    new Promise((resolve, reject) => {
      const url = new URL(href);
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = request(
        {
          host: url.hostname,
          port,
          path: url.pathname + url.search,
          method: init.method ?? 'GET',
          headers: { ...headers, host: url.host },
          ca,
          servername: url.hostname,
          lookup,
          signal: init.signal ?? undefined,
          agent: false,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const body = [204, 205, 304].includes(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, headers: h }));
        },
      );
      req.on('error', reject);
      req.end();
    });
}

async function withKeyring<T>(fn: (keyring: KeyringClient, home: string) => Promise<T>): Promise<T> {
  const home = await tempDir('sealpost-lookup-');
  const keyring = startKeyringWorker(home.path);
  try {
    return await fn(keyring.client, home.path);
  } finally {
    await keyring.close();
    await home.cleanup();
  }
}

async function makeKey(userId: string): Promise<{ fpr: string; binary: Uint8Array; armored: Uint8Array }> {
  const k = generator.client;
  const { key } = await k.call('sop.generateKey', { userIds: [userId], passphrase: null, armor: false });
  const binary = (await k.call('sop.extractCert', { key, armor: false })).cert;
  const armored = (await k.call('sop.extractCert', { key, armor: true })).cert;
  const [summary] = (await k.call('keys.inspect', { data: binary, source: 'file' })).keys;
  return { fpr: summary!.fingerprint, binary, armored };
}

const wkdPath = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}${u.pathname}`;
};
const ALICE = wkdUrls('alice', 'example.org');
const fprs = (r: LookupResult | undefined) => (r?.keys ?? []).map((k) => k.fingerprint);
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

before(async () => {
  dir = await tempDir('sealpost-discovery-');
  const pki = makePki('good');
  const other = makePki('rogue');
  ca = pki.ca;
  good = createServer({ key: pki.key, cert: pki.cert }, handler);
  rogue = createServer({ key: other.key, cert: other.cert }, handler);
  goodPort = await listen(good);
  roguePort = await listen(rogue);
  generator = startKeyringWorker(null);
  keys.alice = await makeKey('Alice <alice@example.org>');
  keys.mallory = await makeKey('Mallory <mallory@example.net>');
  keys.bob = await makeKey('Bob <Bob@Example.NET>');
  keys.carol = await makeKey('Carol <carol@example.org>');
  keys.hang = await makeKey('Hang <hang@example.org>');
});

after(async () => {
  for (const server of [good, rogue]) {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }
  await generator?.close();
  await dir?.cleanup();
});

beforeEach(() => {
  routes = new Map();
  requests = [];
});

test('z-base-32 and the WKD hash: the draft example', () => {
  // draft-koch-openpgp-webkey-service: "Joe.Doe@Example.ORG" -> SHA-1 of "joe.doe".
  assert.equal(wkdHash('Joe.Doe'), 'iy9q119eutrkn8s1mk4r39qejnbu3n5q');
  assert.equal(zbase32(Buffer.from('a83ee94be89c48a11ed25ab44cfdc848833c8b6e', 'hex')), 'iy9q119eutrkn8s1mk4r39qejnbu3n5q');
  assert.equal(zbase32(new Uint8Array([0xf0])), '6y');
  assert.equal(zbase32(new Uint8Array(0)), '');
  const addr = parseAddress('Joe.Doe@Example.ORG');
  assert.deepEqual(wkdUrls(addr.localPart, addr.domain), {
    advanced: 'https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe',
    direct: 'https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe',
  });
  for (const bad of [
    '',
    'alice',
    '@example.org',
    'alice@',
    'a b@example.org',
    'alice@localhost',
    'alice@1.2.3.4',
    'Alice <alice@example.org>',
    'alice@exa_mple.org',
  ]) {
    assert.throws(
      () => parseAddress(bad),
      (e: Error & { code?: string }) => e.code === 'usage',
      bad,
    );
  }
});

test('WKD advanced method: found, filtered, nothing imported without asking', async () => {
  routes.set(wkdPath(ALICE.advanced), serve(keys.alice.binary));
  await withKeyring(async (keyring) => {
    const [wkd] = await lookupKeys('alice@example.org', { keyring, fetcher: loopbackFetcher(goodPort), sources: ['wkd'] });
    assert.equal(wkd?.error, undefined, JSON.stringify(wkd?.error));
    assert.equal(wkd?.url, ALICE.advanced);
    assert.deepEqual(fprs(wkd), [keys.alice.fpr]);
    assert.deepEqual(wkd?.keys[0]?.sources, ['wkd']);
    assert.deepEqual(requests, [`openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/${wkdHash('alice')}?l=alice`]);
    assert.deepEqual(await keyring.call('keys.list', {}), [], 'a lookup stores nothing');
  });
});

test('WKD direct method when the advanced host does not resolve; no fallback once it answered', async () => {
  routes.set(wkdPath(ALICE.direct), serve(keys.alice.armored, 'application/pgp-keys'));
  await withKeyring(async (keyring) => {
    const [direct] = await lookupKeys('alice@example.org', {
      keyring,
      fetcher: loopbackFetcher(goodPort, ['example.org']),
      sources: ['wkd'],
    });
    assert.equal(direct?.error, undefined, JSON.stringify(direct?.error));
    assert.equal(direct?.url, ALICE.direct);
    assert.deepEqual(fprs(direct), [keys.alice.fpr]);

    // The advanced host exists and says 404: that is the directory's answer.
    requests = [];
    const [answered] = await lookupKeys('alice@example.org', { keyring, fetcher: loopbackFetcher(goodPort), sources: ['wkd'] });
    assert.equal(answered?.error, undefined);
    assert.equal(answered?.url, ALICE.advanced);
    assert.deepEqual(answered?.keys, []);
    assert.equal(requests.length, 1, 'the direct method was not asked');
  });
});

test('WKD: a key without a user id for the address is dropped, and such an answer is not imported', async () => {
  routes.set(wkdPath(ALICE.advanced), serve(concat(keys.alice.armored, keys.mallory.armored), 'application/pgp-keys'));
  const carol = wkdUrls('carol', 'example.org');
  routes.set(wkdPath(carol.advanced), serve(keys.mallory.binary));
  await withKeyring(async (keyring) => {
    const fetcher = loopbackFetcher(goodPort);
    const [mixed] = await lookupKeys('Alice@EXAMPLE.org', { keyring, fetcher, sources: ['wkd'] });
    assert.deepEqual(fprs(mixed), [keys.alice.fpr]);
    assert.equal(mixed?.dropped, 1);
    const [only] = await lookupKeys('carol@example.org', { keyring, fetcher, sources: ['wkd'] });
    assert.deepEqual(only?.keys, []);
    assert.equal(only?.dropped, 1);
    assert.equal(only?.error, undefined);

    const imported = await importFound(keyring, [mixed, only]);
    assert.equal(imported.length, 1);
    assert.deepEqual(imported[0]?.changed, []);
    assert.match(imported[0]?.error?.message ?? '', /not imported/);
    assert.deepEqual(await keyring.call('keys.list', {}), []);
  });
});

test('keyserver: a hit (imported with its source on request) and a 404', async () => {
  routes.set('keys.example.net/vks/v1/by-email/bob%40example.net', serve(keys.bob.armored, 'application/pgp-keys'));
  await withKeyring(async (keyring) => {
    const fetcher = loopbackFetcher(goodPort);
    const results = await lookupKeys('bob@example.net', {
      keyring,
      fetcher,
      keyservers: [KEYSERVER],
      sources: ['wkd', 'keyservers', 'autocrypt'],
    });
    assert.deepEqual(
      results.map((r) => r.source),
      ['autocrypt', 'wkd', 'vks'],
      'in the order of the pipeline, whatever the order asked',
    );
    const [autocrypt, wkd, ks] = results;
    assert.deepEqual(wkd?.keys, [], 'example.net has no directory here (advanced host does not resolve, direct is unknown)');
    assert.equal(ks?.error, undefined, JSON.stringify(ks?.error));
    assert.equal(ks?.url, 'https://keys.example.net/vks/v1/by-email/bob%40example.net');
    assert.equal(ks?.keyserver, KEYSERVER);
    assert.deepEqual(fprs(ks), [keys.bob.fpr], 'user id Bob@Example.NET carries bob@example.net');
    assert.deepEqual(autocrypt, { source: 'autocrypt', keys: [] });

    const imported = await importFound(keyring, results);
    assert.deepEqual(
      imported.map((i) => [i.source, i.changed.map((k) => k.fingerprint)]),
      [['vks', [keys.bob.fpr]]],
    );
    const list = await keyring.call('keys.list', {});
    assert.deepEqual(
      list.map((k) => [k.fingerprint, k.sources]),
      [[keys.bob.fpr, ['vks']]],
    );

    const [none] = await lookupKeys('nobody@example.net', { keyring, fetcher, keyservers: [KEYSERVER], sources: ['keyservers'] });
    assert.deepEqual(none, {
      source: 'vks',
      keyserver: KEYSERVER,
      url: 'https://keys.example.net/vks/v1/by-email/nobody%40example.net',
      keys: [],
    });
  });
});

test('a server whose certificate comes from another CA is refused, and nothing is imported', async () => {
  routes.set(wkdPath(ALICE.advanced), serve(keys.alice.binary));
  routes.set('keys.example.net/vks/v1/by-email/alice%40example.org', serve(keys.alice.armored));
  await withKeyring(async (keyring) => {
    const results = await lookupKeys('alice@example.org', {
      keyring,
      fetcher: loopbackFetcher(roguePort),
      keyservers: [KEYSERVER],
      sources: ['wkd', 'keyservers'],
    });
    for (const r of results) {
      assert.equal(r.error?.code, 'network-tls', `${r.source}: ${JSON.stringify(r.error)}`);
      assert.deepEqual(r.keys, []);
    }
    assert.deepEqual(requests, [], 'no request reached the server');
    assert.deepEqual(await importFound(keyring, results), []);
    assert.deepEqual(await keyring.call('keys.list', {}), []);
    assert.equal(allNetworkUnreachable(results), false, 'a refused certificate is not "offline"');

    // The default transport (the global fetch, system CAs) refuses our test CA as well.
    const [ks] = await lookupKeys('alice@example.org', {
      keyring,
      keyservers: [`https://localhost:${goodPort}`],
      sources: ['keyservers'],
      timeoutMs: 5000,
    });
    assert.equal(ks?.error?.code, 'network-tls', JSON.stringify(ks?.error));
  });
});

test('a slow server hits the timeout, without holding up the other source', async () => {
  routes.set('keys.example.net/vks/v1/by-email/alice%40example.org', (_req, res) => {
    setTimeout(() => res.end(), 5_000).unref();
  });
  routes.set(wkdPath(ALICE.advanced), serve(keys.alice.binary));
  const trickle = wkdUrls('trickle', 'example.org');
  routes.set(wkdPath(trickle.advanced), (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(keys.alice.binary.subarray(0, 10));
    const timer = setInterval(() => res.write(' '), 50).unref();
    res.on('close', () => clearInterval(timer));
  });
  const hang = wkdUrls('hang', 'example.org');
  routes.set(wkdPath(hang.advanced), () => {}); // never answers
  routes.set(wkdPath(hang.direct), serve(keys.hang.binary));
  await withKeyring(async (keyring) => {
    const fetcher = loopbackFetcher(goodPort);
    const started = Date.now();
    const [wkd, ks] = await lookupKeys('alice@example.org', {
      keyring,
      fetcher,
      keyservers: [KEYSERVER],
      sources: ['wkd', 'keyservers'],
      timeoutMs: 400,
    });
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(fprs(wkd), [keys.alice.fpr]);
    assert.equal(ks?.error?.code, 'network-timeout', JSON.stringify(ks?.error));
    assert.match(ks?.error?.message ?? '', /keys\.example\.net within 400 ms/);

    // Headers in time, the body never finishing: the deadline covers the body too (and the
    // directory answered, so the direct method is not asked).
    const [slowBody] = await lookupKeys('trickle@example.org', { keyring, fetcher, sources: ['wkd'], timeoutMs: 400 });
    assert.equal(slowBody?.error?.code, 'network-timeout', JSON.stringify(slowBody?.error));
    assert.equal(requests.filter((r) => r.startsWith('example.org/')).length, 0);

    // An advanced host that never answers counts as absent: the direct method is asked.
    const [fallback] = await lookupKeys('hang@example.org', { keyring, fetcher, sources: ['wkd'], timeoutMs: 400 });
    assert.equal(fallback?.error, undefined, JSON.stringify(fallback?.error));
    assert.equal(fallback?.url, hang.direct);
    assert.deepEqual(fprs(fallback), [keys.hang.fpr]);
  });
});

test('an oversized answer is cut off with an error', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  routes.set('keys.example.net/vks/v1/by-email/alice%40example.org', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pgp-keys' }); // chunked, no length given
    for (let i = 0; i < 24; i++) res.write(chunk);
    res.end();
  });
  routes.set(wkdPath(ALICE.advanced), (_req, res) => {
    res.writeHead(200, { 'content-length': 2 << 20 });
    res.write(chunk);
  });
  routes.set(wkdPath(ALICE.direct), serve(keys.alice.binary));
  await withKeyring(async (keyring) => {
    const [wkd, ks] = await lookupKeys('alice@example.org', {
      keyring,
      fetcher: loopbackFetcher(goodPort),
      keyservers: [KEYSERVER],
      sources: ['wkd', 'keyservers'],
    });
    assert.equal(ks?.error?.code, 'network-bad-response', JSON.stringify(ks?.error));
    assert.match(ks?.error?.message ?? '', /larger than 1 MiB/);
    assert.equal(wkd?.error?.code, 'network-bad-response', 'announced too large: refused, and no fallback to the direct method');
    assert.deepEqual(wkd?.keys, []);
    assert.equal(requests.filter((r) => r.startsWith('example.org/')).length, 0);
  });
});

test('redirects: followed over https, refused to http; other statuses are errors', async () => {
  routes.set(wkdPath(ALICE.advanced), (_req, res) => {
    res.writeHead(302, { location: 'https://example.org/keys/alice' }).end();
  });
  routes.set('example.org/keys/alice', serve(keys.alice.binary));
  routes.set('keys.example.net/vks/v1/by-email/alice%40example.org', (_req, res) => {
    res.writeHead(301, { location: 'http://keys.example.net/plain' }).end();
  });
  await withKeyring(async (keyring) => {
    const fetcher = loopbackFetcher(goodPort);
    const [wkd, ks] = await lookupKeys('alice@example.org', { keyring, fetcher, keyservers: [KEYSERVER], sources: ['wkd', 'keyservers'] });
    assert.equal(wkd?.url, 'https://example.org/keys/alice');
    assert.deepEqual(fprs(wkd), [keys.alice.fpr]);
    assert.equal(ks?.error?.code, 'network-bad-response');
    assert.match(ks?.error?.message ?? '', /https only/);

    routes.set('keys.example.net/vks/v1/by-email/alice%40example.org', (_req, res) => res.writeHead(503).end());
    routes.set(wkdPath(ALICE.advanced), serve(new TextEncoder().encode('<html>not a key</html>'), 'text/html'));
    const [html, busy] = await lookupKeys('alice@example.org', {
      keyring,
      fetcher,
      keyservers: [KEYSERVER],
      sources: ['wkd', 'keyservers'],
    });
    assert.equal(busy?.error?.code, 'network-unavailable');
    assert.match(busy?.error?.message ?? '', /HTTP 503/);
    assert.equal(html?.error?.code, 'key-unparseable', JSON.stringify(html?.error));
  });
});

test('nothing resolves: every network source is unreachable', async () => {
  await withKeyring(async (keyring) => {
    const results = await lookupKeys('alice@example.org', { keyring, fetcher: loopbackFetcher(goodPort, []), keyservers: [KEYSERVER] });
    assert.deepEqual(
      results.map((r) => [r.source, r.error?.code]),
      [
        ['keyring', undefined],
        ['autocrypt', undefined],
        ['wkd', 'network-unavailable'],
        ['vks', 'network-unavailable'],
      ],
    );
    assert.match(results[2]?.error?.message ?? '', /openpgpkey\.example\.org does not resolve/);
    assert.equal(allNetworkUnreachable(results), true);
  });
});

test('CLI: keys lookup usage errors, and the Autocrypt state alone with --no-wkd --no-keyserver', { timeout: 60_000 }, async () => {
  const home = await tempDir('sealpost-lookup-cli-');
  try {
    const keyring = startKeyringWorker(home.path);
    try {
      await keyring.client.call('keys.import', { data: keys.carol.armored, source: 'autocrypt' });
      await keyring.client.call('keys.import', { data: keys.alice.armored, source: 'file' });
    } finally {
      await keyring.close();
    }
    for (const args of [
      ['keys', 'lookup'],
      ['keys', 'lookup', 'not-an-address'],
      ['keys', 'lookup', 'a@b.org', 'c@d.org'],
      ['keys', 'lookup', 'a@b.org', '--keyserver', 'http://keys.example.net'],
      ['keys', 'lookup', 'a@b.org', '--bogus'],
    ]) {
      const r = await runSealpost(args, { home: home.path });
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^sealpost: .+\n$/);
    }

    const json = await runSealpost(['keys', 'lookup', 'carol@example.org', '--no-wkd', '--no-keyserver', '--json'], { home: home.path });
    assert.equal(json.code, 0, json.stderr);
    const results = JSON.parse(json.stdout.toString());
    assert.deepEqual(
      results.map((r: { source: string }) => r.source),
      ['keyring', 'autocrypt'],
    );
    assert.deepEqual(results[0].keys, [], 'a key learned by Autocrypt is not under the keyring');
    assert.deepEqual(
      results[1].keys.map((k: { fingerprint: string }) => k.fingerprint),
      [keys.carol.fpr],
    );

    const human = await runSealpost(['keys', 'lookup', 'carol@example.org', '--no-wkd', '--no-keyserver'], { home: home.path });
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.toString(), `keyring: nothing found\nautocrypt: ${keys.carol.fpr}  Carol <carol@example.org>\n`);

    // .invalid never resolves (RFC 2606): with the only network source unreachable, exit 69, and the report still printed.
    const offline = await runSealpost(
      ['keys', 'lookup', 'carol@example.org', '--no-wkd', '--keyserver', 'https://keys.sealpost.invalid', '--json'],
      { home: home.path },
    );
    assert.equal(offline.code, 69, offline.stderr);
    assert.match(offline.stderr, /^sealpost: The server could not be reached: .+\n$/);
    const offlineResults = JSON.parse(offline.stdout.toString());
    assert.deepEqual(
      offlineResults.map((r: { source: string }) => r.source),
      ['keyring', 'autocrypt', 'vks'],
    );
    assert.match(offlineResults[2].error.code, /^network-(unavailable|timeout)$/);

    const notAutocrypt = await runSealpost(['keys', 'lookup', 'alice@example.org', '--no-wkd', '--no-keyserver', '--import'], {
      home: home.path,
    });
    assert.equal(notAutocrypt.code, 0, notAutocrypt.stderr);
    assert.equal(
      notAutocrypt.stdout.toString(),
      `keyring: ${keys.alice.fpr}  Alice <alice@example.org>\nautocrypt: nothing found\n`,
      'a key from a file is in the keyring, not Autocrypt state',
    );
  } finally {
    await home.cleanup();
  }
});
