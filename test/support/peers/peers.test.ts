// Round trips among the six OpenPGP peers (see peers.ts). Each peer takes part
// as producer and as consumer; missing binaries and missing features are
// skipped explicitly, never silently.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PeerCannotError,
  certFingerprints,
  dearmor,
  describeMessage,
  parsePackets,
  peer,
  peers,
  run,
  type Peer,
  type PeerKey,
  type PeerName,
} from './peers.ts';

const all = peers();
const avail = all.filter((p) => p.available());
const enc = new TextEncoder();
const dec = new TextDecoder();

const PASSPHRASE = 'sealpost test passphrase 1';
const MESSAGE = enc.encode('Hello from Sealpost.\nSecond line, ünïcödé.\n');
// Binary payload for inline signatures: every byte value, CR LF included.
const BINARY = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff));
// Cleartext: dash-escaping and a "From " line.
// No trailing whitespace: CSF verifiers strip it, and pgpainless 1.3 does not
// when signing (see the test "cleartext with trailing whitespace").
const CLEARTEXT = enc.encode('Dear reader,\n- a line that needs dash-escaping\nFrom the desk of Sealpost\n--\nsig\n');

interface Keys {
  plain: PeerKey;
  locked?: PeerKey;
}
const keys = new Map<PeerName, Keys>();

function keysOf(p: Peer): Keys {
  const k = keys.get(p.name);
  if (!k) throw new Error(`no keys for ${p.name} (key generation failed?)`);
  return k;
}

/** Text as tools hand it back: CRLF or LF, with or without the final newline. */
function normText(b: Uint8Array): string {
  return dec.decode(b).replace(/\r\n/g, '\n').replace(/\n+$/, '');
}

function armored(b: Uint8Array, kind: string): void {
  assert.match(dec.decode(b.subarray(0, 200)), new RegExp(`-----BEGIN PGP ${kind}-----`));
}

/** The next available peer after `p` that satisfies `ok` (rotation), for pairs A -> B with A != B where possible. */
function nextPeer(p: Peer, ok: (q: Peer) => boolean = () => true, step = 1): Peer | undefined {
  const i = avail.indexOf(p);
  for (let k = 0; k < avail.length; k++) {
    const q = avail[(i + step + k) % avail.length];
    if (q && q !== p && ok(q)) return q;
  }
  return avail.find(ok);
}

const T = { timeout: 150_000, concurrency: 2 };
const SUB = { timeout: 90_000 };

for (const p of all) {
  if (!p.available()) test(`peer ${p.name} is installed`, { skip: `${p.name} binaries are not on PATH` }, () => {});
}

test('peer() and peers() cover the six implementations', () => {
  assert.deepEqual(
    all.map((p) => p.name),
    ['gpg', 'sq', 'rnp', 'sqop', 'gosop', 'pgpainless'],
  );
  for (const p of all) assert.equal(peer(p.name).name, p.name);
});

test('generate keys (with and without passphrase)', T, async (t) => {
  await Promise.all(
    avail.map((p) =>
      t.test(p.name, SUB, async () => {
        const plain = await p.generateKey(`${p.name} peer <${p.name}@peers.example>`);
        assert.match(plain.fingerprint, /^[0-9A-F]{40}$/);
        assert.equal(certFingerprints(plain.cert)[0], plain.fingerprint);
        // Nothing before the armor (pgpainless rejects leading junk).
        assert.match(plain.cert, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n/);
        assert.match(plain.secret, /^-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n/);
        assert.equal(plain.passphrase, undefined);
        // Every tool here makes v4 keys by default.
        const first = parsePackets(dearmor(plain.secret))[0];
        assert.equal(first?.tag, 5);
        assert.equal(first?.body[0], 4);
        const k: Keys = { plain };
        if (p.supports.keyPassphrase) {
          const locked = await p.generateKey(`${p.name} locked <${p.name}-locked@peers.example>`, { passphrase: PASSPHRASE });
          assert.equal(locked.passphrase, PASSPHRASE);
          assert.match(locked.fingerprint, /^[0-9A-F]{40}$/);
          // Really protected: without the passphrase the tool cannot sign.
          const { passphrase: _, ...withoutPassphrase } = locked;
          await assert.rejects(p.signDetached(MESSAGE, withoutPassphrase));
          k.locked = locked;
        } else {
          await assert.rejects(p.generateKey('x <x@peers.example>', { passphrase: PASSPHRASE }), (e: unknown) => {
            assert.ok(e instanceof PeerCannotError);
            assert.match(e.message, new RegExp(`^peer ${p.name} cannot `));
            return true;
          });
        }
        keys.set(p.name, k);
      }),
    ),
  );
});

