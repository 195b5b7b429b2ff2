// IMAP sync benchmark: our folder sync (imapflow + node:sqlite store) against
// a real Dovecot on loopback, with a hand-written minimal IMAP client as the
// baseline. See test/bench/README.md ("IMAP sync") for what is measured and
// how to read the output.
//
//   node test/bench/sync.ts                    (20,000 messages, 3 runs)
//   node test/bench/sync.ts --messages 2000 --runs 3
//
// Not part of the test suite. Exits 0 whether targets are met or missed;
// non-zero only when something crashed, which includes a wrong result (a
// store that does not end with exactly the server's messages, a first batch
// that is not the newest, a resync that changed something).
//
// Each of our runs is a fresh Node process (this script with --child), so
// that every run starts as cold as the app's first sync and its memory
// figures are not blurred by what earlier runs left in the heap.

import { fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  fchownSync,
  futimesSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { DatabaseSync } from 'node:sqlite';
import type { FetchMessageObject } from 'imapflow';
import { mailServersAvailable, startMailServers, type MailServers } from '../support/servers/mailservers.ts';
import { openStore, transaction } from '../../main/store/database.ts';
import { findFolder, getFolder, upsertFolder, type FolderRow } from '../../main/store/folders.ts';
import { knownUids, upsertMessages } from '../../main/store/messages.ts';
import { Accounts, type Account } from '../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../main/accounts/secret-store.ts';
import { closeImap, connectImap, type ImapSession } from '../../main/mail/imap-session.ts';
import { syncFolderList } from '../../main/sync/folders.ts';
import {
  DEFAULT_BATCH_SIZE,
  LIST_FETCH_QUERY,
  LIST_HEADER_FIELDS,
  messageInput,
  syncFolder,
  uidSet,
  type FolderSyncResult,
} from '../../main/sync/folder-sync.ts';

const USER = 'bench@sealpost.test';
// ASCII only, so that the raw client can send it as a quoted string (RFC 3501 section 4.3).
const PASSWORD = 'bench-password-1';
const MiB = 1 << 20;
const SAMPLE_MS = 10;
const FIRST_BATCH = 100;
const CHILD_FLAG = '--child';
const CHILD_TIMEOUT_MS = 180_000;

const TARGET_NEWEST_MS = 300;
const TARGET_FULL_RATIO = 3;
const TARGET_RESYNC_MS = 100;
const TARGET_MEMORY_MIB = 200;

// ---------------------------------------------------------------------------
// Options

interface Options {
  messages: number;
  runs: number;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { messages: 20_000, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--messages') opts.messages = positive(value(), arg);
    else if (arg === '--runs') opts.runs = positive(value(), arg);
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node test/bench/sync.ts [--messages 20000] [--runs 3]');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  if (opts.messages < FIRST_BATCH + 1) throw new Error(`--messages must be more than ${FIRST_BATCH}`);
  return opts;
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${what}: want a positive integer, got ${text}`);
  return n;
}

// ---------------------------------------------------------------------------
// Small utilities

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const fmtLoad = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadWarning = () =>
  loadavg()[0]! > availableParallelism() / 2 ? `  (busy machine, ${availableParallelism()} cores: figures are noisy)` : '';
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`wrong result: ${what}`);
}

/** A full collection, for an idle figure that is not leftover garbage. */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const fn = runInNewContext('gc') as unknown;
  return typeof fn === 'function' ? (fn as () => void) : () => undefined;
})();

function collect(): void {
  gc();
  gc();
}

/** Deterministic pseudo-random numbers (mulberry32), so every run fills the same mailbox. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------
// Memory: RSS sampled every SAMPLE_MS by a worker thread (the main thread is
// busy parsing and storing during a sync, so its own timers would fire late),
// and the kernel's high-water mark (VmHWM, reset by writing 5 to
// /proc/self/clear_refs, see proc(5)) as a check on what the sampling missed.

class MemoryMeter {
  private readonly peak: BigInt64Array;
  private readonly worker: Worker;
  private hwmResettable = true;

  private constructor(worker: Worker, peak: BigInt64Array) {
    this.worker = worker;
    this.peak = peak;
  }

  /** Resolves once the sampling thread runs, so that its own memory is part of the idle figure. */
  static async create(): Promise<MemoryMeter> {
    const peak = new BigInt64Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const peak = workerData;
       const sample = () => {
         const rss = BigInt(process.memoryUsage.rss());
         if (rss > Atomics.load(peak, 0)) Atomics.store(peak, 0, rss);
       };
       setInterval(sample, ${SAMPLE_MS});
       sample();
       parentPort.postMessage('sampling');`,
      { eval: true, workerData: peak },
    );
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    worker.unref();
    return new MemoryMeter(worker, peak);
  }

  /** Collects, then returns the idle RSS and starts a new peak. */
  start(): number {
    collect();
    const idle = process.memoryUsage.rss();
    Atomics.store(this.peak, 0, BigInt(idle));
    if (this.hwmResettable) {
      try {
        writeFileSync('/proc/self/clear_refs', '5');
      } catch {
        this.hwmResettable = false;
      }
    }
    return idle;
  }

  /** Peak RSS since start(): sampled, and the kernel's high-water mark (null where it cannot be reset). */
  stop(): { sampled: number; hwm: number | null } {
    const now = process.memoryUsage.rss();
    const sampled = Math.max(Number(Atomics.load(this.peak, 0)), now);
    let hwm: number | null = null;
    if (this.hwmResettable) {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) hwm = Number(m[1]) * 1024;
    }
    return { sampled, hwm };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------
// The mailbox: realistic small messages, written straight into the maildir.

const FIRST_NAMES = [
  'Alice',
  'Bob',
  'Carol',
  'Dave',
  'Erin',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
  'Mallory',
  'Niaj',
  'Olivia',
  'Peggy',
  'Rupert',
  'Sybil',
  'Trent',
  'Victor',
  'Walter',
  'Zoë',
  'Jürgen',
  'Søren',
  'Aurélie',
  'Łukasz',
  '陈',
  'Ольга',
];
const LAST_NAMES = [
  'Anders',
  'Becker',
  'Chen',
  'Dubois',
  'Evans',
  'Fischer',
  'García',
  'Hansen',
  'Ito',
  'Jansen',
  'Kowalski',
  'López',
  'Müller',
  'Novak',
  "O'Brien",
  'Petrov',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weber',
];
const DOMAINS = ['example.org', 'example.com', 'mail.example.net', 'lists.example.org', 'corp.example', 'uni.example.edu'];
const TOPICS = [
  'quarterly report',
  'lunch on Friday',
  'key signing party',
  'invoice #{n}',
  'build failure on main',
  'your order {n} has shipped',
  'meeting notes',
  'travel plans',
  'draft for review',
  'holiday photos',
  'new OpenPGP key',
  'security advisory {n}',
  'weekly digest',
  'question about the API',
  're-keying the servers',
  'the "big" migration',
  'Grüße aus Berlin',
  'café budget',
  '会议记录',
  'password rotation',
  'conference CFP',
  'release 2.{n}',
];
const WORDS =
  'the of and to a in is that for it as was with be by on not he this are or his from at which but have an they you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(
    ' ',
  );

