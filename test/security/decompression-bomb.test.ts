/**
 * Decompression bombs: an encrypted message to Alice whose content is one
 * Compressed Data packet (ZLIB) that inflates ~1000:1, so that a message of
 * about a megabyte holds a gigabyte of zeros.
 *
 * What must not happen: unbounded memory (the inspecting process's maximum
 * resident set size stays under 400 MB), a crash, a run that does not end.
 * What the report says: failed with a too-large warning above the limit
 * (256 MiB by default), decrypted only below it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setup, message, pgpMimeEncrypted, warningCodes, type Setup } from '../support/mail.ts';
import { InspectReport } from '../../app/inspect-report.ts';
import { REPO_ROOT, SEALPOST_ENTRY } from '../support/cli.ts';
import { run } from '../support/process.ts';
import { readCert, compressionBomb } from '../support/craft.ts';
import type * as openpgp from 'openpgp';

const TIME = '/usr/bin/time';
/**
 * The reader holds a decrypted message whole (up to its 128 MiB limit): a
 * 64 MiB one costs the data about four times over in the two threads
 * before the collector catches up (measured 300-440 MB on two busy cores).
 * The bound says that memory follows the decrypted-size limit, not the
 * compressed data's expansion.
 */
const MAX_RSS_BYTES = 512 * 1024 * 1024;
const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

let s: Setup;
let cert: openpgp.Key;
/** 1 GiB of zeros, compressed to about 1 MB, encrypted to Alice. */
let gigabyte: { armored: string; compressedBytes: number };

const HEADERS = { From: 'Mallory <mallory@attacker.example>', To: 'alice@openpgp.example', Subject: 'invoice' };

before(async () => {
  s = await setup();
  cert = await readCert(s.alice.cert);
  gigabyte = await compressionBomb(cert, GiB);
});
after(() => s?.cleanup());

interface Measured {
  code: number | null;
  maxRssBytes: number;
  ms: number;
  stdout: Buffer;
  stderr: string;
}

/** `sealpost inspect MSG --json` under `/usr/bin/time -v`: exit code, peak memory, wall time. */
async function inspectMeasured(msg: Uint8Array, name: string): Promise<Measured> {
  const path = s.file(name, msg);
  const started = Date.now();
  const r = await run(
    TIME,
    ['-v', process.execPath, SEALPOST_ENTRY, '--home', s.home, '--passphrase-file', s.passphraseFile, 'inspect', path, '--json'],
    {
      cwd: REPO_ROOT,
      timeoutMs: 90_000,
    },
  );
  const ms = Date.now() - started;
  const stderr = r.stderr.toString('utf8');
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  assert.ok(rss, `no memory figure from ${TIME}: ${stderr.slice(-500)}`);
  const exited = /Command exited with non-zero status (\d+)/.exec(stderr);
  return { code: exited ? Number(exited[1]) : r.code, maxRssBytes: Number(rss[1]) * 1024, ms, stdout: r.stdout, stderr };
}

const mb = (n: number) => `${Math.round(n / MiB)} MB`;

test(
  '1 GiB of zeros in ~1 MB (PGP/MIME): failed, too-large, memory bounded, finishes',
  { skip: !existsSync(TIME) && `${TIME} missing`, timeout: 120_000 },
  async () => {
    assert.ok(gigabyte.compressedBytes < 2 * MiB, `the bomb is small: ${gigabyte.compressedBytes} bytes`);
    const m = await inspectMeasured(message(HEADERS, pgpMimeEncrypted(gigabyte.armored)), 'bomb-1g.eml');
    assert.equal(m.code, 0, m.stderr.slice(0, 500));
    const report = InspectReport.parse(JSON.parse(m.stdout.toString('utf8')));
    assert.equal(report.encryption.status, 'failed');
    assert.ok(warningCodes(report).includes('too-large'), warningCodes(report).join(', '));
    assert.equal(report.text, '');
    assert.deepEqual(report.attachments, []);
    assert.ok(m.maxRssBytes < MAX_RSS_BYTES, `max RSS ${mb(m.maxRssBytes)} must stay under ${mb(MAX_RSS_BYTES)}`);
    assert.ok(m.ms < 60_000, `took ${m.ms} ms`);
  },
);

