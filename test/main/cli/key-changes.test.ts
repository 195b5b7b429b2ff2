// A recipient's key changes, on the command line: `compose --encrypt` stops
// with exit 65 and `key-changed` naming the address and both fingerprints,
// writing nothing; `keys history` shows every key seen and which is in use;
// after `keys accept` the chosen key is used (shared/contracts/cli.md, "Trust
// and discovery").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';

const ALICE = 'alice@example.org';
const DAVE = 'dave@example.net';
let tmp: TempDir;
let home: string;
let passFile: string;
const dave: { cert: string }[] = [];

async function daveKey(n: number): Promise<{ cert: string }> {
  const key = await runSealpost(['sop', 'generate-key', `Dave ${n} <${DAVE}>`]);
  assert.equal(key.code, 0, key.stderr);
  const cert = await runSealpost(['sop', 'extract-cert'], { input: key.stdout });
  assert.equal(cert.code, 0, cert.stderr);
  const file = join(tmp.path, `dave${n}.asc`);
  writeFileSync(file, cert.stdout);
  return { cert: file };
}

before(
  async () => {
    tmp = await tempDir('sealpost-key-change-');
    home = join(tmp.path, 'profile');
    passFile = join(tmp.path, 'pass');
    writeFileSync(passFile, 'a passphrase for alice\n');
    const gen = await runSealpost(['--passphrase-file', passFile, 'keys', 'generate', '--name', 'Alice', '--email', ALICE], { home });
    assert.equal(gen.code, 0, gen.stderr);
    dave.push(await daveKey(1), await daveKey(2));
  },
  { timeout: 60_000 },
);

after(async () => {
  await tmp?.cleanup();
});

const compose = () =>
  runSealpost(
    ['--passphrase-file', passFile, 'compose', '--from', ALICE, '--to', DAVE, '--subject', 's', '--body-file', '-', '--encrypt'],
    {
      home,
      input: 'hello\n',
    },
  );

async function importKey(file: string): Promise<string> {
  const r = await runSealpost(['--json', 'keys', 'import', file], { home });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout.toString()) as { fingerprint: string }[])[0]!.fingerprint;
}

test(
  'a second key for a recipient: compose exits 65 with key-changed naming both keys; keys accept chooses',
  { timeout: 60_000 },
  async () => {
    const first = await importKey(dave[0]!.cert);
    const ok = await compose();
    assert.equal(ok.code, 0, ok.stderr);

    const second = await importKey(dave[1]!.cert);
    const refused = await compose();
    assert.equal(refused.code, 65, refused.stderr);
    assert.equal(refused.stdout.length, 0, 'nothing written');
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /key changed/i);
    assert.ok(refused.stderr.includes(DAVE) && refused.stderr.includes(first) && refused.stderr.includes(second), refused.stderr);
    assert.match(refused.stderr, /keys accept/);

    const history = await runSealpost(['--json', 'keys', 'history', DAVE], { home });
    assert.equal(history.code, 0, history.stderr);
    const view = JSON.parse(history.stdout.toString());
    assert.equal(view.address, DAVE);
    assert.equal(view.state, 'changed');
    assert.equal(view.inUse, null);
    assert.deepEqual(view.change, { address: DAVE, known: first, new: second, knownVerified: false, successor: null, knownProblem: null });
    assert.deepEqual(
      view.keys.map((k: { fingerprint: string; sources: string[] }) => [k.fingerprint, k.sources]),
      [
        [first, ['file']],
        [second, ['file']],
      ],
    );
    for (const k of view.keys) assert.ok(Date.parse(k.firstSeen) > 0 && Date.parse(k.lastSeen) >= Date.parse(k.firstSeen));

    const text = await runSealpost(['keys', 'history', DAVE], { home });
    assert.match(text.stdout.toString(), /KEY CHANGED/);

    const bad = await runSealpost(['keys', 'accept', DAVE, 'not-a-fingerprint'], { home });
    assert.equal(bad.code, 64, bad.stderr);
    const accepted = await runSealpost(['keys', 'accept', DAVE, second.toLowerCase()], { home });
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout.toString(), /key in use/);
    const after = JSON.parse((await runSealpost(['--json', 'keys', 'history', DAVE], { home })).stdout.toString());
    assert.equal(after.inUse, second);
    assert.equal(after.accepted.how, 'accepted');
    const again = await compose();
    assert.equal(again.code, 0, again.stderr);
  },
);