type Kind = 'plain' | 'alternative' | 'encrypted' | 'signed' | 'attachment';

interface Generated {
  raw: Buffer;
  /** INTERNALDATE, seconds since the epoch (the file's mtime; the maildir filename's time). */
  received: number;
  /** Maildir info flags, sorted (D F P R S T). */
  flags: string;
  kind: Kind;
}

/** RFC 2047 encoded-word (B or Q) for non-ASCII header text. */
function encodedWord(text: string, q: boolean): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  if (!q) return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  for (const b of bytes) {
    if (b === 0x20) out += '_';
    else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) out += String.fromCharCode(b);
    else out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `=?UTF-8?Q?${out}?=`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 5322 section 3.3 date-time for `seconds` as seen in the zone `offsetMinutes` east of UTC. */
function rfc5322Date(seconds: number, offsetMinutes: number): string {
  const d = new Date((seconds + offsetMinutes * 60) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(offsetMinutes);
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${sign}${two(Math.floor(off / 60))}${two(off % 60)}`;
}

function wrap(words: string[], width = 72): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length + w.length + 1 > width && line) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

function base64Lines(bytes: Buffer): string[] {
  const b64 = bytes.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 64) out.push(b64.slice(i, i + 64));
  return out;
}

/**
 * The mailbox's messages, oldest first, spread over about two years up to
 * a day ago. PGP/MIME ones have the RFC 3156 structure with a fake armor
 * (the bench reads structure, never crypto).
 */
function* generateMessages(count: number): Generator<Generated> {
  const random = rng(0x5ea1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // Stand-ins for ciphertext and attachments: slices of one block of noise (cheap, and no two alike in place).
  const pool = Buffer.from(Array.from({ length: 1 << 16 }, () => int(0, 255)));
  const noise = (n: number) => {
    const at = int(0, pool.length - n);
    return pool.subarray(at, at + n);
  };
  const end = Math.floor(Date.now() / 1000) - 86_400;
  const span = 2 * 365 * 86_400;
  const step = span / count;
  let t = end - span;
  let last = 0;
  const people = Array.from({ length: 300 }, (_, i) => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local =
      `${first}.${last}`
        .normalize('NFD')
        .replace(/[^A-Za-z.]/g, '')
        .toLowerCase() || `user${i}`;
    return { name: `${first} ${last}`, address: `${local}${i % 7 === 0 ? i : ''}@${pick(DOMAINS)}` };
  });
  const nameAddr = (p: { name: string; address: string }, q: boolean) => {
    const r = random();
    if (r < 0.1) return p.address;
    const name = encodedWord(p.name, q);
    return name === p.name && /[^A-Za-z0-9 ]/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}" <${p.address}>` : `${name} <${p.address}>`;
  };
  const subjects: string[] = [];
  for (let i = 0; i < count; i++) {
    t += step * (0.2 + random() * 1.6);
    // Strictly increasing: the maildir names sort by it, and so do the UIDs.
    const received = Math.max(last + 1, Math.round(t));
    last = received;
    const sender = pick(people);
    const q = random() < 0.5;
    const offset = pick([0, 60, 120, -300, -420, 330, 540, -180]);
    const sent = received - int(2, 120);
    let subject: string;
    let inReplyTo: string | null = null;
    if (subjects.length > 10 && random() < 0.3) {
      const j = int(Math.max(0, i - 200), i - 1);
      subject = `${random() < 0.8 ? 'Re: ' : 'Fwd: '}${subjects[j]!.replace(/^(Re|Fwd): /, '')}`;
      inReplyTo = `<${j}.${(j * 2654435761) >>> 0}@${DOMAINS[j % DOMAINS.length]}>`;
    } else {
      subject = pick(TOPICS).replace('{n}', String(int(1, 99_999)));
    }
    subjects.push(subject);
    const r = random();
    const kind: Kind = r < 0.1 ? 'encrypted' : r < 0.2 ? 'signed' : r < 0.35 ? 'alternative' : r < 0.4 ? 'attachment' : 'plain';
    const head = [
      `Return-Path: <${sender.address}>`,
      `Delivered-To: ${USER}`,
      `Received: from mx${int(1, 9)}.${pick(DOMAINS)} (mx.example [192.0.2.${int(1, 254)}])\n\tby mail.sealpost.test (Postfix) with ESMTPS id ${(received * 7919).toString(16).toUpperCase()}\n\tfor <${USER}>; ${rfc5322Date(received, 0)}`,
      `Received: from [198.51.100.${int(1, 254)}] by smtp.example with ESMTPSA; ${rfc5322Date(sent + 1, offset)}`,
      `From: ${nameAddr(sender, q)}`,
      `To: ${random() < 0.2 ? `Bench User <${USER}>` : USER}${random() < 0.3 ? `, ${nameAddr(pick(people), q)}` : ''}`,
      ...(random() < 0.25 ? [`Cc: ${Array.from({ length: int(1, 3) }, () => nameAddr(pick(people), q)).join(',\n ')}`] : []),
      `Subject: ${encodedWord(subject, q)}`,
      `Date: ${rfc5322Date(sent, offset)}`,
      `Message-ID: <${i}.${(i * 2654435761) >>> 0}@${DOMAINS[i % DOMAINS.length]}>`,
      ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`] : []),
      'MIME-Version: 1.0',
    ];
    const text = wrap(Array.from({ length: int(40, 400) }, () => pick(WORDS)));
    const armor = (what: string, bytes: number) => [
      `-----BEGIN PGP ${what}-----`,
      '',
      ...base64Lines(noise(bytes)),
      `=${noise(3).toString('base64')}`,
      `-----END PGP ${what}-----`,
    ];
    const boundary = `b${i.toString(36)}_${int(100_000, 999_999)}`;
    let body: string[];
    switch (kind) {
      case 'plain':
        body = [
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: 8bit',
          '',
          `Hi ${sender.name.split(' ')[0]},`,
          '',
          ...text,
          '',
          '-- ',
          sender.name,
          '',
        ];
        break;
      case 'alternative':
        body = [
          `Content-Type: multipart/alternative; boundary="${boundary}"`,
          '',
          `--${boundary}`,
          'Content-Type: text/plain; charset=utf-8',
          '',
          ...text,
          `--${boundary}`,
          'Content-Type: text/html; charset=utf-8',
          '',
          '<html><body>',
          ...text.map((l) => `<p>${l}</p>`),
          '</body></html>',
          `--${boundary}--`,
          '',
        ];
        break;
      case 'attachment':
        body = [
          `Content-Type: multipart/mixed; boundary="${boundary}"`,
          '',
          `--${boundary}`,
          'Content-Type: text/plain; charset=utf-8',
          '',
          ...text.slice(0, 5),
          `--${boundary}`,
          `Content-Type: application/pdf; name="report-${i}.pdf"`,
          `Content-Disposition: attachment; filename="report-${i}.pdf"`,
          'Content-Transfer-Encoding: base64',
          '',
          ...base64Lines(noise(int(1_000, 6_000))),
          `--${boundary}--`,
          '',
        ];
        break;
      case 'encrypted':
        body = [
          `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${boundary}"`,
          '',
          'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
          `--${boundary}`,
          'Content-Type: application/pgp-encrypted',
          'Content-Description: PGP/MIME version identification',
          '',
          'Version: 1',
          '',
          `--${boundary}`,
          'Content-Type: application/octet-stream; name="encrypted.asc"',
          'Content-Description: OpenPGP encrypted message',
          'Content-Disposition: inline; filename="encrypted.asc"',
          '',
          ...armor('MESSAGE', int(400, 3_000)),
          '',
          `--${boundary}--`,
          '',
        ];
        break;
      case 'signed':
        body = [
          `Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="${boundary}"`,
          '',
          'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)',
          `--${boundary}`,
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          ...text,
          '',
          `--${boundary}`,
          'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"',
          'Content-Description: OpenPGP digital signature',
          'Content-Disposition: attachment; filename="OpenPGP_signature.asc"',
          '',
          ...armor('SIGNATURE', 119),
          '',
          `--${boundary}--`,
          '',
        ];
        break;
    }
    // Maildir stores LF line ends; Dovecot serves CRLF (and counts RFC822.SIZE with it).
    const raw = Buffer.from([...head, ...body].join('\n'), 'utf8');
    const age = count - i;
    // Most older mail is read; the newest mostly not.
    const seen = age > 40 ? random() < 0.93 : random() < 0.3;
    const flags = `${random() < 0.03 ? 'F' : ''}${seen && random() < 0.12 ? 'R' : ''}${seen ? 'S' : ''}`;
    yield { raw, received, flags, kind };
  }
}

