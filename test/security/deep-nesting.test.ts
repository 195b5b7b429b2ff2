/**
 * Structures built to exhaust the parser: 10,000 nested multiparts, 100,000
 * parts in one multipart, a 5 MB header block, a 50 MB single-line body,
 * thousands of unterminated armor headers, a thousand signed parts; and the
 * same nesting inside encrypted content.
 *
 * What must not happen: a crash (stack overflow, out of memory), a hang, an
 * exit code other than 0 (a report) or 65 (not a message). What the report
 * says: a too-complex warning where a limit was hit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setup, message, textPart, multipart, pgpMimeEncrypted, signedBy, encryptTo, warningCodes, type Setup } from '../support/mail.ts';
import { InspectReport } from '../../app/inspect-report.ts';
import { runSealpost } from '../support/cli.ts';

let s: Setup;

const HEADERS = { From: 'Mallory <mallory@attacker.example>', To: 'alice@openpgp.example', Subject: 'complex' };
/** Generous for two loaded cores; the point is "seconds, not minutes". */
const SECONDS = 20;

before(async () => {
  s = await setup();
});
after(() => s?.cleanup());

interface Timed {
  code: number;
  ms: number;
  stderr: string;
  report: InspectReport | null;
}

let n = 0;
async function timedInspect(msg: Uint8Array): Promise<Timed> {
  const path = s.file(`complex${++n}.eml`, msg);
  const started = Date.now();
  const r = await runSealpost(['--passphrase-file', s.passphraseFile, 'inspect', path, '--json'], { home: s.home, timeoutMs: 90_000 });
  const ms = Date.now() - started;
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const report = r.code === 0 ? InspectReport.parse(JSON.parse(r.stdout.toString('utf8'))) : null;
  return { code: r.code, ms, stderr: r.stderr, report };
}

function assertBounded(t: Timed, expectTooComplex: boolean): InspectReport {
  assert.ok(t.ms < SECONDS * 1000, `took ${t.ms} ms`);
  assert.equal(t.code, 0, t.stderr);
  const report = t.report!;
  if (expectTooComplex)
    assert.ok(warningCodes(report).includes('too-complex'), `too-complex warning, got ${warningCodes(report).join(', ')}`);
  return report;
}

/**
 * `depth` multipart/mixed levels around a text part; with `siblings`, each
 * level also holds a text part of its own. Built in one pass (what
 * `multipart()` would make level by level, without its quadratic copying).
 */
function nested(depth: number, siblings: boolean, leaf: Buffer = textPart('the innermost part')): Buffer {
  const heads: string[] = [];
  const tails: string[] = [];
  for (let i = depth - 1; i >= 0; i--) {
    const b = `nest-${i}`;
    heads.push(
      `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n${siblings ? `--${b}\r\nContent-Type: text/plain\r\n\r\nlevel ${i}\r\n` : ''}--${b}\r\n`,
    );
  }
  for (let i = 0; i < depth; i++) tails.push(`\r\n--nest-${i}--\r\n`);
  return Buffer.concat([Buffer.from(heads.join(''), 'latin1'), leaf, Buffer.from(tails.join(''), 'latin1')]);
}

test('10,000 nested multipart/mixed levels, one child each: exit 0 within seconds, too-complex', { timeout: 120_000 }, async () => {
  assertBounded(await timedInspect(message(HEADERS, nested(10_000, false))), true);
});

test('10,000 nested multipart/mixed levels, two children each: exit 0 within seconds, too-complex', { timeout: 120_000 }, async () => {
  const report = assertBounded(await timedInspect(message(HEADERS, nested(10_000, true))), true);
  assert.ok(report.parts.length < 1000);
});

test('100,000 parts in one multipart/mixed: exit 0 within seconds, too-complex, the part list bounded', { timeout: 120_000 }, async () => {
  const parts = Array.from({ length: 100_000 }, (_, i) => textPart(`part ${i}`));
  const report = assertBounded(await timedInspect(message(HEADERS, multipart('mixed', parts))), true);
  assert.ok(report.parts.length <= 1000, `${report.parts.length} parts listed`);
});

