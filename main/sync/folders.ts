/**
 * The account's folder list: LIST (with STATUS counts) from the server,
 * into the store's `folders` table.
 *
 * - Roles come from RFC 6154 special-use attributes (`\Sent`, `\Drafts`,
 *   `\Trash`, `\Junk`, `\Archive`, `\All`, `\Flagged`) and INBOX; a server
 *   without SPECIAL-USE gets the usual English names as a fallback. One
 *   folder per role: a server's attribute wins over a name.
 * - Folders that cannot be selected (`\Noselect`, `\NonExistent`) hold no
 *   messages and are not stored.
 * - A folder that is gone from the server is removed with its messages
 *   (`removeFolder` keeps drafts saved there, as unsaved).
 * - The STATUS UIDVALIDITY is recorded at once (`checkUidValidity`): a
 *   mailbox that was recreated is cleared before anything else reads it.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { ListResponse, StatusObject } from 'imapflow';
import { transaction } from '../store/database.ts';
import { checkUidValidity, getFolder, listFolders, removeFolder, upsertFolder, type FolderRole, type FolderRow } from '../store/folders.ts';
import type { ImapSession } from '../mail/imap-session.ts';

const SPECIAL_USE: Record<string, FolderRole> = {
  '\\inbox': 'inbox',
  '\\sent': 'sent',
  '\\drafts': 'drafts',
  '\\trash': 'trash',
  '\\junk': 'junk',
  '\\archive': 'archive',
  '\\all': 'all',
  '\\flagged': 'flagged',
};

/** Usual names (the last path segment, case-insensitive) for servers without SPECIAL-USE. */
const NAMES: Record<string, FolderRole> = {
  inbox: 'inbox',
  sent: 'sent',
  'sent items': 'sent',
  'sent messages': 'sent',
  'sent mail': 'sent',
  drafts: 'drafts',
  draft: 'drafts',
  trash: 'trash',
  'deleted items': 'trash',
  'deleted messages': 'trash',
  bin: 'trash',
  junk: 'junk',
  spam: 'junk',
  'junk e-mail': 'junk',
  'junk email': 'junk',
  archive: 'archive',
  archives: 'archive',
};

export interface ListedFolder {
  path: string;
  delimiter: string | null;
  /** The RFC 6154 attribute the server sent, if any (`\Sent`, ...). */
  specialUse: string | null;
  /** Whether `specialUse` came from the server (not from imapflow's or our guess by name). */
  fromServer: boolean;
  flags: readonly string[];
}

/**
 * Roles for a LIST result: the server's attributes first, then names. A role
 * is given to one folder only. INBOX is always the inbox.
 */
export function assignRoles(folders: readonly ListedFolder[]): Map<string, FolderRole> {
  const roles = new Map<string, FolderRole>();
  const taken = new Set<FolderRole>();
  const give = (path: string, role: FolderRole | undefined) => {
    if (!role || taken.has(role) || roles.has(path)) return;
    roles.set(path, role);
    taken.add(role);
  };
  for (const f of folders) if (f.path.toUpperCase() === 'INBOX') give(f.path, 'inbox');
  for (const f of folders) if (f.fromServer && f.specialUse) give(f.path, SPECIAL_USE[f.specialUse.toLowerCase()]);
  for (const f of folders) {
    const name = (f.delimiter ? f.path.split(f.delimiter).pop()! : f.path).toLowerCase();
    // Top-level names only, as mail clients agree: "Projects/Sent" is not the Sent folder.
    const topLevel = !f.delimiter || !f.path.includes(f.delimiter);
    give(f.path, (f.specialUse ? SPECIAL_USE[f.specialUse.toLowerCase()] : undefined) ?? (topLevel ? NAMES[name] : undefined));
  }
  return roles;
}

function selectable(entry: ListResponse): boolean {
  for (const flag of entry.flags ?? []) {
    const f = flag.toLowerCase();
    if (f === '\\noselect' || f === '\\nonexistent') return false;
  }
  return true;
}

export interface SyncedFolder {
  folder: FolderRow;
  /** STATUS as listed (messages, unseen, uidNext, uidValidity, highestModseq), when the server answered it. */
  status: StatusObject | null;
}

export interface FolderListResult {
  folders: SyncedFolder[];
  /** Paths removed from the store because the server no longer has them. */
  removed: string[];
}

/** Lists the account's folders on the server and brings the store's folder list up to date. */
export async function syncFolderList(db: DatabaseSync, accountId: string, session: ImapSession): Promise<FolderListResult> {
  const listed = await session.step('the folder list', () =>
    session.client.list({ statusQuery: { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: true } }),
  );
  const usable = listed.filter(selectable);
  const roles = assignRoles(
    usable.map((e) => ({
      path: e.path,
      delimiter: e.delimiter || null,
      specialUse: e.specialUse ?? null,
      fromServer: e.specialUseSource === 'extension',
      flags: [...(e.flags ?? [])],
    })),
  );
  return transaction(db, () => {
    const present = new Set(usable.map((e) => e.path));
    const removed: string[] = [];
    for (const old of listFolders(db, accountId)) {
      if (!present.has(old.path)) {
        removeFolder(db, old.id);
        removed.push(old.path);
      }
    }
    // Every listed folder is written with its role (or none), so a role the server moved moves here too.
    const folders = usable.map((e) => {
      let row = upsertFolder(db, accountId, { path: e.path, delimiter: e.delimiter || null, role: roles.get(e.path) ?? null });
      if (e.status?.uidValidity !== undefined) {
        checkUidValidity(db, row.id, e.status.uidValidity);
        row = getFolder(db, row.id)!;
      }
      return { folder: row, status: e.status ?? null };
    });
    return { folders, removed };
  });
}
