// A GnuPG user's round trip through Sealpost's stateful keyring (`sealpost
// keys`): Alice uses gpg; her key is passphrase-protected and has two user
// ids; she has certified the key of Bob, another gpg user. She imports her
// secret key and Bob's public key (with her certification) into a Sealpost
// profile, and what Sealpost exports must work in gpg again: `keys export`
// (same fingerprints, certifications kept), `keys export --secret` (still
// protected), `keys export --minimal` (gpg still encrypts to it and verifies
// with it). The keys taken from the profile are also used with `sealpost sop`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeySummary } from '../../app/keys.ts';
import { runSealpost, tempDir, type TempDir } from '../support/cli.ts';
import {
  certFingerprints,
  dearmor,
  parsePackets,
  peer,
  primaryFingerprint,
  run,
  type PeerKey,
  type RunResult,
} from '../support/peers/peers.ts';

const gpgPeer = peer('gpg');
const skip = gpgPeer.available() ? false : 'gpg is not on PATH';
const enc = new TextEncoder();
const dec = new TextDecoder();

const PASSPHRASE = 'alice gpg passphrase 3';
const ALICE_UID = 'Alice Example <alice@gpg.example>';
const ALICE_UID2 = 'Alice at Work <alice@work.example>';
const BOB_UID = 'Bob Example <bob@gpg.example>';
const MESSAGE = enc.encode('Hallo Bob, grüße von Alice: ünïcödé ✓\n- zweite Zeile\n');
const TIMEOUT = { timeout: 120_000 };

let tmp: TempDir;
let counter = 0;
/** Alice's key as her gpg exports it: two user ids, protected. */
let alice: PeerKey;
/** Bob's key; `bobFromAlice` is his cert as exported from Alice's keyring, carrying her certification. */
let bob: PeerKey;
let bobFromAlice: string;
let home: string;
let pwFile: string;

async function file(name: string, data: string | Uint8Array): Promise<string> {
  const p = join(tmp.path, `${++counter}-${name}`);
  await writeFile(p, data, { mode: 0o600 });
  return p;
}