interface FillResult {
  files: number;
  bytes: number;
  kinds: Record<Kind, number>;
  deliverMs: number;
  writeMs: number;
}

/**
 * Fills the user's INBOX: the first message through dovecot-lda (which makes
 * the maildir and tells us where it is), the rest written straight into its
 * cur/ as the mail user, named and dated the way Dovecot names delivered
 * mail (`<time>.M<usec>P<pid>.<host>,S=<size>,W=<size with CRLF>:2,<flags>`).
 * Dovecot assigns their UIDs on the next SELECT, in the order of the time in
 * the names: the oldest message gets the lowest UID. The files' mtime is
 * their INTERNALDATE.
 */
async function fillInbox(servers: MailServers, count: number): Promise<FillResult> {
  const kinds: Record<Kind, number> = { plain: 0, alternative: 0, encrypted: 0, signed: 0, attachment: 0 };
  const messages = generateMessages(count);
  const first = messages.next();
  if (first.done) throw new Error('no messages');
  kinds[first.value.kind]++;
  let bytes = first.value.raw.length;
  let t = performance.now();
  await servers.deliver(USER, first.value.raw);
  const deliverMs = performance.now() - t;
  const delivered = await servers.mailFiles(USER);
  check(delivered.length === 1, `one delivered file, found ${delivered.length}`);
  const maildir = dirname(dirname(delivered[0]!));
  const cur = join(maildir, 'cur');
  const owner = statSync(maildir);
  check(owner.uid !== 0, `the maildir ${maildir} belongs to the mail user, not root`);

  t = performance.now();
  let files = 1;
  for (const m of messages) {
    let lines = 0;
    for (let at = m.raw.indexOf(0x0a); at >= 0; at = m.raw.indexOf(0x0a, at + 1)) lines++;
    const name = `${m.received}.M${100_000 + files}P${process.pid}.bench,S=${m.raw.length},W=${m.raw.length + lines}:2,${m.flags}`;
    const fd = openSync(join(cur, name), 'wx', 0o600);
    try {
      writeSync(fd, m.raw);
      fchownSync(fd, owner.uid, owner.gid);
      futimesSync(fd, m.received, m.received);
    } finally {
      closeSync(fd);
    }
    files++;
    bytes += m.raw.length;
    kinds[m.kind]++;
  }
  return { files, bytes, kinds, deliverMs, writeMs: performance.now() - t };
}

