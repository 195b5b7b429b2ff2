/**
 * The `accounts` table: one row per mail account, without its password (that
 * lives in a SecretStore, keyed by the account id). Validation of what goes
 * in is main/accounts/accounts.ts's job; this module stores and reads.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { isConstraintError, transaction } from './database.ts';
import { int, json, text, textOrNull, type Row } from './rows.ts';

/** `tls`: TLS from the first byte (imaps, smtps). `starttls`: required upgrade. `none`: plain text, only when asked for. */
export type TransportSecurity = 'tls' | 'starttls' | 'none';

export interface ServerSettings {
  host: string;
  port: number;
  security: TransportSecurity;
  user: string;
}

export interface AccountRow {
  id: string;
  email: string;
  /** The address in its comparison form (one account per address). */
  emailKey: string;
  displayName: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  /** Extra trusted CA certificates (PEM) for this account's servers. */
  caPem: string | null;
  /** The command whose output is the password (nothing stored), or null when the password is in the secret store. */
  passwordCommand: string | null;
  createdAt: number;
  updatedAt: number;
}

export type AccountPatch = Partial<Pick<AccountRow, 'email' | 'emailKey' | 'displayName' | 'imap' | 'smtp' | 'caPem' | 'passwordCommand'>>;

function fromRow(row: Row): AccountRow {
  return {
    id: text(row, 'id'),
    email: text(row, 'email'),
    emailKey: text(row, 'email_key'),
    displayName: text(row, 'display_name'),
    imap: json<ServerSettings>(row, 'imap'),
    smtp: json<ServerSettings>(row, 'smtp'),
    caPem: textOrNull(row, 'ca_pem'),
    passwordCommand: textOrNull(row, 'password_command'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
  };
}

export function insertAccount(db: DatabaseSync, account: AccountRow): AccountRow {
  try {
    return transaction(db, () => {
      const row = db
        .prepare(
          `INSERT INTO accounts (id, email, email_key, display_name, imap, smtp, ca_pem, password_command, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          account.id,
          account.email,
          account.emailKey,
          account.displayName,
          JSON.stringify(account.imap),
          JSON.stringify(account.smtp),
          account.caPem,
          account.passwordCommand,
          account.createdAt,
          account.updatedAt,
        );
      return fromRow(row!);
    });
  } catch (e) {
    if (isConstraintError(e, 'unique')) throw new SealpostError('account-exists', account.email, { email: account.email });
    throw e;
  }
}

export function getAccount(db: DatabaseSync, id: string): AccountRow | null {
  const row = db.prepare('SELECT * FROM accounts WHERE id = ?').get(id);
  return row ? fromRow(row) : null;
}

export function findAccountByEmailKey(db: DatabaseSync, emailKey: string): AccountRow | null {
  const row = db.prepare('SELECT * FROM accounts WHERE email_key = ?').get(emailKey);
  return row ? fromRow(row) : null;
}

export function listAccounts(db: DatabaseSync): AccountRow[] {
  return db.prepare('SELECT * FROM accounts ORDER BY created_at, email_key').all().map(fromRow);
}

export function updateAccount(db: DatabaseSync, id: string, patch: AccountPatch, now = Date.now()): AccountRow {
  try {
    return transaction(db, () => {
      const current = getAccount(db, id);
      if (!current) throw new SealpostError('account-not-found', id, { account: id.slice(0, 320) });
      const next = { ...current, ...patch };
      const row = db
        .prepare(
          `UPDATE accounts SET email = ?, email_key = ?, display_name = ?, imap = ?, smtp = ?, ca_pem = ?, password_command = ?, updated_at = ?
           WHERE id = ? RETURNING *`,
        )
        .get(
          next.email,
          next.emailKey,
          next.displayName,
          JSON.stringify(next.imap),
          JSON.stringify(next.smtp),
          next.caPem,
          next.passwordCommand,
          now,
          id,
        );
      return fromRow(row!);
    });
  } catch (e) {
    if (isConstraintError(e, 'unique')) throw new SealpostError('account-exists', patch.email ?? id, { email: patch.email ?? id });
    throw e;
  }
}

export interface UnsentWork {
  /** Outbox messages not yet sent, or sent but not yet copied to Sent and cleared. */
  outbox: number;
  /** Drafts whose latest revision is only on this device. */
  drafts: number;
}

export function unsentWork(db: DatabaseSync, accountId: string): UnsentWork {
  const outbox = db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE account_id = ?').get(accountId);
  const drafts = db
    .prepare('SELECT COUNT(*) AS n FROM drafts WHERE account_id = ? AND (synced_revision IS NULL OR synced_revision < revision)')
    .get(accountId);
  return { outbox: int(outbox!, 'n'), drafts: int(drafts!, 'n') };
}

/**
 * Removes an account and its local copy of the server (folders, messages,
 * pending actions). Mail that exists only here (outbox, unsaved drafts)
 * blocks the removal unless `force`; the schema refuses it as well.
 * Returns false when there was no such account.
 */
export function deleteAccount(db: DatabaseSync, id: string, options: { force?: boolean } = {}): boolean {
  return transaction(db, () => {
    if (!getAccount(db, id)) return false;
    const unsent = unsentWork(db, id);
    if ((unsent.outbox > 0 || unsent.drafts > 0) && !options.force) {
      throw new SealpostError('account-has-unsent', `${unsent.outbox} in the outbox, ${unsent.drafts} unsaved draft(s)`, unsent);
    }
    db.prepare('DELETE FROM outbox WHERE account_id = ?').run(id);
    db.prepare('DELETE FROM drafts WHERE account_id = ?').run(id);
    db.prepare('DELETE FROM accounts WHERE id = ?').run(id);
    return true;
  });
}
