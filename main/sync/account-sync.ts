/**
 * One sync of an account, the order a user expects from "Get messages":
 *
 * 1. The outbox goes first (SMTP): what the user sent while offline leaves
 *    as soon as the server can be reached. An SMTP failure does not stop
 *    the IMAP part; it is reported with the result.
 * 2. On one IMAP connection: the pending actions in order (flags, moves,
 *    deletions done offline, Sent copies of what was just sent), then the
 *    folder list (roles, unread counts), then the folders, the inbox first
 *    (newest messages first inside each folder, main/sync/folder-sync.ts).
 *
 * A folder that fails for a reason of its own (it vanished between LIST and
 * SELECT) is reported and the others go on; a failure of the connection
 * ends the sync with its registry error. Either way the store holds whole
 * batches only, and the next sync completes it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isSealpostError, SealpostError } from '../../app/errors.ts';
import type { Account } from '../accounts/accounts.ts';
import { sendOutbox, type SendReport, type SendTimeouts } from '../outbox/send-outbox.ts';
import { findFolder, findFolderByRole, listFolders, type FolderRole, type FolderRow } from '../store/folders.ts';
import { syncFolder, type FolderSyncResult } from './folder-sync.ts';
import { syncFolderList } from './folders.ts';
import { withImap, type SyncTimeouts } from '../mail/imap-session.ts';
import { replayActions, type ReplayResult } from './replay-actions.ts';
import { uploadDrafts, type UploadDraftsResult } from './upload-drafts.ts';

/** Progress for the app (events) and the command line (stderr). */
export type SyncEvent =
  | { kind: 'outbox'; done: number; total: number; report: SendReport }
  | { kind: 'actions'; applied: number }
  | { kind: 'folders'; count: number }
  | { kind: 'folder'; folder: string; done: number; total: number }
  | { kind: 'folder-done'; folder: string; result: FolderSyncResult };

export interface AccountSyncOptions {
  /** Only this folder (by path, or `INBOX`), after the folder list. */
  folder?: string;
  /** Send the outbox first (default true). */
  send?: boolean;
  /** Send queued messages whose retry time has not come yet: the user asked for a sync now. */
  sendNow?: boolean;
  batchSize?: number;
  imapTimeouts?: SyncTimeouts;
  smtpTimeouts?: SendTimeouts;
  onEvent?: (event: SyncEvent) => void;
}

export interface AccountSyncResult {
  sent: SendReport[];
  /** Why the outbox could not be sent, when it could not. */
  sendError: SealpostError | null;
  actions: ReplayResult;
  drafts: UploadDraftsResult;
  folders: FolderSyncResult[];
  /** Folders that failed for a reason of their own. */
  folderErrors: { folder: string; error: SealpostError }[];
}

const ROLE_ORDER: FolderRole[] = ['inbox', 'drafts', 'sent', 'archive', 'flagged', 'junk', 'trash', 'all'];

/** The inbox first, then the folders with roles in a useful order, then the rest by name. */
export function syncOrder(folders: readonly FolderRow[]): FolderRow[] {
  const rank = (f: FolderRow) => (f.role === null ? ROLE_ORDER.length : ROLE_ORDER.indexOf(f.role));
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

export async function syncAccount(
  db: DatabaseSync,
  account: Account,
  password: string,
  options: AccountSyncOptions = {},
): Promise<AccountSyncResult> {
  const emit = options.onEvent ?? (() => undefined);
  const result: AccountSyncResult = {
    sent: [],
    sendError: null,
    actions: { applied: 0, dropped: [] },
    drafts: { uploaded: 0, failed: [], unsaved: 0 },
    folders: [],
    folderErrors: [],
  };

  if (options.send !== false) {
    try {
      const run = await sendOutbox(db, account, password, {
        ignoreBackoff: options.sendNow === true,
        ...(options.smtpTimeouts ? { timeouts: options.smtpTimeouts } : {}),
        onProgress: (report, done, total) => emit({ kind: 'outbox', done, total, report }),
      });
      result.sent = run.reports;
      result.sendError = run.reports.find((r) => r.error !== null)?.error ?? null;
    } catch (e) {
      if (!isSealpostError(e)) throw e;
      result.sendError = e;
    }
  }

  await withImap(
    account,
    password,
    async (session) => {
      result.actions = await replayActions(db, session, account.id, {
        onAction: () => emit({ kind: 'actions', applied: result.actions.applied + 1 }),
      });
      const list = await syncFolderList(db, account.id, session);
      emit({ kind: 'folders', count: list.folders.length });
      result.drafts = await uploadDrafts(db, session, account.id);

      let targets: FolderRow[];
      if (options.folder !== undefined) {
        const wanted =
          options.folder.toUpperCase() === 'INBOX' ? findFolderByRole(db, account.id, 'inbox') : findFolder(db, account.id, options.folder);
        if (!wanted) throw new SealpostError('bad-input', `the account ${account.email} has no folder "${options.folder.slice(0, 200)}"`);
        targets = [wanted];
      } else {
        targets = syncOrder(listFolders(db, account.id));
      }
      for (const folder of targets) {
        try {
          const synced = await syncFolder(db, session, folder, {
            ...(options.batchSize ? { batchSize: options.batchSize } : {}),
            onProgress: (p) => emit({ kind: 'folder', folder: p.folder, done: p.done, total: p.total }),
          });
          result.folders.push(synced);
          emit({ kind: 'folder-done', folder: folder.path, result: synced });
        } catch (e) {
          const error = isSealpostError(e) ? e : new SealpostError('internal', `syncing ${folder.path}`);
          // A dead connection fails every folder after it: end the sync with it.
          if (!session.client.usable || error.retryable) throw error;
          result.folderErrors.push({ folder: folder.path, error });
        }
      }
    },
    options.imapTimeouts,
  );
  return result;
}
