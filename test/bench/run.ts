// Encrypt/decrypt benchmark: our keyring (openpgp.js in a worker thread, over
// the port protocol) against GnuPG on the same machine, in the same run.
// See test/bench/README.md for what is measured and how to read the output.
//
//   npm run bench                      (= node test/bench/run.ts)
//   node test/bench/run.ts --sizes 1,25 --runs 3 --big-runs 2
//
// Not part of the test suite. Exits 0 whether targets are met or missed;
// non-zero only when something crashed (a wrong result is a crash).

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startKeyringWorker, type RunningKeyring } from '../../main/keyring-host/worker-keyring.ts';

const MiB = 1 << 20;
const TIME_TARGET_RATIO = 2;
const MEMORY_TARGET_MIB = 64;
const MEMORY_TARGET_SIZE_MIB = 100;
const SAMPLE_MS = 10;
const PASSPHRASE = 'pw';
const EMAIL = 'bench@example.org';

// ---------------------------------------------------------------------------
// Options

interface Options {
  sizes: number[]; // MiB
  runs: number; // for sizes below 100 MiB
  bigRuns: number; // for sizes of 100 MiB and up
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { sizes: [1, 25, 100], runs: 3, bigRuns: 2 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--sizes')
      opts.sizes = value()
        .split(',')
        .map((s) => positive(s, arg));
    else if (arg === '--runs') opts.runs = positive(value(), arg);
    else if (arg === '--big-runs') opts.bigRuns = positive(value(), arg);
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node test/bench/run.ts [--sizes 1,25,100] [--runs 3] [--big-runs 2]   (sizes in MiB)');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  return opts;
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what}: expected a positive integer, got ${text}`);
  return n;
}

// ---------------------------------------------------------------------------
// Helpers

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** RSS right now, after a full GC of this thread's heap (the worker's heap cannot be collected from here). */
async function idleRss(): Promise<number> {
  globalThis.gc?.();
  await sleep(50);
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

/** Track the peak RSS while `fn` runs, sampling every 10 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  }, SAMPLE_MS);
  timer.unref();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

async function makePlaintext(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'w', 0o600);
  try {
    for (let written = 0; written < bytes;) {
      const chunk = randomBytes(Math.min(MiB, bytes - written));
      hash.update(chunk);
      await fh.write(chunk);
      written += chunk.length;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

async function hashFile(path: string): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hash: hash.digest('hex'), bytes };
}

/**
 * The SHA-256 of a file, computed by `sha256sum` in a child process: hashing
 * gpg's 100 MiB outputs here would grow this process's RSS (freed buffers
 * stay with the allocator) and inflate our memory figures. In-process when
 * `sha256sum` is missing.
 */
async function hashFileOutside(path: string): Promise<{ hash: string; bytes: number }> {
  const out = spawnSync('sha256sum', ['-b', path], { encoding: 'utf8' });
  if (out.status !== 0 || out.error) return hashFile(path);
  return { hash: out.stdout.split(' ')[0]!, bytes: (await stat(path)).size };
}

const fileStream = (path: string) => Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;

// ---------------------------------------------------------------------------
// Our keyring

async function oursEncrypt(kr: RunningKeyring, fpr: string, input: string, output: string): Promise<void> {
  const call = kr.client.stream('crypto.encrypt', { recipients: { refs: [fpr], material: [] }, armor: false }, fileStream(input));
  await call.output.pipeTo(Writable.toWeb(createWriteStream(output, { mode: 0o600 })) as WritableStream<Uint8Array>);
  await call.result;
}

async function oursDecrypt(kr: RunningKeyring, input: string, expect: { hash: string; bytes: number }): Promise<void> {
  const call = kr.client.stream('crypto.decrypt', { useStoredKeys: true, useStoredCerts: true }, fileStream(input));
  const hash = createHash('sha256');
  let bytes = 0;
  const reader = call.output.getReader();
  let readError: unknown = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      bytes += value.length;
    }
  } catch (e) {
    readError = e;
  }
  const result = await call.result;
  if (readError) throw readError;
  if (result.status !== 'decrypted') throw new Error(`our decrypt: status ${result.status} (${JSON.stringify(result)})`);
  const digest = hash.digest('hex');
  if (bytes !== expect.bytes || digest !== expect.hash) {
    throw new Error(
      `our decrypt returned wrong plaintext: ${bytes} bytes, sha256 ${digest}; expected ${expect.bytes} bytes, sha256 ${expect.hash}`,
    );
  }
}

// ---------------------------------------------------------------------------
// GnuPG

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}`));
    });
  });
}

