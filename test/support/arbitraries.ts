/**
 * Shared pieces of the property tests (test/**\/*.property.test.ts): the run
 * settings, per-input deadlines, and arbitraries for what arrives from the
 * network or from files (mail, armor, byte mutations of real inputs).
 *
 * The suite runs every property with a fixed seed and a modest number of
 * runs, so that a failure is reproducible and the whole set stays quick;
 * `npm run fuzz` (build/fuzz.ts) runs the same properties with a random seed
 * and many more runs. A failure prints the seed and the counterexample's
 * path: SEALPOST_FUZZ_SEED=<seed> reruns exactly that case.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { isErrorCode, SealpostError } from '../../app/errors.ts';

/** The seed of the suite's runs; `npm run fuzz` sets a random one. */
export const FUZZ_SEED = Number.parseInt(process.env.SEALPOST_FUZZ_SEED ?? '', 10) || 20261207;
/** `npm run fuzz` multiplies every property's number of runs by this. */
export const FUZZ_SCALE = Math.max(1, Number.parseInt(process.env.SEALPOST_FUZZ_SCALE ?? '', 10) || 1);

/** fast-check parameters for a property: `runs` in the suite, `runs * SEALPOST_FUZZ_SCALE` under `npm run fuzz`. */
export function fuzzParams<T>(runs: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: runs * FUZZ_SCALE, endOnFailure: FUZZ_SCALE > 1 };
}