// ---------------------------------------------------------------------------
// The baseline: a minimal IMAP client on a TLS socket. It frames responses
// (lines, and literals `{n}` CRLF followed by n bytes, RFC 3501 section 4.3)
// and counts `* n FETCH` responses; it parses nothing else.

interface RawResponse {
  /** Status line of the tagged response. */
  status: string;
  /** Untagged `* n FETCH` responses. */
  fetches: number;
  /** Heads (first 200 bytes) of the other untagged responses. */
  untagged: string[];
  /** Bytes received for the command. */
  bytes: number;
}

const LITERAL_AT_END = /\{(\d+)\+?\}\r?\n$/;
const FETCH_HEAD = /^\* \d+ FETCH /;

class RawImap {
  private readonly socket: TLSSocket;
  private literalLeft = 0;
  private pending: Buffer[] = [];
  private atResponseStart = true;
  private head = '';
  private nextTag = 1;
  private waiter: { tag: string; resolve: (r: RawResponse) => void; reject: (e: Error) => void; response: RawResponse } | null = null;
  private failure: Error | null = null;

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the IMAP connection closed')));
  }

  static connect(port: number, ca: string): Promise<{ client: RawImap; greeting: string }> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', minVersion: 'TLSv1.2' });
      const client = new RawImap(socket);
      // The greeting is an untagged response before any command.
      client.waiter = {
        tag: '*',
        resolve: (r) => resolve({ client, greeting: r.status }),
        reject,
        response: { status: '', fetches: 0, untagged: [], bytes: 0 },
      };
    });
  }

  /** Sends one command line and resolves with its tagged response (rejects unless it is OK). */
  command(text: string): Promise<RawResponse> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('one command at a time'));
    const tag = `a${this.nextTag++}`;
    return new Promise((resolve, reject) => {
      this.waiter = { tag, resolve, reject, response: { status: '', fetches: 0, untagged: [], bytes: 0 } };
      this.socket.write(`${tag} ${text}\r\n`);
    });
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      // closing anyway
    }
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }

  private receive(chunk: Buffer): void {
    if (this.waiter) this.waiter.response.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, chunk.length - pos);
        this.literalLeft -= n;
        pos += n;
        continue;
      }
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        this.pending.push(chunk.subarray(pos));
        break;
      }
      const piece = chunk.subarray(pos, nl + 1);
      pos = nl + 1;
      const line = this.pending.length > 0 ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      if (this.atResponseStart) this.head = line.toString('latin1', 0, Math.min(line.length, 200));
      const literal = LITERAL_AT_END.exec(line.toString('latin1', Math.max(0, line.length - 24)));
      if (literal) {
        this.literalLeft = Number(literal[1]);
        this.atResponseStart = false;
        continue;
      }
      this.atResponseStart = true;
      this.response(this.head);
    }
  }

  /** One complete response (its head). */
  private response(head: string): void {
    const w = this.waiter;
    if (!w) return;
    if (w.tag === '*') {
      this.waiter = null;
      w.response.status = head.trim();
      if (head.startsWith('* OK')) w.resolve(w.response);
      else w.reject(new Error(`IMAP greeting: ${head.trim()}`));
      return;
    }
    if (head.startsWith('* ')) {
      if (FETCH_HEAD.test(head)) w.response.fetches++;
      else w.response.untagged.push(head.trim());
      return;
    }
    if (head.startsWith(`${w.tag} `)) {
      this.waiter = null;
      w.response.status = head.trim();
      if (head.startsWith(`${w.tag} OK`)) w.resolve(w.response);
      else w.reject(new Error(`IMAP: ${head.trim()}`));
    }
  }
}

/**
 * What our sync asks for each message (folder-sync.ts step 4), as imapflow
 * sends it to this server: MODSEQ is added by imapflow once CONDSTORE is
 * enabled (RFC 7162 section 3.1.4), which it always enables.
 */
/** The items syncFolder fetches (LIST_FETCH_QUERY) as imapflow sends them. */
const FETCH_ITEMS = `(UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ BODY.PEEK[HEADER.FIELDS (${LIST_HEADER_FIELDS.map((f) => f.toUpperCase()).join(' ')})])`;

interface RawRun {
  connectMs: number;
  loginMs: number;
  examineMs: number;
  fetchMs: number;
  fetches: number;
  bytes: number;
  exists: number;
}

