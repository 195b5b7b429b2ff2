import { join } from 'node:path';
import { ioDetails, SealpostError } from '../../app/errors.ts';
import { readFileIfExists, writeFileAtomic } from '../../app/node/atomic-file.ts';
import type { SecretStore } from '../accounts/secret-store.ts';

/**
 * Account passwords in the app: each one encrypted with Electron's
 * safeStorage (the macOS Keychain, Windows DPAPI, or on Linux the key kept by
 * the desktop's secret service) and kept in `<userData>/secrets.safe.json`:
 *
 *   { "format": "sealpost-safe-secrets", "version": 1, "entries": [[accountId, base64 ciphertext], ...] }
 *
 * On Linux without a secret service Chromium falls back to "basic_text", a
 * key compiled into every copy of Chromium: that is plain text with extra
 * steps, so it is refused, with an error that tells the user what to
 * install, and there is no fallback. Every write replaces the file
 * atomically (temporary file, fsync, rename); a damaged file is reported
 * and never overwritten.
 */

export const SAFE_SECRETS_FILE = 'secrets.safe.json';
const FORMAT = 'sealpost-safe-secrets';
const VERSION = 1;
const MAX_ID = 200;
const MAX_SECRET = 64 * 1024;

/** The parts of Electron's safeStorage this store uses (a test passes a fake). The async API is used where there is one. */
export interface SafeStorageApi {
  isEncryptionAvailable(): boolean;
  getSelectedStorageBackend?(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  encryptStringAsync?(plainText: string): Promise<Buffer>;
  decryptStringAsync?(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }>;
}

/** Linux backends that do not protect anything: Chromium's built-in key, or none chosen yet. */
const REFUSED_LINUX_BACKENDS = new Set(['basic_text', 'unknown']);

export const NO_SECRET_SERVICE_MESSAGE =
  'This system has no secret service to keep account passwords safe, and Sealpost does not store them as plain text. ' +
  'Install and unlock GNOME Keyring or KWallet (a desktop session usually starts one), then restart Sealpost.';

const NOT_AVAILABLE_MESSAGE =
  "The system's protected storage is not available, so Sealpost cannot keep account passwords. " +
  'Unlock your keychain (macOS) or sign in to your Windows account normally, then restart Sealpost.';

/**
 * Why account passwords cannot be kept on this system, or null when they
 * can (`secret-store-unavailable`); the message names the cause and the
 * fix, and is what the user sees.
 */
export function secretServiceRefusal(
  api: Pick<SafeStorageApi, 'isEncryptionAvailable' | 'getSelectedStorageBackend'>,
  platform: NodeJS.Platform = process.platform,
): SealpostError | null {
  const refuse = (message: string) => SealpostError.from({ code: 'secret-store-unavailable', message, details: {} });
  if (platform === 'linux') {
    const backend = api.getSelectedStorageBackend?.() ?? 'unknown';
    if (REFUSED_LINUX_BACKENDS.has(backend)) return refuse(NO_SECRET_SERVICE_MESSAGE);
    if (!api.isEncryptionAvailable()) return refuse(NO_SECRET_SERVICE_MESSAGE);
    return null;
  }
  return api.isEncryptionAvailable() ? null : refuse(NOT_AVAILABLE_MESSAGE);
}

function checkId(accountId: string): void {
  if (typeof accountId !== 'string' || accountId.length === 0 || accountId.length > MAX_ID) {
    throw new SealpostError('bad-input', 'an account id is 1 to 200 characters');
  }
}

function corrupt(detail: string): SealpostError {
  return new SealpostError('secret-store-corrupt', detail);
}

function parseFile(bytes: Buffer, path: string): Map<string, Buffer> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw corrupt(`${path} is not JSON`);
  }
  const f = doc as { format?: unknown; version?: unknown; entries?: unknown } | null;
  if (!f || typeof f !== 'object' || f.format !== FORMAT) throw corrupt(`${path} is not a Sealpost password store`);
  if (f.version !== VERSION) throw corrupt(`${path}: format version ${String(f.version)} is not known to this version of Sealpost`);
  if (!Array.isArray(f.entries)) throw corrupt(`${path} has no entries`);
  const entries = new Map<string, Buffer>();
  for (const e of f.entries) {
    if (
      !Array.isArray(e) ||
      e.length !== 2 ||
      typeof e[0] !== 'string' ||
      typeof e[1] !== 'string' ||
      !/^[A-Za-z0-9+/]+={0,2}$/.test(e[1])
    ) {
      throw corrupt(`${path} has a damaged entry`);
    }
    entries.set(e[0], Buffer.from(e[1], 'base64'));
  }
  return entries;
}