/** A deadline on one input: the promise, or a clear failure naming what hung. */
export async function withinDeadline<T>(ms: number, what: string, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms on one input (a hang)`)), ms);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A synchronous parser cannot be interrupted: the time is measured after it
 * returns and an input that took too long fails the property (a true
 * infinite loop is stopped by the test's own timeout).
 */
export function withinTime<T>(ms: number, what: string, run: () => T): T {
  const start = performance.now();
  const value = run();
  const elapsed = performance.now() - start;
  if (elapsed > ms) throw new Error(`${what} took ${elapsed.toFixed(0)} ms on one input (limit ${ms} ms)`);
  return value;
}

/** A failure is acceptable only as a registry error (app/errors.ts); anything else is a crash. */
export function assertRegistryError(e: unknown, allowed?: readonly string[]): asserts e is SealpostError {
  if (!(e instanceof SealpostError) || !isErrorCode(e.code)) {
    const shown = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
    throw new Error(`not a registry error: ${shown}`);
  }
  if (allowed && !allowed.includes(e.code)) throw new Error(`error code ${e.code}, expected one of ${allowed.join(', ')}`);
}

/** Heap growth, in bytes, while `run` handles a large input (after a collection when `--expose-gc` is on). */
export async function heapGrowth(run: () => unknown): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  try {
    await run();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return peak - before;
}

// ---------------------------------------------------------------- mutations

/** One edit of a byte string (positions are fractions of the length, so they fit any input). */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'splice'; at: number; text: string };

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

/** Text that means something to the parsers, inserted where it can do the most harm. */
export const HOSTILE_SNIPPETS = [
  '\r\n',
  '\n',
  '\r\n\r\n',
  '--',
  '\r\n--',
  '=?utf-8?b?',
  '=?',
  '?=',
  '=\r\n',
  '=XY',
  '====',
  ';',
  '"',
  '\\',
  '\0',
  'Content-Type: multipart/mixed; boundary=x\r\n',
  'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\r\n',
  'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=s\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  'Content-Transfer-Encoding: quoted-printable\r\n',
  'charset="x-unknown"',
  '\r\n-----BEGIN PGP MESSAGE-----\r\n',
  '\r\n-----END PGP MESSAGE-----\r\n',
  '-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n',
  '-----BEGIN PGP SIGNATURE-----',
  '-----END PGP SIGNATURE-----',
  '-----BEGIN PGP PUBLIC KEY BLOCK-----',
  '-----END PGP PUBLIC KEY BLOCK-----',
  '\r\n=AAAA\r\n',
  'Autocrypt: addr=a@b; keydata=AAAA\r\n',
  ' \t',
  '\u00a0',
  '\ufeff',
  '\u202e',
];

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fraction, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fraction, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fraction, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fraction }),
  fc.record({ op: fc.constant('duplicate' as const), at: fraction, length: fc.integer({ min: 1, max: 512 }) }),
  fc.record({ op: fc.constant('splice' as const), at: fraction, text: fc.constantFrom(...HOSTILE_SNIPPETS) }),
);

export function applyMutation(input: Uint8Array, m: Mutation): Buffer {
  const b = Buffer.from(input);
  const at = Math.floor(m.at * b.length);
  switch (m.op) {
    case 'flip':
      if (b.length > 0) b[at] = b[at]! ^ (1 << m.bit);
      return b;
    case 'set':
      if (b.length > 0) b[at] = m.byte;
      return b;
    case 'insert':
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    case 'truncate':
      return b.subarray(0, at);
    case 'duplicate':
      return Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
    case 'splice':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text, 'utf8'), b.subarray(at)]);
  }
}

/** 1 to `max` mutations of one of the given inputs. */
export function mutatedOf(inputs: readonly Uint8Array[], max = 4): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.integer({ min: 0, max: inputs.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: max }))
    .map(([i, ms]) => ms.reduce<Buffer>((acc, m) => applyMutation(acc, m), Buffer.from(inputs[i]!)));
}

/** Lines of text mutated as lines: a header duplicated, a line dropped, a line made huge. */
export function lineMutatedOf(inputs: readonly Uint8Array[]): fc.Arbitrary<Buffer> {
  const lineOp = fc.oneof(
    fc.record({ op: fc.constant('dup' as const), at: fraction }),
    fc.record({ op: fc.constant('drop' as const), at: fraction }),
    fc.record({ op: fc.constant('huge' as const), at: fraction, size: fc.integer({ min: 1000, max: 200_000 }) }),
    fc.record({ op: fc.constant('swap' as const), at: fraction, with: fraction }),
  );
  return fc.tuple(fc.integer({ min: 0, max: inputs.length - 1 }), fc.array(lineOp, { minLength: 1, maxLength: 3 })).map(([i, ops]) => {
    const lines = Buffer.from(inputs[i]!).toString('latin1').split('\n');
    for (const op of ops) {
      const at = Math.floor(op.at * lines.length);
      if (op.op === 'dup') lines.splice(at, 0, lines[at] ?? '');
      else if (op.op === 'drop') lines.splice(at, 1);
      else if (op.op === 'huge') lines[at] = (lines[at] ?? '') + 'A'.repeat(op.size);
      else {
        const j = Math.floor(op.with * lines.length);
        [lines[at], lines[j]] = [lines[j] ?? '', lines[at] ?? ''];
      }
    }
    return Buffer.from(lines.join('\n'), 'latin1');
  });
}

// ---------------------------------------------------------------- mail

const token = fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,40}$/);

/** A header field name: mostly the ones the parsers read, sometimes any token. */
export const headerName = fc.oneof(
  fc.constantFrom(
    'From',
    'To',
    'Cc',
    'Subject',
    'Date',
    'Message-ID',
    'Content-Type',
    'Content-Transfer-Encoding',
    'Content-Disposition',
    'Autocrypt',
    'Autocrypt-Gossip',
    'MIME-Version',
  ),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,30}$/),
);

/** A header value that may carry encoded words, quotes, parameters, folding, 8-bit bytes. */
export const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '=?utf-8?B?w6TDtsO8?=',
    '=?iso-8859-1?Q?=E4=F6=FC?=',
    '=?x-bogus?Q?abc?=',
    '=?utf-8?B?####?=',
    '"Alice, the \\"first\\"" <alice@example.org>',
    'undisclosed-recipients:;',
    'a@b, <c@d>, "e" <f@g>, group: h@i, j@k;',
    "text/plain; charset*=utf-8''%E4; format=flowed; delsp=yes",
    'attachment; filename*0*=utf-8\'\'a%20; filename*1="b.txt"',
    'multipart/mixed; boundary=""',
    'addr=alice@example.org; prefer-encrypt=mutual; keydata=AAAA',
  ),
  fc.array(token, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('\r\n ')),
);

const transferEncoding = fc.constantFrom('7bit', '8bit', 'binary', 'base64', 'quoted-printable', 'x-uuencode', '');

/** A leaf body: text, binary, valid or broken base64 and quoted-printable, armor. */
const leafBody = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64').replace(/.{76}/g, '$&\r\n')),
  fc.stringMatching(/^[A-Za-z0-9+/=\r\n!*-]{0,200}$/),
  fc.stringMatching(/^(?:[ -~]|=[0-9A-Fa-f]{2}|=\r\n|=[G-Z])*$/).map((s) => s.slice(0, 300)),
  fc.constantFrom(
    '-----BEGIN PGP MESSAGE-----\r\n\r\nwV4DAAAAAAAAAAASAQdAAAAA\r\n=AAAA\r\n-----END PGP MESSAGE-----\r\n',
    '-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n- -- hello\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\nwnUEARYKAB0WIQ\r\n-----END PGP SIGNATURE-----\r\n',
    'Version: 1\r\n',
  ),
);

export interface MimeNode {
  headers: Array<[string, string]>;
  contentType: string;
  boundary: string;
  cte: string;
  body: string;
  children: MimeNode[];
  /** Leave out the close delimiter, or write a broken one. */
  ending: 'close' | 'missing' | 'broken';
}

const boundary = fc.oneof(fc.stringMatching(/^[A-Za-z0-9'()+_,./:=? -]{1,70}$/), fc.constantFrom('b', '-', '--', '=_', 'x y'));

const leafType = fc.constantFrom(
  'text/plain',
  'text/html',
  'application/pgp-encrypted',
  'application/octet-stream',
  'application/pgp-signature',
  'application/pgp-keys',
  'message/rfc822',
  'text/rfc822-headers',
  'image/png',
);
const multipartType = fc.constantFrom(
  'multipart/mixed',
  'multipart/alternative',
  'multipart/related',
  'multipart/signed',
  'multipart/encrypted',
);

/** A MIME tree made to be hostile: any of the types the reader cares about, any nesting, broken ends. */
export const mimeTree: fc.Arbitrary<MimeNode> = fc.letrec<{ node: MimeNode }>((tie) => ({
  node: fc.record({
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
    contentType: fc.oneof({ weight: 3, arbitrary: leafType }, { weight: 2, arbitrary: multipartType }),
    boundary,
    cte: transferEncoding,
    body: leafBody,
    children: fc.oneof(
      { maxDepth: 5, depthIdentifier: 'mime' },
      fc.constant([] as MimeNode[]),
      fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'mime' }),
    ),
    ending: fc.constantFrom('close' as const, 'close' as const, 'missing' as const, 'broken' as const),
  }),
})).node;

/** The bytes of a tree, as a sender (or an attacker) would write them. */
export function renderMime(node: MimeNode, crlf = true): Buffer {
  const nl = crlf ? '\r\n' : '\n';
  const multipart = node.contentType.startsWith('multipart/') && node.children.length > 0;
  const lines = node.headers.map(([k, v]) => `${k}: ${v}`);
  if (multipart) {
    const protocol =
      node.contentType === 'multipart/signed'
        ? '; protocol="application/pgp-signature"; micalg=pgp-sha256'
        : node.contentType === 'multipart/encrypted'
          ? '; protocol="application/pgp-encrypted"'
          : '';
    lines.push(`Content-Type: ${node.contentType}; boundary="${node.boundary.replace(/"/g, '')}"${protocol}`);
  } else {
    lines.push(`Content-Type: ${node.contentType}; charset=utf-8`);
    if (node.cte) lines.push(`Content-Transfer-Encoding: ${node.cte}`);
  }
  const head = Buffer.from(lines.join(nl) + nl + nl, 'utf8');
  if (!multipart) return Buffer.concat([head, Buffer.from(node.body, 'latin1')]);
  const b = node.boundary.replace(/"/g, '');
  const pieces: Buffer[] = [head, Buffer.from(`preamble${nl}`)];
  for (const child of node.children) pieces.push(Buffer.from(`--${b}${nl}`), renderMime(child, crlf), Buffer.from(nl));
  if (node.ending === 'close') pieces.push(Buffer.from(`--${b}--${nl}epilogue${nl}`));
  else if (node.ending === 'broken') pieces.push(Buffer.from(`--${b}-${nl}`));
  return Buffer.concat(pieces);
}

