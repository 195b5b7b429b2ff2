import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { insertAccount, type AccountRow } from '../../../main/store/accounts.ts';

export function tempHome(prefix = 'sealpost-store-'): { home: string; cleanup(): void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

let n = 0;

/** An account row straight into the store (the Accounts service is tested on its own). */
export function addTestAccount(db: DatabaseSync, email = `user${++n}@example.org`): AccountRow {
  return insertAccount(db, {
    id: `acct-${email}`,
    email,
    emailKey: email.toLowerCase(),
    displayName: '',
    imap: { host: 'imap.example.org', port: 993, security: 'tls', user: email },
    smtp: { host: 'smtp.example.org', port: 465, security: 'tls', user: email },
    caPem: null,
    passwordCommand: null,
    createdAt: 1,
    updatedAt: 1,
  });
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