test(
  '1 GiB of zeros in ~1 MB (inline, the whole text/plain body): failed, too-large, memory bounded',
  { skip: !existsSync(TIME) && `${TIME} missing`, timeout: 120_000 },
  async () => {
    const m = await inspectMeasured(message(HEADERS, gigabyte.armored), 'bomb-1g-inline.eml');
    assert.equal(m.code, 0, m.stderr.slice(0, 500));
    const report = InspectReport.parse(JSON.parse(m.stdout.toString('utf8')));
    assert.equal(report.encryption.status, 'failed');
    assert.ok(warningCodes(report).includes('too-large'), warningCodes(report).join(', '));
    assert.equal(report.text, '');
    assert.ok(m.maxRssBytes < MAX_RSS_BYTES, `max RSS ${mb(m.maxRssBytes)} must stay under ${mb(MAX_RSS_BYTES)}`);
  },
);

test(
  '64 MiB of zeros as an attachment (below the limit, ~65 KB compressed): decrypted, memory bounded',
  { skip: !existsSync(TIME) && `${TIME} missing`, timeout: 120_000 },
  async () => {
    const prefix = Buffer.from(
      'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="zeros.bin"\r\n\r\n',
      'latin1',
    );
    const bomb = await compressionBomb(cert, 64 * MiB, prefix);
    const m = await inspectMeasured(message(HEADERS, pgpMimeEncrypted(bomb.armored)), 'bomb-64m-attachment.eml');
    assert.equal(m.code, 0, m.stderr.slice(0, 500));
    const report = InspectReport.parse(JSON.parse(m.stdout.toString('utf8')));
    assert.equal(report.encryption.status, 'decrypted');
    assert.equal(report.attachments.length, 1);
    assert.equal(report.attachments[0]!.size, 64 * MiB);
    assert.ok(m.maxRssBytes < MAX_RSS_BYTES, `max RSS ${mb(m.maxRssBytes)} must stay under ${mb(MAX_RSS_BYTES)}`);
  },
);

test(
  '64 MiB of zero bytes as the text/plain body (below the limit, ~65 KB compressed): memory bounded',
  {
    skip: !existsSync(TIME) && `${TIME} missing`,
    timeout: 120_000,
  },
  async () => {
    const bomb = await compressionBomb(cert, 64 * MiB, Buffer.from('Content-Type: text/plain\r\n\r\n', 'latin1'));
    const m = await inspectMeasured(message(HEADERS, pgpMimeEncrypted(bomb.armored)), 'bomb-64m-text.eml');
    assert.equal(m.code, 0, m.stderr.slice(0, 500));
    assert.ok(
      m.maxRssBytes < MAX_RSS_BYTES,
      `max RSS ${mb(m.maxRssBytes)} must stay under ${mb(MAX_RSS_BYTES)} (stdout ${mb(m.stdout.length)})`,
    );
  },
);

test(
  '250 MiB of zero bytes as the text/plain body (~250 KB compressed, beyond the decrypted-size limit): a report, too-large, no plaintext',
  {
    skip: !existsSync(TIME) && `${TIME} missing`,
    timeout: 120_000,
  },
  async () => {
    const bomb = await compressionBomb(cert, 250 * MiB, Buffer.from('Content-Type: text/plain\r\n\r\n', 'latin1'));
    assert.ok(bomb.compressedBytes < 512 * 1024);
    const m = await inspectMeasured(message(HEADERS, pgpMimeEncrypted(bomb.armored)), 'bomb-250m-text.eml');
    assert.equal(m.code, 0, `exit ${m.code}: ${m.stderr.split('\n')[0]}`);
    assert.ok(m.maxRssBytes < MAX_RSS_BYTES, `max RSS ${mb(m.maxRssBytes)}`);
    const report = JSON.parse(m.stdout.toString('utf8'));
    assert.equal(report.encryption.status, 'failed');
    assert.ok(report.warnings.some((w: { code: string }) => w.code === 'too-large'));
    assert.equal(report.text, '');
  },
);
