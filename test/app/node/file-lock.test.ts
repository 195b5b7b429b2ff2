import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withFileLock } from '../../../app/node/file-lock.ts';

const LOCK_MODULE = fileURLToPath(new URL('../../../app/node/file-lock.ts', import.meta.url));
const busy = (pid: number | null) => new Error(`busy ${pid}`);

/** A pid that is surely dead: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/**
 * Each child takes the lock, appends "+" to the log, waits a little, appends
 * "-", releases. Mutual exclusion holds when the log is "+-+-+-...".
 */
const CHILD = `
import { withFileLock } from ${JSON.stringify(LOCK_MODULE)};
import { appendFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
const [lock, log] = process.argv.slice(-2);
await withFileLock(lock, async () => {
  await appendFile(log, '+');
  await sleep(15);
  await appendFile(log, '-');
}, { onTimeout: (pid) => new Error('busy ' + pid), timeoutMs: 20000 });
`;

function runChild(lock: string, log: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, lock, log], { stdio: ['ignore', 'ignore', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
}

test('a stale lock (its owner died) is taken over by exactly one of many racing processes at a time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-lock-'));
  try {
    for (let round = 0; round < 3; round++) {
      const lock = join(dir, 'lock');
      const log = join(dir, `log-${round}`);
      await writeFile(log, '');
      await writeFile(lock, `${await deadPid()}:0:dead`);
      const codes = await Promise.all(Array.from({ length: 6 }, () => runChild(lock, log)));
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
      assert.equal(await readFile(log, 'utf8'), '+-'.repeat(6), 'two holders overlapped');
      const left = (await readdir(dir)).filter((n) => n.startsWith('lock'));
      assert.deepEqual(left, [], 'the lock and its stale copies are gone');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a lock held by a live process times out with the caller-made error naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-lock-'));
  try {
    const lock = join(dir, 'lock');
    await writeFile(lock, `${process.pid}:0:other`);
    await assert.rejects(
      withFileLock(lock, async () => 1, { onTimeout: busy, timeoutMs: 100 }),
      (e: Error) => e.message === `busy ${process.pid}`,
    );
    assert.equal(await readFile(lock, 'utf8'), `${process.pid}:0:other`, 'a live holder keeps its lock');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the lock is released when fn throws, and one we no longer own is left alone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-lock-'));
  try {
    const lock = join(dir, 'sub', 'lock');
    await assert.rejects(
      withFileLock(
        lock,
        async () => {
          throw new Error('inner');
        },
        { onTimeout: busy },
      ),
      /inner/,
    );
    await assert.rejects(readFile(lock), { code: 'ENOENT' });
    await withFileLock(
      lock,
      async () => {
        await writeFile(lock, 'someone-else');
      },
      { onTimeout: busy },
    );
    assert.equal(await readFile(lock, 'utf8'), 'someone-else');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