async function rawFetchAll(servers: MailServers): Promise<RawRun> {
  let t = performance.now();
  const { client } = await RawImap.connect(servers.imap.tlsPort, servers.ca);
  const connectMs = performance.now() - t;
  try {
    t = performance.now();
    await client.command(`LOGIN "${USER}" "${PASSWORD}"`);
    await client.command('ENABLE CONDSTORE');
    const loginMs = performance.now() - t;
    t = performance.now();
    // EXAMINE, as our sync opens folders read-only: nothing on the server changes between runs.
    const examined = await client.command('EXAMINE INBOX');
    const examineMs = performance.now() - t;
    const existsLine = examined.untagged.find((l) => / EXISTS$/.test(l));
    const exists = Number(/^\* (\d+) EXISTS/.exec(existsLine ?? '')?.[1] ?? NaN);
    t = performance.now();
    const fetched = await client.command(`UID FETCH 1:* ${FETCH_ITEMS}`);
    const fetchMs = performance.now() - t;
    return { connectMs, loginMs, examineMs, fetchMs, fetches: fetched.fetches, bytes: fetched.bytes, exists };
  } finally {
    await client.logout();
  }
}

// ---------------------------------------------------------------------------
// Our sync, one run per child process

/** What a child needs to reach the servers. */
interface Target {
  imapsPort: number;
  smtpsPort: number;
  ca: string;
}

interface Profile {
  home: string;
  db: DatabaseSync;
  account: Account;
  password: string;
}

async function newProfile(root: string, target: Target, n: number): Promise<Profile> {
  const home = join(root, `profile-${n}`);
  const db = openStore(home);
  const accounts = new Accounts(db, new MemorySecretStore());
  const account = await accounts.add({
    email: USER,
    imap: `imaps://127.0.0.1:${target.imapsPort}`,
    smtp: `smtps://127.0.0.1:${target.smtpsPort}`,
    user: USER,
    password: PASSWORD,
    caPem: target.ca,
  });
  return { home, db, account, password: await accounts.password(USER) };
}

interface OurRun {
  batchSize: number;
  loginMs: number;
  listMs: number;
  /** From the start of the sync call until the first batch is stored. */
  firstBatchMs: number;
  /** From the start of the login until the first batch is stored. */
  newestMs: number;
  /** The syncFolder call. */
  fullMs: number;
  idleRss: number;
  peakSampled: number;
  peakHwm: number | null;
  /** V8's heap (total, used) and memory outside it (external) when the first sync ended, before any collection. */
  heapTotalEnd: number;
  heapUsedEnd: number;
  externalEnd: number;
  resyncMs: number;
  loginResyncMs: number;
  /** Resyncs that were not CONDSTORE no-ops, with what the server said. */
  notes: string[];
}

const descending = (uids: readonly string[]) => uids.map(Number).sort((a, b) => b - a);

/** What imapflow took from the last SELECT/EXAMINE, for the message of a wrong result. */
function examined(session: ImapSession): string {
  const m = session.client.mailbox;
  return m
    ? JSON.stringify({
        uidValidity: String(m.uidValidity),
        exists: m.exists,
        uidNext: m.uidNext,
        highestModseq: String(m.highestModseq),
        noModseq: m.noModseq ?? false,
      })
    : 'no mailbox';
}

/** A digest of everything stored for a folder's messages (the raw bytes aside: a metadata sync never has them). */
function storeDigest(db: DatabaseSync, folderId: number): string {
  const hash = createHash('sha256');
  const rows = db
    .prepare(
      `SELECT uid, modseq, message_id, in_reply_to, from_addr, to_addrs, cc_addrs, subject, date, internal_date, flags, size, security
       FROM messages WHERE folder_id = ? ORDER BY CAST(uid AS INTEGER)`,
    )
    .all(folderId);
  for (const row of rows) hash.update(JSON.stringify(row));
  return hash.digest('hex');
}

/**
 * A resync with nothing changed on the server must leave the store as it
 * was. It should also be a CONDSTORE no-op (RFC 7162 section 3.1.2.1: an
 * unchanged HIGHESTMODSEQ); when it is not, it re-reads every flag, which
 * is slower but right: that is returned as a note, not failed.
 */
function checkUnchanged(
  r: FolderSyncResult,
  what: string,
  db: DatabaseSync,
  before: { row: FolderRow | null; digest: string },
  session: ImapSession,
  first: string,
): string | null {
  const context = () =>
    `the folder before it: uidvalidity ${before.row?.uidvalidity}, uidnext ${before.row?.uidnext}, highestmodseq ${before.row?.highestmodseq}; ` +
    `EXAMINE said ${examined(session)}, and ${first} in the first sync`;
  check(
    r.added === 0 && r.removed === 0 && r.cleared === 0 && !r.uidvalidityChanged,
    `${what} added or removed messages: ${JSON.stringify(r)}; ${context()}`,
  );
  check(storeDigest(db, before.row!.id) === before.digest, `${what} changed what is stored: ${JSON.stringify(r)}; ${context()}`);
  if (r.flagsUpdated === 0) return null;
  return `${what} wrote the flags of ${r.flagsUpdated} messages again (${r.condstore ? 'CHANGEDSINCE' : 'no CONDSTORE state'}); ${context()}`;
}

/**
 * As the app does it: login, folder list, first sync of INBOX into a fresh
 * store; then a resync on the same connection and one after a new login.
 */
