// Keyservers (VKS and HKP), refresh, publish and the WKD export, through the
// command line against the stand-ins of test/support/keyservers.ts (HTTPS on
// 127.0.0.1, a CA of this run given to the child by NODE_EXTRA_CA_CERTS, so
// that Node's fetch checks certificates as always), keys made by GnuPG; and
// property tests of the HKP and VKS answer parsing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';
import {
  gpgMakeKey,
  gpgRevoke,
  makeTestPki,
  startHkp,
  startVks,
  type GpgKey,
  type HkpStandIn,
  type VksStandIn,
} from '../../support/keyservers.ts';
import { armoredBlocks, parseHkpAnswer } from '../../../main/discovery/hkp.ts';
import { parseVksAnswer } from '../../../main/discovery/keyserver.ts';
import { NetworkError, type Fetcher } from '../../../main/discovery/http.ts';
import { lookupKeys } from '../../../main/discovery/lookup.ts';
import { wkdHash } from '../../../main/discovery/wkd.ts';
import { recipientKey } from '../../../main/pgp-mime/write/recipient-keys.ts';
import { startKeyringWorker } from '../../../main/keyring-host/worker-keyring.ts';

let dir: TempDir;
let gnupg: string;
let vks: VksStandIn;
let hkp: HkpStandIn;
let env: Record<string, string>;
let ann: GpgKey;
let annOther: GpgKey;

before(async () => {
  dir = await tempDir('sealpost-keyservers-');
  gnupg = join(dir.path, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const pki = makeTestPki(dir.path, 'ks', ['localhost']);
  vks = await startVks(pki, gnupg);
  hkp = await startHkp(pki);
  env = { NODE_EXTRA_CA_CERTS: pki.caPath };
  ann = gpgMakeKey(gnupg, 'Ann <ann@example.org>');
  annOther = gpgMakeKey(gnupg, 'Ann Again <ann@example.org>');
});

after(async () => {
  await vks?.close();
  await hkp?.close();
  await dir?.cleanup();
});

const json = (r: { stdout: Buffer }) => JSON.parse(r.stdout.toString());

test('HKP answers: the armored public key blocks are taken out whatever surrounds them', () => {
  const block = fc
    .stringMatching(/^[A-Za-z0-9+/=\n]{0,200}$/)
    .map((b) => `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${b}\n-----END PGP PUBLIC KEY BLOCK-----`);
  const noise = fc.string({ maxLength: 100 }).map((s) => s.replaceAll('-----', ''));
  fc.assert(
    fc.property(fc.array(fc.tuple(noise, block), { minLength: 1, maxLength: 4 }), noise, (parts, tail) => {
      const text = parts.map(([n, b]) => `${n}\n${b}`).join('') + tail;
      const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
      assert.equal(armoredBlocks(bytes), `${parts.map(([, b]) => b).join('\n')}\n`);
      const got = parseHkpAnswer({ url: 'https://hkp.example/pks/lookup', status: 200, body: bytes });
      assert.equal(Buffer.from(got.data!).toString('latin1'), armoredBlocks(bytes));
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const text = Buffer.from(bytes).toString('latin1');
      fc.pre(!text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'));
      assert.equal(armoredBlocks(bytes), null);
      assert.throws(
        () => parseHkpAnswer({ url: 'https://h.example/', status: 200, body: bytes }),
        (e) => e instanceof NetworkError && e.code === 'network-bad-response',
      );
    }),
  );
  assert.deepEqual(parseHkpAnswer({ url: 'https://h.example/', status: 404, body: null }).data, null);
});

test('VKS answers: only the documented shape is taken; anything else is a bad answer', () => {
  const state = fc.constantFrom('unpublished', 'published', 'revoked', 'pending');
  const good = fc.record({
    key_fpr: fc.stringMatching(/^[0-9A-F]{40}$/),
    token: fc.string({ minLength: 1, maxLength: 50 }),
    status: fc.dictionary(fc.emailAddress(), state, { maxKeys: 4 }),
  });
  const answer = (v: unknown, status = 200) => ({
    url: 'https://vks.example/vks/v1/upload',
    status,
    body: new Uint8Array(Buffer.from(JSON.stringify(v))),
  });
  fc.assert(fc.property(good, (v) => assert.deepEqual(parseVksAnswer(answer(v)), JSON.parse(JSON.stringify(v)))));
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      try {
        const parsed = parseVksAnswer(answer(v));
        assert.match(parsed.key_fpr, /^[0-9A-F]{40}$|^[0-9A-F]{64}$/);
      } catch (e) {
        assert.ok(e instanceof NetworkError && e.code === 'network-bad-response', String(e));
      }
    }),
  );
  assert.throws(() => parseVksAnswer(answer({ error: 'bad\nkey' }, 400)), /HTTP 400: bad key/);
});

