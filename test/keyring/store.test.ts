import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempHome, keyringAt } from '../support/keyring.ts';
import { TB, BOB_FPR, BOB_PUBLIC } from '../support/fixtures.ts';
import { SealpostError } from '../../app/errors.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every key of the fixtures that imports: a keyring big enough that a write takes a while. */
async function fillKeyring(home: string): Promise<number> {
  const { keyring } = keyringAt(home);
  for (const name of readdirSync(join(TB, 'keys'))) {
    try {
      await keyring.import(readFileSync(join(TB, 'keys', name)), 'file');
    } catch {
      // the fixtures include keys meant to be refused
    }
  }
  return (await keyring.list()).length;
}

test('killing the process during writes leaves the old or the new keyring, both readable', { timeout: 180_000 }, async () => {
  const { home, cleanup } = tempHome();
  try {
    const count = await fillKeyring(home);
    assert.ok(count >= 15, `${count} keys`);
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['test/support/keyring-writer.ts', home, BOB_FPR], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      // Wait until it writes, then kill it at a moment that falls anywhere in a write.
      const started = Date.now();
      while (!out.includes('\n') && Date.now() - started < 30_000) await sleep(5);
      await sleep(Math.floor(Math.random() * 60));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
      const done = out.trim().split('\n').filter(Boolean);
      const last = done[done.length - 1]?.split(' ') ?? [];
      const lastIndex = Number(last[0] ?? 0);
      // The keyring reads, with every key, and Bob's trust is the last completed write's or the one after it.
      const { keyring } = keyringAt(home);
      const keys = await keyring.list();
      assert.equal(keys.length, count, `round ${round}: every key is still there`);
      const trust = keys.find((k) => k.fingerprint === BOB_FPR)!.trust;
      const expected = [last[1], (lastIndex + 1) % 2 === 0 ? 'verified' : 'rejected'];
      assert.ok(expected.includes(trust), `round ${round}: trust ${trust} after ${done.length} writes`);
      // A later writer takes over the dead process's lock.
      await keyring.setTrust(BOB_FPR, 'unverified');
      assert.ok(done.length > 0, 'the writer completed writes before it was killed');
    }
  } finally {
    cleanup();
  }
});

test('two processes importing at once: both imports land, nothing is lost', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tempHome();
  try {
    const files = [
      'alice@openpgp.example-0xf231550c4f47e38e-secret-with-pp.asc',
      'bob@openpgp.example-0xfbfcc82a015e7330-pub.asc',
      'carol@example.com-0x3099ff1238852b9f-pub.asc',
      'ofelia-public.asc',
      'key-with-utf8-comment.asc',
      'untweaked-secret.asc',
    ];
    const run = (file: string) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, ['main/cli/sealpost.ts', '--home', home, 'keys', 'import', join(TB, 'keys', file)], {
          cwd: ROOT,
          stdio: 'ignore',
        });
        child.on('close', (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all(files.map(run));
    assert.deepEqual(
      codes,
      files.map(() => 0),
    );
    const { keyring } = keyringAt(home);
    assert.equal((await keyring.list()).length, files.length);
  } finally {
    cleanup();
  }
});

test('a damaged keyring file is reported, never silently replaced', async () => {
  const { home, cleanup } = tempHome();
  try {
    const { keyring } = keyringAt(home);
    await keyring.import(readFileSync(BOB_PUBLIC), 'file');
    const gen = readFileSync(join(home, 'keyring', 'CURRENT'), 'utf8').trim();
    const meta = join(home, 'keyring', gen, 'meta.json');
    writeFileSync(meta, '{"version": 1, "keys": ');
    await assert.rejects(keyring.list(), (e: unknown) => e instanceof SealpostError && e.code === 'keyring-corrupt');
    await assert.rejects(keyring.setTrust(BOB_FPR, 'verified'), (e: unknown) => e instanceof SealpostError && e.code === 'keyring-corrupt');
    assert.equal(readFileSync(meta, 'utf8'), '{"version": 1, "keys": ', 'left as it was for the user to inspect');
  } finally {
    cleanup();
  }
});