test('encrypt + sign by A to B, decrypt + verify by B (all pairs)', T, async (t) => {
  await Promise.all(
    avail.map((a) =>
      t.test(`${a.name} ->`, { ...SUB, concurrency: 1 }, async (t2) => {
        const ka = keysOf(a).plain;
        for (const b of avail) {
          await t2.test(`${a.name} -> ${b.name}`, SUB, async () => {
            const kb = keysOf(b).plain;
            const ct = await a.encrypt(MESSAGE, [kb.cert], { signer: ka });
            armored(ct, 'MESSAGE');
            const out = await b.decrypt(ct, kb, { verifyWith: [ka.cert] });
            assert.deepEqual(dec.decode(out.plaintext), dec.decode(MESSAGE));
            assert.equal(out.goodSignature, true);
          });
        }
      }),
    ),
  );
});

test('encrypt to several recipients; unsigned; signature by a stranger is not good', T, async (t) => {
  const everyone = avail.map((p) => keysOf(p).plain.cert);
  await Promise.all(
    avail.map((a) =>
      t.test(a.name, SUB, async () => {
        const b = nextPeer(a);
        if (!b) return;
        const ct = await a.encrypt(MESSAGE, everyone);
        // No peer of these versions produces SEIPDv2 (AEAD) by default.
        const seipd = describeMessage(ct).filter((m) => m.tag === 18);
        assert.deepEqual(
          seipd.map((m) => m.version),
          [1],
        );
        const pkesks = describeMessage(ct).filter((m) => m.tag === 1);
        assert.equal(pkesks.length, everyone.length);
        const kb = keysOf(b).plain;
        const unsigned = await b.decrypt(ct, kb, { verifyWith: [keysOf(a).plain.cert] });
        assert.equal(dec.decode(unsigned.plaintext), dec.decode(MESSAGE));
        assert.equal(unsigned.goodSignature, false);
        // Signed by A, but B only trusts some third party's cert.
        const stranger = nextPeer(a, (q) => q !== b, 2) ?? b;
        const signed = await a.encrypt(MESSAGE, [kb.cert], { signer: keysOf(a).plain });
        const out = await b.decrypt(signed, kb, { verifyWith: [keysOf(stranger).plain.cert] });
        assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
        assert.equal(out.goodSignature, stranger === a);
      }),
    ),
  );
});

test('passphrase-protected keys', T, async (t) => {
  await Promise.all(
    avail.map((b) =>
      t.test(b.name, b.supports.keyPassphrase ? SUB : { skip: `peer ${b.name} cannot use passphrase-protected keys` }, async () => {
        const lb = keysOf(b).locked;
        assert.ok(lb);
        // A encrypts to B's protected key, signing with A's protected key when it has one.
        const a = nextPeer(b);
        assert.ok(a);
        const signer = keysOf(a).locked ?? keysOf(a).plain;
        const ct = await a.encrypt(MESSAGE, [lb.cert], { signer });
        const out = await b.decrypt(ct, lb, { verifyWith: [signer.cert] });
        assert.equal(dec.decode(out.plaintext), dec.decode(MESSAGE));
        assert.equal(out.goodSignature, true);
        // B signs with its protected key; A verifies.
        const sig = await b.signDetached(MESSAGE, lb);
        assert.equal(await a.verifyDetached(MESSAGE, sig, [lb.cert]), true);
        // Another peer C uses B's protected secret key directly.
        const c = nextPeer(b, (q) => q.supports.keyPassphrase && q !== a, 2);
        if (c) {
          const sig2 = await c.signDetached(MESSAGE, lb);
          assert.equal(await b.verifyDetached(MESSAGE, sig2, [lb.cert]), true);
          const ct2 = await b.encrypt(MESSAGE, [lb.cert]);
          assert.equal(dec.decode((await c.decrypt(ct2, lb)).plaintext), dec.decode(MESSAGE));
        }
        // A wrong passphrase is an error, not a hang.
        await assert.rejects(b.signDetached(MESSAGE, { ...lb, passphrase: 'wrong passphrase' }));
      }),
    ),
  );
});

