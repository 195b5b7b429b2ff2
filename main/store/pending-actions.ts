/**
 * The offline queue: what the user did while the server was out of reach
 * (flags, moves, deletions) and server writes that follow a local one (the
 * Sent copy of a sent message), replayed in order by the sync.
 *
 * Actions on messages name the folder by path and carry the UIDVALIDITY the
 * UIDs belong to: after a UIDVALIDITY change, those UIDs mean other messages,
 * and `checkUidValidity` (folders.ts) drops such actions.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { transaction } from './database.ts';
import { imapNumber } from './imap-ids.ts';
import { int, json, text, textOrNull, type Row } from './rows.ts';

interface OnMessages {
  folder: string;
  uidvalidity: string;
  uids: string[];
}

export type PendingActionInput =
  | { kind: 'set-flags'; payload: OnMessages & { add: string[]; remove: string[] } }
  | { kind: 'move'; payload: OnMessages & { to: string } }
  | { kind: 'delete'; payload: OnMessages }
  /** Append an outbox message, sent, to the Sent folder, then clear it from the outbox. */
  | { kind: 'append-sent'; payload: { outboxId: number } };

export type PendingActionKind = PendingActionInput['kind'];

export type PendingAction = PendingActionInput & {
  id: number;
  accountId: string;
  createdAt: number;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
};

function fromRow(row: Row): PendingAction {
  return {
    id: int(row, 'id'),
    accountId: text(row, 'account_id'),
    kind: text(row, 'kind'),
    payload: json(row, 'payload'),
    createdAt: int(row, 'created_at'),
    attempts: int(row, 'attempts'),
    lastError: textOrNull(row, 'last_error'),
    nextAttemptAt: int(row, 'next_attempt_at'),
  } as PendingAction;
}

function checkPayload(action: PendingActionInput): string {
  const p = action.payload as Partial<OnMessages> & { outboxId?: unknown };
  if (action.kind === 'append-sent') {
    if (!Number.isSafeInteger(p.outboxId)) throw new SealpostError('bad-input', 'append-sent needs an outbox id');
    return JSON.stringify({ outboxId: p.outboxId });
  }
  if (typeof p.folder !== 'string' || p.folder === '' || !Array.isArray(p.uids) || p.uids.length === 0) {
    throw new SealpostError('bad-input', `${action.kind} needs a folder and UIDs`);
  }
  return JSON.stringify({
    ...action.payload,
    uidvalidity: imapNumber(p.uidvalidity ?? '', 'UIDVALIDITY'),
    uids: p.uids.map((u) => imapNumber(u, 'UID')),
  });
}

export function enqueueAction(db: DatabaseSync, accountId: string, action: PendingActionInput, now = Date.now()): PendingAction {
  const payload = checkPayload(action);
  return transaction(db, () => {
    const row = db
      .prepare('INSERT INTO pending_actions (account_id, kind, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?) RETURNING *')
      .get(accountId, action.kind, payload, now, now);
    return fromRow(row!);
  });
}

/** An account's actions in the order they were made. */
export function listActions(db: DatabaseSync, accountId: string): PendingAction[] {
  return db.prepare('SELECT * FROM pending_actions WHERE account_id = ? ORDER BY id').all(accountId).map(fromRow);
}

/** The account's oldest action if it is due; later actions wait behind it, so order is kept. */
export function nextAction(db: DatabaseSync, accountId: string, now = Date.now()): PendingAction | null {
  const row = db.prepare('SELECT * FROM pending_actions WHERE account_id = ? ORDER BY id LIMIT 1').get(accountId);
  if (!row) return null;
  const action = fromRow(row);
  return action.nextAttemptAt <= now ? action : null;
}

/** Done (or dropped): removes the action. */
export function completeAction(db: DatabaseSync, id: number): boolean {
  return transaction(db, () => Number(db.prepare('DELETE FROM pending_actions WHERE id = ?').run(id).changes) === 1);
}

/** A failed attempt: counts it, keeps the error, waits until `retryAt`. */
export function deferAction(db: DatabaseSync, id: number, failure: { error: string; retryAt: number }): boolean {
  return transaction(
    db,
    () =>
      Number(
        db
          .prepare('UPDATE pending_actions SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?')
          .run(failure.error.slice(0, 1000), failure.retryAt, id).changes,
      ) === 1,
  );
}
