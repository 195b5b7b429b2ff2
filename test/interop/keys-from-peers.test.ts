// Keys made by the six OpenPGP peers (test/support/peers/peers.ts), imported into a
// Sealpost profile with `sealpost keys import`: what we report about them,
// that a passphrase-protected secret key stays protected through
// `keys export --secret`, and that importing twice changes nothing.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeySummary } from '../../app/keys.ts';
import { runSealpost, tempDir, type TempDir } from '../support/cli.ts';
import {
  certFingerprints,
  dearmor,
  parsePackets,
  peer,
  peers,
  primaryFingerprint,
  type Peer,
  type PeerKey,
  type PeerName,
} from '../support/peers/peers.ts';

const all = peers();
const avail = all.filter((p) => p.available());
const enc = new TextEncoder();
const dec = new TextDecoder();

const PASSPHRASE = 'sealpost interop pässphrase 7';
const MESSAGE = enc.encode('Grüße aus Sealpost: ünïcödé ✓\nzweite Zeile\n');

/** Display name with non-ASCII letters: user ids are UTF-8. */
function userIdFor(p: Peer): { uid: string; name: string; email: string } {
  const name = `Zoë ${p.name} Ærøskøbing`;
  const email = `${p.name}-user@peers.example`;
  return { uid: `${name} <${email}>`, name, email };
}

/** The User ID packets (tag 13) of a cert, decoded as UTF-8. */
function certUserIds(cert: string): string[] {
  return parsePackets(dearmor(cert))
    .filter((p) => p.tag === 13)
    .map((p) => new TextDecoder('utf-8', { fatal: true }).decode(p.body));
}

interface Made {
  /** The key imported as secret: passphrase-protected where the peer can. */
  key: PeerKey;
  /** The user id as it is in the cert (see the gpg note in before()). */
  uid: string;
  email: string;
}
const made = new Map<PeerName, Made>();
let tmp: TempDir;
let fileCount = 0;

async function file(name: string, data: string | Uint8Array): Promise<string> {
  const p = join(tmp.path, `${++fileCount}-${name}`);
  await writeFile(p, data, { mode: 0o600 });
  return p;
}

async function freshHome(tag: string): Promise<string> {
  return join(tmp.path, `home-${tag}-${++fileCount}`);
}