export interface SafeStorageSecretStoreOptions {
  platform?: NodeJS.Platform;
}

export class SafeStorageSecretStore implements SecretStore {
  readonly path: string;
  readonly #api: SafeStorageApi;
  readonly #platform: NodeJS.Platform;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(api: SafeStorageApi, userData: string, options: SafeStorageSecretStoreOptions = {}) {
    this.#api = api;
    this.path = join(userData, SAFE_SECRETS_FILE);
    this.#platform = options.platform ?? process.platform;
  }

  /** The reason this store cannot be used, or null (checked again by every operation). */
  refusal(): SealpostError | null {
    return secretServiceRefusal(this.#api, this.#platform);
  }

  async get(accountId: string): Promise<string | null> {
    checkId(accountId);
    this.#usable();
    return this.#serial(async () => {
      const entries = await this.#load();
      const encrypted = entries.get(accountId);
      if (!encrypted) return null;
      const { result, shouldReEncrypt } = await this.#decrypt(encrypted);
      if (shouldReEncrypt) {
        // The system rotated its key: store the password under the new one (a failure here loses nothing).
        try {
          entries.set(accountId, await this.#encrypt(result));
          await this.#save(entries);
        } catch {
          // the old ciphertext still decrypts
        }
      }
      return result;
    });
  }

  async set(accountId: string, secret: string): Promise<void> {
    checkId(accountId);
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET) {
      throw new SealpostError('bad-input', 'a password is 1 to 65536 characters');
    }
    this.#usable();
    await this.#serial(async () => {
      const entries = await this.#load();
      entries.set(accountId, await this.#encrypt(secret));
      await this.#save(entries);
    });
  }

  async delete(accountId: string): Promise<void> {
    checkId(accountId);
    // Deleting needs no decryption, and must work even when the secret service is gone (removing an account).
    await this.#serial(async () => {
      const entries = await this.#load();
      if (!entries.delete(accountId)) return;
      await this.#save(entries);
    });
  }

  #usable(): void {
    const refusal = this.refusal();
    if (refusal) throw refusal;
  }

  /** One operation at a time: a read-modify-write never loses another one's change (the app is a single instance). */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #load(): Promise<Map<string, Buffer>> {
    let bytes: Buffer | null;
    try {
      bytes = await readFileIfExists(this.path);
    } catch (e) {
      throw new SealpostError('io', `${this.path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`, ioDetails(this.path, e));
    }
    return bytes === null ? new Map() : parseFile(bytes, this.path);
  }

  async #save(entries: Map<string, Buffer>): Promise<void> {
    const doc = { format: FORMAT, version: VERSION, entries: [...entries].map(([id, c]) => [id, c.toString('base64')]) };
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
    } catch (e) {
      throw new SealpostError('io', `${this.path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot write'}`, ioDetails(this.path, e));
    }
  }

  async #encrypt(secret: string): Promise<Buffer> {
    try {
      return this.#api.encryptStringAsync ? await this.#api.encryptStringAsync(secret) : this.#api.encryptString(secret);
    } catch {
      throw SealpostError.from({
        code: 'secret-store-locked',
        message: "The system's secret service refused to encrypt the password; unlock it and try again",
        details: {},
      });
    }
  }

  async #decrypt(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    try {
      if (this.#api.decryptStringAsync) return await this.#api.decryptStringAsync(encrypted);
      return { result: this.#api.decryptString(encrypted), shouldReEncrypt: false };
    } catch {
      // Another user's or another machine's file, or a secret service that was reset: the password must be entered again.
      throw SealpostError.from({
        code: 'secret-store-locked',
        message:
          "The saved password cannot be decrypted with this system's secret service (it was reset, or the profile was copied from elsewhere); enter the account's password again",
        details: {},
      });
    }
  }
}
