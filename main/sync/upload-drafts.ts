/**
 * Drafts to the server: each draft whose latest revision exists only here is
 * appended to the account's Drafts folder with `\Draft` and `\Seen`, and the
 * UID it got there is recorded (`markDraftSynced`), which queues the
 * deletion of the previous server copy as a pending action (replayed by the
 * sync, not here).
 *
 * The UID comes from APPENDUID (UIDPLUS, RFC 4315, section 3). A server
 * without it is asked with a UID SEARCH for the draft's Message-ID (each
 * revision gets its own), the highest match being the one just appended
 * (UIDs only grow, RFC 9051, section 2.3.1.1).
 *
 * A draft saved again while its upload runs stays unsaved: the revision
 * that went up is recorded, the newer one goes up next time. A copy that no
 * draft needs any more (the draft was deleted or a newer revision was
 * recorded meanwhile) is queued for deletion at once.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isSealpostError, SealpostError, type ErrorCode } from '../../app/errors.ts';
import { transaction } from '../store/database.ts';
import { getDraft, markDraftSynced, unsavedDrafts } from '../store/drafts.ts';
import { checkUidValidity, findFolderByRole, upsertFolder, type FolderRow } from '../store/folders.ts';
import { enqueueAction } from '../store/pending-actions.ts';
import { headerValue, parseMime } from '../pgp-mime/read/mime-parse.ts';
import { openFolder, type ImapSession } from '../mail/imap-session.ts';

/** The flags of a saved draft (RFC 9051, section 2.3.2). */
export const DRAFT_FLAGS = ['\\Draft', '\\Seen'] as const;

export interface DraftUploadFailure {
  draftId: number;
  code: ErrorCode;
  message: string;
}

export interface UploadDraftsResult {
  /** Drafts appended and recorded (a copy no draft needed any more is queued for deletion, not counted). */
  uploaded: number;
  /** Drafts the server refused; they stay unsaved. */
  failed: DraftUploadFailure[];
  /** Drafts still unsaved afterwards (refused, or saved again during the upload). */
  unsaved: number;
}

/**
 * The account's Drafts folder: the one with the drafts role, or `Drafts`
 * created on the server (an existing one is taken as it is) and stored with
 * that role.
 */
async function draftsFolder(db: DatabaseSync, session: ImapSession, accountId: string): Promise<FolderRow> {
  const known = findFolderByRole(db, accountId, 'drafts');
  if (known) return known;
  const created = await session.step('creating the Drafts folder', () => session.client.mailboxCreate('Drafts'));
  const delimiter = session.client.namespace?.delimiter ?? null;
  return upsertFolder(db, accountId, { path: created.path, delimiter, role: 'drafts' });
}

/** Where an appended message landed, by its Message-ID, for a server that does not say (no UIDPLUS). */
async function findAppended(session: ImapSession, path: string, raw: Uint8Array): Promise<{ uid: number; uidValidity: bigint }> {
  const messageId = headerValue(parseMime(raw).root, 'message-id')?.trim();
  if (!messageId) throw new SealpostError('network-bad-response', `the IMAP server did not say where it saved the draft in ${path}`);
  const lock = await openFolder(session, path);
  try {
    const uids = await session.step(`finding the saved draft in ${path}`, () =>
      session.client.search({ header: { 'message-id': messageId } }, { uid: true }),
    );
    const uid = Array.isArray(uids) && uids.length > 0 ? Math.max(...uids) : null;
    if (uid === null) throw new SealpostError('network-bad-response', `the saved draft was not found in ${path}`);
    return { uid, uidValidity: lock.mailbox.uidValidity };
  } finally {
    lock.release();
  }
}

async function appendDraft(session: ImapSession, path: string, raw: Uint8Array): Promise<{ uid: number; uidValidity: bigint }> {
  const { client } = session;
  const appended = await session.step(`saving a draft in ${path}`, () => client.append(path, raw, [...DRAFT_FLAGS]));
  if (!appended) throw new SealpostError('network-bad-response', `the IMAP server did not save the draft in ${path}`);
  if (appended.uid && appended.uidValidity) return { uid: appended.uid, uidValidity: appended.uidValidity };
  // imapflow finds the UID itself when the folder is selected; its UIDVALIDITY is then the selected one's.
  if (appended.uid && client.mailbox && client.mailbox.path === appended.destination)
    return { uid: appended.uid, uidValidity: client.mailbox.uidValidity };
  return findAppended(session, appended.destination || path, raw);
}

/**
 * Appends every unsaved draft of the account to its Drafts folder, oldest
 * change first. A draft the server refuses is counted and left unsaved;
 * when the connection itself fails, the error is thrown and the drafts not
 * yet uploaded stay as they are.
 */
export async function uploadDrafts(db: DatabaseSync, session: ImapSession, accountId: string): Promise<UploadDraftsResult> {
  const pending = unsavedDrafts(db, accountId);
  const result: UploadDraftsResult = { uploaded: 0, failed: [], unsaved: pending.length };
  if (pending.length === 0) return result;
  const folder = await draftsFolder(db, session, accountId);

  for (const item of pending) {
    // Read now: the draft may have been saved again or deleted since the list was made.
    const draft = getDraft(db, item.id);
    if (!draft || !draft.unsaved) continue;
    let where: { uid: number; uidValidity: bigint };
    try {
      where = await appendDraft(session, folder.path, draft.raw);
    } catch (e) {
      if (!session.client.usable) throw e;
      const error = isSealpostError(e) ? e : new SealpostError('internal', 'the draft could not be saved on the server');
      result.failed.push({ draftId: draft.id, code: error.code, message: error.message });
      continue;
    }
    const recorded = transaction(db, () => {
      // The UIDs of a recreated mailbox are new: what the store knew of the old one is cleared first (RFC 9051, 2.3.1.1).
      checkUidValidity(db, folder.id, where.uidValidity);
      const recorded = markDraftSynced(db, draft.id, { revision: draft.revision, folderId: folder.id, uid: where.uid });
      if (!recorded) {
        enqueueAction(db, accountId, {
          kind: 'delete',
          payload: { folder: folder.path, uidvalidity: String(where.uidValidity), uids: [String(where.uid)] },
        });
      }
      return recorded;
    });
    if (recorded) result.uploaded += 1;
  }
  result.unsaved = unsavedDrafts(db, accountId).length;
  return result;
}