test('detached signatures by A, verified by B (all pairs)', T, async (t) => {
  await Promise.all(
    avail.map((a) =>
      t.test(`${a.name} ->`, { ...SUB, concurrency: 1 }, async (t2) => {
        const ka = keysOf(a).plain;
        const sig = await a.signDetached(BINARY, ka);
        armored(sig, 'SIGNATURE');
        for (const b of avail) {
          await t2.test(`${a.name} -> ${b.name}`, SUB, async () => {
            assert.equal(await b.verifyDetached(BINARY, sig, [ka.cert]), true);
          });
        }
        const b = nextPeer(a);
        assert.ok(b);
        await t2.test(`${b.name} rejects a tampered message and a wrong cert`, SUB, async () => {
          const tampered = BINARY.slice();
          tampered[5] = (tampered[5] ?? 0) ^ 1;
          assert.equal(await b.verifyDetached(tampered, sig, [ka.cert]), false);
          assert.equal(await b.verifyDetached(BINARY, sig, [keysOf(b).plain.cert]), false);
        });
      }),
    ),
  );
});

test('cleartext signatures by A, verified by B', T, async (t) => {
  await Promise.all(
    avail.map((a) =>
      t.test(
        `${a.name} ->`,
        a.supports.signCleartext ? { ...SUB, concurrency: 1 } : { skip: `peer ${a.name} cannot cleartext-sign` },
        async (t2) => {
          const ka = keysOf(a).plain;
          const signed = await a.signCleartext(CLEARTEXT, ka);
          assert.match(dec.decode(signed), /^-----BEGIN PGP SIGNED MESSAGE-----\r?\n/);
          for (const b of avail) {
            const skip = b.supports.verifyCleartext ? false : `peer ${b.name} cannot verify cleartext signatures`;
            await t2.test(`${a.name} -> ${b.name}`, { ...SUB, skip }, async () => {
              const out = await b.verifyCleartext(signed, [ka.cert]);
              assert.equal(out.good, true);
              assert.equal(normText(out.text), normText(CLEARTEXT));
            });
          }
          const b = nextPeer(a, (q) => q.supports.verifyCleartext);
          assert.ok(b);
          await t2.test(`${b.name} rejects a tampered cleartext`, SUB, async () => {
            const tampered = enc.encode(dec.decode(signed).replace('Dear reader', 'Dear Reader'));
            const out = await b.verifyCleartext(tampered, [ka.cert]);
            assert.equal(out.good, false);
          });
        },
      ),
    ),
  );
});

test('cleartext with trailing whitespace', T, async (t) => {
  // The CSF signs lines with trailing whitespace removed. pgpainless 1.3.16
  // keeps it when signing, so its signature over such text verifies nowhere,
  // not even in pgpainless itself.
  const text = enc.encode('Signature follows\n-- \nsig  \n');
  await Promise.all(
    avail.map((a) => {
      const opts = a.supports.signCleartext ? SUB : { skip: `peer ${a.name} cannot cleartext-sign` };
      return t.test(a.name, opts, async () => {
        const b = nextPeer(a, (q) => q.supports.verifyCleartext && q.name !== 'pgpainless');
        assert.ok(b);
        const ka = keysOf(a).plain;
        const out = await b.verifyCleartext(await a.signCleartext(text, ka), [ka.cert]);
        // Known quirk asserted as such, so that a fixed pgpainless shows up here.
        assert.equal(out.good, a.name !== 'pgpainless');
      });
    }),
  );
});

test('inline signed messages by A, verified by B', T, async (t) => {
  await Promise.all(
    avail.map((a) =>
      t.test(
        `${a.name} ->`,
        a.supports.signInline ? { ...SUB, concurrency: 1 } : { skip: `peer ${a.name} cannot inline-sign` },
        async (t2) => {
          const ka = keysOf(a).plain;
          const signed = await a.signInline(BINARY, ka);
          armored(signed, 'MESSAGE');
          for (const b of avail) {
            const skip = b.supports.verifyInline ? false : `peer ${b.name} cannot inline-verify`;
            await t2.test(`${a.name} -> ${b.name}`, { ...SUB, skip }, async () => {
              const out = await b.verifyInline(signed, [ka.cert]);
              assert.equal(out.good, true);
              assert.deepEqual(Buffer.from(out.data), Buffer.from(BINARY));
            });
          }
          const b = nextPeer(a, (q) => q.supports.verifyInline);
          assert.ok(b);
          await t2.test(`${b.name}: a signature by an unknown key is not good`, SUB, async () => {
            const out = await b.verifyInline(signed, [keysOf(b).plain.cert]);
            assert.equal(out.good, false);
          });
        },
      ),
    ),
  );
});

