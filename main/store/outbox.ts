/**
 * The outbox: messages ready to send, as the exact bytes that will go over
 * SMTP (already signed and encrypted when asked), with their SMTP envelope.
 *
 *   queued --claim--> sending --markSent--> sent --(Sent copy saved)--> removed
 *                        |  \--markFailed(retryAt)--> queued
 *                        \----markFailed(null)-----> failed --requeue--> queued
 *   sending (process died) --recoverInterrupted--> failed
 *
 * The raw message is written once, by `enqueueOutbox`, and never changed by
 * a transition. `claim` is one write transaction, so two processes (the app
 * and the command line) never both send a message. A message left in
 * `sending` by a crash may or may not have reached the server; it is not
 * sent again on its own (each message is sent at most once) but marked
 * failed, for the user to check and retry.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { transaction } from './database.ts';
import { enqueueAction } from './pending-actions.ts';
import { blob, int, intOrNull, json, oneOf, text, textOrNull, type Row } from './rows.ts';

import { OUTBOX_STATES } from '../../app/mail.ts';

export { OUTBOX_STATES };
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** The SMTP envelope: MAIL FROM and every RCPT TO (Bcc included, which the raw message does not show). */
export interface Envelope {
  from: string;
  to: string[];
}

export interface OutboxItem {
  id: number;
  accountId: string;
  messageId: string | null;
  envelope: Envelope;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  lastErrorCode: string | null;
  nextAttemptAt: number;
  attemptedAt: number | null;
  createdAt: number;
  sentAt: number | null;
  size: number;
}

export interface OutboxMessage extends OutboxItem {
  raw: Uint8Array;
}

const ITEM_COLUMNS = `id, account_id, message_id, envelope, state, attempts, last_error, last_error_code, next_attempt_at,
  attempted_at, created_at, sent_at, length(raw) AS size`;

function itemFromRow(row: Row): OutboxItem {
  return {
    id: int(row, 'id'),
    accountId: text(row, 'account_id'),
    messageId: textOrNull(row, 'message_id'),
    envelope: json<Envelope>(row, 'envelope'),
    state: oneOf(row, 'state', OUTBOX_STATES),
    attempts: int(row, 'attempts'),
    lastError: textOrNull(row, 'last_error'),
    lastErrorCode: textOrNull(row, 'last_error_code'),
    nextAttemptAt: int(row, 'next_attempt_at'),
    attemptedAt: intOrNull(row, 'attempted_at'),
    createdAt: int(row, 'created_at'),
    sentAt: intOrNull(row, 'sent_at'),
    size: int(row, 'size'),
  };
}

function messageFromRow(row: Row): OutboxMessage {
  return { ...itemFromRow(row), raw: blob(row, 'raw') };
}

function checkEnvelope(envelope: Envelope): string {
  const ok = (a: unknown) => typeof a === 'string' && a.length <= 320 && /^[^\s@<>]+@[^\s@<>]+$/.test(a);
  if (!envelope || !ok(envelope.from)) throw new SealpostError('bad-input', 'the envelope sender is not an address');
  if (!Array.isArray(envelope.to) || envelope.to.length === 0 || envelope.to.length > 1000 || !envelope.to.every(ok)) {
    throw new SealpostError('bad-input', 'the envelope needs 1 to 1000 recipient addresses');
  }
  return JSON.stringify({ from: envelope.from, to: [...envelope.to] });
}

export interface OutboxInput {
  accountId: string;
  raw: Uint8Array;
  envelope: Envelope;
  messageId?: string | null;
  /** Not before (epoch ms); default now. */
  notBefore?: number;
}

export function enqueueOutbox(db: DatabaseSync, input: OutboxInput, now = Date.now()): OutboxItem {
  if (!(input.raw instanceof Uint8Array) || input.raw.byteLength === 0) throw new SealpostError('bad-input', 'the message is empty');
  const envelope = checkEnvelope(input.envelope);
  return transaction(db, () => {
    const row = db
      .prepare(
        `INSERT INTO outbox (account_id, message_id, raw, envelope, state, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?) RETURNING ${ITEM_COLUMNS}`,
      )
      .get(input.accountId, input.messageId ?? null, input.raw, envelope, input.notBefore ?? now, now);
    return itemFromRow(row!);
  });
}

export function getOutbox(db: DatabaseSync, id: number): OutboxMessage | null {
  const row = db.prepare(`SELECT ${ITEM_COLUMNS}, raw FROM outbox WHERE id = ?`).get(id);
  return row ? messageFromRow(row) : null;
}

/** The outbox without the message bytes, oldest first. */
export function listOutbox(db: DatabaseSync, filter: { accountId?: string; states?: readonly OutboxState[] } = {}): OutboxItem[] {
  const states = JSON.stringify(filter.states ?? OUTBOX_STATES);
  return db
    .prepare(
      `SELECT ${ITEM_COLUMNS} FROM outbox
       WHERE (?1 IS NULL OR account_id = ?1) AND state IN (SELECT value FROM json_each(?2)) ORDER BY id`,
    )
    .all(filter.accountId ?? null, states)
    .map(itemFromRow);
}

