import type { PrivateKey } from 'openpgp';
import { upperFingerprint } from './key-info.ts';

interface Unlocked {
  key: PrivateKey;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

export const DEFAULT_UNLOCK_SECONDS = 10 * 60;

/**
 * Unlocked secret keys, each for a limited time. Only the keyring process
 * holds this; "lock now" (or the time limit) drops the key and wipes its
 * secret parameters.
 */
export class UnlockSession {
  private readonly unlocked = new Map<string, Unlocked>();

  add(key: PrivateKey, ttlSeconds = DEFAULT_UNLOCK_SECONDS): { fingerprint: string; expiresAt: number } {
    const fingerprint = upperFingerprint(key);
    this.lock(fingerprint);
    const expiresAt = Date.now() + ttlSeconds * 1000;
    const timer = setTimeout(() => this.lock(fingerprint), ttlSeconds * 1000);
    timer.unref();
    this.unlocked.set(fingerprint, { key, expiresAt, timer });
    return { fingerprint, expiresAt };
  }

  get(fingerprint: string): PrivateKey | null {
    const entry = this.unlocked.get(fingerprint);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.lock(fingerprint);
      return null;
    }
    return entry.key;
  }

  lock(fingerprint?: string): void {
    const targets = fingerprint ? [fingerprint] : [...this.unlocked.keys()];
    for (const fpr of targets) {
      const entry = this.unlocked.get(fpr);
      if (!entry) continue;
      clearTimeout(entry.timer);
      try {
        (entry.key as unknown as { clearPrivateParams(): void }).clearPrivateParams();
      } catch {
        // already cleared
      }
      this.unlocked.delete(fpr);
    }
  }

  list(): Array<{ fingerprint: string; expiresAt: number }> {
    return [...this.unlocked.entries()].map(([fingerprint, e]) => ({ fingerprint, expiresAt: e.expiresAt }));
  }
}