class Gpg {
  readonly home: string;
  private readonly env: NodeJS.ProcessEnv;
  constructor(home: string) {
    this.home = home;
    this.env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
  }
  static version(): string {
    const out = spawnSync('gpg', ['--version'], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`gpg --version failed: ${out.error?.message ?? out.stderr}`);
    return out.stdout.split('\n')[0]!.trim();
  }
  async generate(): Promise<void> {
    await run(
      'gpg',
      ['--batch', '--passphrase', '', '--quick-gen-key', `Bench <${EMAIL}>`, 'future-default', 'default', 'never'],
      this.env,
    );
  }
  encrypt(input: string, output: string, compress: boolean): Promise<void> {
    const args = [
      '--batch',
      '--yes',
      '--trust-model',
      'always',
      ...(compress ? [] : ['--compress-algo', 'none']),
      '-r',
      EMAIL,
      '-o',
      output,
      '-e',
      input,
    ];
    return run('gpg', args, this.env);
  }
  decrypt(input: string, output: string): Promise<void> {
    return run('gpg', ['--batch', '--yes', '-o', output, '-d', input], this.env);
  }
  killAgent(): void {
    spawnSync('gpgconf', ['--homedir', this.home, '--kill', 'gpg-agent'], { env: this.env, stdio: 'ignore' });
  }
}

// ---------------------------------------------------------------------------
// Measurement

type Op = 'encrypt' | 'decrypt';

