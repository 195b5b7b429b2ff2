import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ioDetails, SealpostError } from '../app/errors.ts';
import { KeyringMetaFile, type AddressMeta, type EntryMeta } from '../app/keys.ts';

export type { AddressMeta, EntryMeta };
import { syncDirectory, writeFileAtomic, writeFileDurably, readFileIfExists } from '../app/node/atomic-file.ts';
import { withFileLock } from '../app/node/file-lock.ts';

/**
 * The keyring on disk, in OpenPGP-native files:
 *
 *   keyring/CURRENT            name of the live generation ("gen-…")
 *   keyring/gen-…/pubring.asc  every certificate, one armored block each
 *   keyring/gen-…/secring.asc  every secret key, still passphrase-protected, one block each
 *   keyring/gen-…/meta.json    trust, sources, stored revocation certificates
 *   keyring/lock               writers' lock (pid of the holder)
 *
 * A write builds a complete new generation folder, fsyncs it, then replaces
 * CURRENT atomically. Killing the process at any point leaves CURRENT naming
 * the old or the new generation, each complete: the keyring is never a mix.
 */

export interface KeyringFiles {
  /** The generation these files were read from ('' for an empty keyring). */
  generation: string;
  pubring: string;
  secring: string;
  meta: Record<string, EntryMeta>;
  /** Per address (its comparison form): the key in use. */
  addresses: Record<string, AddressMeta>;
}

const EMPTY: KeyringFiles = { generation: '', pubring: '', secring: '', meta: {}, addresses: {} };

export class KeyStore {
  readonly dir: string;
  constructor(home: string) {
    this.dir = join(home, 'keyring');
  }

  private get currentPath(): string {
    return join(this.dir, 'CURRENT');
  }

  /** The name of the live generation ('' when there is none): cheap, for caches. */
  async currentGeneration(): Promise<string> {
    return (await readFileIfExists(this.currentPath))?.toString('utf8').trim() ?? '';
  }

  /** The live generation; readers take no lock (a writer never changes a generation in place). */
  async read(): Promise<KeyringFiles> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readOnce();
      } catch (e) {
        // A writer removed the generation we were reading: read the new one.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        if (e instanceof SealpostError) throw e;
        if ((e as NodeJS.ErrnoException).code) throw asStorageError(e, this.dir);
        throw new SealpostError('keyring-corrupt', `${this.dir}: ${(e as Error).message}`);
      }
    }
  }

  private async readOnce(): Promise<KeyringFiles> {
    const current = await readFileIfExists(this.currentPath);
    if (current === null) return EMPTY;
    const gen = current.toString('utf8').trim();
    if (!/^gen-[0-9a-z-]+$/.test(gen)) throw new SealpostError('keyring-corrupt', `${this.currentPath} does not name a generation`);
    const base = join(this.dir, gen);
    const [pubring, secring, metaText] = await Promise.all([
      readFile(join(base, 'pubring.asc'), 'utf8'),
      readFile(join(base, 'secring.asc'), 'utf8'),
      readFile(join(base, 'meta.json'), 'utf8'),
    ]);
    let meta: KeyringMetaFile;
    try {
      meta = KeyringMetaFile.parse(JSON.parse(metaText));
    } catch {
      throw new SealpostError('keyring-corrupt', `${join(base, 'meta.json')} is not valid`);
    }
    return { generation: gen, pubring, secring, meta: meta.keys, addresses: meta.addresses };
  }

  /** Read, change, write, under the writers' lock. `change` returns null to write nothing. */
  async update<T>(change: (files: KeyringFiles) => Promise<{ files: Omit<KeyringFiles, 'generation'> | null; value: T }>): Promise<T> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      return await withFileLock(
        join(this.dir, 'lock'),
        async () => {
          const { files, value } = await change(await this.read());
          if (files) await this.writeGeneration(files);
          return value;
        },
        {
          onTimeout: (pid) =>
            pid !== null && Number.isSafeInteger(pid) && pid > 0
              ? new SealpostError('keyring-busy', `lock held by process ${pid}`, { pid })
              : new SealpostError('keyring-busy', 'lock held by process unknown'),
          timeoutMs: 15_000,
        },
      );
    } catch (e) {
      throw asStorageError(e, this.dir);
    }
  }

  private async writeGeneration(files: Omit<KeyringFiles, 'generation'>): Promise<void> {
    const gen = `gen-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const base = join(this.dir, gen);
    await mkdir(base, { mode: 0o700 });
    try {
      await writeFileDurably(join(base, 'pubring.asc'), files.pubring);
      await writeFileDurably(join(base, 'secring.asc'), files.secring);
      await writeFileDurably(
        join(base, 'meta.json'),
        JSON.stringify({ version: 1, keys: files.meta, addresses: files.addresses }, null, 1),
      );
      await syncDirectory(base);
      await writeFileAtomic(this.currentPath, `${gen}\n`);
    } catch (e) {
      await rm(base, { recursive: true, force: true });
      throw e;
    }
    // Old generations are garbage now; a reader still on one retries on ENOENT.
    for (const name of await readdir(this.dir)) {
      const stale = (name.startsWith('gen-') && name !== gen) || (name.startsWith('.CURRENT.') && name.endsWith('.tmp'));
      if (stale) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }
}

/** File-system failures (no permission, disk full, read-only) named with their folder; other errors pass through. */
function asStorageError(e: unknown, dir: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (e instanceof SealpostError || !code) return e;
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOSPC: 'the disk is full',
    EROFS: 'read-only file system',
    ENOTDIR: 'not a folder',
  };
  return new SealpostError('io', `${dir}: ${why[code] ?? code}`, ioDetails(dir, e));
}