function ok(r: { code: number; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}: ${r.stderr.trim()}`);
}

async function sealpost(args: string[], input?: Uint8Array | string): Promise<Buffer> {
  const r = await runSealpost(args, { home, input: input ?? '' });
  ok(r, `sealpost ${args.join(' ')}`);
  return r.stdout;
}

async function sealpostJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await sealpost([...args, '--json'])).toString('utf8')) as T;
}

// ---------------------------------------------------------------------------
// A gpg home directory of our own, for what the peer adapter does not offer
// (adding a user id, certifying a key, listing what gpg made of an import).

interface GpgHome {
  gpg(args: string[], stdin?: Uint8Array | string): Promise<RunResult>;
  /** Runs gpg and fails the test on a non-zero exit. */
  ok(args: string[], stdin?: Uint8Array | string): Promise<string>;
  close(): Promise<void>;
}

async function gpgHome(tag: string): Promise<GpgHome> {
  const dir = join(tmp.path, `gnupg-${tag}-${++counter}`);
  await mkdir(dir, { mode: 0o700 });
  await writeFile(join(dir, 'gpg-agent.conf'), 's2k-count 1048576\n', { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: dir, LC_ALL: 'C', LANGUAGE: 'C' };
  delete env.GPG_AGENT_INFO;
  const gpg = (args: string[], stdin?: Uint8Array | string) =>
    run('gpg', ['--homedir', dir, '--batch', '--no-tty', '--yes', '--pinentry-mode', 'loopback', ...args], {
      cwd: tmp.path,
      env,
      stdin: stdin ?? '',
    });
  return {
    gpg,
    async ok(args, stdin) {
      const r = await gpg(args, stdin);
      assert.equal(r.code, 0, `gpg ${args.join(' ')}: exit ${r.code}: ${r.stderr.toString('utf8').trim()}`);
      return r.stdout.toString('utf8');
    },
    async close() {
      await run('gpgconf', ['--homedir', dir, '--kill', 'all'], { cwd: tmp.path, env, timeoutMs: 15_000 }).catch(() => undefined);
    },
  };
}

/** `--with-colons` records of one type ("fpr", "uid", "sig", ...), split into fields. */
function records(colons: string, type: string): string[][] {
  return colons
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f[0] === type);
}

/** What a fresh gpg makes of an exported cert: fingerprints (primary first), user ids, and certifying key ids. */
async function gpgView(cert: string | Uint8Array, others: string[] = []): Promise<{ fprs: string[]; uids: string[]; sigKeyIds: string[] }> {
  const g = await gpgHome('view');
  try {
    for (const o of others) await g.ok(['--import'], o);
    await g.ok(['--import'], cert);
    const fpr = primaryFingerprint(cert);
    const colons = await g.ok(['--with-colons', '--fixed-list-mode', '--list-sigs', fpr]);
    return {
      fprs: records(colons, 'fpr').map((f) => f[9] ?? ''),
      uids: records(colons, 'uid').map((f) => f[9] ?? ''),
      sigKeyIds: records(colons, 'sig').map((f) => f[4] ?? ''),
    };
  } finally {
    await g.close();
  }
}

/** gpg --list-packets of a secret key export: every secret (sub)key packet is S2K-protected. */
async function assertProtected(secret: string): Promise<void> {
  const g = await gpgHome('packets');
  try {
    const listing = await g.ok(['--list-packets'], secret);
    const blocks = listing.split(/^# off=/m).filter((b) => /:secret (sub )?key packet:/.test(b));
    assert.ok(blocks.length >= 2, `expected a secret key and subkey packets:\n${listing}`);
    for (const b of blocks) {
      assert.match(b, /S2K/, `a secret key packet without S2K protection:\n${b}`);
      assert.doesNotMatch(b, /gnu-dummy|unprotected/i, `not protected:\n${b}`);
    }
  } finally {
    await g.close();
  }
}

before(
  async () => {
    tmp = await tempDir('sealpost-gpg-keyring-');
    home = join(tmp.path, 'profile');
    pwFile = await file('alice.pw', PASSPHRASE);
    if (skip) return;
    const a = await gpgPeer.generateKey(ALICE_UID, { passphrase: PASSPHRASE });
    bob = await gpgPeer.generateKey(BOB_UID);
    // Alice's keyring: a second user id, and Bob's key certified by her.
    const g = await gpgHome('alice');
    try {
      await g.ok(['--passphrase-file', pwFile, '--import'], a.secret);
      await g.ok(['--passphrase-file', pwFile, '--quick-add-uid', a.fingerprint, ALICE_UID2]);
      await g.ok(['--import'], bob.cert);
      await g.ok(['--passphrase-file', pwFile, '--default-key', a.fingerprint, '--quick-sign-key', bob.fingerprint]);
      const secret = await g.ok(['--passphrase-file', pwFile, '--armor', '--export-secret-keys', a.fingerprint]);
      const cert = await g.ok(['--armor', '--export', a.fingerprint]);
      bobFromAlice = await g.ok(['--armor', '--export', bob.fingerprint]);
      alice = { secret, cert, fingerprint: a.fingerprint, passphrase: PASSPHRASE };
    } finally {
      await g.close();
    }
    const sigsOnBob = parsePackets(dearmor(bobFromAlice)).filter((p) => p.tag === 2).length;
    const sigsOnBobOrig = parsePackets(dearmor(bob.cert)).filter((p) => p.tag === 2).length;
    assert.equal(sigsOnBob, sigsOnBobOrig + 1, "Bob's cert from Alice's keyring carries her certification");
  },
  { timeout: 120_000 },
);

after(async () => {
  await tmp?.cleanup();
});

const aliceKeyId = (): string => alice.fingerprint.slice(-16);

test("import Alice's gpg secret key and Bob's public key into the profile", { skip, ...TIMEOUT }, async () => {
  const imported = await sealpostJson<KeySummary[]>([
    'keys',
    'import',
    await file('alice-secret.asc', alice.secret),
    await file('bob-from-alice.asc', bobFromAlice),
  ]);
  const byFpr = new Map(imported.map((k) => [k.fingerprint, k]));
  assert.deepEqual([...byFpr.keys()].sort(), [alice.fingerprint, bob.fingerprint].sort());
  const a = byFpr.get(alice.fingerprint);
  assert.ok(a);
  assert.equal(a.hasSecret, true);
  assert.equal(a.canSign, true);
  assert.equal(a.canEncrypt, true);
  assert.deepEqual([...a.userIds].sort(), [ALICE_UID, ALICE_UID2].sort());
  assert.deepEqual([...a.emails].sort(), ['alice@gpg.example', 'alice@work.example']);
  const b = byFpr.get(bob.fingerprint);
  assert.ok(b);
  assert.equal(b.hasSecret, false);
  assert.deepEqual(b.userIds, [BOB_UID]);
  assert.equal(b.canEncrypt, true);

  const secrets = await sealpostJson<KeySummary[]>(['keys', 'list', '--secret']);
  assert.deepEqual(
    secrets.map((k) => k.fingerprint),
    [alice.fingerprint],
  );
  const shown = await sealpostJson<KeySummary>(['keys', 'show', 'alice@work.example']);
  assert.equal(shown.fingerprint, alice.fingerprint);
  assert.deepEqual(
    (shown.subkeys ?? []).map((s) => s.fingerprint),
    certFingerprints(alice.cert).slice(1),
  );
  assert.equal(shown.subkeys?.[0]?.hasSecret, true);

  // The same files again (and Alice's public key): nothing new.
  const again = await sealpostJson<KeySummary[]>([
    'keys',
    'import',
    await file('alice-public.asc', alice.cert),
    await file('bob-again.asc', bobFromAlice),
  ]);
  assert.deepEqual(again, [], `re-import reported ${JSON.stringify(again.map((k) => k.fingerprint))}`);
  const list = await sealpostJson<KeySummary[]>(['keys', 'list']);
  assert.equal(list.length, 2);
  assert.equal(list.find((k) => k.fingerprint === alice.fingerprint)?.hasSecret, true, 'importing the public key kept the secret');
});

test('keys export: gpg imports it with the same fingerprints, user ids and certifications', { skip, ...TIMEOUT }, async () => {
  const exportedAlice = (await sealpost(['keys', 'export', alice.fingerprint])).toString('utf8');
  assert.match(exportedAlice, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n/);
  const viewA = await gpgView(exportedAlice);
  assert.deepEqual(viewA.fprs, certFingerprints(alice.cert));
  assert.deepEqual([...viewA.uids].sort(), [ALICE_UID, ALICE_UID2].sort());

  const exportedBob = (await sealpost(['keys', 'export', 'bob@gpg.example'])).toString('utf8');
  const viewB = await gpgView(exportedBob, [alice.cert]);
  assert.deepEqual(viewB.fprs, certFingerprints(bob.cert));
  assert.deepEqual(viewB.uids, [BOB_UID]);
  assert.ok(viewB.sigKeyIds.includes(aliceKeyId()), `Alice's certification on Bob's key is kept: sig key ids ${viewB.sigKeyIds.join(' ')}`);
});

test('keys export --secret: still protected, gpg needs the passphrase', { skip, ...TIMEOUT }, async () => {
  const exported = (await sealpost(['keys', 'export', alice.fingerprint, '--secret'])).toString('utf8');
  assert.match(exported, /^-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n/);
  await assertProtected(exported);
  const key: PeerKey = { ...alice, secret: exported };
  const { passphrase: _, ...withoutPassphrase } = key;
  // Bob writes to Alice; Alice's gpg, given the exported key, decrypts only with the passphrase.
  const ct = await gpgPeer.encrypt(MESSAGE, [alice.cert], { signer: bob });
  const out = await gpgPeer.decrypt(ct, key, { verifyWith: [bob.cert] });
  assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
  assert.equal(out.goodSignature, true);
  await assert.rejects(gpgPeer.decrypt(ct, withoutPassphrase), 'gpg decrypted with the exported key without the passphrase');
  // And signs with it; Bob verifies with Alice's original cert.
  const sig = await gpgPeer.signDetached(MESSAGE, key);
  assert.equal(await gpgPeer.verifyDetached(MESSAGE, sig, [alice.cert]), true);
  // gpg shows the same key (fingerprints) for the exported secret key.
  const g = await gpgHome('secret');
  try {
    await g.ok(['--import'], exported);
    const colons = await g.ok(['--with-colons', '--fixed-list-mode', '--list-secret-keys', alice.fingerprint]);
    assert.deepEqual(
      records(colons, 'fpr').map((f) => f[9]),
      certFingerprints(alice.cert),
    );
  } finally {
    await g.close();
  }
});

test('keys export --minimal: gpg still encrypts to it and verifies with it', { skip, ...TIMEOUT }, async () => {
  const minimalAlice = (await sealpost(['keys', 'export', alice.fingerprint, '--minimal'])).toString('utf8');
  const minimalBob = (await sealpost(['keys', 'export', bob.fingerprint, '--minimal'])).toString('utf8');
  for (const [who, minimal, full] of [
    ['Alice', minimalAlice, alice.cert],
    ['Bob', minimalBob, bobFromAlice],
  ] as const) {
    assert.match(minimal, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n/, who);
    assert.deepEqual(certFingerprints(minimal), certFingerprints(full), `${who}: same primary key and subkeys`);
    assert.ok(dearmor(minimal).length < dearmor(full).length, `${who}: the minimal cert is smaller`);
  }
  const viewA = await gpgView(minimalAlice, [bob.cert]);
  assert.deepEqual(viewA.fprs, certFingerprints(alice.cert));
  assert.equal(viewA.uids.length, 1, `one user id: ${viewA.uids.join(', ')}`);
  assert.ok([ALICE_UID, ALICE_UID2].includes(viewA.uids[0] ?? ''));
  const viewB = await gpgView(minimalBob, [alice.cert]);
  assert.deepEqual(viewB.uids, [BOB_UID]);
  assert.ok(!viewB.sigKeyIds.includes(aliceKeyId()), 'no third-party certification in the minimal cert');

  // Bob's gpg encrypts to Alice's minimal cert; Alice decrypts with her own gpg key.
  const ct = await gpgPeer.encrypt(MESSAGE, [minimalAlice], { signer: bob });
  const out = await gpgPeer.decrypt(ct, alice, { verifyWith: [bob.cert] });
  assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
  assert.equal(out.goodSignature, true);
  // And verifies Alice's signatures with it (detached and inside an encrypted message).
  const sig = await gpgPeer.signDetached(MESSAGE, alice);
  assert.equal(await gpgPeer.verifyDetached(MESSAGE, sig, [minimalAlice]), true);
  const ct2 = await gpgPeer.encrypt(MESSAGE, [bob.cert], { signer: alice });
  assert.equal((await gpgPeer.decrypt(ct2, bob, { verifyWith: [minimalAlice] })).goodSignature, true);
  // The same with Bob's minimal cert, on Alice's side.
  const ct3 = await gpgPeer.encrypt(MESSAGE, [minimalBob], { signer: alice });
  const out3 = await gpgPeer.decrypt(ct3, bob, { verifyWith: [alice.cert] });
  assert.equal(dec.decode(out3.plaintext), dec.decode(MESSAGE));
  const sigB = await gpgPeer.signDetached(MESSAGE, bob);
  assert.equal(await gpgPeer.verifyDetached(MESSAGE, sigB, [minimalBob]), true);
});

test('keys from the profile with sealpost sop, gpg on the other side', { skip, ...TIMEOUT }, async () => {
  const aliceSecret = await file('alice-from-profile.asc', await sealpost(['keys', 'export', alice.fingerprint, '--secret']));
  const bobCert = await file('bob-from-profile.asc', await sealpost(['keys', 'export', bob.fingerprint]));
  const sop = (args: string[], input: Uint8Array | string) => runSealpost(['sop', ...args], { input });

  // Bob (gpg) encrypts and signs to Alice; Alice decrypts with sealpost sop.
  const ct = await gpgPeer.encrypt(MESSAGE, [alice.cert], { signer: bob });
  const locked = await sop(['decrypt', aliceSecret], ct);
  assert.equal(locked.code, 67, `decrypt without --with-key-password: exit ${locked.code}: ${locked.stderr.trim()}`);
  const vo = join(tmp.path, `${++counter}-verifications.txt`);
  const d = await sop(
    ['decrypt', `--with-key-password=${pwFile}`, `--verify-with=${bobCert}`, `--verifications-out=${vo}`, aliceSecret],
    ct,
  );
  ok(d, 'sop decrypt');
  assert.equal(dec.decode(d.stdout), dec.decode(MESSAGE));
  const lines = (await readFile(vo, 'utf8')).split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.equal(lines[0]?.split(/\s+/)[2], bob.fingerprint);

  // Alice answers, encrypted to Bob and signed; Bob's gpg decrypts and verifies.
  const e = await sop(['encrypt', `--sign-with=${aliceSecret}`, `--with-key-password=${pwFile}`, bobCert], MESSAGE);
  ok(e, 'sop encrypt --sign-with');
  const out = await gpgPeer.decrypt(e.stdout, bob, { verifyWith: [alice.cert] });
  assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
  assert.equal(out.goodSignature, true);

  // A detached signature and a cleartext signature by Alice, checked by gpg.
  const s = await sop(['sign', `--with-key-password=${pwFile}`, aliceSecret], MESSAGE);
  ok(s, 'sop sign');
  assert.equal(await gpgPeer.verifyDetached(MESSAGE, s.stdout, [alice.cert]), true);
  const cs = await sop(['inline-sign', '--as=clearsigned', `--with-key-password=${pwFile}`, aliceSecret], MESSAGE);
  ok(cs, 'sop inline-sign --as=clearsigned');
  const v = await gpgPeer.verifyCleartext(cs.stdout, [alice.cert]);
  assert.equal(v.good, true);
  assert.equal(dec.decode(v.text).replace(/\r\n/g, '\n').replace(/\n+$/, ''), dec.decode(MESSAGE).replace(/\n+$/, ''));
});

test(
  'gpg --export-secret-subkeys (a gnu-dummy primary): imports with its secret subkeys, decrypts, stays a stub',
  { skip, ...TIMEOUT },
  async () => {
    const g = await gpgHome('subkeys');
    const subHome = join(tmp.path, `profile-subkeys-${++counter}`);
    try {
      await g.ok(['--passphrase-file', pwFile, '--import'], alice.secret);
      const stub = await g.ok(['--passphrase-file', pwFile, '--armor', '--export-secret-subkeys', alice.fingerprint]);
      assert.match(await g.ok(['--list-packets'], stub), /gnu-dummy/, 'gpg wrote a stub primary');
      const r = await runSealpost(['keys', 'import', await file('alice-subkeys.asc', stub), '--json'], { home: subHome });
      ok(r, 'keys import of a gnu-dummy export');
      const [summary] = JSON.parse(r.stdout.toString('utf8')) as KeySummary[];
      assert.equal(summary?.fingerprint, alice.fingerprint);
      assert.equal(summary?.hasSecret, true);
      assert.equal(summary?.canEncrypt, true);

      // gpg encrypts to Alice; the subkeys-only secret key from the profile decrypts it.
      const ciphertext = await g.ok(['--trust-model', 'always', '--armor', '--encrypt', '--recipient', alice.fingerprint], MESSAGE);
      const exported = await runSealpost(['keys', 'export', alice.fingerprint, '--secret'], { home: subHome });
      ok(exported, 'keys export --secret');
      assert.match(await g.ok(['--list-packets'], exported.stdout), /gnu-dummy/, 'the primary stays a stub on export');
      const decrypted = await runSealpost(
        ['sop', 'decrypt', '--with-key-password', pwFile, await file('alice-stub.asc', exported.stdout)],
        { input: ciphertext },
      );
      ok(decrypted, 'sop decrypt with the stub key');
      assert.deepEqual(new Uint8Array(decrypted.stdout), MESSAGE);
    } finally {
      await g.close();
    }
  },
);
