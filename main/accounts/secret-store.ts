/**
 * Where account passwords live, keyed by account id.
 *
 * - In the app: Electron's safeStorage (main/electron; it refuses Linux's
 *   plain-text fallback).
 * - On the command line and in tests: `PassphraseSecretStore`, a file
 *   encrypted under a key derived from a passphrase, or the explicit
 *   `MemorySecretStore`.
 *
 * The methods are async so that every implementation fits (safeStorage's
 * async API, file I/O, a key derivation that must not block the main process).
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { ioDetails, SealpostError } from '../../app/errors.ts';
import { readFileIfExists, writeFileAtomic } from '../../app/node/atomic-file.ts';
import { withFileLock } from '../../app/node/file-lock.ts';

export interface SecretStore {
  /** The secret, or null when there is none for this account. */
  get(accountId: string): Promise<string | null>;
  set(accountId: string, secret: string): Promise<void>;
  /** Removes the secret; nothing happens when there is none. */
  delete(accountId: string): Promise<void>;
}

const MAX_ID = 200;
const MAX_SECRET = 64 * 1024;

function checkId(accountId: string): void {
  if (typeof accountId !== 'string' || accountId.length === 0 || accountId.length > MAX_ID) {
    throw new SealpostError('bad-input', 'an account id is 1 to 200 characters');
  }
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET) {
    throw new SealpostError('bad-input', 'a password is 1 to 65536 characters');
  }
}

/** Secrets in memory only, for tests and for a session that saves nothing. */
export class MemorySecretStore implements SecretStore {
  readonly #secrets = new Map<string, string>();

  async get(accountId: string): Promise<string | null> {
    checkId(accountId);
    return this.#secrets.get(accountId) ?? null;
  }

  async set(accountId: string, secret: string): Promise<void> {
    checkId(accountId);
    checkSecret(secret);
    this.#secrets.set(accountId, secret);
  }

  async delete(accountId: string): Promise<void> {
    checkId(accountId);
    this.#secrets.delete(accountId);
  }
}

export const SECRETS_FILE = 'secrets.json';
const FORMAT = 'sealpost-secrets';
const VERSION = 1;
/** scrypt cost: 2^15 with r=8 takes 32 MiB and about 0.1 s. */
export const DEFAULT_SCRYPT_N = 2 ** 15;

interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

/**
 * `<home>/secrets.json`:
 *
 *   { format, version, kdf: {name: "scrypt", N, r, p, salt}, check, cipher: "aes-256-gcm", iv, data, tag }
 *
 * scrypt(passphrase, salt) gives 64 bytes: the first 32 are the AES-256-GCM
 * key, the last 32 are stored as `check`, so that a wrong passphrase ("locked")
 * is told apart from a damaged file ("corrupt"). `data` is the encrypted JSON
 * of all entries; the header is bound to it as additional authenticated data.
 * Each write has a fresh IV; the salt belongs to the file.
 */
interface SecretsFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  kdf: KdfParams;
  check: string;
  cipher: 'aes-256-gcm';
  iv: string;
  data: string;
  tag: string;
}

function corrupt(detail: string): SealpostError {
  return new SealpostError('secret-store-corrupt', detail);
}

function b64(value: unknown, what: string, length?: { min: number; max: number }): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw corrupt(`${what} is not base64`);
  const bytes = Buffer.from(value, 'base64');
  if (length && (bytes.length < length.min || bytes.length > length.max)) throw corrupt(`${what} has the wrong length`);
  return bytes;
}

function parseFile(bytes: Buffer): SecretsFile {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw corrupt('not JSON');
  }
  const f = doc as Partial<SecretsFile> | null;
  if (!f || typeof f !== 'object' || f.format !== FORMAT) throw corrupt('not a Sealpost password store');
  if (f.version !== VERSION) throw corrupt(`format version ${String(f.version)} is not known to this version of Sealpost`);
  const kdf = f.kdf as Partial<KdfParams> | undefined;
  const power = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 2 ** 14 && n <= 2 ** 18 && (n & (n - 1)) === 0;
  const small = (n: unknown, max: number) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  if (!kdf || kdf.name !== 'scrypt' || !power(kdf.N) || !small(kdf.r, 8) || !small(kdf.p, 4))
    throw corrupt('unusable key derivation parameters');
  b64(kdf.salt, 'salt', { min: 16, max: 64 });
  b64(f.check, 'check', { min: 32, max: 32 });
  if (f.cipher !== 'aes-256-gcm') throw corrupt('unknown cipher');
  b64(f.iv, 'iv', { min: 12, max: 12 });
  b64(f.data, 'data');
  b64(f.tag, 'tag', { min: 16, max: 16 });
  return f as SecretsFile;
}

/** The header as authenticated data: any change to it fails decryption. */
function aad(f: Pick<SecretsFile, 'format' | 'version' | 'kdf' | 'check' | 'cipher'>): Buffer {
  const { name, N, r, p, salt } = f.kdf;
  return Buffer.from(JSON.stringify([f.format, f.version, name, N, r, p, salt, f.check, f.cipher]), 'utf8');
}

function derive(passphrase: string, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase,
      Buffer.from(kdf.salt, 'base64'),
      64,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 },
      (e, key) => (e ? reject(new SealpostError('internal', 'key derivation failed')) : resolve(key)),
    );
  });
}

export interface PassphraseSecretStoreOptions {
  /** scrypt cost for a new file (an existing file keeps its own). */
  scryptN?: number;
  /** How long a write waits for another process's write (ms). */
  lockTimeoutMs?: number;
}

