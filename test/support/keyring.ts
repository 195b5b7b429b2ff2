import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Keyring } from '../../keyring/keyring.ts';
import { KeyStore } from '../../keyring/store.ts';
import { UnlockSession } from '../../keyring/session.ts';
import type { OpContext } from '../../keyring/operations.ts';

export function tempHome(prefix = 'sealpost-test-'): { home: string; cleanup(): void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export function keyringAt(home: string): OpContext {
  return { keyring: new Keyring(new KeyStore(home)), session: new UnlockSession() };
}

/** A digest of every file under the profile's keyring folder: equal digests, unchanged keyring. */
export function keyringSnapshot(home: string): string {
  const hash = createHash('sha256');
  const dir = join(home, 'keyring');
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name === 'lock') continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(`${p}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

export async function collectStream(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const streamOf = (b: Uint8Array): ReadableStream<Uint8Array> => new Blob([b]).stream();
