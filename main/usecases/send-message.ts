/**
 * Sending a message, for the app and the command line alike: compose it with
 * a Message-ID of its own, queue it in the outbox (from then on it is safe:
 * a crash or a dead network loses nothing, main/outbox), send it, and save
 * the very bytes that were sent as the Sent copy.
 *
 * The app queues and lets its background flush send (`queueMessage`); the
 * command line queues and sends at once (`queueMessage`, then
 * `sendQueuedNow`), waiting for the answer of the server.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import type { Account } from '../accounts/accounts.ts';
import { withImap } from '../mail/imap-session.ts';
import { sendOutbox, type SendReport } from '../outbox/send-outbox.ts';
import type { Draft } from '../pgp-mime/write/draft.ts';
import { enqueueOutbox, getOutbox, type OutboxItem } from '../store/outbox.ts';
import { replayActions } from '../sync/replay-actions.ts';

export interface QueueMessageInput {
  account: Account;
  draft: Draft;
  /** Makes the message's bytes with the Message-ID given (signing and encrypting as the caller decided). */
  compose: (messageId: string) => Promise<Uint8Array>;
  now?: () => number;
}

/** A Message-ID in the sender's domain (RFC 5322, section 3.6.4: unique, the right side names the host). */
export function newMessageId(from: string): string {
  return `<${randomUUID()}@${from.slice(from.lastIndexOf('@') + 1)}>`;
}

/** Composes and queues the message; nothing is queued when composing fails. */
export async function queueMessage(db: DatabaseSync, input: QueueMessageInput): Promise<OutboxItem> {
  const { account, draft } = input;
  const messageId = newMessageId(draft.from.address);
  const raw = await input.compose(messageId);
  // Every recipient once in the envelope (RFC 5321, section 4.1.1.3); Bcc goes in the envelope only.
  const recipients = [...new Set([...draft.to, ...draft.cc, ...(draft.bcc ?? [])].map((a) => a.address))];
  return enqueueOutbox(
    db,
    { accountId: account.id, raw, envelope: { from: draft.from.address, to: recipients }, messageId },
    (input.now ?? Date.now)(),
  );
}

export interface SentNow {
  report: SendReport;
  /** The Sent copy is on the IMAP server. */
  savedToSent: boolean;
  /** Why the Sent copy could not be saved now (it is kept queued for the next sync). */
  copyError: SealpostError | null;
}

/**
 * Sends one queued message now, whatever its retry time, and when it went
 * out saves its Sent copy (queued by the outbox as a server action). An
 * IMAP server out of reach leaves the copy queued for the next sync.
 */
export async function sendQueuedNow(db: DatabaseSync, account: Account, password: string, outboxId: number): Promise<SentNow> {
  const run = await sendOutbox(db, account, password, { ids: [outboxId], ignoreBackoff: true });
  const report = run.reports.find((r) => r.id === outboxId) ?? {
    id: outboxId,
    messageId: getOutbox(db, outboxId)?.messageId ?? null,
    state: 'queued' as const,
    error: null,
    rejected: [],
  };
  if (report.state !== 'sent') return { report, savedToSent: false, copyError: null };
  try {
    await withImap(account, password, (session) => replayActions(db, session, account.id));
    // The outbox entry is removed once its Sent copy was appended (store/outbox.ts).
    return { report, savedToSent: getOutbox(db, outboxId) === null, copyError: null };
  } catch (e) {
    if (!(e instanceof SealpostError)) throw e;
    return { report, savedToSent: false, copyError: e };
  }
}
