/**
 * An exclusive lock between processes (the app and the command line share a
 * profile), shared by keyring/ and main/.
 */
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface FileLockOptions {
  /** Makes the error to throw when the lock stays held past `timeoutMs`; gets the holder's pid when known. */
  onTimeout: (pid: number | null) => Error;
  timeoutMs?: number;
}

/**
 * Runs `fn` holding the lock file `lockPath`: created with O_EXCL, holding a
 * token that starts with the owner's pid. A lock whose owner died (killed
 * mid-write) is taken over: the taker renames the stale file aside first, so
 * only one waiter can win it; and when, between its read and its rename,
 * another waiter already took the stale lock over and made its own, the file
 * renamed aside is that live lock and is linked back (link(2) fails if a third
 * made one meanwhile, which is then the lock). The lock is removed on the way
 * out only if it still holds our token.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const token = `${process.pid}:${Date.now()}:${randomBytes(8).toString('hex')}`;
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(token);
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readFile(lockPath, 'utf8').catch(() => '');
    const pid = Number.parseInt(owner.split(':')[0] ?? '', 10);
    if (owner !== '' && (!Number.isFinite(pid) || !processAlive(pid))) {
      const stale = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        await rename(lockPath, stale);
        if ((await readFile(stale, 'utf8').catch(() => owner)) !== owner) await link(stale, lockPath).catch(() => undefined);
        await rm(stale, { force: true });
      } catch {
        // another waiter took it over first
      }
      continue;
    }
    if (Date.now() > deadline) throw options.onTimeout(Number.isFinite(pid) ? pid : null);
    await sleep(20 + Math.random() * 30);
  }
  try {
    return await fn();
  } finally {
    const current = await readFile(lockPath, 'utf8').catch(() => '');
    if (current === token) await rm(lockPath, { force: true });
  }
}
