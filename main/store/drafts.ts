/**
 * Drafts: the message being written, as the raw RFC 5322 bytes that will be
 * appended to the server's Drafts folder. When the message will be sent
 * encrypted, the draft is stored encrypted (to the sender) by the caller:
 * this module stores bytes and never sees plaintext of an encrypted draft.
 *
 * Each save is a new `revision`; `synced_revision` says which revision is on
 * the server (at `server_folder_id`/`server_uid`). A draft whose revision is
 * newer than the synced one exists only on this device.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { transaction } from './database.ts';
import { getFolder } from './folders.ts';
import { imapNumber, type ImapNumberInput } from './imap-ids.ts';
import { enqueueAction } from './pending-actions.ts';
import { blob, int, intOrNull, text, textOrNull, type Row } from './rows.ts';

export interface DraftItem {
  id: number;
  accountId: string;
  encrypted: boolean;
  revision: number;
  syncedRevision: number | null;
  /** Where the last synced revision lies on the server, if anywhere. */
  server: { folderId: number; uid: string } | null;
  /** The latest revision exists only on this device. */
  unsaved: boolean;
  createdAt: number;
  updatedAt: number;
  size: number;
}

export interface Draft extends DraftItem {
  raw: Uint8Array;
}

const ITEM_COLUMNS = `id, account_id, encrypted, revision, synced_revision, server_folder_id, server_uid, created_at, updated_at,
  length(raw) AS size`;

function itemFromRow(row: Row): DraftItem {
  const folderId = intOrNull(row, 'server_folder_id');
  const uid = textOrNull(row, 'server_uid');
  const revision = int(row, 'revision');
  const synced = intOrNull(row, 'synced_revision');
  return {
    id: int(row, 'id'),
    accountId: text(row, 'account_id'),
    encrypted: int(row, 'encrypted') === 1,
    revision,
    syncedRevision: synced,
    server: folderId !== null && uid !== null ? { folderId, uid } : null,
    unsaved: synced === null || synced < revision,
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
    size: int(row, 'size'),
  };
}

export interface DraftInput {
  accountId: string;
  raw: Uint8Array;
  /** Whether `raw` is an encrypted message (the draft of a message that will be sent encrypted). */
  encrypted: boolean;
}

/** Saves a new draft (no `id`) or a new revision of one. */
export function saveDraft(db: DatabaseSync, input: DraftInput & { id?: number }, now = Date.now()): DraftItem {
  if (!(input.raw instanceof Uint8Array)) throw new SealpostError('bad-input', 'a draft is bytes');
  return transaction(db, () => {
    if (input.id === undefined) {
      const row = db
        .prepare(`INSERT INTO drafts (account_id, raw, encrypted, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING ${ITEM_COLUMNS}`)
        .get(input.accountId, input.raw, input.encrypted ? 1 : 0, now, now);
      return itemFromRow(row!);
    }
    const row = db
      .prepare(
        `UPDATE drafts SET raw = ?, encrypted = ?, revision = revision + 1, updated_at = ? WHERE id = ? AND account_id = ?
         RETURNING ${ITEM_COLUMNS}`,
      )
      .get(input.raw, input.encrypted ? 1 : 0, now, input.id, input.accountId);
    if (!row) throw new SealpostError('bad-input', `no draft ${input.id} for this account`);
    return itemFromRow(row);
  });
}

export function getDraft(db: DatabaseSync, id: number): Draft | null {
  const row = db.prepare(`SELECT ${ITEM_COLUMNS}, raw FROM drafts WHERE id = ?`).get(id);
  return row ? { ...itemFromRow(row), raw: blob(row, 'raw') } : null;
}

/** An account's drafts, most recently changed first, without the bytes. */
export function listDrafts(db: DatabaseSync, accountId: string): DraftItem[] {
  return db
    .prepare(`SELECT ${ITEM_COLUMNS} FROM drafts WHERE account_id = ? ORDER BY updated_at DESC, id DESC`)
    .all(accountId)
    .map(itemFromRow);
}

/** Drafts whose latest revision is not on the server yet, oldest change first. */
export function unsavedDrafts(db: DatabaseSync, accountId: string): DraftItem[] {
  return db
    .prepare(
      `SELECT ${ITEM_COLUMNS} FROM drafts WHERE account_id = ? AND (synced_revision IS NULL OR synced_revision < revision)
       ORDER BY updated_at, id`,
    )
    .all(accountId)
    .map(itemFromRow);
}

/** Queues the deletion of a draft's server copy (by folder path and UIDVALIDITY, see pending-actions.ts). */
function queueServerDelete(db: DatabaseSync, accountId: string, server: { folderId: number; uid: string } | null): void {
  if (!server) return;
  const folder = getFolder(db, server.folderId);
  if (!folder || folder.uidvalidity === null) return;
  enqueueAction(db, accountId, { kind: 'delete', payload: { folder: folder.path, uidvalidity: folder.uidvalidity, uids: [server.uid] } });
}

/**
 * The sync appended `revision` of the draft as `uid` in `folderId`. If the
 * user saved again meanwhile, the draft stays unsaved (the newer revision
 * goes up next). A previous server copy is queued for deletion. Returns
 * false when the draft is gone or the revision is older than the synced one.
 */
export function markDraftSynced(
  db: DatabaseSync,
  id: number,
  synced: { revision: number; folderId: number; uid: ImapNumberInput },
): boolean {
  const uid = imapNumber(synced.uid, 'UID');
  return transaction(db, () => {
    const row = db.prepare(`SELECT ${ITEM_COLUMNS} FROM drafts WHERE id = ?`).get(id);
    if (!row) return false;
    const draft = itemFromRow(row);
    if (synced.revision > draft.revision || (draft.syncedRevision !== null && synced.revision <= draft.syncedRevision)) return false;
    if (draft.server && (draft.server.folderId !== synced.folderId || draft.server.uid !== uid))
      queueServerDelete(db, draft.accountId, draft.server);
    db.prepare('UPDATE drafts SET synced_revision = ?, server_folder_id = ?, server_uid = ? WHERE id = ?').run(
      synced.revision,
      synced.folderId,
      uid,
      id,
    );
    return true;
  });
}

/**
 * Deletes a draft (sent or discarded); its server copy, if any, is queued
 * for deletion in the same transaction. Returns false if there was none.
 */
export function deleteDraft(db: DatabaseSync, id: number): boolean {
  return transaction(db, () => {
    const row = db.prepare(`SELECT ${ITEM_COLUMNS} FROM drafts WHERE id = ?`).get(id);
    if (!row) return false;
    const draft = itemFromRow(row);
    queueServerDelete(db, draft.accountId, draft.server);
    db.prepare('DELETE FROM drafts WHERE id = ?').run(id);
    return true;
  });
}
