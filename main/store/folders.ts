/**
 * The `folders` table: an account's IMAP mailboxes and the state that makes
 * sync incremental (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ).
 *
 * The rule of UIDVALIDITY (RFC 9051, 2.3.1.1): when it changes, every UID the
 * client knows for that mailbox is void. `checkUidValidity` then clears the
 * folder's messages, its sync state, and what refers to its old UIDs, in one
 * transaction, before anything from the new mailbox is stored.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { transaction } from './database.ts';
import { imapNumber, imapNumberOrNull, type ImapNumberInput } from './imap-ids.ts';
import { int, intOrNull, text, textOrNull, type Row } from './rows.ts';

import { FOLDER_ROLES } from '../../app/mail.ts';

export { FOLDER_ROLES };
/** RFC 6154 special use (and INBOX), as a role the app knows. */
export type FolderRole = (typeof FOLDER_ROLES)[number];

export interface FolderRow {
  id: number;
  accountId: string;
  /** The mailbox name as the server spells it (decoded from modified UTF-7 when needed). */
  path: string;
  delimiter: string | null;
  role: FolderRole | null;
  uidvalidity: string | null;
  uidnext: string | null;
  highestmodseq: string | null;
  unreadCount: number;
  totalCount: number;
  lastSyncAt: number | null;
}

export interface FolderInput {
  path: string;
  delimiter?: string | null;
  role?: FolderRole | null;
}

function fromRow(row: Row): FolderRow {
  const role = textOrNull(row, 'role');
  return {
    id: int(row, 'id'),
    accountId: text(row, 'account_id'),
    path: text(row, 'path'),
    delimiter: textOrNull(row, 'delimiter'),
    role: role === null ? null : (FOLDER_ROLES as readonly string[]).includes(role) ? (role as FolderRole) : null,
    uidvalidity: textOrNull(row, 'uidvalidity'),
    uidnext: textOrNull(row, 'uidnext'),
    highestmodseq: textOrNull(row, 'highestmodseq'),
    unreadCount: int(row, 'unread_count'),
    totalCount: int(row, 'total_count'),
    lastSyncAt: intOrNull(row, 'last_sync_at'),
  };
}

function checkPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 1000 || /[\0\r\n]/.test(path)) {
    throw new SealpostError('bad-input', 'a folder name must be 1 to 1000 characters without line breaks');
  }
  return path;
}

/** Inserts or updates (delimiter, role) one folder; the sync state of an existing folder is kept. */
export function upsertFolder(db: DatabaseSync, accountId: string, folder: FolderInput): FolderRow {
  return transaction(db, () => {
    const row = db
      .prepare(
        `INSERT INTO folders (account_id, path, delimiter, role) VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id, path) DO UPDATE SET delimiter = excluded.delimiter, role = excluded.role
         RETURNING *`,
      )
      .get(accountId, checkPath(folder.path), folder.delimiter ?? null, folder.role ?? null);
    return fromRow(row!);
  });
}

/** The folder list from a LIST response, in one transaction. Folders not in the list are left alone (see `removeFolder`). */
export function upsertFolders(db: DatabaseSync, accountId: string, folders: readonly FolderInput[]): FolderRow[] {
  return transaction(db, () => folders.map((f) => upsertFolder(db, accountId, f)));
}

export function getFolder(db: DatabaseSync, id: number): FolderRow | null {
  const row = db.prepare('SELECT * FROM folders WHERE id = ?').get(id);
  return row ? fromRow(row) : null;
}

export function findFolder(db: DatabaseSync, accountId: string, path: string): FolderRow | null {
  const row = db.prepare('SELECT * FROM folders WHERE account_id = ? AND path = ?').get(accountId, path);
  return row ? fromRow(row) : null;
}

export function findFolderByRole(db: DatabaseSync, accountId: string, role: FolderRole): FolderRow | null {
  const row = db.prepare('SELECT * FROM folders WHERE account_id = ? AND role = ? ORDER BY id LIMIT 1').get(accountId, role);
  return row ? fromRow(row) : null;
}

export function listFolders(db: DatabaseSync, accountId: string): FolderRow[] {
  return db
    .prepare(`SELECT * FROM folders WHERE account_id = ? ORDER BY CASE WHEN role = 'inbox' THEN 0 ELSE 1 END, path`)
    .all(accountId)
    .map(fromRow);
}

/** A folder renamed on the server (same UIDVALIDITY): queued actions follow it to its new name. */
export function renameFolder(db: DatabaseSync, id: number, path: string): FolderRow {
  return transaction(db, () => {
    const before = getFolder(db, id);
    if (!before) throw new SealpostError('bad-input', `no folder ${id}`);
    const row = db.prepare('UPDATE folders SET path = ? WHERE id = ? RETURNING *').get(checkPath(path), id)!;
    for (const field of ['folder', 'to']) {
      db.prepare(
        `UPDATE pending_actions SET payload = json_set(payload, '$.${field}', ?2)
         WHERE account_id = ?1 AND json_extract(payload, '$.${field}') = ?3`,
      ).run(before.accountId, path, before.path);
    }
    return fromRow(row);
  });
}

