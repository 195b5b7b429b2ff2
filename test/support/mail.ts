/**
 * Build RFC 5322 messages as bytes in tests (every line break CRLF), wrap
 * entities in PGP/MIME (RFC 3156), make real OpenPGP data with
 * `sealpost sop`, and set up a profile with three people:
 *
 * - Alice: us; her secret key (passphrase-protected) lives in the profile.
 * - Bob: a correspondent; his secret key is only a sop key file, his
 *   certificate is imported into the profile.
 * - Mallory: an attacker; her key file too, and her certificate is imported
 *   as well, so that her signatures verify as cryptographically valid.
 *
 * An "entity" here is a MIME entity's exact bytes: header block, empty line,
 * body. `message()` turns an entity (or a text) into a whole message.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { InspectReport } from '../../app/inspect-report.ts';
import { runSealpost, tempDir, type TempDir } from './cli.ts';

export type Headers = Record<string, string> | Array<[string, string]>;

const CRLF = '\r\n';

function headerLines(headers: Headers): string {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  return list.map(([k, v]) => `${k}: ${v}${CRLF}`).join('');
}

/** Every line break CRLF (a lone LF or a lone CR becomes CRLF); the bytes otherwise untouched. Text only: put binary data in base64. */
export function crlf(bytes: Uint8Array | string): Buffer {
  const text = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8').toString('latin1') : Buffer.from(bytes).toString('latin1');
  return Buffer.from(text.replace(/\r\n|\r|\n/g, CRLF), 'latin1');
}

function hasHeader(headers: Headers, name: string): boolean {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  return list.some(([k]) => k.toLowerCase() === name.toLowerCase());
}

/**
 * One MIME entity: the given header fields, an empty line, the body. A
 * string body is UTF-8 text; a text entity gets `Content-Type: text/plain;
 * charset=utf-8` unless the headers name a type.
 */
export function part(headers: Headers, body: string | Uint8Array): Buffer {
  const h = hasHeader(headers, 'content-type')
    ? headerLines(headers)
    : `${headerLines(headers)}Content-Type: text/plain; charset=utf-8${CRLF}`;
  return Buffer.concat([Buffer.from(h + CRLF, 'utf8'), crlf(body)]);
}

/** A text/plain (or other text/*) entity. */
export function textPart(body: string, contentType = 'text/plain; charset=utf-8', extra: Headers = {}): Buffer {
  const list = Array.isArray(extra) ? extra : Object.entries(extra);
  return part([['Content-Type', contentType], ...list], body);
}

/** A whole entity's header block and its body, split at the first empty line. */
function splitEntity(entity: Buffer): { head: Buffer; body: Buffer } {
  const at = entity.indexOf('\r\n\r\n');
  if (entity.subarray(0, 2).toString('latin1') === CRLF) return { head: Buffer.alloc(0), body: entity.subarray(2) };
  if (at < 0) return { head: entity, body: Buffer.alloc(0) };
  return { head: entity.subarray(0, at + 2), body: entity.subarray(at + 4) };
}

/**
 * A whole RFC 5322 message. `body` is either a text (a text/plain UTF-8
 * body) or an entity (a Buffer from `part`, `multipart`, `pgpMimeEncrypted`,
 * ...), whose header fields then follow the message's own. `MIME-Version`,
 * `Date` and `Message-ID` are added when absent.
 */
export function message(headers: Headers, body: string | Uint8Array): Buffer {
  const list: Array<[string, string]> = Array.isArray(headers) ? [...headers] : Object.entries(headers);
  if (!hasHeader(list, 'date')) list.push(['Date', 'Mon, 01 Jun 2026 10:00:00 +0000']);
  if (!hasHeader(list, 'message-id')) list.push(['Message-ID', `<${randomBytes(8).toString('hex')}@test.example>`]);
  if (!hasHeader(list, 'mime-version')) list.push(['MIME-Version', '1.0']);
  if (typeof body === 'string') return part(list, body);
  const { head, body: rest } = splitEntity(crlf(body));
  return Buffer.concat([Buffer.from(headerLines(list), 'utf8'), head, Buffer.from(CRLF, 'latin1'), rest]);
}