test('CLI: a VKS and an HKP keyserver that disagree are both shown; --import keeps each source', { timeout: 120_000 }, async () => {
  const home = await tempDir('sealpost-ks-cli-');
  try {
    vks.publish(ann.armored, ann.fpr, ann.emails);
    hkp.serve(annOther.armored, annOther.fpr, annOther.emails);
    const servers = ['--keyserver', `https://localhost:${vks.port}`, '--keyserver', `hkps://localhost:${hkp.port}`];
    const r = await runSealpost(['keys', 'lookup', 'ann@example.org', '--no-wkd', ...servers, '--json'], { home: home.path, env });
    assert.equal(r.code, 0, r.stderr);
    const results = json(r);
    assert.deepEqual(
      results.map((x: { source: string; keys: Array<{ fingerprint: string }> }) => [x.source, x.keys.map((k) => k.fingerprint)]),
      [
        ['keyring', []],
        ['autocrypt', []],
        ['vks', [ann.fpr]],
        ['hkp', [annOther.fpr]],
      ],
    );
    assert.equal(results[3].url, `https://localhost:${hkp.port}/pks/lookup?op=get&options=mr&search=ann%40example.org`);
    assert.equal(results[3].keyserver, `hkps://localhost:${hkp.port}`);

    const human = await runSealpost(['keys', 'lookup', 'ann@example.org', '--no-wkd', ...servers, '--import'], { home: home.path, env });
    assert.equal(human.code, 0, human.stderr);
    const out = human.stdout.toString();
    assert.match(out, /the sources disagree: they name 2 different keys for ann@example\.org/);
    assert.match(out, new RegExp(`${ann.fpr}  from vks https://localhost:${vks.port}`));
    assert.match(out, new RegExp(`${annOther.fpr}  from hkp hkps://localhost:${hkp.port}`));
    const list = json(await runSealpost(['keys', 'list', '--json'], { home: home.path }));
    assert.deepEqual(
      list.map((k: { fingerprint: string; sources: string[] }) => [k.fingerprint, k.sources]).sort(),
      [
        [ann.fpr, ['vks']],
        [annOther.fpr, ['hkp']],
      ].sort(),
    );

    // A revocation published on the VKS server: refresh picks it up, and the key is no longer used.
    const revoked = gpgRevoke(gnupg, ann.fpr);
    vks.publish(revoked, ann.fpr, ann.emails);
    const before = vks.requests.length;
    const refresh = await runSealpost(
      ['keys', 'refresh', '--keyserver', `https://localhost:${vks.port}`, '--keyserver', `hkps://localhost:${hkp.port}`, '--json'],
      {
        home: home.path,
        env,
      },
    );
    assert.equal(refresh.code, 0, refresh.stderr);
    const reports = json(refresh);
    assert.deepEqual(
      reports
        .map((x: { fingerprint: string; source: string; changes: string[]; error?: unknown }) => [
          x.fingerprint,
          x.source,
          x.changes,
          x.error,
        ])
        .sort(),
      [
        [ann.fpr, 'vks', ['revoked'], undefined],
        [annOther.fpr, 'hkp', [], undefined],
      ].sort(),
    );
    assert.deepEqual(vks.requests.slice(before), [`GET /vks/v1/by-fingerprint/${ann.fpr}`]);
    assert.ok(hkp.requests.includes(`GET /pks/lookup?op=get&options=mr&search=0x${annOther.fpr}`));

    // Refreshed less than a day ago: passed over, unless named.
    const again = await runSealpost(['keys', 'refresh', '--keyserver', `https://localhost:${vks.port}`, '--json'], {
      home: home.path,
      env,
    });
    assert.deepEqual(json(again), []);
    const named = await runSealpost(['keys', 'refresh', ann.fpr, '--keyserver', `https://localhost:${vks.port}`, '--json'], {
      home: home.path,
      env,
    });
    assert.deepEqual(json(named), [{ fingerprint: ann.fpr, source: 'vks', server: `https://localhost:${vks.port}`, changes: [] }]);

    const keyring = startKeyringWorker(home.path);
    try {
      const choice = await recipientKey(keyring.client, 'ann@example.org');
      assert.ok(!('key' in choice) || choice.key.fingerprint !== ann.fpr, 'the revoked key is not chosen');
      const state = await keyring.client.call('keys.addressState', { address: 'ann@example.org' });
      assert.equal(state.keys.find((k) => k.fingerprint === ann.fpr)?.revoked, true);
    } finally {
      await keyring.close();
    }
  } finally {
    await home.cleanup();
  }
});

