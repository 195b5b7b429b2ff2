import { open, readFile, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SealpostError } from '../app/errors.ts';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock between processes (the app and the command line share a
 * profile): a lock file created with O_EXCL holding the owner's pid. A lock
 * whose owner died (killed mid-write) is taken over; the takeover renames the
 * stale file first so that only one waiter can win it.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const token = `${process.pid}:${Date.now()}:${Math.random()}`;
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
      const stale = `${lockPath}.stale.${process.pid}`;
      try {
        await rename(lockPath, stale);
        await rm(stale, { force: true });
      } catch {
        // another waiter took it over first
      }
      continue;
    }
    if (Date.now() > deadline) {
      const holder = Number.isSafeInteger(pid) && pid > 0 ? { pid } : {};
      throw new SealpostError('keyring-busy', `lock held by process ${Number.isFinite(pid) ? pid : 'unknown'}`, holder);
    }
    await sleep(25 + Math.random() * 25);
  }
  try {
    return await fn();
  } finally {
    const current = await readFile(lockPath, 'utf8').catch(() => '');
    if (current === token) await rm(lockPath, { force: true });
  }
}