/**
 * Removes a folder that is gone from the server, with its messages. Drafts
 * whose server copy was in it become unsaved again, so they are not lost.
 */
export function removeFolder(db: DatabaseSync, id: number): boolean {
  return transaction(db, () => {
    db.prepare('UPDATE drafts SET synced_revision = NULL, server_folder_id = NULL, server_uid = NULL WHERE server_folder_id = ?').run(id);
    return Number(db.prepare('DELETE FROM folders WHERE id = ?').run(id).changes) > 0;
  });
}

export interface UidValidityCheck {
  /** The folder had a UIDVALIDITY and the server now reports another one. */
  changed: boolean;
  /** Messages removed from the local store because of the change. */
  cleared: number;
}

/**
 * Records the server's UIDVALIDITY for a folder (call it on every SELECT,
 * before storing messages). When it differs from the stored one, in one
 * transaction: the folder's messages are deleted, UIDNEXT/HIGHESTMODSEQ and
 * the counts are reset (the next sync is a full one), pending actions on
 * the old UIDs are dropped, and drafts saved in this folder become unsaved
 * again (they will be appended anew).
 */
export function checkUidValidity(db: DatabaseSync, folderId: number, uidvalidity: ImapNumberInput): UidValidityCheck {
  const value = imapNumber(uidvalidity, 'UIDVALIDITY');
  return transaction(db, () => {
    const folder = getFolder(db, folderId);
    if (!folder) throw new SealpostError('bad-input', `no folder ${folderId}`);
    if (folder.uidvalidity === value) return { changed: false, cleared: 0 };
    if (folder.uidvalidity === null) {
      db.prepare('UPDATE folders SET uidvalidity = ? WHERE id = ?').run(value, folderId);
      return { changed: false, cleared: 0 };
    }
    const cleared = Number(db.prepare('DELETE FROM messages WHERE folder_id = ?').run(folderId).changes);
    db.prepare(
      `UPDATE folders SET uidvalidity = ?, uidnext = NULL, highestmodseq = NULL, unread_count = 0, total_count = 0, last_sync_at = NULL
       WHERE id = ?`,
    ).run(value, folderId);
    db.prepare(
      `DELETE FROM pending_actions
       WHERE account_id = ? AND json_extract(payload, '$.folder') = ? AND json_extract(payload, '$.uidvalidity') = ?`,
    ).run(folder.accountId, folder.path, folder.uidvalidity);
    db.prepare('UPDATE drafts SET synced_revision = NULL, server_folder_id = NULL, server_uid = NULL WHERE server_folder_id = ?').run(
      folderId,
    );
    return { changed: true, cleared };
  });
}

export interface FolderSyncState {
  /** The UIDVALIDITY the sync ran under; the update is refused if the folder has another one now. */
  uidvalidity: ImapNumberInput;
  uidnext?: ImapNumberInput | null;
  highestmodseq?: ImapNumberInput | null;
  unreadCount?: number;
  totalCount?: number;
  syncedAt?: number;
}

/**
 * Advances the sync state after the messages up to it are stored (best in
 * the same transaction as the last batch). Returns false, changing nothing,
 * when the folder's UIDVALIDITY is no longer the one the sync ran under.
 */
export function markFolderSynced(db: DatabaseSync, folderId: number, state: FolderSyncState): boolean {
  const uidvalidity = imapNumber(state.uidvalidity, 'UIDVALIDITY');
  const uidnext = imapNumberOrNull(state.uidnext, 'UIDNEXT');
  const modseq = imapNumberOrNull(state.highestmodseq, 'HIGHESTMODSEQ', true);
  for (const n of [state.unreadCount, state.totalCount]) {
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0))
      throw new SealpostError('bad-input', 'a message count must be a non-negative integer');
  }
  return transaction(db, () => {
    const result = db
      .prepare(
        `UPDATE folders SET uidnext = ?, highestmodseq = ?,
           unread_count = COALESCE(?, unread_count), total_count = COALESCE(?, total_count), last_sync_at = ?
         WHERE id = ? AND uidvalidity = ?`,
      )
      .run(uidnext, modseq, state.unreadCount ?? null, state.totalCount ?? null, state.syncedAt ?? Date.now(), folderId, uidvalidity);
    return Number(result.changes) === 1;
  });
}

/** Sets the counts from the local messages (when the server's STATUS is not at hand). */
export function recountFolder(db: DatabaseSync, folderId: number): { unread: number; total: number } {
  return transaction(db, () => {
    const row = db
      .prepare(
        `SELECT COUNT(*) AS total,
                COALESCE(SUM(NOT EXISTS (SELECT 1 FROM json_each(m.flags) WHERE value = '\\Seen')), 0) AS unread
         FROM messages AS m WHERE folder_id = ?`,
      )
      .get(folderId)!;
    const counts = { unread: int(row, 'unread'), total: int(row, 'total') };
    db.prepare('UPDATE folders SET unread_count = ?, total_count = ? WHERE id = ?').run(counts.unread, counts.total, folderId);
    return counts;
  });
}
