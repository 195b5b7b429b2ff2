/**
 * An exclusive lock between processes (the app and the command line share a
 * profile), shared by the keyring and the main process.
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
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface FileLockOptions {
  /** The error to throw when the lock stays held past `timeoutMs`; `pid` is the holder's, when known. */
  onTimeout: (pid: number | null) => Error;
  timeoutMs?: number;
}

/**
 * Runs `fn` holding a lock file created with O_EXCL that holds the owner's
 * pid and a random token. A lock whose owner died (killed mid-write) is
 * taken over: the stale file is renamed first, so only one waiter can win
 * it, and a lock that another waiter made between our read and our rename is
 * given back. Only the owner's own token is ever removed on release.
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
        // Between our read and the rename, another waiter may have taken the
        // stale lock over and made its own: give that one back.
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
