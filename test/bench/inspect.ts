// Reading benchmark: `inspectMessage` (the code behind `sealpost inspect` and
// the reader view) on a 100 KB signed and encrypted PGP/MIME message, 200
// runs, p50 and p95; and once on a message with a 25 MB attachment.
// Aim: p95 under 50 ms for the 100 KB message. Not part of the test suite.
//
//   node test/bench/inspect.ts [--runs 200]

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startKeyringWorker } from '../../main/keyring-host/worker-keyring.ts';
import { inspectMessage } from '../../main/pgp-mime/read/inspect.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';

const CRLF = '\r\n';
const P95_TARGET_MS = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function pgpMime(client: KeyringClient, inner: Buffer, to: string, signer: string): Promise<Buffer> {
  const { output } = await client.collect(
    'crypto.encrypt',
    { recipients: { refs: [to] }, signers: { refs: [signer] }, armor: true },
    inner,
  );
  const b = `b_${randomBytes(8).toString('hex')}`;
  const head = [
    'From: Bob <bob@bench.example>',
    'To: Alice <alice@bench.example>',
    'Subject: ...',
    'Date: Tue, 01 Dec 2026 10:00:00 +0000',
    'Message-ID: <bench@bench.example>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"`,
  ].join(CRLF);
  return Buffer.concat([
    Buffer.from(
      `${head}${CRLF}${CRLF}--${b}${CRLF}Content-Type: application/pgp-encrypted${CRLF}${CRLF}Version: 1${CRLF}${CRLF}--${b}${CRLF}Content-Type: application/octet-stream; name="encrypted.asc"${CRLF}${CRLF}`,
    ),
    output,
    Buffer.from(`${CRLF}--${b}--${CRLF}`),
  ]);
}

function textEntity(size: number): Buffer {
  const line = 'The quick brown fox jumps over the lazy dog; 0123456789 ÄÖÜ äöü.';
  const lines: string[] = [];
  let total = 0;
  while (total < size) {
    lines.push(line);
    total += line.length + 2;
  }
  return Buffer.from(
    [
      'Content-Type: text/plain; charset=utf-8; protected-headers="v1"',
      'Subject: Bench',
      'Content-Transfer-Encoding: 8bit',
      '',
      ...lines,
      '',
    ].join(CRLF),
    'utf8',
  );
}

function attachmentEntity(size: number): Buffer {
  const b = `m_${randomBytes(8).toString('hex')}`;
  const data = randomBytes(size).toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return Buffer.from(
    [
      `Content-Type: multipart/mixed; boundary="${b}"; protected-headers="v1"`,
      'Subject: Bench with attachment',
      '',
      `--${b}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the attachment.',
      `--${b}`,
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Disposition: attachment; filename="data.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      data,
      `--${b}--`,
      '',
    ].join(CRLF),
  );
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 200;
  const home = mkdtempSync(join(tmpdir(), 'sealpost-bench-inspect-'));
  const kr = startKeyringWorker(home);
  try {
    const alice = (
      await kr.client.call('keys.generate', { name: 'Alice', email: 'alice@bench.example', expiresInSeconds: null, passphrase: 'pw' })
    ).fingerprint;
    const bob = (
      await kr.client.call('keys.generate', { name: 'Bob', email: 'bob@bench.example', expiresInSeconds: null, passphrase: null })
    ).fingerprint;
    // The reader works with unlocked keys (the session), as the app does after the first prompt.
    await kr.client.call('session.unlock', { fingerprint: alice, passphrase: 'pw' });

    const small = await pgpMime(kr.client, textEntity(100 * 1024), alice, bob);
    const check = await inspectMessage(small, kr.client, { keyPasswords: [] });
    if (check.encryption.status !== 'decrypted' || check.signature.status !== 'valid')
      throw new Error(`unexpected report: ${check.encryption.status}/${check.signature.status}`);
    for (let i = 0; i < 10; i++) await inspectMessage(small, kr.client, { keyPasswords: [] });
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await inspectMessage(small, kr.client, { keyPasswords: [] });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 50);
    const p95 = percentile(times, 95);
    console.log(
      `inspect, ${(small.length / 1024).toFixed(0)} KB signed+encrypted PGP/MIME, ${runs} runs: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`,
    );

    const big = await pgpMime(kr.client, attachmentEntity(25 * 1024 * 1024), alice, bob);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    sampler.unref();
    const t = performance.now();
    const report = await inspectMessage(big, kr.client, { keyPasswords: [] });
    const elapsed = performance.now() - t;
    clearInterval(sampler);
    if (report.attachments[0]?.size !== 25 * 1024 * 1024) throw new Error('the attachment did not come through');
    console.log(
      `inspect, ${(big.length / 1048576).toFixed(1)} MB message with a 25 MiB attachment: ${elapsed.toFixed(0)} ms, peak RSS ${((peak - before) / 1048576).toFixed(0)} MiB above the RSS before it`,
    );
    console.log(
      `  ${p95 < P95_TARGET_MS ? 'PASS' : 'MISS'}  p95 ${p95.toFixed(1)} ms for the 100 KB message (target < ${P95_TARGET_MS} ms)`,
    );
  } finally {
    await kr.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
