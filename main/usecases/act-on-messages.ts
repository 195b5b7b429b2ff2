/**
 * Acting on messages (flags, move, delete, archive): applied in the store at
 * once and queued for the server in one transaction (sync/message-actions.ts);
 * the server follows with the next flush or sync (sync/replay-actions.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Account } from '../accounts/accounts.ts';
import { listFolders } from '../store/folders.ts';
import { applyMessageAction, type MessageActionInput } from '../sync/message-actions.ts';

export interface ActedOn {
  /** Messages changed in the store. */
  changed: number;
  /** The folders whose lists changed (the folder acted in, and a move's target). */
  folderIds: number[];
}

export function actOnMessages(db: DatabaseSync, account: Account, action: MessageActionInput, now: number): ActedOn {
  const { changed } = applyMessageAction(db, account.id, action, now);
  const folders = listFolders(db, account.id);
  const touched = new Set([action.folder, ...(action.to !== undefined ? [action.to] : [])]);
  return { changed, folderIds: folders.filter((f) => touched.has(f.path)).map((f) => f.id) };
}
