/**
 * New unread mail in an inbox, for the `mail.arrived` event: what a sync of
 * the folder stored above the UIDNEXT of the previous complete sync, without
 * `\Seen`.
 *
 * UIDs are assigned in ascending order (RFC 9051, section 2.3.1.1), so every
 * message that reached the folder since the last complete sync has a UID of
 * at least the UIDNEXT stored then. The mark is taken before a sync and read
 * after it completed; a sync that failed half-way announces nothing, and its
 * messages are announced by the next complete one (the stored UIDNEXT moves
 * only at the end of a complete sync).
 *
 * Nothing is announced for a folder's first sync (everything would be "new")
 * or when its UIDVALIDITY changed (the folder was read again from scratch,
 * RFC 9051, section 2.3.1.1): that is not mail arriving.
 */
import type { DatabaseSync } from 'node:sqlite';
import { getFolder } from '../store/folders.ts';
import { getMessage, knownUids } from '../store/messages.ts';

export interface InboxMark {
  folderId: number;
  uidvalidity: string;
  uidnext: number;
}

export interface Arrival {
  folderId: number;
  count: number;
  latest: { from: string; subject: string } | null;
}

/** Room in the event for a sender and a subject. */
const FIELD_LIMIT = 400;

/** The folder's state before a sync; null when it never completed one. */
export function markFolder(db: DatabaseSync, folderId: number): InboxMark | null {
  const folder = getFolder(db, folderId);
  if (!folder || folder.uidvalidity === null || folder.uidnext === null) return null;
  return { folderId, uidvalidity: folder.uidvalidity, uidnext: Number(folder.uidnext) };
}

/** What arrived since `mark`, or null when nothing new and unread did (or the folder was read from scratch). */
export function arrivedSince(db: DatabaseSync, mark: InboxMark): Arrival | null {
  const folder = getFolder(db, mark.folderId);
  if (!folder || folder.uidvalidity !== mark.uidvalidity) return null;
  const fresh = knownUids(db, mark.folderId).filter((uid) => Number(uid) >= mark.uidnext);
  let count = 0;
  let latest: Arrival['latest'] = null;
  // Ascending UIDs: the last unread one is the newest.
  for (const uid of fresh) {
    const message = getMessage(db, mark.folderId, uid);
    if (!message || message.flags.some((f) => f.toLowerCase() === '\\seen')) continue;
    count += 1;
    const from = message.from
      ? message.from.name && message.from.name !== message.from.address
        ? `${message.from.name} <${message.from.address}>`
        : message.from.address
      : '';
    latest = { from: from.slice(0, FIELD_LIMIT), subject: message.subject.slice(0, FIELD_LIMIT) };
  }
  return count > 0 ? { folderId: mark.folderId, count, latest } : null;
}