/** A message: a tree under a header block of the usual fields. */
export const mimeMessage: fc.Arbitrary<Buffer> = fc
  .tuple(mimeTree, fc.boolean())
  .map(([tree, crlf]) =>
    Buffer.concat([
      Buffer.from(
        ['From: Bob <bob@example.org>', 'To: Alice <alice@example.org>', 'Subject: test', 'MIME-Version: 1.0', ''].join(
          crlf ? '\r\n' : '\n',
        ),
      ),
      renderMime(tree, crlf),
    ]),
  );

/** Multipart nested `depth` deep, one part at each level. */
export function deeplyNested(depth: number): Buffer {
  let inner = 'Content-Type: text/plain\r\n\r\ndeep\r\n';
  for (let i = depth; i > 0; i--) {
    const b = `b${i}`;
    inner = `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\n${inner}\r\n--${b}--\r\n`;
  }
  return Buffer.from(`From: a@example.org\r\n${inner}`);
}

// ---------------------------------------------------------------- armor and values

/** An ASCII armor block with a correct CRC-24 line (RFC 4880, section 6), for the checksum and key parsers. */
export function armorBlock(label: string, data: Uint8Array, checksum: number | null, headers: string[] = []): string {
  const body = Buffer.from(data).toString('base64').replace(/.{64}/g, '$&\n');
  const crc =
    checksum === null ? '' : `=${Buffer.from([(checksum >> 16) & 0xff, (checksum >> 8) & 0xff, checksum & 0xff]).toString('base64')}\n`;
  return `-----BEGIN PGP ${label}-----\n${headers.map((h) => `${h}\n`).join('')}\n${body}\n${crc}-----END PGP ${label}-----\n`;
}

