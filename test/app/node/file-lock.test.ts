// The shared file lock (app/node/file-lock.ts): exclusion between real
// processes, a dead owner's lock taken over by exactly one waiter at a time,
// and the caller's own error when the lock stays held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../../../app/node/file-lock.ts';

const LOCK_MODULE = new URL('../../../app/node/file-lock.ts', import.meta.url).href;

/** A child that, N times, takes the lock, reads the counter, waits a little and writes it back plus one. */
function incrementer(dir: string, times: number): Promise<number> {
  const script = `
    import { readFile, writeFile } from 'node:fs/promises';
    import { setTimeout as sleep } from 'node:timers/promises';
    const { withFileLock } = await import(${JSON.stringify(LOCK_MODULE)});
    const [dir, times] = [process.argv[1], Number(process.argv[2])];
    for (let i = 0; i < times; i++) {
      await withFileLock(dir + '/lock', async () => {
        const n = Number(await readFile(dir + '/counter', 'utf8'));
        await sleep(2);
        await writeFile(dir + '/counter', String(n + 1));
      }, { onTimeout: () => new Error('lock timeout'), timeoutMs: 30_000 });
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir, String(times)], { stdio: 'inherit' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(timer), resolve(code ?? -1))));
}

test('four processes incrementing under the lock lose no update', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-lock-'));
  try {
    await writeFile(join(dir, 'counter'), '0');
    const codes = await Promise.all([1, 2, 3, 4].map(() => incrementer(dir, 15)));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    assert.equal(await readFile(join(dir, 'counter'), 'utf8'), '60');
    assert.deepEqual(await readdir(dir), ['counter'], 'no lock or stale file left behind');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a lock whose owner died is taken over; waiters racing for it still exclude each other', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-lock-'));
  try {
    // A pid that cannot be alive: above the kernel's pid_max.
    await writeFile(join(dir, 'lock'), `${2 ** 22 + 7}:0:dead`);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(
          join(dir, 'lock'),
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
          },
          { onTimeout: () => new Error('timeout'), timeoutMs: 20_000 },
        ),
      ),
    );
    assert.equal(most, 1);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a lock held by a live process past the time limit gives the caller its own error with that pid', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-lock-'));
  try {
    await writeFile(join(dir, 'lock'), `${process.pid}:0:someone-else`);
    let ran = false;
    await assert.rejects(
      withFileLock(
        join(dir, 'lock'),
        async () => {
          ran = true;
        },
        { onTimeout: (pid) => new Error(`held by ${pid}`), timeoutMs: 200 },
      ),
      new RegExp(`held by ${process.pid}`),
    );
    assert.equal(ran, false);
    assert.equal(await readFile(join(dir, 'lock'), 'utf8'), `${process.pid}:0:someone-else`, 'the holder keeps its lock');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