async function ourRun(job: SyncJob): Promise<OurRun> {
  const { batchSize, expected } = job;
  const meter = await MemoryMeter.create();
  const profile = await newProfile(job.root, job.target, job.n);
  const { db } = profile;
  let session: ImapSession | null = null;
  try {
    const idleRss = meter.start();
    const t0 = performance.now();
    session = await connectImap(profile.account, profile.password);
    const tLogin = performance.now();
    await syncFolderList(db, profile.account.id, session);
    const inbox = findFolder(db, profile.account.id, 'INBOX');
    if (!inbox) throw new Error('no INBOX after the folder list');
    const tList = performance.now();
    let tFirst = 0;
    let firstUids: number[] = [];
    const result = await syncFolder(db, session, inbox, {
      batchSize,
      onProgress: (p) => {
        if (tFirst === 0 && p.done > 0 && p.done >= Math.min(FIRST_BATCH, p.total)) {
          tFirst = performance.now();
          firstUids = descending(knownUids(db, inbox.id));
        }
      },
    });
    const tEnd = performance.now();
    const mem = meter.stop();
    const heap = process.memoryUsage();
    const first = examined(session);

    // The right result: every message once, and the first batch the newest.
    const stored = descending(knownUids(db, inbox.id));
    check(result.added === expected, `the first sync added ${result.added}, want ${expected}`);
    check(stored.length === expected, `the store holds ${stored.length} messages, want ${expected}`);
    check(new Set(stored).size === stored.length, 'a UID is stored twice');
    check(
      getFolder(db, inbox.id)?.totalCount === expected,
      `the folder's count is ${getFolder(db, inbox.id)?.totalCount}, want ${expected}`,
    );
    check(firstUids.length >= FIRST_BATCH, `the first batch stored ${firstUids.length} messages, want at least ${FIRST_BATCH}`);
    const newest = stored.slice(0, firstUids.length);
    check(
      firstUids.every((u, i) => u === newest[i]),
      `the first batch was not the ${firstUids.length} highest UIDs (got ${firstUids.slice(0, 3).join(',')}..., want ${newest.slice(0, 3).join(',')}...)`,
    );

    // Resync, nothing changed: the call alone on the logged-in session...
    const notes: string[] = [];
    let before = { row: getFolder(db, inbox.id), digest: storeDigest(db, inbox.id) };
    let t = performance.now();
    const resynced = await syncFolder(db, session, inbox, { batchSize });
    const resyncMs = performance.now() - t;
    const note1 = checkUnchanged(resynced, 'the resync on the same connection', db, before, session, first);
    if (note1) notes.push(note1);
    await closeImap(session);
    session = null;
    // ...and a new login followed by the resync (what a restart of the app does for this folder).
    before = { row: getFolder(db, inbox.id), digest: storeDigest(db, inbox.id) };
    t = performance.now();
    session = await connectImap(profile.account, profile.password);
    const relogged = await syncFolder(db, session, findFolder(db, profile.account.id, 'INBOX') as FolderRow, { batchSize });
    const loginResyncMs = performance.now() - t;
    const note2 = checkUnchanged(relogged, 'the resync after a new login', db, before, session, first);
    if (note2) notes.push(note2);

    return {
      batchSize,
      loginMs: tLogin - t0,
      listMs: tList - tLogin,
      firstBatchMs: tFirst - tList,
      newestMs: tFirst - t0,
      fullMs: tEnd - tList,
      idleRss,
      peakSampled: mem.sampled,
      peakHwm: mem.hwm,
      heapTotalEnd: heap.heapTotal,
      heapUsedEnd: heap.heapUsed,
      externalEnd: heap.external,
      resyncMs,
      loginResyncMs,
      notes,
    };
  } finally {
    if (session) await closeImap(session);
    db.close();
    await meter.close();
    await rm(profile.home, { recursive: true, force: true });
  }
}

interface PartsRun {
  /**
   * imapflow alone: the FETCH commands a first sync sends (UID SEARCH ALL,
   * then batches of DEFAULT_BATCH_SIZE UIDs, newest first, the same items),
   * every message parsed, nothing stored.
   */
  imapflowMs: number;
  /** The store alone: the same messages written in transactions of DEFAULT_BATCH_SIZE, as syncFolder writes them. */
  storeMs: number;
}

/** Where the time of a full sync goes: imapflow's share and the store's share, measured apart. */
async function partsRun(job: PartsJob): Promise<PartsRun> {
  const profile = await newProfile(job.root, job.target, job.n);
  const { db } = profile;
  try {
    const session = await connectImap(profile.account, profile.password);
    const fetched: FetchMessageObject[] = [];
    let imapflowMs: number;
    try {
      const { client } = session;
      await client.mailboxOpen('INBOX', { readOnly: true });
      const t = performance.now();
      const uids = await client.search({ all: true }, { uid: true });
      if (!Array.isArray(uids)) throw new Error('UID SEARCH ALL failed');
      uids.sort((a, b) => b - a);
      for (let i = 0; i < uids.length; i += DEFAULT_BATCH_SIZE) {
        const batch = uids.slice(i, i + DEFAULT_BATCH_SIZE);
        const range = uidSet(batch);
        for await (const m of client.fetch(range, LIST_FETCH_QUERY, { uid: true })) {
          fetched.push(m);
        }
      }
      imapflowMs = performance.now() - t;
    } finally {
      await closeImap(session);
    }
    check(fetched.length === job.expected, `imapflow fetched ${fetched.length} messages, want ${job.expected}`);
    const folder = upsertFolder(db, profile.account.id, { path: 'INBOX', delimiter: '/', role: 'inbox' });
    const t = performance.now();
    for (let i = 0; i < fetched.length; i += DEFAULT_BATCH_SIZE) {
      const inputs = fetched.slice(i, i + DEFAULT_BATCH_SIZE).map(messageInput);
      transaction(db, () => upsertMessages(db, folder.id, inputs));
    }
    const storeMs = performance.now() - t;
    check(knownUids(db, folder.id).length === job.expected, 'the store-alone run did not store every message');
    return { imapflowMs, storeMs };
  } finally {
    db.close();
    await rm(profile.home, { recursive: true, force: true });
  }
}