function ok(r: { code: number; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}: ${r.stderr.trim()}`);
}

async function sealpostJson<T>(args: string[], home: string, what: string): Promise<T> {
  const r = await runSealpost([...args, '--json'], { home });
  ok(r, what);
  return JSON.parse(r.stdout.toString('utf8')) as T;
}

function madeFor(p: Peer): Made {
  const m = made.get(p.name);
  if (!m) throw new Error(`no key from ${p.name} (generation failed in before())`);
  return m;
}

before(
  async () => {
    tmp = await tempDir('sealpost-keys-peers-');
    // Sequential: pgpainless starts a JVM, gpg an agent; two cores.
    for (const p of avail) {
      const { uid, email } = userIdFor(p);
      const key = await p.generateKey(uid, p.supports.keyPassphrase ? { passphrase: PASSPHRASE } : {});
      const inCert = certUserIds(key.cert);
      assert.equal(inCert.length, 1, `${p.name}: user ids ${JSON.stringify(inCert)}`);
      // Every peer stores the UTF-8 user id as given (gpg runs under a UTF-8 locale).
      assert.equal(inCert[0], uid);
      made.set(p.name, { key, uid: inCert[0] ?? uid, email });
    }
  },
  { timeout: 180_000 },
);

after(async () => {
  await tmp?.cleanup();
});

/** Primary fingerprint of a secret key, through `sop extract-cert` (peers.ts reads only public key packets). */
async function exportedFingerprint(secret: string): Promise<string> {
  const first = parsePackets(dearmor(secret))[0];
  assert.equal(first?.tag, 5, 'a secret key export starts with a Secret-Key packet');
  const r = await runSealpost(['sop', 'extract-cert'], { input: secret });
  ok(r, 'sop extract-cert');
  return primaryFingerprint(r.stdout.toString('utf8'));
}

function assertSummary(s: KeySummary | undefined, m: Made, hasSecret: boolean): void {
  assert.ok(s, 'a KeySummary');
  assert.equal(s.fingerprint, m.key.fingerprint);
  assert.match(s.fingerprint, /^[0-9A-F]{40}$/);
  assert.equal(s.keyId, m.key.fingerprint.slice(-16));
  assert.equal(s.version, 4);
  assert.equal(s.hasSecret, hasSecret);
  assert.equal(s.canEncrypt, true);
  assert.equal(s.canSign, true);
  assert.equal(s.revoked, false);
  assert.deepEqual(s.userIds, [m.uid]);
  assert.deepEqual(s.emails, [m.email]);
}

for (const p of all) {
  const skip = !p.available() ? `${p.name} binaries are not on PATH` : false;
  test(`${p.name}: import cert and secret key`, { skip, timeout: 120_000 }, async (t) => {
    const m = madeFor(p);
    const home = await freshHome(p.name);
    const certFile = await file(`${p.name}-cert.asc`, m.key.cert);
    const secretFile = await file(`${p.name}-secret.asc`, m.key.secret);

    await t.test('cert: public only', async () => {
      const imported = await sealpostJson<KeySummary[]>(['keys', 'import', certFile], home, 'keys import cert');
      assert.equal(imported.length, 1, JSON.stringify(imported));
      assertSummary(imported[0], m, false);
    });

    await t.test('secret key (on top of the cert): hasSecret', async () => {
      const imported = await sealpostJson<KeySummary[]>(['keys', 'import', secretFile], home, 'keys import secret');
      assert.equal(imported.length, 1, JSON.stringify(imported));
      assertSummary(imported[0], m, true);
      assert.deepEqual(imported[0]?.sources, ['file']);
    });

    await t.test('keys show: subkeys as the peer made them', async () => {
      const shown = await sealpostJson<KeySummary>(['keys', 'show', m.key.fingerprint], home, 'keys show');
      assertSummary(shown, m, true);
      const subFprs = certFingerprints(m.key.cert).slice(1);
      assert.deepEqual((shown.subkeys ?? []).map((s) => s.fingerprint).sort(), [...subFprs].sort());
      const byEmail = await sealpostJson<KeySummary>(['keys', 'show', m.email], home, 'keys show ADDR');
      assert.equal(byEmail.fingerprint, m.key.fingerprint);
    });

    await t.test('re-import of cert and secret: still one key', async () => {
      const again = await sealpostJson<KeySummary[]>(['keys', 'import', secretFile, certFile], home, 'keys import again');
      // Nothing was added or updated (contract: --json lists what was added or updated).
      assert.deepEqual(
        again.map((k) => k.fingerprint),
        [],
        're-import of identical data reported keys as changed',
      );
      const list = await sealpostJson<KeySummary[]>(['keys', 'list'], home, 'keys list');
      assert.equal(list.length, 1, JSON.stringify(list.map((k) => k.fingerprint)));
      assertSummary(list[0], m, true);
      const secrets = await sealpostJson<KeySummary[]>(['keys', 'list', '--secret'], home, 'keys list --secret');
      assert.deepEqual(
        secrets.map((k) => k.fingerprint),
        [m.key.fingerprint],
      );
    });

    await t.test('keys export (public) is the same cert', async () => {
      const r = await runSealpost(['keys', 'export', m.key.fingerprint], { home });
      ok(r, 'keys export');
      const out = r.stdout.toString('utf8');
      assert.match(out, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n/);
      assert.doesNotMatch(out, /PRIVATE KEY/);
      assert.deepEqual(certFingerprints(out), certFingerprints(m.key.cert));
    });

    const protectedSkip = p.supports.keyPassphrase ? false : `peer ${p.name} cannot make passphrase-protected keys`;
    await t.test('keys export --secret stays protected', { skip: protectedSkip }, async () => {
      const r = await runSealpost(['keys', 'export', m.key.fingerprint, '--secret'], { home });
      ok(r, 'keys export --secret');
      const exported = r.stdout.toString('utf8');
      assert.match(exported, /^-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n/);
      assert.equal(await exportedFingerprint(exported), m.key.fingerprint);
      const exportedKey: PeerKey = { secret: exported, cert: m.key.cert, fingerprint: m.key.fingerprint, passphrase: PASSPHRASE };
      const { passphrase: _, ...withoutPassphrase } = exportedKey;

      // Our own sop: locked without the password (67), usable with it.
      const keyFile = await file(`${p.name}-exported.asc`, exported);
      const pwFile = await file('key.pw', PASSPHRASE);
      const locked = await runSealpost(['sop', 'sign', keyFile], { input: MESSAGE });
      assert.equal(locked.code, 67, `sop sign without --with-key-password: exit ${locked.code}: ${locked.stderr.trim()}`);
      const signed = await runSealpost(['sop', 'sign', `--with-key-password=${pwFile}`, keyFile], { input: MESSAGE });
      ok(signed, 'sop sign --with-key-password');

      // The peer itself: with the passphrase it signs, without it cannot.
      const sig = await p.signDetached(MESSAGE, exportedKey);
      const certFile2 = await file(`${p.name}-cert2.asc`, m.key.cert);
      const sigFile = await file('peer.sig', sig);
      const v = await runSealpost(['sop', 'verify', sigFile, certFile2], { input: MESSAGE });
      ok(v, 'sop verify of the peer signature made with the exported key');
      await assert.rejects(p.signDetached(MESSAGE, withoutPassphrase), `${p.name} signed with the exported key without its passphrase`);

      // GnuPG (the reference for "protected"): import + decrypt needs the passphrase.
      const gpg = peer('gpg');
      if (gpg.available()) {
        const ct = await gpg.encrypt(MESSAGE, [m.key.cert]);
        const out = await gpg.decrypt(ct, exportedKey);
        assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
        await assert.rejects(gpg.decrypt(ct, withoutPassphrase), 'gpg decrypted with the exported key without its passphrase');
      }
    });

    // A peer without passphrase-protected keys: its unprotected key round-trips instead.
    if (!p.supports.keyPassphrase)
      await t.test('keys export --secret of an unprotected key works with the peer', async () => {
        const r = await runSealpost(['keys', 'export', m.key.fingerprint, '--secret'], { home });
        ok(r, 'keys export --secret');
        const exported = r.stdout.toString('utf8');
        assert.equal(await exportedFingerprint(exported), m.key.fingerprint);
        const exportedKey: PeerKey = { secret: exported, cert: m.key.cert, fingerprint: m.key.fingerprint };
        const ct = await p.encrypt(MESSAGE, [m.key.cert]);
        const out = await p.decrypt(ct, exportedKey);
        assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
      });
  });
}

test('keys from all peers in one profile, in one file', { timeout: 60_000 }, async () => {
  const list = avail.map((p) => madeFor(p));
  if (list.length === 0) return;
  const home = await freshHome('all');
  const bundle = await file('all-secrets.asc', list.map((m) => m.key.secret).join('\n'));
  const imported = await sealpostJson<KeySummary[]>(['keys', 'import', bundle], home, 'keys import (many keys in one file)');
  assert.deepEqual(imported.map((k) => k.fingerprint).sort(), list.map((m) => m.key.fingerprint).sort());
  const again = await sealpostJson<KeySummary[]>(['keys', 'import', bundle], home, 'keys import again');
  assert.deepEqual(
    again.map((k) => k.fingerprint),
    [],
    're-import of identical data reported keys as changed',
  );
  const listed = await sealpostJson<KeySummary[]>(['keys', 'list'], home, 'keys list');
  assert.deepEqual(listed.map((k) => k.fingerprint).sort(), list.map((m) => m.key.fingerprint).sort());
  for (const k of listed) assert.equal(k.hasSecret, true, k.fingerprint);
});