/**
 * Account passwords in `<home>/secrets.json`, encrypted with AES-256-GCM
 * under a key derived with scrypt from a passphrase. Every write replaces
 * the file atomically (temporary file, fsync, rename) under a lock file, so
 * the app and the command line do not lose each other's changes. A wrong
 * passphrase is `secret-store-locked`; a damaged file is
 * `secret-store-corrupt` and is never overwritten. Plaintext is never written.
 */
export class PassphraseSecretStore implements SecretStore {
  readonly path: string;
  readonly #passphrase: string;
  readonly #scryptN: number;
  readonly #lockTimeoutMs: number;
  /** Derived key material per salt and parameters (scrypt is slow on purpose). */
  readonly #keys = new Map<string, Promise<Buffer>>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(home: string, passphrase: string, options: PassphraseSecretStoreOptions = {}) {
    if (typeof passphrase !== 'string' || passphrase.length === 0)
      throw new SealpostError('bad-input', 'the password store needs a passphrase');
    this.path = join(home, SECRETS_FILE);
    this.#passphrase = passphrase.normalize('NFC');
    this.#scryptN = options.scryptN ?? DEFAULT_SCRYPT_N;
    if (![14, 15, 16, 17, 18].some((e) => 2 ** e === this.#scryptN))
      throw new SealpostError('bad-input', 'scryptN must be a power of two from 2^14 to 2^18');
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  /** Checks the passphrase against the file, if there is one (for an early, clear error). */
  async unlock(): Promise<void> {
    await this.#read();
  }

  async get(accountId: string): Promise<string | null> {
    checkId(accountId);
    const entries = await this.#read();
    return entries?.get(accountId) ?? null;
  }

  async set(accountId: string, secret: string): Promise<void> {
    checkId(accountId);
    checkSecret(secret);
    await this.#modify((entries) => {
      entries.set(accountId, secret);
      return true;
    });
  }

  async delete(accountId: string): Promise<void> {
    checkId(accountId);
    await this.#modify((entries) => entries.delete(accountId));
  }

  #key(kdf: KdfParams): Promise<Buffer> {
    const id = `${kdf.N}:${kdf.r}:${kdf.p}:${kdf.salt}`;
    let key = this.#keys.get(id);
    if (!key) {
      key = derive(this.#passphrase, kdf);
      key.catch(() => this.#keys.delete(id));
      this.#keys.set(id, key);
    }
    return key;
  }

  /** The entries, or null when there is no file yet. */
  async #read(): Promise<Map<string, string> | null> {
    return (await this.#load())?.entries ?? null;
  }

  async #load(): Promise<{ file: SecretsFile; entries: Map<string, string> } | null> {
    let bytes: Buffer | null;
    try {
      bytes = await readFileIfExists(this.path);
    } catch (e) {
      throw new SealpostError('io', `${this.path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`, ioDetails(this.path, e));
    }
    if (bytes === null) return null;
    const file = parseFile(bytes);
    const material = await this.#key(file.kdf);
    if (!timingSafeEqual(material.subarray(32), Buffer.from(file.check, 'base64'))) throw new SealpostError('secret-store-locked');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', material.subarray(0, 32), Buffer.from(file.iv, 'base64'));
      decipher.setAAD(aad(file));
      decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]);
    } catch {
      throw corrupt('the encrypted data fails its integrity check');
    }
    try {
      const doc = JSON.parse(plain.toString('utf8')) as { entries?: unknown };
      const entries = new Map<string, string>();
      if (!Array.isArray(doc.entries)) throw new Error('entries');
      for (const e of doc.entries) {
        if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'string') throw new Error('entry');
        entries.set(e[0], e[1]);
      }
      return { file, entries };
    } catch {
      throw corrupt('the decrypted data is not a list of entries');
    } finally {
      plain.fill(0);
    }
  }

  /** Read, change, write back atomically; one change at a time in this process, and under the file lock across processes. */
  #modify(change: (entries: Map<string, string>) => boolean): Promise<void> {
    const run = async () => {
      await withFileLock(
        `${this.path}.lock`,
        async () => {
          const loaded = await this.#load();
          const entries = loaded?.entries ?? new Map<string, string>();
          if (!change(entries)) return;
          const kdf: KdfParams = loaded?.file.kdf ?? {
            name: 'scrypt',
            N: this.#scryptN,
            r: 8,
            p: 1,
            salt: randomBytes(32).toString('base64'),
          };
          const material = await this.#key(kdf);
          const header = {
            format: FORMAT,
            version: VERSION,
            kdf,
            check: material.subarray(32).toString('base64'),
            cipher: 'aes-256-gcm',
          } as const;
          const iv = randomBytes(12);
          const cipher = createCipheriv('aes-256-gcm', material.subarray(0, 32), iv);
          cipher.setAAD(aad(header));
          const plain = Buffer.from(JSON.stringify({ entries: [...entries] }), 'utf8');
          let data: Buffer;
          try {
            data = Buffer.concat([cipher.update(plain), cipher.final()]);
          } finally {
            plain.fill(0);
          }
          const file: SecretsFile = {
            ...header,
            iv: iv.toString('base64'),
            data: data.toString('base64'),
            tag: cipher.getAuthTag().toString('base64'),
          };
          try {
            await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
          } catch (e) {
            throw new SealpostError('io', `${this.path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot write'}`, ioDetails(this.path, e));
          }
        },
        {
          onTimeout: (pid) =>
            pid !== null && Number.isSafeInteger(pid) && pid > 0
              ? new SealpostError('secret-store-busy', `held by process ${pid}`, { pid })
              : new SealpostError('secret-store-busy'),
          timeoutMs: this.#lockTimeoutMs,
        },
      );
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