interface SyncJob {
  kind: 'sync';
  target: Target;
  root: string;
  n: number;
  batchSize: number;
  expected: number;
}

interface PartsJob {
  kind: 'parts';
  target: Target;
  root: string;
  n: number;
  expected: number;
}

type Job = SyncJob | PartsJob;

const SCRIPT = fileURLToPath(import.meta.url);

/** Runs one job in a fresh Node process (this script with CHILD_FLAG) and returns its result. */
function inChild<T>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(SCRIPT, [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: { ok: true; value: T } | { ok: false; error: string } | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('message', (m) => {
      result = m as typeof result;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result?.ok) resolve(result.value);
      else
        reject(
          new Error(
            `the ${job.kind} run ${job.n} failed: ${result && !result.ok ? result.error : `exited ${code ?? signal} without a result`}`,
          ),
        );
    });
    child.send(job);
  });
}

function childMain(): void {
  // The parent gone (killed, crashed): nothing to report to.
  process.on('disconnect', () => process.exit(1));
  process.once('message', (job: Job) => {
    const work: Promise<unknown> = job.kind === 'sync' ? ourRun(job) : partsRun(job);
    work.then(
      (value) => process.send!({ ok: true, value }, () => process.exit(0)),
      (e: unknown) => process.send!({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1)),
    );
  });
}

// ---------------------------------------------------------------------------

/**
 * The servers' folder (maildir, Dovecot's indexes) goes on tmpfs when there
 * is one: the server stands in for a remote one, and the disk's speed is not
 * what is measured (writing 20,000 files to a busy disk takes seconds, and
 * varies). Our store stays in the usual temp dir, on the disk where a
 * profile would be.
 */
const SERVER_TMP = (() => {
  try {
    accessSync('/dev/shm', fsConstants.W_OK);
    return statSync('/dev/shm').isDirectory() ? '/dev/shm' : null;
  } catch {
    return null;
  }
})();