/**
 * gosop (gopenpgp) fails on about one in 256 of the password-encrypted
 * messages gpg makes ("unable to read symmetric packet: EOF"; reproduced:
 * 1 failure in 264 fresh `gpg --symmetric` messages, the others and every
 * other peer read it). For that pair only, and that error only, the test
 * asks gpg for a fresh message once more; any other failure stands.
 */
async function decryptAllowingGosopQuirk(a: Peer, b: Peer, ct: Uint8Array, password: string): Promise<Uint8Array> {
  try {
    return await b.decryptWithPassword(ct, password);
  } catch (e) {
    if (!(a.name === 'gpg' && b.name === 'gosop' && /unable to read symmetric packet: EOF/.test(String(e)))) throw e;
    return b.decryptWithPassword(await a.encryptWithPassword(MESSAGE, password), password);
  }
}

test('password encryption by A, decrypted by B (all pairs)', T, async (t) => {
  const password = 'correct horse battery staple';
  await Promise.all(
    avail.map((a) =>
      t.test(`${a.name} ->`, { ...SUB, concurrency: 1 }, async (t2) => {
        const ct = await a.encryptWithPassword(MESSAGE, password);
        armored(ct, 'MESSAGE');
        for (const b of avail) {
          await t2.test(`${a.name} -> ${b.name}`, SUB, async () => {
            const out = await decryptAllowingGosopQuirk(a, b, ct, password);
            if (a.name === 'gosop') {
              // Quirk: gosop's password encryption ignores --as=binary and
              // writes a text-mode literal packet with CRLF line endings;
              // only gpg converts them back.
              assert.equal(normText(out), normText(MESSAGE));
            } else {
              assert.equal(dec.decode(out), dec.decode(MESSAGE));
            }
          });
        }
        const b = nextPeer(a);
        assert.ok(b);
        await t2.test(`${b.name} rejects a wrong password`, SUB, async () => {
          await assert.rejects(b.decryptWithPassword(ct, 'not the password'));
        });
      }),
    ),
  );
});

test('failures reject with the tool stderr', T, async (t) => {
  const garbage = enc.encode('-----BEGIN PGP MESSAGE-----\n\nnot really base64 openpgp data\n-----END PGP MESSAGE-----\n');
  await Promise.all(
    avail.map((p) =>
      t.test(p.name, SUB, async () => {
        await assert.rejects(p.decrypt(garbage, keysOf(p).plain), (e: unknown) => {
          assert.ok(e instanceof Error);
          assert.match(e.message, /failed \((exit code|signal)/);
          return true;
        });
      }),
    ),
  );
});

test('features a peer lacks throw PeerCannotError', async () => {
  const gosop = peer('gosop');
  assert.equal(gosop.supports.signInline, false);
  const fake: PeerKey = { secret: '', cert: '', fingerprint: '0'.repeat(40) };
  await assert.rejects(gosop.signInline(MESSAGE, fake), /^PeerCannotError: peer gosop cannot inline-sign/);
  await assert.rejects(gosop.signCleartext(MESSAGE, fake), /peer gosop cannot inline-sign --as=clearsigned/);
  await assert.rejects(gosop.verifyInline(MESSAGE, []), /peer gosop cannot inline-verify/);
  await assert.rejects(gosop.decrypt(MESSAGE, { ...fake, passphrase: 'x' }), /peer gosop cannot use passphrase-protected keys/);
});

test('run() kills an overrunning child by its pid and rejects', { timeout: 20_000 }, async () => {
  const t0 = Date.now();
  await assert.rejects(run('sleep', ['30'], { cwd: '/', timeoutMs: 300 }), /timed out after 300 ms and was killed/);
  assert.ok(Date.now() - t0 < 10_000);
  const r = await run('sh', ['-c', 'cat; echo err >&2; exit 7'], { cwd: '/', stdin: 'in' });
  assert.equal(r.code, 7);
  assert.equal(r.stdout.toString(), 'in');
  assert.equal(r.stderr.toString(), 'err\n');
});
