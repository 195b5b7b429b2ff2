// Drivers for real OpenPGP implementations, used by the interoperability tests.
//
// Six peers, all from Debian 12 packages:
//   gpg         GnuPG 2.2        (gpg, gpgconf)
//   sq          Sequoia sq 0.27  (sq; `script` from util-linux for passwords)
//   rnp         RNP 0.16         (rnp, rnpkeys)
//   sqop        Sequoia SOP      (sqop 0.27, SOP draft 04 era)
//   gosop       GopenPGP SOP     (gosop, 2022 git snapshot)
//   pgpainless  PGPainless SOP   (pgpainless-cli 1.3, Java)
//
// Every call runs in its own private temporary directory (mode 0700) that is
// removed in `finally`; keys and certificates are imported there (GNUPGHOME for
// gpg, --homedir for rnp) or passed as files (sq, SOP). Secrets never appear on
// a command line: passwords are written to 0600 files in that directory and
// handed over as a file name (gpg --passphrase-file, SOP --with-key-password /
// --with-password), as an inherited file descriptor (rnp --pass-fd 3), or,
// for sq 0.27 which only reads passwords from a terminal, typed into a
// pseudo-terminal created by `script` (see `runSqWithTty`).
//
// Every child process has a timeout and is killed (SIGKILL to its process
// group, by pid) when it overruns. A non-zero exit rejects with an Error that
// carries the tool's stderr, except where the tool uses its exit status to say
// "signature not good": then the verify functions return false.
//
// Behaviour of these versions (checked on Debian 12):
// - All six generate v4 keys and encrypt with SEIPDv1 (no AEAD / SEIPDv2) by
//   default; password encryption is SKESKv4 + SEIPDv1 everywhere. Keys:
//   gpg future-default = ed25519/cv25519; sq cv25519 (certify-only primary,
//   sign, auth, encrypt subkeys); rnp EdDSA + X25519 (menu choice 22; its
//   non-expert default is RSA-2048); sqop and pgpainless EdDSA/ECDH; gosop
//   RSA-2048.
// - sq 0.27 spells the flags --recipient-cert / --recipient-key /
//   --signer-key / --signer-cert (not the later *-file names), exits 1 with
//   "Verification failed" for a bad or missing signature and then withholds
//   the output.
// - gpg: status lines (--status-fd 1) decide; exit 1 = bad signature,
//   exit 2 = e.g. unknown key (ERRSIG/NO_PUBKEY).
// - rnp: `--decrypt` exits 0 even when a signature's key is unknown (it only
//   reports it); `--verify` exits 1 with "Signature verification failure".
// - SOP: exit 3 = no acceptable signature. On `decrypt --verify-with` without
//   a good signature sqop and pgpainless exit 3, gosop exits 99; we decrypt
//   again without verification. gosop calls the option --verify-out.
// - gosop has no inline-sign / inline-verify and no --with-key-password
//   (PeerCannotError); its password encryption writes a text-mode literal
//   packet with CRLF line endings even with --as=binary.
// - pgpainless 1.3.16 keeps trailing whitespace when cleartext-signing, so
//   such signatures verify nowhere (CSF strips it).

import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, openSync, closeSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type PeerName = 'gpg' | 'sq' | 'rnp' | 'sqop' | 'gosop' | 'pgpainless';

export interface PeerKey {
  secret: string; // armored TSK
  cert: string; // armored public cert
  fingerprint: string; // 40 hex upper (primary key, v4)
  passphrase?: string;
}

/** What a peer can do, so that tests can skip explicitly instead of catching. */
export interface PeerSupport {
  /** Generate, and use, passphrase-protected secret keys. */
  keyPassphrase: boolean;
  /** Cleartext signature framework, produce (`signCleartext`). */
  signCleartext: boolean;
  /** Cleartext signature framework, consume (`verifyCleartext`). */
  verifyCleartext: boolean;
  /** Inline signed (binary-mode) OpenPGP message, produce (`signInline`). */
  signInline: boolean;
  /** Inline signed OpenPGP message, consume (`verifyInline`). */
  verifyInline: boolean;
}

export interface Peer {
  name: PeerName;
  supports: PeerSupport;
  /** The binaries this peer needs are on PATH. */
  available(): boolean;
  generateKey(userId: string, opts?: { passphrase?: string }): Promise<PeerKey>;
  /** Armored; signed too when `signer` is given. */
  encrypt(data: Uint8Array, recipients: string[], opts?: { signer?: PeerKey }): Promise<Uint8Array>;
  /** Armored. */
  encryptWithPassword(data: Uint8Array, password: string): Promise<Uint8Array>;
  /** goodSignature: a valid signature by one of `verifyWith` (primary or subkey). */
  decrypt(
    ciphertext: Uint8Array,
    key: PeerKey,
    opts?: { verifyWith?: string[] },
  ): Promise<{ plaintext: Uint8Array; goodSignature: boolean }>;
  decryptWithPassword(ciphertext: Uint8Array, password: string): Promise<Uint8Array>;
  /** Armored detached signature over binary data. */
  signDetached(data: Uint8Array, key: PeerKey): Promise<Uint8Array>;
  verifyDetached(data: Uint8Array, signature: Uint8Array, certs: string[]): Promise<boolean>;
  /** Cleartext signed (CSF). */
  signCleartext(text: Uint8Array, key: PeerKey): Promise<Uint8Array>;
  /**
   * `text` is the signed text as the tool outputs it (line endings and the
   * final newline vary between tools). When `good` is false some tools
   * withhold the text; it is then empty.
   */
  verifyCleartext(signed: Uint8Array, certs: string[]): Promise<{ good: boolean; text: Uint8Array }>;
  /** Binary-mode inline signed OpenPGP message, armored. */
  signInline(data: Uint8Array, key: PeerKey): Promise<Uint8Array>;
  /** When `good` is false some tools withhold the data; it is then empty. */
  verifyInline(signed: Uint8Array, certs: string[]): Promise<{ good: boolean; data: Uint8Array }>;
}

/** Thrown when a peer (in the version installed here) lacks a feature. */
export class PeerCannotError extends Error {
  readonly peer: PeerName;
  readonly what: string;
  constructor(peer: PeerName, what: string) {
    super(`peer ${peer} cannot ${what}`);
    this.name = 'PeerCannotError';
    this.peer = peer;
    this.what = what;
  }
}