/** Runs one transition: the row must be in one of `from`; otherwise a clear error, nothing changed. */
function transition(
  db: DatabaseSync,
  id: number,
  from: readonly OutboxState[],
  sql: string,
  params: (string | number | null)[],
): OutboxMessage {
  return transaction(db, () => {
    const current = db.prepare('SELECT state FROM outbox WHERE id = ?').get(id);
    if (!current) throw new SealpostError('outbox-not-found', String(id), { id });
    const state = oneOf(current, 'state', OUTBOX_STATES);
    if (!from.includes(state))
      throw new SealpostError('outbox-wrong-state', `message ${id} is ${state}, not ${from.join(' or ')}`, {
        id,
        state,
        expected: [...from],
      });
    const row = db.prepare(`${sql} WHERE id = ? RETURNING ${ITEM_COLUMNS}, raw`).get(...params, id);
    return messageFromRow(row!);
  });
}

/**
 * Takes the account's oldest due queued message for sending (state
 * `sending`, one more attempt), or null. The caller sends `raw` to
 * `envelope`, then calls `markOutboxSent` or `markOutboxFailed`.
 */
export function claimNextOutbox(db: DatabaseSync, accountId: string, now = Date.now()): OutboxMessage | null {
  return transaction(db, () => {
    const row = db
      .prepare(`SELECT id FROM outbox WHERE account_id = ? AND state = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT 1`)
      .get(accountId, now);
    return row ? claimOutbox(db, int(row, 'id'), now) : null;
  });
}

/** Takes one queued message for sending (due or not: "send now"). */
export function claimOutbox(db: DatabaseSync, id: number, now = Date.now()): OutboxMessage {
  return transition(db, id, ['queued'], `UPDATE outbox SET state = 'sending', attempts = attempts + 1, attempted_at = ?`, [now]);
}

/**
 * The server accepted the message. With `saveCopy`, a pending action to
 * append it to Sent is queued in the same transaction; the raw message stays
 * here until that is done (`removeOutbox`).
 */
export function markOutboxSent(db: DatabaseSync, id: number, options: { saveCopy: boolean; sentAt?: number }): OutboxMessage {
  return transaction(db, () => {
    const item = transition(
      db,
      id,
      ['sending'],
      `UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL, last_error_code = NULL`,
      [options.sentAt ?? Date.now()],
    );
    if (options.saveCopy) enqueueAction(db, item.accountId, { kind: 'append-sent', payload: { outboxId: id } }, item.sentAt ?? Date.now());
    return item;
  });
}

export interface SendFailure {
  /** A registry code (app/errors.ts) when there is one. */
  code?: string | null;
  /** What went wrong, for the user; never a password or message content. */
  message: string;
  /** A temporary failure: back to `queued`, not before this time. Null: a permanent failure (`failed`). */
  retryAt: number | null;
}

export function markOutboxFailed(db: DatabaseSync, id: number, failure: SendFailure): OutboxMessage {
  const message = failure.message.slice(0, 1000);
  if (failure.retryAt === null) {
    return transition(db, id, ['sending'], `UPDATE outbox SET state = 'failed', last_error = ?, last_error_code = ?`, [
      message,
      failure.code ?? null,
    ]);
  }
  return transition(db, id, ['sending'], `UPDATE outbox SET state = 'queued', last_error = ?, last_error_code = ?, next_attempt_at = ?`, [
    message,
    failure.code ?? null,
    failure.retryAt,
  ]);
}

/** The user's "retry": a failed message is queued again, due now. */
export function requeueOutbox(db: DatabaseSync, id: number, now = Date.now()): OutboxMessage {
  return transition(db, id, ['failed'], `UPDATE outbox SET state = 'queued', next_attempt_at = ?`, [now]);
}

export const INTERRUPTED_MESSAGE =
  'Sending was interrupted; the server may have received the message. Check the Sent folder before retrying.';

/**
 * Messages left in `sending` since before `staleBefore` (their sender died)
 * become `failed`: they may have gone out, so they are not sent again unasked.
 * Returns how many.
 */
export function recoverInterruptedOutbox(db: DatabaseSync, staleBefore: number): number {
  return transaction(db, () =>
    Number(
      db
        .prepare(`UPDATE outbox SET state = 'failed', last_error = ?, last_error_code = NULL WHERE state = 'sending' AND attempted_at < ?`)
        .run(INTERRUPTED_MESSAGE, staleBefore).changes,
    ),
  );
}

/**
 * Removes a message from the outbox: a sent one whose Sent copy is saved, or
 * one the user cancels (queued or failed). Never one that is being sent.
 */
export function removeOutbox(db: DatabaseSync, id: number): void {
  transaction(db, () => {
    transition(db, id, ['queued', 'failed', 'sent'], 'UPDATE outbox SET state = state', []);
    db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
    db.prepare(`DELETE FROM pending_actions WHERE kind = 'append-sent' AND json_extract(payload, '$.outboxId') = ?`).run(id);
  });
}