test('CLI: publish uploads the public key and asks for the confirmation mail', { timeout: 60_000 }, async () => {
  const home = await tempDir('sealpost-ks-publish-');
  try {
    const gen = await runSealpost(['keys', 'generate', '--name', 'Pat', '--email', 'pat@example.org', '--no-passphrase'], {
      home: home.path,
    });
    assert.equal(gen.code, 0, gen.stderr);
    const fpr = gen.stdout.toString().trim();
    const r = await runSealpost(['keys', 'publish', fpr, '--keyserver', `https://localhost:${vks.port}`, '--json'], {
      home: home.path,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), { fingerprint: fpr, keyserver: `https://localhost:${vks.port}`, status: { 'pat@example.org': 'pending' } });
    const upload = [...vks.uploads.values()].find((u) => u.fpr === fpr)!;
    assert.ok(upload.armored.includes('BEGIN PGP PUBLIC KEY BLOCK') && !upload.armored.includes('PRIVATE'), 'only public material');
    assert.deepEqual(vks.verifyRequests.at(-1)?.addresses, ['pat@example.org']);
    assert.deepEqual(vks.verifyRequests.at(-1)?.locale, ['en']);

    const hkpRefused = await runSealpost(['keys', 'publish', fpr, '--keyserver', `hkps://localhost:${hkp.port}`], { home: home.path, env });
    assert.equal(hkpRefused.code, 64, hkpRefused.stderr);
  } finally {
    await home.cleanup();
  }
});

test('CLI: wkd-export writes the tree GnuPG would look up, and lookupKeys reads it back', { timeout: 60_000 }, async () => {
  const home = await tempDir('sealpost-ks-wkd-');
  try {
    const file = join(dir.path, 'ann-keys.asc');
    writeFileSync(file, ann.armored + annOther.armored);
    const imported = await runSealpost(['keys', 'import', file], { home: home.path });
    assert.equal(imported.code, 0, imported.stderr);
    const out = join(dir.path, 'wkd');
    const r = await runSealpost(['keys', 'wkd-export', ann.fpr, annOther.fpr, '--domain', 'EXAMPLE.org', '--out', out, '--json'], {
      home: home.path,
    });
    assert.equal(r.code, 0, r.stderr);
    const hash = wkdHash('ann');
    const folder = join(out, '.well-known', 'openpgpkey', 'example.org');
    assert.deepEqual(json(r), { files: [join(folder, 'hu', hash), join(folder, 'policy')] });
    assert.equal(readFileSync(join(folder, 'policy')).length, 0);
    const wks = '/usr/lib/gnupg/gpg-wks-client';
    if (existsSync(wks)) assert.equal(execFileSync(wks, ['--print-wkd-hash', 'ann@example.org'], { encoding: 'utf8' }).split(' ')[0], hash);

    const served: Fetcher = async (href) => {
      const u = new URL(href);
      const path = join(out, u.pathname);
      if (u.hostname !== 'openpgpkey.example.org' || !existsSync(path)) return new Response('no', { status: 404 });
      return new Response(readFileSync(path), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
    };
    const keyring = startKeyringWorker(null);
    try {
      const [wkd] = await lookupKeys('ann@example.org', { keyring: keyring.client, fetcher: served, sources: ['wkd'] });
      assert.deepEqual(wkd?.keys.map((k) => k.fingerprint).sort(), [ann.fpr, annOther.fpr].sort(), 'both keys in one file');
    } finally {
      await keyring.close();
    }

    const direct = await runSealpost(['keys', 'wkd-export', ann.fpr, '--domain', 'example.org', '--out', out, '--method', 'direct'], {
      home: home.path,
    });
    assert.equal(direct.code, 0, direct.stderr);
    assert.ok(existsSync(join(out, '.well-known', 'openpgpkey', 'hu', hash)));
    const none = await runSealpost(['keys', 'wkd-export', ann.fpr, '--domain', 'example.net', '--out', out], { home: home.path });
    assert.equal(none.code, 64, none.stderr);
  } finally {
    await home.cleanup();
  }
});