async function startServersOnTmpfs(): Promise<MailServers> {
  const saved = process.env.TMPDIR;
  if (SERVER_TMP) process.env.TMPDIR = SERVER_TMP;
  try {
    return await startMailServers();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const why = mailServersAvailable();
  if (why) throw new Error(`the mail servers cannot run here: ${why}`);
  const dovecotVersion = spawnSync('/usr/sbin/dovecot', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`IMAP sync benchmark: ${opts.messages} messages in INBOX, ${opts.runs} runs of each measurement`);
  console.log(`  node ${process.version}, Dovecot ${dovecotVersion}, ${availableParallelism()} cores, load ${fmtLoad()}${loadWarning()}`);
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'sealpost-syncbench-'));
  let servers: MailServers | null = null;
  try {
    const t = performance.now();
    servers = await startServersOnTmpfs();
    await servers.addUser(USER, PASSWORD);
    console.log(`  servers up in ${ms(performance.now() - t)} ms; mail in ${SERVER_TMP ?? tmpdir()}, our stores in ${root}`);

    const fill = await fillInbox(servers, opts.messages);
    console.log(
      `  fill: ${fill.files} messages, ${mib(fill.bytes)} MiB (${Object.entries(fill.kinds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}): ` +
        `1 by dovecot-lda in ${ms(fill.deliverMs)} ms, ${fill.files - 1} generated and written into the maildir in ${ms(fill.writeMs)} ms`,
    );
    // Dovecot indexes on first use: the first EXAMINE assigns UIDs (a maildir scan), the first full FETCH parses
    // every message and fills its cache. Every measured run sees that warm state, as with a mailbox in use.
    const index = await rawFetchAll(servers);
    check(index.exists === opts.messages, `the server says ${index.exists} messages exist, want ${opts.messages}`);
    check(index.fetches === opts.messages, `the first FETCH returned ${index.fetches} messages, want ${opts.messages}`);
    console.log(
      `  Dovecot indexing: first EXAMINE ${ms(index.examineMs)} ms, first full FETCH ${ms(index.fetchMs)} ms; ` +
        `filling took ${((fill.deliverMs + fill.writeMs + index.examineMs + index.fetchMs) / 1000).toFixed(2)} s in all`,
    );

    // The baseline.
    const raw: RawRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const r = await rawFetchAll(servers);
      check(r.fetches === opts.messages, `the raw FETCH returned ${r.fetches} messages, want ${opts.messages}`);
      raw.push(r);
      console.log(
        `  raw run ${i + 1}: connect ${ms(r.connectMs)} ms, login ${ms(r.loginMs)} ms, EXAMINE ${ms(r.examineMs)} ms, ` +
          `UID FETCH 1:* ${ms(r.fetchMs)} ms (${r.fetches} FETCH responses, ${mib(r.bytes)} MiB)`,
      );
    }

    const target: Target = { imapsPort: servers.imap.tlsPort, smtpsPort: servers.submission.tlsPort, ca: servers.ca };
    let n = 0;
    // Ours, with the app's batch size and with batches of FIRST_BATCH (the newest-first figure), alternating.
    const runs: OurRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      for (const batchSize of [DEFAULT_BATCH_SIZE, FIRST_BATCH]) {
        const r = await inChild<OurRun>({ kind: 'sync', target, root, n: ++n, batchSize, expected: opts.messages });
        runs.push(r);
        console.log(
          `  ours run ${i + 1} batch ${batchSize}: login ${ms(r.loginMs)} ms, folder list ${ms(r.listMs)} ms, first batch ${ms(r.firstBatchMs)} ms ` +
            `(newest ${ms(r.newestMs)} ms from login), full sync ${ms(r.fullMs)} ms, resync ${ms(r.resyncMs)} ms, login+resync ${ms(r.loginResyncMs)} ms, ` +
            `RSS idle ${mib(r.idleRss)} peak ${mib(r.peakSampled)} (VmHWM ${r.peakHwm === null ? 'n/a' : mib(r.peakHwm)}) MiB, ` +
            `V8 heap at the end ${mib(r.heapUsedEnd)} used of ${mib(r.heapTotalEnd)}, external ${mib(r.externalEnd)} MiB`,
        );
        for (const note of r.notes) console.log(`    note: ${note}`);
      }
    }
    const parts: PartsRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const r = await inChild<PartsRun>({ kind: 'parts', target, root, n: ++n, expected: opts.messages });
      parts.push(r);
      console.log(
        `  parts run ${i + 1}: imapflow alone (the same FETCHes in batches of ${DEFAULT_BATCH_SIZE}, nothing stored) ${ms(r.imapflowMs)} ms, store alone (the same transactions) ${ms(r.storeMs)} ms`,
      );
    }

    const rawFetch = median(raw.map((r) => r.fetchMs));
    const at = (size: number) => runs.filter((r) => r.batchSize === size);
    const app = at(DEFAULT_BATCH_SIZE);
    const small = at(FIRST_BATCH);
    const full = median(app.map((r) => r.fullMs));
    const fullSmall = median(small.map((r) => r.fullMs));
    const newest = median(small.map((r) => r.newestMs));
    const resync = median(runs.map((r) => r.resyncMs));
    const loginResync = median(runs.map((r) => r.loginResyncMs));
    const above = (r: OurRun) => Math.max(r.peakSampled, r.peakHwm ?? 0) - r.idleRss;
    const worstAbove = Math.max(...runs.map(above));
    const hwms = runs.filter((r) => r.peakHwm !== null);

    console.log(`\nMedians (ms), ${opts.messages} messages:`);
    console.log(
      `  raw client   UID FETCH 1:* ${ms(rawFetch)}, EXAMINE + FETCH ${ms(median(raw.map((r) => r.examineMs + r.fetchMs)))}, login ${ms(median(raw.map((r) => r.loginMs)))}`,
    );
    console.log(
      `  ours         full sync ${ms(full)} with batches of ${DEFAULT_BATCH_SIZE} (ours/raw ${(full / rawFetch).toFixed(2)}), ` +
        `${ms(fullSmall)} with batches of ${FIRST_BATCH} (${(fullSmall / rawFetch).toFixed(2)})`,
    );
    console.log(
      `               newest ${FIRST_BATCH}: ${ms(newest)} from the start of the login (login ${ms(median(small.map((r) => r.loginMs)))}, ` +
        `folder list ${ms(median(small.map((r) => r.listMs)))}, first batch ${ms(median(small.map((r) => r.firstBatchMs)))})`,
    );
    console.log(`               unchanged resync ${ms(resync)} on the logged-in session, ${ms(loginResync)} with a new login`);
    const fallbacks = runs.reduce((n, r) => n + r.notes.length, 0);
    if (fallbacks > 0)
      console.log(
        `               (${fallbacks} of ${runs.length * 2} resyncs re-read flags instead of a CONDSTORE no-op: see the notes above)`,
      );
    console.log(
      `  parts        imapflow alone ${ms(median(parts.map((r) => r.imapflowMs)))} (${(median(parts.map((r) => r.imapflowMs)) / rawFetch).toFixed(2)} x raw), ` +
        `store alone ${ms(median(parts.map((r) => r.storeMs)))}`,
    );
    console.log(
      `  memory       idle RSS ${mib(median(runs.map((r) => r.idleRss)))} MiB, peak RSS ${mib(Math.max(...runs.map((r) => r.peakSampled)))} MiB ` +
        `(process.memoryUsage().rss every ${SAMPLE_MS} ms); above idle: ${mib(Math.max(...runs.map((r) => r.peakSampled - r.idleRss)))} MiB sampled` +
        `${hwms.length ? `, ${mib(Math.max(...hwms.map((r) => r.peakHwm! - r.idleRss)))} MiB by VmHWM` : ''}`,
    );

    console.log('');
    console.log(
      `  ${verdict(newest < TARGET_NEWEST_MS)}  newest ${FIRST_BATCH} stored ${ms(newest)} ms after the login started (target < ${TARGET_NEWEST_MS} ms)`,
    );
    console.log(
      `  ${verdict(full <= TARGET_FULL_RATIO * rawFetch)}  full sync ${ms(full)} ms = ${(full / rawFetch).toFixed(2)} x the raw FETCH's ${ms(rawFetch)} ms (target <= ${TARGET_FULL_RATIO}x)`,
    );
    console.log(
      `  ${verdict(resync < TARGET_RESYNC_MS)}  unchanged resync ${ms(resync)} ms on the logged-in session (target < ${TARGET_RESYNC_MS} ms; ${ms(loginResync)} ms with a new login)`,
    );
    console.log(
      `  ${verdict(worstAbove / MiB < TARGET_MEMORY_MIB)}  memory ${mib(worstAbove)} MiB peak RSS above idle, worst first sync (target < ${TARGET_MEMORY_MIB} MiB)`,
    );
  } catch (e) {
    // A wrong result may be the server's doing: its logs go with the error.
    if (servers) console.error(`\nthe servers' logs:\n${await servers.logs()}`);
    throw e;
  } finally {
    const t = performance.now();
    await servers?.close();
    await rm(root, { recursive: true, force: true });
    console.log(
      `\n  total ${((performance.now() - started) / 1000).toFixed(1)} s (servers closed in ${ms(performance.now() - t)} ms), load ${fmtLoad()}${loadWarning()}`,
    );
  }
}

if (process.argv.includes(CHILD_FLAG)) {
  childMain();
} else {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`\nbench crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
