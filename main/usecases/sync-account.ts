/**
 * Syncing an account, for the app and the command line alike (the order is
 * sync/account-sync.ts's: the outbox first, then the queued actions and
 * drafts, the folder list, the messages of each folder), with its progress
 * as events, and what the sync left undone as a list of problems.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { Account } from '../accounts/accounts.ts';
import { listOutbox } from '../store/outbox.ts';
import { syncAccount, type AccountSyncResult, type SyncEvent } from '../sync/account-sync.ts';

export interface SyncProblem {
  /** `outbox`, `action`, `draft`, or the folder's path. */
  what: string;
  code: ErrorCode;
  message: string;
}

export interface AccountSyncOutcome {
  result: AccountSyncResult;
  /** Messages still in the outbox, queued or failed, after the sync. */
  unsent: number;
  problems: SyncProblem[];
}

/** A sync the user asked for: queued messages go out now, whatever their retry time. */
export async function syncAccountNow(
  db: DatabaseSync,
  account: Account,
  password: string,
  options: { folder?: string; onEvent?: (event: SyncEvent) => void } = {},
): Promise<AccountSyncOutcome> {
  const result = await syncAccount(db, account, password, {
    ...(options.folder !== undefined ? { folder: options.folder } : {}),
    sendNow: true,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  return {
    result,
    unsent: listOutbox(db, { accountId: account.id, states: ['queued', 'failed'] }).length,
    problems: [
      ...(result.sendError ? [{ what: 'outbox', code: result.sendError.code, message: result.sendError.message }] : []),
      ...result.actions.dropped.map((d) => ({ what: 'action', code: d.code, message: d.reason })),
      ...result.drafts.failed.map((d) => ({ what: 'draft', code: d.code, message: d.message })),
      ...result.folderErrors.map((f) => ({ what: f.folder, code: f.error.code, message: f.error.message })),
    ],
  };
}

/**
 * The error a sync that did not do everything ends with, or null: a message
 * that did not go out first, then the outbox as a whole, then the first
 * folder that failed. A temporary one is `network-temporary` (the command
 * line's exit status 75): the next sync tries again.
 */
export function syncFailure(result: AccountSyncResult): SealpostError | null {
  const unsent = result.sent.find((r) => r.error !== null);
  if (unsent) return unsentError(unsent.state, unsent.error!);
  if (result.sendError)
    return result.sendError.retryable
      ? new SealpostError('network-temporary', `the outbox was not sent (${result.sendError.message})`)
      : result.sendError;
  return result.folderErrors[0]?.error ?? null;
}

/** The error of a message that did not go out: one still queued says so; a temporary failure is `network-temporary`. */
export function unsentError(state: string, error: SealpostError): SealpostError {
  if (state !== 'queued') return error;
  if (error.retryable)
    return new SealpostError(
      'network-temporary',
      `the message stays queued in the outbox and goes out with the next sync (${error.message})`,
    );
  return new SealpostError(error.code, `${error.detail ?? error.message}; the message stays queued in the outbox`);
}