/** Any value a JSON or structured-clone channel could carry, with bytes and the names that trip up object handling. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'then')),
    maxDepth: 3,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(undefined, null, NaN, Infinity, -0, '', [], {}, Object.create(null)),
);

/** A value with one field changed, added or removed somewhere inside it (`valid` is left untouched). */
export function mutateValue(valid: unknown, change: { path: number[]; kind: number; value: unknown }): unknown {
  const copy = structuredClone(valid);
  const edit = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || depth >= change.path.length) {
      return change.kind % 2 === 0 ? change.value : v;
    }
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    const o = v as Record<string, unknown>;
    if (entries.length === 0 || change.kind === 3) {
      o[`x${change.path[depth]}`] = change.value;
      return v;
    }
    const [key] = entries[change.path[depth]! % entries.length]!;
    if (change.kind === 5 && !Array.isArray(v)) delete o[key];
    else o[key] = edit(o[key], depth + 1);
    return v;
  };
  return edit(copy, 0);
}

export const valueChange = fc.record({
  path: fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 4 }),
  kind: fc.nat({ max: 5 }),
  value: anyValue,
});

// ---------------------------------------------------------------- real inputs

/** Every message of the Thunderbird corpus (test/fixtures/thunderbird/eml), as bytes, in name order. */
export function corpusMessages(): Buffer[] {
  const dir = new URL('../fixtures/thunderbird/eml/', import.meta.url);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.eml'))
    .sort()
    .map((n) => readFileSync(new URL(n, dir)));
}

/** Every key file of the Thunderbird corpus (test/fixtures/thunderbird/keys), as bytes, in name order. */
export function corpusKeys(): Buffer[] {
  const dir = new URL('../fixtures/thunderbird/keys/', import.meta.url);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.asc'))
    .sort()
    .map((n) => readFileSync(new URL(n, dir)));
}