test('a 5 MB header block (50,000 fields): exit 0 within seconds, too-complex, From still read', { timeout: 120_000 }, async () => {
  const fields: Array<[string, string]> = [
    ['From', 'Mallory <mallory@attacker.example>'],
    ['Subject', 'headers'],
    ...Array.from({ length: 50_000 }, (_, i) => [`X-Filler-${i}`, 'y'.repeat(90)] as [string, string]),
  ];
  const msg = message(fields, 'body');
  assert.ok(msg.length > 5_000_000);
  const report = assertBounded(await timedInspect(msg), true);
  assert.equal(report.from?.address, 'mallory@attacker.example');
});

test('one 5 MB header field (folded into 70-byte lines): exit 0 within seconds, too-complex', { timeout: 120_000 }, async () => {
  const folded = Array.from({ length: 75_000 }, () => 'z'.repeat(70)).join('\r\n ');
  assertBounded(
    await timedInspect(
      message(
        [
          ['From', 'mallory@attacker.example'],
          ['Subject', 'x'],
          ['X-Long', folded],
        ],
        'body',
      ),
    ),
    true,
  );
});

test('a 50 MB single-line body: exit 0 within seconds', { timeout: 120_000 }, async () => {
  const report = assertBounded(await timedInspect(message(HEADERS, 'A'.repeat(50 * 1024 * 1024))), false);
  assert.equal(report.encryption.status, 'none');
});

test(
  '100,000 unterminated "-----BEGIN PGP MESSAGE-----" lines: exit 0 within seconds, nothing decrypted',
  { timeout: 120_000 },
  async () => {
    const report = assertBounded(await timedInspect(message(HEADERS, '-----BEGIN PGP MESSAGE-----\n'.repeat(100_000))), false);
    assert.equal(report.encryption.status, 'none');
  },
);

test(
  '100,000 "-----BEGIN PGP SIGNED MESSAGE-----" lines then one END PGP MESSAGE: exit 0 within seconds',
  { timeout: 120_000 },
  async () => {
    const report = assertBounded(
      await timedInspect(message(HEADERS, `${'-----BEGIN PGP SIGNED MESSAGE-----\n'.repeat(100_000)}-----END PGP MESSAGE-----\n`)),
      false,
    );
    assert.equal(report.signature.status, 'none');
  },
);

test('1,000 copies of a signed part in one multipart/mixed: exit 0 within seconds, signature none', { timeout: 120_000 }, async () => {
  const signed = await signedBy(textPart('x'), s.bob.key);
  const report = assertBounded(
    await timedInspect(
      message(
        HEADERS,
        multipart(
          'mixed',
          Array.from({ length: 1000 }, () => signed),
        ),
      ),
    ),
    true,
  );
  assert.equal(report.signature.status, 'none');
  assert.ok(warningCodes(report).includes('partially-signed'));
});

test('not a message: 1 MB of random bytes and an empty file exit 65 with one line on stderr', { timeout: 120_000 }, async () => {
  for (const bytes of [randomBytes(1024 * 1024), Buffer.alloc(0)]) {
    const t = await timedInspect(bytes);
    assert.equal(t.code, 65, t.stderr);
    assert.equal(t.stderr.trim().split('\n').length, 1, t.stderr);
    assert.ok(t.ms < SECONDS * 1000);
  }
});

test('encrypted content of 10,000 nested multipart levels: exit 0 within seconds, too-complex', { timeout: 120_000 }, async () => {
  const armored = await encryptTo(nested(10_000, true), [s.alice.cert]);
  const report = assertBounded(await timedInspect(message(HEADERS, pgpMimeEncrypted(armored))), false);
  assert.equal(report.encryption.status, 'decrypted');
  assert.ok(warningCodes(report).includes('too-complex'), `too-complex warning, got ${warningCodes(report).join(', ') || 'none'}`);
});

test('encrypted content of 100,000 parts: exit 0 within seconds, too-complex', { timeout: 120_000 }, async () => {
  const armored = await encryptTo(
    multipart(
      'mixed',
      Array.from({ length: 100_000 }, (_, i) => textPart(`part ${i}`)),
    ),
    [s.alice.cert],
  );
  const report = assertBounded(await timedInspect(message(HEADERS, pgpMimeEncrypted(armored))), false);
  assert.equal(report.encryption.status, 'decrypted');
  assert.ok(warningCodes(report).includes('too-complex'), `too-complex warning, got ${warningCodes(report).join(', ') || 'none'}`);
});
