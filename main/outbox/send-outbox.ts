/**
 * Sends what waits in an account's outbox over SMTP, one message at a time,
 * on one connection, through the outbox's states (main/store/outbox.ts):
 *
 *   queued --claim--> sending --server accepted--> sent (+ append-sent queued)
 *                        \--temporary or account problem--> queued, retry later
 *                        \--the server refused this message--> failed
 *
 * - The bytes sent are the outbox's raw bytes, already signed and encrypted
 *   by the composer; the envelope (MAIL FROM, every RCPT TO, Bcc included)
 *   is the outbox's too. Nothing is re-encoded on the way.
 * - A temporary failure (4yz reply, server unreachable, time out) and an
 *   account problem (login refused, certificate refused, no STARTTLS) keep
 *   the message queued with its reason and a later `next_attempt_at`
 *   (`retryDelay`: 1 min doubling to 1 h). Only a permanent refusal of the
 *   message itself (5yz to MAIL, RCPT or DATA) makes it `failed`.
 * - The one window where a message can go out twice: the server accepted
 *   the DATA (250) and the process died, or the reply was lost, before the
 *   state `sent` was written. Such a message is found in `sending` later and
 *   marked failed by `recoverInterruptedOutbox` (never resent unasked), so
 *   the user decides; a reply lost on a live connection is a transport error
 *   and the message is retried (SMTP offers no way to ask whether a message
 *   arrived; RFC 1047 describes the same window).
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import type { Account } from '../accounts/accounts.ts';
import { within } from '../mail/deadline.ts';
import { where, type Endpoint } from '../mail/imap-errors.ts';
import { translateSmtpError } from '../mail/smtp-errors.ts';
import { createSmtpTransport, type SmtpTimeouts, type SmtpTransport } from '../mail/smtp-transport.ts';
import {
  claimOutbox,
  listOutbox,
  markOutboxFailed,
  markOutboxSent,
  recoverInterruptedOutbox,
  type OutboxMessage,
  type OutboxState,
} from '../store/outbox.ts';

export interface SendTimeouts extends SmtpTimeouts {
  /** One message, from MAIL FROM to the reply after DATA. */
  messageMs: number;
}

export const DEFAULT_SEND_TIMEOUTS: SendTimeouts = { connectionMs: 15_000, greetingMs: 15_000, socketMs: 60_000, messageMs: 300_000 };

/** A message in `sending` longer than this has lost its sender (see `recoverInterruptedOutbox`). */
export const INTERRUPTED_AFTER_MS = 15 * 60_000;

/** Wait before the next automatic attempt after `attempts` failed ones: 1 min, 2, 4, ... at most 1 h. */
export function retryDelay(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(60_000 * 2 ** Math.min(n - 1, 10), 3_600_000);
}

/** Errors that mean "this message will never be taken": it becomes `failed`. Everything else keeps it queued. */
function refusesMessage(error: SealpostError): boolean {
  return error.code === 'network-rejected';
}

export interface SendReport {
  id: number;
  messageId: string | null;
  state: OutboxState;
  /** The registry error of this attempt, when it failed. */
  error: SealpostError | null;
  /** Recipients the server refused while it took the message for the others (RFC 5321 section 3.3: RCPT is per recipient). */
  rejected: string[];
}

export interface SendOptions {
  /** Only these outbox ids (the command line's `send`); default every due message. */
  ids?: readonly number[];
  /** Send queued messages even when their next attempt is not due yet (the user asked: "send now"). */
  ignoreBackoff?: boolean;
  now?: () => number;
  timeouts?: SendTimeouts;
  /** Called after each message. */
  onProgress?: (report: SendReport, done: number, total: number) => void;
}

export interface SendRunResult {
  reports: SendReport[];
  /** Messages found left in `sending` by a sender that died, now `failed`. */
  recovered: number;
}

/**
 * Sends the account's queued messages (due ones, or all with
 * `ignoreBackoff`, or the given ids). Connects only when there is something
 * to send. A failure of the connection stops the run: the message being sent
 * goes back to the queue, the rest stay queued untouched.
 */
export async function sendOutbox(db: DatabaseSync, account: Account, password: string, options: SendOptions = {}): Promise<SendRunResult> {
  const now = options.now ?? Date.now;
  const timeouts = options.timeouts ?? DEFAULT_SEND_TIMEOUTS;
  const recovered = recoverInterruptedOutbox(db, now() - INTERRUPTED_AFTER_MS);
  const wanted = options.ids ? new Set(options.ids) : null;
  const candidates = listOutbox(db, { accountId: account.id, states: ['queued'] }).filter(
    (m) => (wanted === null || wanted.has(m.id)) && (options.ignoreBackoff || m.nextAttemptAt <= now()),
  );
  const reports: SendReport[] = [];
  if (candidates.length === 0) return { reports, recovered };

  const endpoint: Endpoint = { host: account.smtp.host, port: account.smtp.port };
  const transport = createSmtpTransport(account.smtp, account.smtp.user, password, account.caPem, timeouts);
  try {
    for (const candidate of candidates) {
      // Claimed one by one: another process may have taken or cancelled it meanwhile.
      const message = claim(db, candidate.id, now());
      if (!message) continue;
      const report = await sendOne(db, transport, endpoint, message, timeouts, now);
      reports.push(report);
      options.onProgress?.(report, reports.length, candidates.length);
      // A connection-level failure would fail every following message the same way: they stay queued, untried.
      if (report.error && !refusesMessage(report.error)) break;
    }
  } finally {
    transport.close();
  }
  return { reports, recovered };
}

/** Takes one message for sending; null when another process took or cancelled it meanwhile. */
function claim(db: DatabaseSync, id: number, at: number): OutboxMessage | null {
  try {
    return claimOutbox(db, id, at);
  } catch (e) {
    if (e instanceof SealpostError && (e.code === 'outbox-wrong-state' || e.code === 'outbox-not-found')) return null;
    throw e;
  }
}

async function sendOne(
  db: DatabaseSync,
  transport: SmtpTransport,
  endpoint: Endpoint,
  message: OutboxMessage,
  timeouts: SendTimeouts,
  now: () => number,
): Promise<SendReport> {
  let info: { rejected?: unknown[] };
  try {
    info = await within(
      timeouts.messageMs,
      `sending to the SMTP server ${where(endpoint)}`,
      () => transport.sendMail({ envelope: { from: message.envelope.from, to: message.envelope.to }, raw: Buffer.from(message.raw) }),
      () => transport.close(),
    );
  } catch (e) {
    const error = translateSmtpError(e, endpoint);
    const permanent = refusesMessage(error);
    const item = markOutboxFailed(db, message.id, {
      code: error.code,
      message: error.message,
      retryAt: permanent ? null : now() + retryDelay(message.attempts),
    });
    return { id: message.id, messageId: message.messageId, state: item.state, error, rejected: [] };
  }
  // The server has it. The Sent copy is queued in the same transaction (append-sent), so it cannot be forgotten.
  const item = markOutboxSent(db, message.id, { saveCopy: true, sentAt: now() });
  const rejected = (info.rejected ?? [])
    .map((r) => {
      const address = typeof r === 'string' ? r : (r as { address?: unknown } | null)?.address;
      return typeof address === 'string' ? address : '';
    })
    .filter(Boolean);
  return { id: message.id, messageId: message.messageId, state: item.state, error: null, rejected };
}