export const PEER_NAMES: readonly PeerName[] = ['gpg', 'sq', 'rnp', 'sqop', 'gosop', 'pgpainless'];

// ---------------------------------------------------------------------------
// Process running

import { javaLaunch, noteJavaExit } from './java-launch.ts';
import { run, DEFAULT_TIMEOUT_MS, type RunOptions, type RunResult } from '../process.ts';
export { run, DEFAULT_TIMEOUT_MS, type RunOptions, type RunResult };

function describeFailure(tool: string, what: string, r: RunResult, extra?: string): string {
  const status = r.signal ? `signal ${r.signal}` : `exit code ${r.code}`;
  const stderr = r.stderr.toString('utf8').trim();
  return `${tool} ${what} failed (${status}): ${stderr}${extra ? `\n${extra}` : ''}`;
}

function ensureOk(tool: string, what: string, r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(describeFailure(tool, what, r));
  return r;
}

/** True when an executable of that name is on PATH. */
export function onPath(bin: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), fsConstants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Temporary working directories

interface Work {
  dir: string;
  /** Write a file (mode 0600) in the work dir and return its absolute path. */
  file(name: string, data: Uint8Array | string): Promise<string>;
  path(name: string): string;
  read(name: string): Promise<Buffer>;
}

async function withWork<T>(fn: (w: Work) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-peer-'));
  const w: Work = {
    dir,
    async file(name, data) {
      const p = join(dir, name);
      await writeFile(p, data, { mode: 0o600 });
      return p;
    },
    path(name) {
      return join(dir, name);
    },
    read(name) {
      return readFile(join(dir, name));
    },
  };
  try {
    return await fn(w);
  } finally {
    // Retries: a gpg-agent that was just told to stop may still be removing
    // its sockets.
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await readFile(p);
    return true;
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder();
const enc = new TextEncoder();

function toText(b: Uint8Array): string {
  return utf8.decode(b);
}

// ---------------------------------------------------------------------------
// Minimal OpenPGP parsing: enough to find fingerprints and key ids of certs.

/** Armored (or already binary) OpenPGP data to binary; the first armor block. */
export function dearmor(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  // Binary OpenPGP packets start with a byte that has the high bit set.
  if (bytes.length > 0 && ((bytes[0] ?? 0) & 0x80) !== 0) return bytes;
  const lines = toText(bytes).split(/\r?\n/);
  let i = lines.findIndex((l) => /^-----BEGIN PGP [A-Z ,/0-9]+-----\s*$/.test(l));
  if (i < 0) throw new Error('dearmor: no armor header line');
  i++;
  // Armor headers ("Key: value") until the blank line.
  while (i < lines.length && (lines[i] ?? '').trim() !== '') i++;
  i++;
  let b64 = '';
  for (; i < lines.length; i++) {
    const l = (lines[i] ?? '').trim();
    if (l.startsWith('-----END') || l.startsWith('=')) break;
    b64 += l;
  }
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

interface Packet {
  tag: number;
  body: Uint8Array;
}

export function parsePackets(bin: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let i = 0;
  const u8 = (k: number): number => {
    const v = bin[k];
    if (v === undefined) throw new Error('parsePackets: truncated packet');
    return v;
  };
  while (i < bin.length) {
    const h = u8(i++);
    if ((h & 0x80) === 0) throw new Error(`parsePackets: bad packet header byte ${h} at ${i - 1}`);
    let tag: number;
    const parts: Uint8Array[] = [];
    if (h & 0x40) {
      tag = h & 0x3f;
      for (;;) {
        const l0 = u8(i++);
        let len: number;
        let partial = false;
        if (l0 < 192) len = l0;
        else if (l0 < 224) len = ((l0 - 192) << 8) + u8(i++) + 192;
        else if (l0 === 255) {
          len = ((u8(i) << 24) | (u8(i + 1) << 16) | (u8(i + 2) << 8) | u8(i + 3)) >>> 0;
          i += 4;
        } else {
          len = 1 << (l0 & 0x1f);
          partial = true;
        }
        parts.push(bin.subarray(i, i + len));
        i += len;
        if (!partial) break;
      }
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      let len: number;
      if (lt === 0) len = u8(i++);
      else if (lt === 1) {
        len = (u8(i) << 8) | u8(i + 1);
        i += 2;
      } else if (lt === 2) {
        len = ((u8(i) << 24) | (u8(i + 1) << 16) | (u8(i + 2) << 8) | u8(i + 3)) >>> 0;
        i += 4;
      } else len = bin.length - i;
      parts.push(bin.subarray(i, i + len));
      i += len;
    }
    const body = parts.length === 1 ? (parts[0] ?? new Uint8Array()) : new Uint8Array(Buffer.concat(parts));
    packets.push({ tag, body });
  }
  return packets;
}

function keyPacketFingerprint(body: Uint8Array): string {
  const version = body[0];
  if (version === 4) {
    const head = Buffer.from([0x99, (body.length >> 8) & 0xff, body.length & 0xff]);
    return createHash('sha1').update(head).update(body).digest('hex').toUpperCase();
  }
  if (version === 5 || version === 6) {
    const n = body.length;
    const head = Buffer.from([version === 5 ? 0x9a : 0x9b, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
    return createHash('sha256').update(head).update(body).digest('hex').toUpperCase();
  }
  throw new Error(`unsupported key packet version ${version}`);
}

/** Fingerprints (upper hex) of all public keys in a cert: primary first, then subkeys. */
export function certFingerprints(cert: string | Uint8Array): string[] {
  const out: string[] = [];
  for (const p of parsePackets(dearmor(cert))) {
    if (p.tag === 6 || p.tag === 14) out.push(keyPacketFingerprint(p.body));
  }
  if (out.length === 0) throw new Error('certFingerprints: no public key packet (is this a cert?)');
  return out;
}

/** Primary key fingerprint (upper hex) of a cert. */
export function primaryFingerprint(cert: string | Uint8Array): string {
  const fp = certFingerprints(cert)[0];
  if (fp === undefined) throw new Error('no primary key');
  return fp;
}

/** Key id (16 upper hex) for a fingerprint: low 64 bits for v4, high 64 bits for v5/v6. */
export function keyIdOf(fingerprint: string): string {
  return fingerprint.length === 40 ? fingerprint.slice(-16) : fingerprint.slice(0, 16);
}

/** All fingerprints and key ids (upper hex) of the keys in these certs. */
function identifiers(certs: string[]): Set<string> {
  const s = new Set<string>();
  for (const c of certs) {
    for (const fp of certFingerprints(c)) {
      s.add(fp);
      s.add(keyIdOf(fp));
    }
  }
  return s;
}

/** Summary of the top-level packets of an OpenPGP message (for quirk checks in tests). */
export function describeMessage(data: Uint8Array | string): { tag: number; version?: number }[] {
  return parsePackets(dearmor(data)).map((p) => {
    // Versioned packets: PKESK(1), Sig(2), SKESK(3), OPS(4), keys(5,6,7,14), SEIPD(18)
    const versioned = [1, 2, 3, 4, 5, 6, 7, 14, 18].includes(p.tag);
    return versioned ? { tag: p.tag, version: p.body[0] } : { tag: p.tag };
  });
}

// ---------------------------------------------------------------------------
// GnuPG 2.2

function gpgPeer(): Peer {
  const name: PeerName = 'gpg';

  interface GpgCtx {
    w: Work;
    home: string;
    env: NodeJS.ProcessEnv;
    gpg(args: string[], opts?: { stdin?: Uint8Array | string }): Promise<RunResult>;
  }

  async function withGpg<T>(fn: (c: GpgCtx) => Promise<T>): Promise<T> {
    return withWork(async (w) => {
      const home = join(w.dir, 'gnupg');
      await mkdir(home, { mode: 0o700 });
      // A fixed S2K count skips the agent's calibration (seconds per key).
      await writeFile(join(home, 'gpg-agent.conf'), 's2k-count 1048576\n', { mode: 0o600 });
      const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: home, LC_ALL: 'C.UTF-8', LANGUAGE: 'C' };
      delete env.GPG_AGENT_INFO;
      const ctx: GpgCtx = {
        w,
        home,
        env,
        gpg(args, opts) {
          return run(
            'gpg',
            [
              '--homedir',
              home,
              '--batch',
              '--no-tty',
              '--yes',
              '--trust-model',
              'always',
              '--pinentry-mode',
              'loopback',
              '--status-fd',
              '1',
              ...args,
            ],
            { cwd: w.dir, env, stdin: opts?.stdin },
          );
        },
      };
      try {
        return await fn(ctx);
      } finally {
        // Stop this homedir's agent before its directory disappears.
        await run('gpgconf', ['--homedir', home, '--kill', 'all'], { cwd: w.dir, env, timeoutMs: 15_000 }).catch(() => undefined);
      }
    });
  }

  async function passArgs(c: GpgCtx, passphrase: string | undefined, file: string): Promise<string[]> {
    if (passphrase === undefined) return [];
    return ['--passphrase-file', await c.w.file(file, passphrase)];
  }

  async function importAll(c: GpgCtx, items: string[], tag: string, passphrase?: string): Promise<void> {
    if (items.length === 0) return;
    const files: string[] = [];
    for (const [i, item] of items.entries()) files.push(await c.w.file(`${tag}-${i}.asc`, item));
    const pa = await passArgs(c, passphrase, `${tag}-import.pw`);
    ensureOk('gpg', '--import', await c.gpg([...pa, '--import', ...files]));
  }

  function statusLines(r: RunResult): string[][] {
    return r.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('[GNUPG:] '))
      .map((l) => l.slice(9).trim().split(' '));
  }

  /** A VALIDSIG whose signing key or primary key belongs to one of `certs`. */
  function goodBy(status: string[][], certs: string[]): boolean {
    if (certs.length === 0) return false;
    const ids = identifiers(certs);
    return status.some((s) => s[0] === 'VALIDSIG' && ((s[1] !== undefined && ids.has(s[1])) || (s[10] !== undefined && ids.has(s[10]))));
  }

  const sigTrouble = new Set(['BADSIG', 'ERRSIG', 'NO_PUBKEY', 'EXPSIG', 'EXPKEYSIG', 'REVKEYSIG']);

  /** Verification (or decryption) whose non-zero exit is only about signatures. */
  function onlySignatureTrouble(status: string[][]): boolean {
    return status.some((s) => sigTrouble.has(s[0] ?? '')) && !status.some((s) => s[0] === 'DECRYPTION_FAILED' || s[0] === 'NODATA');
  }

  async function sign(mode: '--detach-sign' | '--clearsign' | '--sign', data: Uint8Array, key: PeerKey): Promise<Uint8Array> {
    return withGpg(async (c) => {
      await importAll(c, [key.secret], 'key', key.passphrase);
      const input = await c.w.file('in.dat', data);
      const pa = await passArgs(c, key.passphrase, 'sign.pw');
      const r = await c.gpg([...pa, '--armor', '--local-user', key.fingerprint, '--output', c.w.path('out.asc'), mode, input]);
      ensureOk('gpg', mode, r);
      return c.w.read('out.asc');
    });
  }

  /** `gpg --decrypt` on a signed message: outputs the content and verifies. */
  async function verifyEmbedded(signed: Uint8Array, certs: string[]): Promise<{ good: boolean; data: Uint8Array }> {
    return withGpg(async (c) => {
      await importAll(c, certs, 'cert');
      const input = await c.w.file('in.asc', signed);
      const out = c.w.path('out.dat');
      const r = await c.gpg(['--output', out, '--decrypt', input]);
      const status = statusLines(r);
      if (r.code !== 0 && !onlySignatureTrouble(status)) throw new Error(describeFailure('gpg', '--decrypt (verify)', r));
      const data = (await exists(out)) ? await readFile(out) : new Uint8Array();
      return { good: r.code === 0 && goodBy(status, certs), data };
    });
  }

  return {
    name,
    supports: { keyPassphrase: true, signCleartext: true, verifyCleartext: true, signInline: true, verifyInline: true },
    available: () => onPath('gpg') && onPath('gpgconf'),

    generateKey(userId, opts) {
      return withGpg(async (c) => {
        // An empty passphrase file makes an unprotected key.
        const pw = await c.w.file('gen.pw', opts?.passphrase ?? '');
        const r = ensureOk(
          'gpg',
          '--quick-gen-key',
          await c.gpg(['--passphrase-file', pw, '--quick-gen-key', userId, 'future-default', 'default', 'never']),
        );
        const created = statusLines(r).find((s) => s[0] === 'KEY_CREATED');
        const fpr = created?.[2];
        if (!fpr) throw new Error(`gpg --quick-gen-key: no KEY_CREATED status: ${r.stdout.toString()}`);
        // --output, not stdout: stdout carries the status lines.
        ensureOk('gpg', '--export', await c.gpg(['--armor', '--output', c.w.path('cert.asc'), '--export', fpr]));
        ensureOk(
          'gpg',
          '--export-secret-keys',
          await c.gpg(['--passphrase-file', pw, '--armor', '--output', c.w.path('key.asc'), '--export-secret-keys', fpr]),
        );
        const cert = (await c.w.read('cert.asc')).toString('utf8');
        const secret = (await c.w.read('key.asc')).toString('utf8');
        const key: PeerKey = { secret, cert, fingerprint: primaryFingerprint(cert) };
        if (opts?.passphrase !== undefined) key.passphrase = opts.passphrase;
        return key;
      });
    },

    encrypt(data, recipients, opts) {
      return withGpg(async (c) => {
        await importAll(c, recipients, 'rcpt');
        const signer = opts?.signer;
        const args: string[] = [];
        if (signer) {
          await importAll(c, [signer.secret], 'signer', signer.passphrase);
          args.push(...(await passArgs(c, signer.passphrase, 'sign.pw')), '--sign', '--local-user', signer.fingerprint);
        }
        for (const r of recipients) args.push('--recipient', primaryFingerprint(r));
        const input = await c.w.file('in.dat', data);
        ensureOk('gpg', '--encrypt', await c.gpg([...args, '--armor', '--output', c.w.path('out.asc'), '--encrypt', input]));
        return c.w.read('out.asc');
      });
    },

    encryptWithPassword(data, password) {
      return withGpg(async (c) => {
        const pw = await c.w.file('sym.pw', password);
        const input = await c.w.file('in.dat', data);
        ensureOk(
          'gpg',
          '--symmetric',
          await c.gpg(['--passphrase-file', pw, '--armor', '--output', c.w.path('out.asc'), '--symmetric', input]),
        );
        return c.w.read('out.asc');
      });
    },

    decrypt(ciphertext, key, opts) {
      return withGpg(async (c) => {
        const verifyWith = opts?.verifyWith ?? [];
        await importAll(c, [key.secret], 'key', key.passphrase);
        await importAll(c, verifyWith, 'cert');
        const input = await c.w.file('in.asc', ciphertext);
        const out = c.w.path('out.dat');
        const pa = await passArgs(c, key.passphrase, 'dec.pw');
        const r = await c.gpg([...pa, '--output', out, '--decrypt', input]);
        const status = statusLines(r);
        const decrypted = status.some((s) => s[0] === 'DECRYPTION_OKAY');
        if (r.code !== 0 && !(decrypted && onlySignatureTrouble(status))) throw new Error(describeFailure('gpg', '--decrypt', r));
        return { plaintext: await readFile(out), goodSignature: r.code === 0 && goodBy(status, verifyWith) };
      });
    },

    decryptWithPassword(ciphertext, password) {
      return withGpg(async (c) => {
        const pw = await c.w.file('sym.pw', password);
        const input = await c.w.file('in.asc', ciphertext);
        const out = c.w.path('out.dat');
        ensureOk('gpg', '--decrypt', await c.gpg(['--passphrase-file', pw, '--output', out, '--decrypt', input]));
        return readFile(out);
      });
    },

    signDetached: (data, key) => sign('--detach-sign', data, key),

    verifyDetached(data, signature, certs) {
      return withGpg(async (c) => {
        await importAll(c, certs, 'cert');
        const sig = await c.w.file('sig.asc', signature);
        const input = await c.w.file('in.dat', data);
        const r = await c.gpg(['--verify', sig, input]);
        const status = statusLines(r);
        if (r.code !== 0) {
          if (onlySignatureTrouble(status)) return false;
          throw new Error(describeFailure('gpg', '--verify', r));
        }
        return goodBy(status, certs);
      });
    },

    signCleartext: (text, key) => sign('--clearsign', text, key),

    async verifyCleartext(signed, certs) {
      const { good, data } = await verifyEmbedded(signed, certs);
      return { good, text: data };
    },

    signInline: (data, key) => sign('--sign', data, key),

    verifyInline: (signed, certs) => verifyEmbedded(signed, certs),
  };
}

// ---------------------------------------------------------------------------
// Sequoia sq 0.27
//
// sq 0.27 reads passwords (key passwords, message passwords) only from the
// terminal (/dev/tty), so operations that need one run sq inside a pseudo-
// terminal made by util-linux `script`, with echo off, and the password is
// written to script's standard input from a 0600 file. The sq command line
// goes into a small shell script in the work dir (so it is quoted exactly).

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function sqPeer(): Peer {
  const name: PeerName = 'sq';
  const tool = 'sq';

  async function sq(w: Work, args: string[], password?: string): Promise<RunResult> {
    if (password === undefined) return run('sq', args, { cwd: w.dir });
    const scriptFile = await w.file(`sq-${Math.random().toString(36).slice(2)}.sh`, `#!/bin/sh\nexec sq ${args.map(shQuote).join(' ')}\n`);
    // sq asks at most twice per password (enter + repeat); more lines are
    // never read, and EOF after them ends a retry loop.
    const pwFile = await w.file(`tty-${Math.random().toString(36).slice(2)}.pw`, `${password}\n${password}\n`);
    const r = await run('script', ['--quiet', '--echo', 'never', '--return', '--command', `/bin/sh ${shQuote(scriptFile)}`, '/dev/null'], {
      cwd: w.dir,
      env: { ...process.env, SHELL: '/bin/sh' },
      stdin: await readFile(pwFile),
    });
    // Everything sq wrote to the terminal (prompts, diagnostics) arrives on
    // script's stdout; never let the password leak into an error message.
    const scrub = (b: Buffer): Buffer => (password ? Buffer.from(b.toString('utf8').split(password).join('***')) : b);
    return { code: r.code, signal: r.signal, stdout: Buffer.alloc(0), stderr: Buffer.concat([scrub(r.stdout), scrub(r.stderr)]) };
  }

  function verificationFailed(r: RunResult): boolean {
    return /Verification failed/.test(r.stderr.toString('utf8'));
  }

  async function files(w: Work, items: string[], tag: string): Promise<string[]> {
    const out: string[] = [];
    for (const [i, item] of items.entries()) out.push(await w.file(`${tag}-${i}.asc`, item));
    return out;
  }

  function signerCertArgs(paths: string[]): string[] {
    return paths.flatMap((p) => ['--signer-cert', p]);
  }

  async function sign(extra: string[], data: Uint8Array, key: PeerKey): Promise<Uint8Array> {
    return withWork(async (w) => {
      const k = await w.file('key.asc', key.secret);
      const input = await w.file('in.dat', data);
      ensureOk(
        tool,
        `sign ${extra.join(' ')}`,
        await sq(w, ['sign', ...extra, '--signer-key', k, '--output', w.path('out.asc'), input], key.passphrase),
      );
      return w.read('out.asc');
    });
  }

  async function verifyEmbedded(signed: Uint8Array, certs: string[]): Promise<{ good: boolean; data: Uint8Array }> {
    return withWork(async (w) => {
      const input = await w.file('in.asc', signed);
      const cs = await files(w, certs, 'cert');
      const out = w.path('out.dat');
      const r = await sq(w, ['verify', ...signerCertArgs(cs), '--output', out, input]);
      if (r.code === 0) return { good: true, data: await readFile(out) };
      if (!verificationFailed(r)) throw new Error(describeFailure(tool, 'verify', r));
      // Not verified: sq withholds the content unless no signature is required.
      const r2 = await sq(w, ['verify', '--signatures', '0', '--output', w.path('out2.dat'), input]);
      return { good: false, data: r2.code === 0 ? await w.read('out2.dat') : new Uint8Array() };
    });
  }

  return {
    name,
    supports: { keyPassphrase: true, signCleartext: true, verifyCleartext: true, signInline: true, verifyInline: true },
    available: () => onPath('sq') && onPath('script'),

    generateKey(userId, opts) {
      return withWork(async (w) => {
        const args = ['key', 'generate', '--userid', userId, '--export', w.path('key.asc')];
        if (opts?.passphrase !== undefined) {
          if (opts.passphrase === '') throw new Error('sq: an empty passphrase means no passphrase; omit it');
          args.push('--with-password');
        }
        ensureOk(tool, 'key generate', await sq(w, args, opts?.passphrase));
        ensureOk(tool, 'key extract-cert', await sq(w, ['key', 'extract-cert', '--output', w.path('cert.asc'), w.path('key.asc')]));
        const cert = (await w.read('cert.asc')).toString('utf8');
        const key: PeerKey = { secret: (await w.read('key.asc')).toString('utf8'), cert, fingerprint: primaryFingerprint(cert) };
        if (opts?.passphrase !== undefined) key.passphrase = opts.passphrase;
        return key;
      });
    },

    encrypt(data, recipients, opts) {
      return withWork(async (w) => {
        const args = ['encrypt'];
        for (const p of await files(w, recipients, 'rcpt')) args.push('--recipient-cert', p);
        const signer = opts?.signer;
        if (signer) args.push('--signer-key', await w.file('signer.asc', signer.secret));
        args.push('--output', w.path('out.asc'), await w.file('in.dat', data));
        ensureOk(tool, 'encrypt', await sq(w, args, signer?.passphrase));
        return w.read('out.asc');
      });
    },

    encryptWithPassword(data, password) {
      return withWork(async (w) => {
        const input = await w.file('in.dat', data);
        ensureOk(tool, 'encrypt --symmetric', await sq(w, ['encrypt', '--symmetric', '--output', w.path('out.asc'), input], password));
        return w.read('out.asc');
      });
    },

    decrypt(ciphertext, key, opts) {
      return withWork(async (w) => {
        const k = await w.file('key.asc', key.secret);
        const input = await w.file('in.asc', ciphertext);
        const cs = await files(w, opts?.verifyWith ?? [], 'cert');
        const r = await sq(
          w,
          ['decrypt', '--recipient-key', k, ...signerCertArgs(cs), '--output', w.path('out.dat'), input],
          key.passphrase,
        );
        // With signer certs sq requires one good signature (--signatures 1).
        if (r.code === 0) return { plaintext: await w.read('out.dat'), goodSignature: cs.length > 0 };
        if (cs.length === 0 || !verificationFailed(r)) throw new Error(describeFailure(tool, 'decrypt', r));
        // Decrypted but not verified: sq withholds the plaintext; decrypt again without verification.
        const r2 = await sq(w, ['decrypt', '--recipient-key', k, '--output', w.path('out2.dat'), input], key.passphrase);
        ensureOk(tool, 'decrypt', r2);
        return { plaintext: await w.read('out2.dat'), goodSignature: false };
      });
    },

    decryptWithPassword(ciphertext, password) {
      return withWork(async (w) => {
        const input = await w.file('in.asc', ciphertext);
        ensureOk(tool, 'decrypt', await sq(w, ['decrypt', '--output', w.path('out.dat'), input], password));
        return w.read('out.dat');
      });
    },

    signDetached: (data, key) => sign(['--detached'], data, key),

    verifyDetached(data, signature, certs) {
      return withWork(async (w) => {
        const sig = await w.file('sig.asc', signature);
        const input = await w.file('in.dat', data);
        const cs = await files(w, certs, 'cert');
        const r = await sq(w, ['verify', ...signerCertArgs(cs), '--detached', sig, input]);
        if (r.code === 0) return true;
        if (verificationFailed(r)) return false;
        throw new Error(describeFailure(tool, 'verify --detached', r));
      });
    },

    signCleartext: (text, key) => sign(['--cleartext-signature'], text, key),

    async verifyCleartext(signed, certs) {
      const { good, data } = await verifyEmbedded(signed, certs);
      return { good, text: data };
    },

    signInline: (data, key) => sign([], data, key),

    verifyInline: (signed, certs) => verifyEmbedded(signed, certs),
  };
}

// ---------------------------------------------------------------------------
// RNP 0.16
//
// Keys are generated with `rnpkeys --generate-key --expert`, answering the
// algorithm menu with "22" (EdDSA + X25519) on stdin; the user id comes from
// --userid and the password from --pass-fd 3 (a 0600 file opened for the
// child; two lines: enter + confirm; empty lines mean "no protection").
// Keys and certs are imported into a fresh --homedir for each call.

function rnpPeer(): Peer {
  const name: PeerName = 'rnp';

  interface RnpCtx {
    w: Work;
    home: string;
    /** Run rnp or rnpkeys; `password` is handed over on fd 3. */
    exec(bin: 'rnp' | 'rnpkeys', args: string[], opts?: { password?: string; stdin?: string }): Promise<RunResult>;
  }

  function withRnp<T>(fn: (c: RnpCtx) => Promise<T>): Promise<T> {
    return withWork(async (w) => {
      const home = join(w.dir, 'rnp');
      await mkdir(home, { mode: 0o700 });
      let n = 0;
      const ctx: RnpCtx = {
        w,
        home,
        async exec(bin, args, opts) {
          const base = ['--homedir', home, '--notty'];
          if (opts?.password === undefined) return run(bin, [...base, ...args], { cwd: w.dir, stdin: opts?.stdin });
          const pwFile = await w.file(`pass-${n++}.pw`, `${opts.password}\n${opts.password}\n`);
          const fd = openSync(pwFile, 'r');
          try {
            return await run(bin, [...base, '--pass-fd', '3', ...args], { cwd: w.dir, stdin: opts.stdin, extraFds: [fd] });
          } finally {
            closeSync(fd);
          }
        },
      };
      return fn(ctx);
    });
  }

  async function importAll(c: RnpCtx, items: string[], tag: string): Promise<void> {
    for (const [i, item] of items.entries()) {
      const f = await c.w.file(`${tag}-${i}.asc`, item);
      ensureOk('rnpkeys', '--import', await c.exec('rnpkeys', ['--import', f]));
    }
  }

  /** Key ids that rnp reports as "Good signature made ... using ALGO key KEYID". */
  function goodKeyIds(r: RunResult): string[] {
    // rnp's debug lines ("[parse() ./src/...] unknown subpacket : 35") can
    // land between the two lines of a report; drop them first.
    const text = r.stderr
      .toString('utf8')
      .split('\n')
      .filter((l) => !/^\[\w+\(\) /.test(l))
      .join('\n');
    const ids: string[] = [];
    for (const m of text.matchAll(/Good signature made[^\n]*\n\s*using \S+ key ([0-9a-fA-F]{16})/g)) ids.push((m[1] ?? '').toUpperCase());
    return ids;
  }

  function goodBy(r: RunResult, certs: string[]): boolean {
    if (certs.length === 0) return false;
    const ids = identifiers(certs);
    return goodKeyIds(r).some((id) => ids.has(id));
  }

  function signatureFailure(r: RunResult): boolean {
    return /Signature verification failure/.test(r.stderr.toString('utf8'));
  }

  async function sign(extra: string[], data: Uint8Array, key: PeerKey): Promise<Uint8Array> {
    return withRnp(async (c) => {
      await importAll(c, [key.secret], 'key');
      const input = await c.w.file('in.dat', data);
      const out = c.w.path('out.asc');
      const r = await c.exec('rnp', [...extra, '--armor', '--userid', key.fingerprint, '--output', out, input], {
        password: key.passphrase,
      });
      ensureOk('rnp', extra.join(' '), r);
      return readFile(out);
    });
  }

  async function verifyEmbedded(signed: Uint8Array, certs: string[]): Promise<{ good: boolean; data: Uint8Array }> {
    return withRnp(async (c) => {
      await importAll(c, certs, 'cert');
      const input = await c.w.file('in.asc', signed);
      const out = c.w.path('out.dat');
      const r = await c.exec('rnp', ['--decrypt', '--output', out, input]);
      if (r.code !== 0 && !signatureFailure(r)) throw new Error(describeFailure('rnp', '--decrypt (verify)', r));
      const data = (await exists(out)) ? await readFile(out) : new Uint8Array();
      return { good: r.code === 0 && goodBy(r, certs), data };
    });
  }

  return {
    name,
    supports: { keyPassphrase: true, signCleartext: true, verifyCleartext: true, signInline: true, verifyInline: true },
    available: () => onPath('rnp') && onPath('rnpkeys'),

    generateKey(userId, opts) {
      return withRnp(async (c) => {
        const r = await c.exec('rnpkeys', ['--generate-key', '--expert', '--userid', userId], {
          password: opts?.passphrase ?? '',
          stdin: '22\n', // EDDSA + X25519
        });
        ensureOk('rnpkeys', '--generate-key', r);
        const cert = ensureOk('rnpkeys', '--export-key', await c.exec('rnpkeys', ['--export-key', userId])).stdout.toString('utf8');
        const fingerprint = primaryFingerprint(cert);
        const secret = ensureOk(
          'rnpkeys',
          '--export-key --secret',
          await c.exec('rnpkeys', ['--export-key', '--secret', fingerprint]),
        ).stdout.toString('utf8');
        const key: PeerKey = { secret, cert, fingerprint };
        if (opts?.passphrase !== undefined) key.passphrase = opts.passphrase;
        return key;
      });
    },

    encrypt(data, recipients, opts) {
      return withRnp(async (c) => {
        await importAll(c, recipients, 'rcpt');
        const args = ['--encrypt'];
        for (const r of recipients) args.push('--recipient', primaryFingerprint(r));
        const signer = opts?.signer;
        if (signer) {
          await importAll(c, [signer.secret], 'signer');
          args.push('--sign', '--userid', signer.fingerprint);
        }
        const out = c.w.path('out.asc');
        args.push('--armor', '--output', out, await c.w.file('in.dat', data));
        ensureOk('rnp', '--encrypt', await c.exec('rnp', args, { password: signer?.passphrase }));
        return readFile(out);
      });
    },

    encryptWithPassword(data, password) {
      return withRnp(async (c) => {
        const out = c.w.path('out.asc');
        const input = await c.w.file('in.dat', data);
        ensureOk('rnp', '--symmetric', await c.exec('rnp', ['--symmetric', '--armor', '--output', out, input], { password }));
        return readFile(out);
      });
    },

    decrypt(ciphertext, key, opts) {
      return withRnp(async (c) => {
        const verifyWith = opts?.verifyWith ?? [];
        await importAll(c, [key.secret], 'key');
        await importAll(c, verifyWith, 'cert');
        const input = await c.w.file('in.asc', ciphertext);
        const out = c.w.path('out.dat');
        // rnp exits 0 when a signature's key is unknown and reports it on stderr.
        const r = await c.exec('rnp', ['--decrypt', '--output', out, input], { password: key.passphrase });
        if (r.code !== 0 && !(signatureFailure(r) && (await exists(out)))) throw new Error(describeFailure('rnp', '--decrypt', r));
        return { plaintext: await readFile(out), goodSignature: r.code === 0 && goodBy(r, verifyWith) };
      });
    },

    decryptWithPassword(ciphertext, password) {
      return withRnp(async (c) => {
        const input = await c.w.file('in.asc', ciphertext);
        const out = c.w.path('out.dat');
        ensureOk('rnp', '--decrypt', await c.exec('rnp', ['--decrypt', '--output', out, input], { password }));
        return readFile(out);
      });
    },

    signDetached: (data, key) => sign(['--sign', '--detach'], data, key),

    verifyDetached(data, signature, certs) {
      return withRnp(async (c) => {
        await importAll(c, certs, 'cert');
        const sig = await c.w.file('in.dat.asc', signature);
        const input = await c.w.file('in.dat', data);
        const r = await c.exec('rnp', ['--verify', sig, '--source', input]);
        if (r.code !== 0) {
          if (signatureFailure(r)) return false;
          throw new Error(describeFailure('rnp', '--verify', r));
        }
        return goodBy(r, certs);
      });
    },

    signCleartext: (text, key) => sign(['--clearsign'], text, key),

    async verifyCleartext(signed, certs) {
      const { good, data } = await verifyEmbedded(signed, certs);
      return { good, text: data };
    },

    signInline: (data, key) => sign(['--sign'], data, key),

    verifyInline: (signed, certs) => verifyEmbedded(signed, certs),
  };
}

// ---------------------------------------------------------------------------
// Stateless OpenPGP (SOP) tools
//
// All three speak SOP draft 04-ish. Arguments are given as `--option=value`,
// positional KEYS/CERTS after `--`, and always as absolute paths (gosop's
// "@ENV:" prefix check panics on file names shorter than five characters).
// Exit code 3 means "no acceptable signature".

interface SopSpec {
  name: PeerName;
  bin: string;
  supports: PeerSupport;
  /** Option name for the decrypt verifications file. */
  verificationsOut: string;
}

function sopPeer(spec: SopSpec): Peer {
  const { name, bin } = spec;
  const NO_SIGNATURE = 3;

  const launch = bin === 'pgpainless-cli' ? javaLaunch(bin) : null;
  async function sop(w: Work, args: string[], stdin?: Uint8Array): Promise<RunResult> {
    if (!launch) return run(bin, args, { cwd: w.dir, stdin: stdin ?? new Uint8Array() });
    const full = launch.args(args);
    try {
      return await run(launch.cmd, full, { cwd: w.dir, stdin: stdin ?? new Uint8Array() });
    } finally {
      noteJavaExit(full);
    }
  }

  function cannot(what: string): PeerCannotError {
    return new PeerCannotError(name, what);
  }

  /** --with-key-password=FILE, or [] for an unprotected key. */
  async function keyPw(w: Work, key: PeerKey, tag: string): Promise<string[]> {
    if (key.passphrase === undefined) return [];
    if (!spec.supports.keyPassphrase) throw cannot('use passphrase-protected keys');
    return [`--with-key-password=${await w.file(`${tag}.pw`, key.passphrase)}`];
  }

  async function files(w: Work, items: string[], tag: string): Promise<string[]> {
    const out: string[] = [];
    for (const [i, item] of items.entries()) out.push(await w.file(`${tag}-${i}.asc`, item));
    return out;
  }

  /** Verification lines "DATE SIGNING-FPR PRIMARY-FPR ..." with a fingerprint from `certs`. */
  function goodLines(text: string, certs: string[]): boolean {
    if (certs.length === 0) return false;
    const ids = identifiers(certs);
    return text
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .some((f) => f.length >= 2 && f.slice(1, 3).some((x) => ids.has(x.toUpperCase())));
  }

  async function verifyEmbedded(signed: Uint8Array, certs: string[]): Promise<{ good: boolean; data: Uint8Array }> {
    if (!spec.supports.verifyInline) throw cannot('inline-verify');
    return withWork(async (w) => {
      const cs = await files(w, certs, 'cert');
      const vo = w.path('verifications.txt');
      const r = await sop(w, ['inline-verify', `--verifications-out=${vo}`, '--', ...cs], signed);
      if (r.code === NO_SIGNATURE) return { good: false, data: new Uint8Array(r.stdout) };
      ensureOk(bin, 'inline-verify', r);
      const lines = (await exists(vo)) ? (await readFile(vo)).toString('utf8') : '';
      return { good: goodLines(lines, certs), data: new Uint8Array(r.stdout) };
    });
  }

  async function inlineSign(as: 'binary' | 'clearsigned', data: Uint8Array, key: PeerKey): Promise<Uint8Array> {
    if (!(as === 'binary' ? spec.supports.signInline : spec.supports.signCleartext)) {
      throw cannot(as === 'binary' ? 'inline-sign' : 'inline-sign --as=clearsigned (cleartext signatures)');
    }
    return withWork(async (w) => {
      const pw = await keyPw(w, key, 'key');
      const k = await w.file('key.asc', key.secret);
      const r = ensureOk(bin, `inline-sign --as=${as}`, await sop(w, ['inline-sign', `--as=${as}`, ...pw, '--', k], data));
      return new Uint8Array(r.stdout);
    });
  }

  return {
    name,
    supports: spec.supports,
    available: () => onPath(bin),

    generateKey(userId, opts) {
      return withWork(async (w) => {
        const args = ['generate-key'];
        if (opts?.passphrase !== undefined) {
          if (!spec.supports.keyPassphrase) throw cannot('generate passphrase-protected keys');
          args.push(`--with-key-password=${await w.file('gen.pw', opts.passphrase)}`);
        }
        const secret = ensureOk(bin, 'generate-key', await sop(w, [...args, '--', userId])).stdout;
        const cert = ensureOk(bin, 'extract-cert', await sop(w, ['extract-cert'], secret)).stdout.toString('utf8');
        const key: PeerKey = { secret: secret.toString('utf8'), cert, fingerprint: primaryFingerprint(cert) };
        if (opts?.passphrase !== undefined) key.passphrase = opts.passphrase;
        return key;
      });
    },

    encrypt(data, recipients, opts) {
      return withWork(async (w) => {
        const args = ['encrypt'];
        const signer = opts?.signer;
        if (signer) args.push(`--sign-with=${await w.file('signer.asc', signer.secret)}`, ...(await keyPw(w, signer, 'signer')));
        args.push('--', ...(await files(w, recipients, 'rcpt')));
        return new Uint8Array(ensureOk(bin, 'encrypt', await sop(w, args, data)).stdout);
      });
    },

    encryptWithPassword(data, password) {
      return withWork(async (w) => {
        const pw = await w.file('sym.pw', password);
        return new Uint8Array(ensureOk(bin, 'encrypt --with-password', await sop(w, ['encrypt', `--with-password=${pw}`], data)).stdout);
      });
    },

    decrypt(ciphertext, key, opts) {
      return withWork(async (w) => {
        const verifyWith = opts?.verifyWith ?? [];
        const pw = await keyPw(w, key, 'key');
        const k = await w.file('key.asc', key.secret);
        if (verifyWith.length === 0) {
          const r = ensureOk(bin, 'decrypt', await sop(w, ['decrypt', ...pw, '--', k], ciphertext));
          return { plaintext: new Uint8Array(r.stdout), goodSignature: false };
        }
        const cs = await files(w, verifyWith, 'cert');
        const vo = w.path('verifications.txt');
        const r = await sop(
          w,
          ['decrypt', ...pw, ...cs.map((c) => `--verify-with=${c}`), `${spec.verificationsOut}=${vo}`, '--', k],
          ciphertext,
        );
        if (r.code === 0) {
          const lines = (await exists(vo)) ? (await readFile(vo)).toString('utf8') : '';
          return { plaintext: new Uint8Array(r.stdout), goodSignature: goodLines(lines, verifyWith) };
        }
        // sqop, pgpainless (exit 3) and gosop (exit 99) fail a decryption that
        // finds no acceptable signature; decrypt again without verification.
        const r2 = await sop(w, ['decrypt', ...pw, '--', k], ciphertext);
        if (r2.code !== 0) throw new Error(describeFailure(bin, 'decrypt', r2, `with --verify-with: ${r.stderr.toString('utf8').trim()}`));
        return { plaintext: new Uint8Array(r2.stdout), goodSignature: false };
      });
    },

    decryptWithPassword(ciphertext, password) {
      return withWork(async (w) => {
        const pw = await w.file('sym.pw', password);
        return new Uint8Array(
          ensureOk(bin, 'decrypt --with-password', await sop(w, ['decrypt', `--with-password=${pw}`], ciphertext)).stdout,
        );
      });
    },

    signDetached(data, key) {
      return withWork(async (w) => {
        const pw = await keyPw(w, key, 'key');
        const k = await w.file('key.asc', key.secret);
        return new Uint8Array(ensureOk(bin, 'sign', await sop(w, ['sign', '--as=binary', ...pw, '--', k], data)).stdout);
      });
    },

    verifyDetached(data, signature, certs) {
      return withWork(async (w) => {
        const sig = await w.file('sig.asc', signature);
        const cs = await files(w, certs, 'cert');
        const r = await sop(w, ['verify', '--', sig, ...cs], data);
        if (r.code === NO_SIGNATURE) return false;
        ensureOk(bin, 'verify', r);
        return goodLines(r.stdout.toString('utf8'), certs);
      });
    },

    signCleartext: (text, key) => inlineSign('clearsigned', text, key),

    async verifyCleartext(signed, certs) {
      if (!spec.supports.verifyCleartext) throw cannot('inline-verify (cleartext signatures)');
      const { good, data } = await verifyEmbedded(signed, certs);
      return { good, text: data };
    },

    signInline: (data, key) => inlineSign('binary', data, key),

    verifyInline: (signed, certs) => verifyEmbedded(signed, certs),
  };
}

// ---------------------------------------------------------------------------

const ALL = {
  full: { keyPassphrase: true, signCleartext: true, verifyCleartext: true, signInline: true, verifyInline: true },
  // gosop (2022 snapshot): no inline-sign / inline-verify subcommands, no
  // --with-key-password anywhere.
  gosop: { keyPassphrase: false, signCleartext: false, verifyCleartext: false, signInline: false, verifyInline: false },
} satisfies Record<string, PeerSupport>;

function makePeer(name: PeerName): Peer {
  switch (name) {
    case 'gpg':
      return gpgPeer();
    case 'sq':
      return sqPeer();
    case 'rnp':
      return rnpPeer();
    case 'sqop':
      return sopPeer({ name, bin: 'sqop', supports: ALL.full, verificationsOut: '--verifications-out' });
    case 'gosop':
      return sopPeer({ name, bin: 'gosop', supports: ALL.gosop, verificationsOut: '--verify-out' });
    case 'pgpainless':
      return sopPeer({ name, bin: 'pgpainless-cli', supports: ALL.full, verificationsOut: '--verifications-out' });
  }
}

/** All six peers (available or not; check `available()`). */
export function peers(): Peer[] {
  return PEER_NAMES.map(makePeer);
}

export function peer(name: PeerName): Peer {
  return makePeer(name);
}