interface Row {
  sizeMiB: number;
  op: Op;
  ours: number[]; // ms
  gpg: number[]; // ms, gpg default (compression on)
  gpgNoCompress: number[]; // ms, --compress-algo none
  peakAboveIdle: number[]; // bytes, peak RSS minus RSS just before the operation
  peakAboveWarm: number[]; // bytes, peak RSS minus the idle RSS after warm-up
  idle: number[]; // bytes, RSS just before the operation
  cipherBytes: { ours: number; gpg: number; gpgNoCompress: number };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function measureOurs(fn: () => Promise<void>): Promise<{ ms: number; idle: number; peak: number }> {
  const idle = await idleRss();
  const { value: ms, peak } = await withPeakRss(() => timed(fn));
  return { ms, idle, peak };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const gpgVersion = Gpg.version();
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'sealpost-bench-'));
  const gpgHome = join(work, 'gnupg');
  const gpg = new Gpg(gpgHome);
  let kr: RunningKeyring | null = null;
  let cleaned = false;
  const cleanupSync = () => {
    if (cleaned) return;
    cleaned = true;
    gpg.killAgent();
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => {
    cleanupSync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    console.log(`Sealpost encrypt/decrypt benchmark`);
    console.log(`  baseline: ${gpgVersion} (${spawnSync('gpg', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[1]?.trim()})`);
    console.log(`  ours:     openpgp.js keyring in a worker thread, over the port protocol (Node ${process.version})`);
    console.log(
      `  sizes ${opts.sizes.map((s) => `${s} MiB`).join(', ')}; ${opts.runs} runs each, ${opts.bigRuns} for >= 100 MiB; median times\n`,
    );

    // Plaintexts: random bytes, written once.
    const plain = new Map<number, { path: string; hash: string; bytes: number }>();
    for (const size of opts.sizes) {
      const path = join(work, `plain-${size}`);
      plain.set(size, { path, hash: await makePlaintext(path, size * MiB), bytes: size * MiB });
    }
    const warmPath = join(work, 'plain-warm');
    const warm = { path: warmPath, hash: await makePlaintext(warmPath, 1024), bytes: 1024 };

    // gpg: its own home and key, warmed up (agent started) with a 1 KB round trip.
    await mkdir(gpgHome, { mode: 0o700 });
    await gpg.generate();
    await gpg.encrypt(warm.path, join(work, 'warm.gpg'), true);
    await gpg.decrypt(join(work, 'warm.gpg'), join(work, 'warm.gpg.out'));
    if ((await hashFileOutside(join(work, 'warm.gpg.out'))).hash !== warm.hash)
      throw new Error('gpg warm-up round trip returned wrong plaintext');

    // Ours: keyring with a profile in the work dir, a passphrase-protected key unlocked for the session.
    kr = startKeyringWorker(join(work, 'profile'));
    const key = await kr.client.call('keys.generate', {
      name: 'Bench',
      email: EMAIL,
      algo: 'curve25519',
      expiresInSeconds: null,
      passphrase: PASSPHRASE,
    });
    const fpr = key.fingerprint;
    await kr.client.call('session.unlock', { fingerprint: fpr, passphrase: PASSPHRASE });
    await oursEncrypt(kr, fpr, warm.path, join(work, 'warm.ours'));
    await oursDecrypt(kr, join(work, 'warm.ours'), warm);
    const warmIdle = await idleRss();
    console.log(`  idle RSS after warm-up: ${fmtMiB(warmIdle)} MiB (main thread + keyring worker)`);
    console.log(`  load average at start: ${fmtLoad()}${loadWarning()}\n`);

    const rows: Row[] = [];
    for (const size of opts.sizes) {
      const p = plain.get(size)!;
      const runs = size >= MEMORY_TARGET_SIZE_MIB ? opts.bigRuns : opts.runs;
      const newRow = (op: Op): Row => ({
        sizeMiB: size,
        op,
        ours: [],
        gpg: [],
        gpgNoCompress: [],
        peakAboveIdle: [],
        peakAboveWarm: [],
        idle: [],
        cipherBytes: { ours: 0, gpg: 0, gpgNoCompress: 0 },
      });
      const enc = newRow('encrypt');
      const dec = newRow('decrypt');
      const oursCt = join(work, `ct-${size}.ours`);
      const gpgCt = join(work, `ct-${size}.gpg`);
      const gpgCtNc = join(work, `ct-${size}.nc.gpg`);
      const gpgOut = join(work, `out-${size}.gpg`);
      for (let i = 0; i < runs; i++) {
        process.stdout.write(`  ${size} MiB run ${i + 1}/${runs} ...`);
        // Ours: encrypt then decrypt (decrypt reads and checks what encrypt wrote).
        const e = await measureOurs(() => oursEncrypt(kr!, fpr, p.path, oursCt));
        enc.ours.push(e.ms);
        enc.idle.push(e.idle);
        enc.peakAboveIdle.push(e.peak - e.idle);
        enc.peakAboveWarm.push(e.peak - warmIdle);
        const d = await measureOurs(() => oursDecrypt(kr!, oursCt, p));
        dec.ours.push(d.ms);
        dec.idle.push(d.idle);
        dec.peakAboveIdle.push(d.peak - d.idle);
        dec.peakAboveWarm.push(d.peak - warmIdle);

        // gpg with its defaults (compression on), then with --compress-algo none; each decrypts its own output.
        for (const [compress, ct, encList, decList] of [
          [true, gpgCt, enc.gpg, dec.gpg],
          [false, gpgCtNc, enc.gpgNoCompress, dec.gpgNoCompress],
        ] as const) {
          encList.push(await timed(() => gpg.encrypt(p.path, ct, compress)));
          decList.push(await timed(() => gpg.decrypt(ct, gpgOut)));
          const check = await hashFileOutside(gpgOut);
          if (check.hash !== p.hash || check.bytes !== p.bytes)
            throw new Error(`gpg decrypt (${compress ? 'default' : 'no compression'}) returned wrong plaintext`);
          await rm(gpgOut, { force: true });
        }
        process.stdout.write(
          ` enc/dec: ours ${fmtS(e.ms)}/${fmtS(d.ms)} s, gpg ${fmtS(enc.gpg.at(-1)!)}/${fmtS(dec.gpg.at(-1)!)} s;` +
            ` our RSS idle ${fmtMiB(e.idle)}/${fmtMiB(d.idle)}, peak ${fmtMiB(e.peak)}/${fmtMiB(d.peak)} MiB\n`,
        );
      }
      enc.cipherBytes = { ours: (await stat(oursCt)).size, gpg: (await stat(gpgCt)).size, gpgNoCompress: (await stat(gpgCtNc)).size };
      dec.cipherBytes = enc.cipherBytes;
      rows.push(enc, dec);
      for (const f of [oursCt, gpgCt, gpgCtNc]) await rm(f, { force: true });
    }

    await kr.close();
    kr = null;
    report(rows, gpgVersion, await packetInfo(gpg, work, warm.path), warmIdle);
    console.log(
      `\n  total bench time ${((performance.now() - started) / 1000).toFixed(0)} s; load average at end: ${fmtLoad()}${loadWarning()}`,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (kr) await kr.close().catch(() => {});
    gpg.killAgent();
    await rm(work, { recursive: true, force: true }).catch(() => {});
    cleaned = true;
  }
}

/** What gpg writes by default: cipher and compression, from `gpg -v --list-packets` of a small message. */
async function packetInfo(gpg: Gpg, work: string, input: string): Promise<string> {
  const out = join(work, 'info.gpg');
  await gpg.encrypt(input, out, true);
  const listed = spawnSync('gpg', ['--batch', '-v', '--list-packets', out], {
    env: { ...process.env, GNUPGHOME: gpg.home, LC_ALL: 'C' },
    encoding: 'utf8',
  });
  const text = `${listed.stdout}\n${listed.stderr}`;
  const cipher = /gpg: (\S+) encrypted data/.exec(text)?.[1];
  const compressed = /:compressed packet: algo=(\d)/.exec(text)?.[1];
  const names: Record<string, string> = { '1': 'ZIP', '2': 'ZLIB', '3': 'BZIP2' };
  return [cipher ?? 'cipher unknown', compressed ? `compressed with ${names[compressed] ?? `algo ${compressed}`}` : 'not compressed'].join(
    ', ',
  );
}

// ---------------------------------------------------------------------------
// Output

const fmtS = (ms: number) => (ms / 1000).toFixed(ms < 1000 ? 3 : 2);
const fmtMiB = (bytes: number) => (bytes / MiB).toFixed(1);
const pad = (s: string, n: number) => s.padStart(n);
const fmtLoad = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadWarning = () =>
  loadavg()[0]! > availableParallelism() / 2 ? `  (busy machine, ${availableParallelism()} cores: figures are noisy)` : '';

function report(rows: Row[], gpgVersion: string, info: string, warmIdle: number): void {
  console.log('\nResults: time = median of runs (s); memory = largest of runs (MiB of RSS)\n');
  const cols: [string, number][] = [
    ['size', 8],
    ['op', 8],
    ['ours s', 8],
    ['gpg s', 8],
    ['ours/gpg', 9],
    ['gpg-nc s', 9],
    ['ours/nc', 8],
    ['ours MiB/s', 11],
    ['peak-before', 12],
    ['peak-warm', 10],
  ];
  const line = (cells: string[]) => cells.map((c, i) => pad(c, cols[i]![1])).join(' ');
  const header = line(cols.map((c) => c[0]));
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const r of rows) {
    const ours = median(r.ours);
    const g = median(r.gpg);
    const nc = median(r.gpgNoCompress);
    console.log(
      line([
        `${r.sizeMiB} MiB`,
        r.op,
        fmtS(ours),
        fmtS(g),
        (ours / g).toFixed(2),
        fmtS(nc),
        (ours / nc).toFixed(2),
        (r.sizeMiB / (ours / 1000)).toFixed(0),
        fmtMiB(Math.max(...r.peakAboveIdle)),
        fmtMiB(Math.max(...r.peakAboveWarm)),
      ]),
    );
  }
  console.log(`
  ours        = Sealpost keyring (openpgp.js, worker thread, port protocol), timed from the call to the last byte written/hashed
  gpg s       = ${gpgVersion}, default options: the headline baseline (${info})
  gpg-nc s    = the same with --compress-algo none (ours does not compress); each gpg decrypts its own output
  peak-before = our peak RSS during the operation minus RSS just before it (after gc)
  peak-warm   = our peak RSS during the operation minus the idle RSS after warm-up (${fmtMiB(warmIdle)} MiB)`);
  const last = rows.at(-1);
  if (last)
    console.log(
      `  ciphertext bytes for ${last.sizeMiB} MiB: ours ${last.cipherBytes.ours}, gpg ${last.cipherBytes.gpg}, gpg-nc ${last.cipherBytes.gpgNoCompress}`,
    );

  console.log('\nTargets');
  for (const r of rows) {
    const ratio = median(r.ours) / median(r.gpg);
    const nc = median(r.ours) / median(r.gpgNoCompress);
    console.log(
      `  ${ratio <= TIME_TARGET_RATIO ? 'PASS' : 'MISS'}  time    ${r.op} ${r.sizeMiB} MiB: ours/gpg ${ratio.toFixed(2)} (target <= ${TIME_TARGET_RATIO.toFixed(2)}; vs gpg-nc ${nc.toFixed(2)})`,
    );
  }
  const big = rows.filter((r) => r.sizeMiB === MEMORY_TARGET_SIZE_MIB);
  if (big.length === 0) console.log(`  ----  memory  not measured (no ${MEMORY_TARGET_SIZE_MIB} MiB size in this run)`);
  for (const r of big) {
    const warm = Math.max(...r.peakAboveWarm) / MiB;
    const before = Math.max(...r.peakAboveIdle) / MiB;
    console.log(
      `  ${warm < MEMORY_TARGET_MIB ? 'PASS' : 'MISS'}  memory  ${r.op} ${r.sizeMiB} MiB: peak ${warm.toFixed(1)} MiB above idle after warm-up (target < ${MEMORY_TARGET_MIB} MiB; ${before.toFixed(1)} MiB above RSS just before)`,
    );
  }
}

// ---------------------------------------------------------------------------
// Re-run under --expose-gc so that the idle figure is taken after a full GC.

if (typeof globalThis.gc !== 'function' && process.env.SEALPOST_BENCH_CHILD !== '1') {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SEALPOST_BENCH_CHILD: '1' },
  });
  // The child (same process group) gets ^C too and cleans up after itself.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`\nbench crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
