/** What `sealpost compose` writes, `sealpost inspect` (the reader) reads back with the status it was sent with. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';

let dir: TempDir;
const home = (who: string) => join(dir.path, who);
const pass = () => join(dir.path, 'pass');
let aliceFpr = '';

async function ok(args: string[], who: string, input?: string | Uint8Array) {
  const r = await runSealpost(args, { home: home(who), input });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(
  async () => {
    dir = await tempDir('sealpost-roundtrip-');
    writeFileSync(pass(), 'shared test passphrase');
    aliceFpr = (
      await ok(['--passphrase-file', pass(), 'keys', 'generate', '--name', 'Alice Ärger', '--email', 'alice@example.org'], 'alice')
    )
      .toString()
      .trim();
    const bobFpr = (await ok(['--passphrase-file', pass(), 'keys', 'generate', '--name', 'Bob', '--email', 'bob@example.net'], 'bob'))
      .toString()
      .trim();
    writeFileSync(join(dir.path, 'alice.asc'), await ok(['keys', 'export', aliceFpr], 'alice'));
    writeFileSync(join(dir.path, 'bob.asc'), await ok(['keys', 'export', bobFpr], 'bob'));
    await ok(['keys', 'import', join(dir.path, 'bob.asc')], 'alice');
    await ok(['keys', 'import', join(dir.path, 'alice.asc')], 'bob');
    writeFileSync(join(dir.path, 'body.txt'), 'Hallo Bob,\n\ndas bleibt unter uns. 🌍\n');
  },
  { timeout: 120_000 },
);

after(() => dir.cleanup());

async function inspectAsBob(message: Buffer) {
  const file = join(dir.path, `m${Date.now()}.eml`);
  writeFileSync(file, message);
  return JSON.parse((await ok(['--passphrase-file', pass(), 'inspect', file, '--json'], 'bob')).toString());
}

test('encrypted and signed: decrypted, valid, signed by the sender, subject protected', { timeout: 60_000 }, async () => {
  const message = await ok(
    [
      '--passphrase-file',
      pass(),
      'compose',
      '--from',
      'alice@example.org',
      '--to',
      'bob@example.net',
      '--subject',
      'Geheimnis: Grüße',
      '--body-file',
      join(dir.path, 'body.txt'),
      '--encrypt',
      '--sign',
      '--attach-key',
    ],
    'alice',
  );
  assert.ok(!message.toString().includes('Geheimnis'), 'the real subject is not in the clear');
  const report = await inspectAsBob(message);
  assert.equal(report.encryption.status, 'decrypted');
  assert.equal(report.encryption.protectedHeaders, true);
  assert.equal(report.signature.status, 'valid');
  assert.equal(report.signature.signer.fingerprint, aliceFpr);
  assert.equal(report.signature.signerMatchesFrom, true);
  assert.equal(report.subject, 'Geheimnis: Grüße');
  assert.notEqual(report.outerSubject, 'Geheimnis: Grüße');
  assert.match(report.text, /das bleibt unter uns\. 🌍/);
  assert.ok(report.keys.some((k: { fingerprint: string; source: string }) => k.fingerprint === aliceFpr && k.source === 'attachment'));
  assert.ok(report.keys.some((k: { fingerprint: string; source: string }) => k.fingerprint === aliceFpr && k.source === 'autocrypt'));
  assert.ok(report.attachments.every((a: { protected: boolean }) => a.protected));
  assert.deepEqual(report.warnings, []);
});

test('signed only: valid and the text is the signed text', { timeout: 60_000 }, async () => {
  const message = await ok(
    [
      '--passphrase-file',
      pass(),
      'compose',
      '--from',
      'alice@example.org',
      '--to',
      'bob@example.net',
      '--subject',
      'Offen',
      '--body-file',
      join(dir.path, 'body.txt'),
      '--sign',
    ],
    'alice',
  );
  const report = await inspectAsBob(message);
  assert.equal(report.encryption.status, 'none');
  assert.equal(report.signature.status, 'valid');
  assert.equal(report.signature.signerMatchesFrom, true);
  assert.equal(report.subject, 'Offen');
  assert.match(report.text, /das bleibt unter uns\./);
});