export function boundary(): string {
  return `b_${randomBytes(12).toString('hex')}`;
}

function quoteParam(v: string): string {
  return /^[A-Za-z0-9._+-]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

export interface MultipartOptions {
  /** The boundary (random when omitted). */
  boundary?: string;
  preamble?: string;
  epilogue?: string;
  /** More header fields of the multipart entity. */
  headers?: Headers;
}

/**
 * A multipart entity: `Content-Type: multipart/SUBTYPE; boundary=...; PARAMS`, then
 * each part exactly as given between the boundaries (RFC 2046, 5.1.1: the
 * CRLF before a delimiter belongs to the delimiter).
 */
export function multipart(subtype: string, parts: Uint8Array[], params: Record<string, string> = {}, opts: MultipartOptions = {}): Buffer {
  const b = opts.boundary ?? boundary();
  const paramText = Object.entries(params)
    .map(([k, v]) => `; ${k}=${quoteParam(v)}`)
    .join('');
  const head = `Content-Type: multipart/${subtype}; boundary="${b}"${paramText}${CRLF}${opts.headers ? headerLines(opts.headers) : ''}${CRLF}`;
  const chunks: Buffer[] = [Buffer.from(head, 'utf8')];
  if (opts.preamble !== undefined) chunks.push(crlf(opts.preamble), Buffer.from(CRLF));
  for (const p of parts) chunks.push(Buffer.from(`--${b}${CRLF}`, 'latin1'), crlf(p), Buffer.from(CRLF, 'latin1'));
  chunks.push(Buffer.from(`--${b}--${CRLF}`, 'latin1'));
  if (opts.epilogue !== undefined) chunks.push(crlf(opts.epilogue));
  return Buffer.concat(chunks);
}

/** RFC 3156, section 4: a multipart/encrypted entity around an armored OpenPGP message. */
export function pgpMimeEncrypted(armoredOpenPgpMessage: string | Uint8Array): Buffer {
  const armored = typeof armoredOpenPgpMessage === 'string' ? armoredOpenPgpMessage : Buffer.from(armoredOpenPgpMessage).toString('latin1');
  return multipart(
    'encrypted',
    [
      part(
        [
          ['Content-Type', 'application/pgp-encrypted'],
          ['Content-Description', 'PGP/MIME version identification'],
        ],
        'Version: 1\r\n',
      ),
      part(
        [
          ['Content-Type', 'application/octet-stream; name="encrypted.asc"'],
          ['Content-Description', 'OpenPGP encrypted message'],
          ['Content-Disposition', 'inline; filename="encrypted.asc"'],
        ],
        armored.replace(/\s+$/, ''),
      ),
    ],
    { protocol: 'application/pgp-encrypted' },
    { preamble: 'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)' },
  );
}

/**
 * RFC 3156, section 5: a multipart/signed entity. `entityBytes` is placed
 * between the boundaries exactly as `crlf(entityBytes)`: the signature must
 * have been made over those bytes (see `signEntity`).
 */
export function pgpMimeSigned(entityBytes: Uint8Array, armoredSignature: string, micalg: string): Buffer {
  return multipart(
    'signed',
    [
      crlf(entityBytes),
      part(
        [
          ['Content-Type', 'application/pgp-signature; name="signature.asc"'],
          ['Content-Description', 'OpenPGP digital signature'],
          ['Content-Disposition', 'attachment; filename="signature.asc"'],
        ],
        armoredSignature.replace(/\s+$/, ''),
      ),
    ],
    { micalg, protocol: 'application/pgp-signature' },
    { preamble: 'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)' },
  );
}

function sopFailure(what: string, r: { code: number; stderr: string }): Error {
  return new Error(`sealpost sop ${what} exited ${r.code}: ${r.stderr.trim()}`);
}

/** A detached armored signature by `keyFile` over the exact bytes `crlf(entity)` (`sealpost sop sign`). */
export async function signEntity(entity: Uint8Array, keyFile: string): Promise<string> {
  const r = await runSealpost(['sop', 'sign', keyFile], { input: crlf(entity) });
  if (r.code !== 0) throw sopFailure('sign', r);
  return r.stdout.toString('utf8');
}

/** RFC 3156 micalg of an armored signature ("pgp-sha512", ...). */
export async function micalgOf(armoredSignature: string): Promise<string> {
  const sig = await openpgp.readSignature({ armoredSignature });
  const hash = sig.packets[0]!.hashAlgorithm;
  return `pgp-${openpgp.enums.read(openpgp.enums.hash, hash!).toLowerCase()}`;
}

/** `entity` signed by `keyFile` as multipart/signed. */
export async function signedBy(entity: Uint8Array, keyFile: string): Promise<Buffer> {
  const sig = await signEntity(entity, keyFile);
  return pgpMimeSigned(entity, sig, await micalgOf(sig));
}

/** `data` encrypted to `certFiles` (optionally signed by `signWith`): an armored OpenPGP message (`sealpost sop encrypt`). */
export async function encryptTo(data: Uint8Array | string, certFiles: string[], signWith?: string): Promise<string> {
  const r = await runSealpost(['sop', 'encrypt', ...(signWith ? ['--sign-with', signWith] : []), ...certFiles], {
    input: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
  });
  if (r.code !== 0) throw sopFailure('encrypt', r);
  return r.stdout.toString('utf8');
}

/** A cleartext-signed block (RFC 9580, section 7) of `text` by `keyFile`. */
export async function clearsign(text: string, keyFile: string): Promise<string> {
  const r = await runSealpost(['sop', 'inline-sign', '--as', 'clearsigned', keyFile], { input: Buffer.from(text, 'utf8') });
  if (r.code !== 0) throw sopFailure('inline-sign', r);
  return r.stdout.toString('utf8');
}

export interface Person {
  name: string;
  email: string;
  /** The upper-case hex fingerprint of the primary key. */
  fpr: string;
  /** Armored certificate file. */
  cert: string;
  /** Armored secret key file (unprotected; Alice: her key is in the profile and this is unset). */
  key: string;
}

export interface Setup {
  dir: TempDir;
  /** The profile directory (`--home`). */
  home: string;
  /** Alice's passphrase file (`--passphrase-file`). */
  passphraseFile: string;
  alice: Omit<Person, 'key'>;
  bob: Person;
  mallory: Person;
  /** A key file and certificate made by `sop generate-key` with these user ids; the certificate imported into the profile unless `importCert` is false. */
  person(userIds: string[], opts?: { importCert?: boolean }): Promise<Person>;
  /** `keys import` of these certificate files into the profile. */
  importCerts(certs: string[]): Promise<void>;
  /** Write a file into the setup's directory; returns its path. */
  file(name: string, data: Uint8Array | string): string;
  cleanup(): Promise<void>;
}

async function fingerprintOf(armored: Uint8Array): Promise<string> {
  const key = await openpgp.readKey({ armoredKey: Buffer.from(armored).toString('utf8') });
  return key.getFingerprint().toUpperCase();
}

function emailOf(userId: string): string {
  return /<([^>]+)>/.exec(userId)?.[1] ?? userId;
}

export async function setup(): Promise<Setup> {
  const dir = await tempDir('sealpost-security-');
  const home = join(dir.path, 'home');
  const passphraseFile = join(dir.path, 'alice.pass');
  writeFileSync(passphraseFile, 'correct horse battery staple\n');
  const file = (name: string, data: Uint8Array | string) => {
    const path = join(dir.path, name);
    writeFileSync(path, data);
    return path;
  };
  let counter = 0;
  const makeKey = async (userIds: string[]): Promise<Person> => {
    const n = ++counter;
    const k = await runSealpost(['sop', 'generate-key', ...userIds]);
    if (k.code !== 0) throw sopFailure('generate-key', k);
    const c = await runSealpost(['sop', 'extract-cert'], { input: k.stdout });
    if (c.code !== 0) throw sopFailure('extract-cert', c);
    const first = userIds[0]!;
    return {
      name: first.replace(/\s*<.*$/, ''),
      email: emailOf(first),
      fpr: await fingerprintOf(c.stdout),
      key: file(`person${n}.key`, k.stdout),
      cert: file(`person${n}.cert`, c.stdout),
    };
  };
  const importCerts = async (certs: string[]) => {
    const r = await runSealpost(['keys', 'import', ...certs], { home });
    if (r.code !== 0) throw new Error(`keys import: ${r.stderr.trim()}`);
  };

  const [gen, bob, mallory] = await Promise.all([
    runSealpost(['--passphrase-file', passphraseFile, 'keys', 'generate', '--name', 'Alice Lovelace', '--email', 'alice@openpgp.example'], {
      home,
    }),
    makeKey(['Bob Babbage <bob@openpgp.example>']),
    makeKey(['Mallory <mallory@attacker.example>']),
  ]);
  if (gen.code !== 0) throw new Error(`keys generate: ${gen.stderr.trim()}`);
  const aliceFpr = gen.stdout.toString('utf8').trim();
  const [exported] = await Promise.all([runSealpost(['keys', 'export', aliceFpr], { home }), importCerts([bob.cert, mallory.cert])]);
  if (exported.code !== 0) throw new Error(`keys export: ${exported.stderr.trim()}`);
  const aliceCert = file('alice.cert', exported.stdout);

  return {
    dir,
    home,
    passphraseFile,
    alice: { name: 'Alice Lovelace', email: 'alice@openpgp.example', fpr: aliceFpr, cert: aliceCert },
    bob,
    mallory,
    async person(userIds, opts = {}) {
      const p = await makeKey(userIds);
      if (opts.importCert !== false) await importCerts([p.cert]);
      return p;
    },
    importCerts,
    file,
    cleanup: () => dir.cleanup(),
  };
}

export interface Inspected {
  report: InspectReport;
  /** The JSON document as printed. */
  json: string;
  stderr: string;
  code: number;
}

let inspectCounter = 0;

/**
 * `sealpost --passphrase-file ALICE inspect MSG --json` in the setup's
 * profile; asserts exit 0 and a report that fits the InspectReport schema.
 */
export async function inspect(s: Setup, msg: Uint8Array, opts: { timeoutMs?: number; passphrase?: boolean } = {}): Promise<Inspected> {
  const path = s.file(`msg${++inspectCounter}.eml`, msg);
  const r = await runSealpost([...(opts.passphrase === false ? [] : ['--passphrase-file', s.passphraseFile]), 'inspect', path, '--json'], {
    home: s.home,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  assert.equal(r.code, 0, `inspect exit code (stderr: ${r.stderr.trim()})`);
  const json = r.stdout.toString('utf8');
  const report = InspectReport.parse(JSON.parse(json));
  return { report, json, stderr: r.stderr, code: r.code };
}

export const warningCodes = (report: InspectReport): string[] => report.warnings.map((w) => w.code);

/** A secret that must appear nowhere: not in the JSON (any field), not on stderr, not as an attachment's hash. */
export function assertNowhere(got: Inspected, secret: string, plaintextBytes?: Uint8Array): void {
  assert.ok(!got.json.includes(secret), `the secret "${secret}" appears in the report`);
  assert.ok(!got.stderr.includes(secret), `the secret "${secret}" appears on stderr`);
  assert.ok(!got.report.text.includes(secret), 'the secret appears in the report text');
  if (plaintextBytes) {
    const hash = createHash('sha256').update(plaintextBytes).digest('hex');
    assert.ok(!got.json.includes(hash), "the plaintext's SHA-256 appears in the report");
  }
}

/** A distinctive secret token for a test's plaintext. */
export function secretToken(label = 'SECRET'): string {
  return `${label}-${randomBytes(6).toString('hex').toUpperCase()}`;
}
