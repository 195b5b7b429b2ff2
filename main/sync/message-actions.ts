/**
 * What the user does to messages: read/unread, flag/unflag, move, delete to
 * Trash, archive. Each action is applied to the local store at once (the
 * list shows it immediately, online or not) and queued as a pending action
 * in the same transaction; `replayActions` applies the queue to the server
 * in order when it can be reached (main/sync/replay-actions.ts).
 *
 * A move takes the messages out of the source folder locally; they appear
 * in the target folder with its next sync, under the UIDs the server gives
 * them there. Deleting from Trash (or from a folder when the account has no
 * Trash) removes the messages for good, as every mail client does.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { transaction } from '../store/database.ts';
import { findFolder, findFolderByRole, recountFolder, type FolderRole } from '../store/folders.ts';
import { imapNumber, type ImapNumberInput } from '../store/imap-ids.ts';
import { getMessage, normalizeFlags, removeMessages, updateFlags } from '../store/messages.ts';
import { enqueueAction, type PendingAction } from '../store/pending-actions.ts';

import { MESSAGE_ACTIONS } from '../../app/mail.ts';

export { MESSAGE_ACTIONS };
export type MessageActionKind = (typeof MESSAGE_ACTIONS)[number];

export interface MessageActionInput {
  kind: MessageActionKind;
  /** The folder the messages are in, by path. */
  folder: string;
  uids: readonly string[];
  /** For `move`: the target folder's path. */
  to?: string;
}

/** Folder names used when the account has no folder with the role yet; the replay creates it on the server. */
export const DEFAULT_FOLDER_NAMES: Partial<Record<FolderRole, string>> = {
  trash: 'Trash',
  archive: 'Archive',
  sent: 'Sent',
  drafts: 'Drafts',
};

const FLAG_CHANGES: Partial<Record<MessageActionKind, { add: string[]; remove: string[] }>> = {
  read: { add: ['\\Seen'], remove: [] },
  unread: { add: [], remove: ['\\Seen'] },
  flag: { add: ['\\Flagged'], remove: [] },
  unflag: { add: [], remove: ['\\Flagged'] },
};

export interface MessageActionResult {
  /** The queued server action. */
  queued: PendingAction;
  /** Messages changed in the local store. */
  changed: number;
}

/** Applies the action locally and queues it for the server, in one transaction. */
export function applyMessageAction(db: DatabaseSync, accountId: string, input: MessageActionInput, now = Date.now()): MessageActionResult {
  if (!(MESSAGE_ACTIONS as readonly string[]).includes(input.kind))
    throw new SealpostError('bad-input', `unknown message action "${String(input.kind).slice(0, 40)}"`);
  if (!Array.isArray(input.uids) || input.uids.length === 0 || input.uids.length > 10_000)
    throw new SealpostError('bad-input', 'an action needs 1 to 10000 messages');
  const uids = [...new Set(input.uids.map((u: ImapNumberInput) => imapNumber(u, 'UID')))];
  return transaction(db, () => {
    const folder = findFolder(db, accountId, input.folder);
    if (!folder) throw new SealpostError('bad-input', `no folder "${input.folder.slice(0, 200)}" in this account`);
    if (folder.uidvalidity === null) throw new SealpostError('bad-input', `${folder.path} has not been synced yet`);
    const present = uids.filter((uid) => getMessage(db, folder.id, uid) !== null);
    if (present.length === 0) throw new SealpostError('bad-input', `none of these messages is in ${folder.path}; sync the folder first`);
    const on = { folder: folder.path, uidvalidity: folder.uidvalidity, uids: present };

    const flagChange = FLAG_CHANGES[input.kind];
    if (flagChange) {
      const updates = present.map((uid) => {
        const flags = new Set(getMessage(db, folder.id, uid)!.flags);
        for (const f of flagChange.add) flags.add(f);
        for (const f of flagChange.remove) flags.delete(f);
        return { uid, flags: normalizeFlags([...flags]) };
      });
      const changed = updateFlags(db, folder.id, updates);
      recountFolder(db, folder.id);
      return { queued: enqueueAction(db, accountId, { kind: 'set-flags', payload: { ...on, ...flagChange } }, now), changed };
    }

    let target: string | null;
    if (input.kind === 'move') {
      if (typeof input.to !== 'string' || input.to === '') throw new SealpostError('bad-input', 'a move needs a target folder');
      const to = findFolder(db, accountId, input.to);
      if (!to) throw new SealpostError('bad-input', `no folder "${input.to.slice(0, 200)}" in this account`);
      target = to.path;
    } else {
      const role: FolderRole = input.kind === 'trash' ? 'trash' : 'archive';
      target = findFolderByRole(db, accountId, role)?.path ?? DEFAULT_FOLDER_NAMES[role]!;
    }
    if (target === folder.path) {
      // Deleting what is already in Trash deletes it for good; archiving what is in the archive does nothing.
      if (input.kind !== 'trash') throw new SealpostError('bad-input', `the messages are already in ${folder.path}`);
      target = null;
    }
    const changed = removeMessages(db, folder.id, present);
    recountFolder(db, folder.id);
    const queued =
      target === null
        ? enqueueAction(db, accountId, { kind: 'delete', payload: on }, now)
        : enqueueAction(db, accountId, { kind: 'move', payload: { ...on, to: target } }, now);
    return { queued, changed };
  });
}
