/**
 * Atomic replacement of a small file and an exclusive lock between
 * processes, for the password store. (The keyring has the same helpers;
 * main/ may not import keyring/ internals, and the two stay independent.)
 */
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** fsync a directory so that a rename inside it survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Windows cannot open directories; the rename is still atomic there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `path`: write a temporary file in the same folder, fsync it,
 * rename it over `path`, fsync the folder. A crash leaves the old file or the
 * new one, never a mix.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

export async function readFileIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding an exclusive lock file (O_EXCL, the owner's pid inside).
 * A lock whose owner died is taken over. `onTimeout` makes the error to throw
 * when the lock stays held past `timeoutMs`.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  onTimeout: (pid: number | null) => Error,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
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
    if (Date.now() > deadline) throw onTimeout(Number.isFinite(pid) ? pid : null);
    await sleep(20 + Math.random() * 30);
  }
  try {
    return await fn();
  } finally {
    const current = await readFile(lockPath, 'utf8').catch(() => '');
    if (current === token) await rm(lockPath, { force: true });
  }
}
