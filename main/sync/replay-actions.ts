/**
 * Applies an account's pending actions (main/store/pending-actions.ts) to
 * the IMAP server, oldest first, so what the user did offline happens on the
 * server in the order it was done.
 *
 * - `set-flags`: UID STORE +FLAGS / -FLAGS.
 * - `move`: UID MOVE (RFC 6851; imapflow falls back to COPY + STORE \Deleted
 *   + EXPUNGE where the server lacks MOVE). A target folder the server does
 *   not have yet (the Trash or Archive of an account that had none) is
 *   created first.
 * - `delete`: STORE \Deleted, then UID EXPUNGE (RFC 4315) of exactly these
 *   UIDs, never a plain EXPUNGE that would take other messages marked
 *   \Deleted by another client.
 * - `append-sent`: the sent outbox message, the very bytes that went over
 *   SMTP, appended to Sent with \Seen; then it leaves the outbox. Before
 *   appending, Sent is searched for its Message-ID: a copy appended by a run
 *   that died before it could clear the outbox is not appended twice.
 *
 * Actions on messages carry the UIDVALIDITY their UIDs belong to: when the
 * folder now has another one, those UIDs name other messages and the action
 * is dropped (it is already dropped by the sync's `checkUidValidity`; this is
 * the check for a folder the sync has not seen yet).
 *
 * A failure of the connection stops the replay: the action is deferred with
 * backoff and stays first, so later actions keep waiting behind it and the
 * order holds. A refusal by the server (the message is gone, the folder
 * cannot be created) drops that action with its reason in the result; the
 * next sync shows the server's state.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError, type ErrorCode } from '../../app/errors.ts';
import { transaction } from '../store/database.ts';
import { findFolder, findFolderByRole, upsertFolder, type FolderRole, type FolderRow } from '../store/folders.ts';
import { completeAction, deferAction, nextAction, type PendingAction } from '../store/pending-actions.ts';
import { getOutbox, removeOutbox } from '../store/outbox.ts';
import { retryDelay } from '../outbox/send-outbox.ts';
import { translateImapError } from '../mail/imap-errors.ts';
import type { ImapSession } from '../mail/imap-session.ts';
import { uidSet } from './folder-sync.ts';
import { DEFAULT_FOLDER_NAMES } from './message-actions.ts';

export interface DroppedAction {
  action: PendingAction;
  /** Why it was dropped: the server refused it (`network-rejected`), or the outbox message it names is not sent (`outbox-wrong-state`). */
  code: ErrorCode;
  reason: string;
}

export interface ReplayResult {
  applied: number;
  dropped: DroppedAction[];
}

/** The server refused this one action; the replay goes on with the next. */
/** The server (or the store) refused an action for good: it is dropped, not retried. */
class Refused extends Error {
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode = 'network-rejected') {
    super(message);
    this.code = code;
  }
}

export interface ReplayOptions {
  now?: () => number;
  /** Called after each action. */
  onAction?: (action: PendingAction, outcome: 'applied' | 'dropped') => void;
}

/**
 * Replays the account's due actions in order. Throws the registry error of
 * a connection failure after deferring the action it happened on.
 */
export async function replayActions(
  db: DatabaseSync,
  session: ImapSession,
  accountId: string,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const now = options.now ?? Date.now;
  const result: ReplayResult = { applied: 0, dropped: [] };
  for (;;) {
    const action = nextAction(db, accountId, now());
    if (!action) return result;
    try {
      await apply(db, session, accountId, action);
      completeAction(db, action.id);
      result.applied++;
      options.onAction?.(action, 'applied');
    } catch (e) {
      if (e instanceof Refused) {
        completeAction(db, action.id);
        result.dropped.push({ action, code: e.code, reason: e.message });
        options.onAction?.(action, 'dropped');
        continue;
      }
      const error = translateImapError(e, session.endpoint);
      deferAction(db, action.id, { error: error.message, retryAt: now() + retryDelay(action.attempts + 1) });
      throw error;
    }
  }
}

async function apply(db: DatabaseSync, session: ImapSession, accountId: string, action: PendingAction): Promise<void> {
  switch (action.kind) {
    case 'append-sent':
      return appendSent(db, session, accountId, action.payload.outboxId);
    case 'set-flags': {
      const { add, remove } = action.payload;
      return onMessages(session, action.payload, async (set) => {
        const { client } = session;
        if (add.length > 0)
          await ok(session, await session.step('setting flags', () => client.messageFlagsAdd(set, add, { uid: true })), 'set the flags');
        if (remove.length > 0)
          await ok(
            session,
            await session.step('clearing flags', () => client.messageFlagsRemove(set, remove, { uid: true })),
            'clear the flags',
          );
      });
    }
    case 'move': {
      const to = await ensureFolder(db, session, accountId, action.payload.to);
      return onMessages(session, action.payload, async (set) => {
        const moved = await session.step(`moving messages to ${to.path}`, () => session.client.messageMove(set, to.path, { uid: true }));
        await ok(session, moved, `move the messages to ${to.path}`);
      });
    }
    case 'delete':
      return onMessages(session, action.payload, async (set) => {
        const deleted = await session.step('deleting messages', () => session.client.messageDelete(set, { uid: true }));
        await ok(session, deleted, 'delete the messages');
      });
  }
}

/** imapflow answers a refused STORE/MOVE/EXPUNGE with `false`; a dead connection also gives `false`, and is an error. */
async function ok(session: ImapSession, answer: unknown, what: string): Promise<void> {
  if (answer !== false && answer !== undefined && answer !== null) return;
  if (!session.client.usable)
    throw new SealpostError('network-unavailable', `the IMAP server closed the connection before it could ${what}`);
  throw new Refused(`the server did not ${what}`);
}

/** Opens the action's folder read-write and runs `work` on its UIDs, if the folder's UIDVALIDITY is still theirs. */
async function onMessages(
  session: ImapSession,
  on: { folder: string; uidvalidity: string; uids: string[] },
  work: (uidSet: string) => Promise<void>,
): Promise<void> {
  const { client } = session;
  let lock;
  try {
    lock = await session.step(`opening ${on.folder}`, () => client.getMailboxLock(on.folder));
  } catch (e) {
    // A folder the server no longer has (NO to SELECT) is a refusal of this action; a dead connection is not.
    if (client.usable) throw new Refused(`${on.folder} cannot be opened on the server`);
    throw e;
  }
  try {
    const mailbox = client.mailbox;
    if (!mailbox || mailbox.path !== on.folder) throw new Refused(`${on.folder} cannot be opened on the server`);
    if (String(mailbox.uidValidity) !== on.uidvalidity)
      throw new Refused(`${on.folder} was recreated on the server; the action no longer applies`);
    await work(uidSet(on.uids.map(Number)));
  } finally {
    lock.release();
  }
}

/** The folder `path`, created on the server (and stored with its usual role) when the account does not have it yet. */
async function ensureFolder(db: DatabaseSync, session: ImapSession, accountId: string, path: string): Promise<FolderRow> {
  const known = findFolder(db, accountId, path);
  if (known) return known;
  const role = (Object.entries(DEFAULT_FOLDER_NAMES).find(([, name]) => name === path)?.[0] ?? null) as FolderRole | null;
  const { client } = session;
  try {
    // imapflow answers ALREADYEXISTS (RFC 5530: another client made it meanwhile) as success.
    await session.step(`creating ${path}`, () => client.mailboxCreate(path));
  } catch (e) {
    if (client.usable) throw new Refused(`${path} cannot be created on the server`);
    throw e;
  }
  return transaction(db, () =>
    upsertFolder(db, accountId, { path, role: role !== null && !findFolderByRole(db, accountId, role) ? role : null }),
  );
}

async function appendSent(db: DatabaseSync, session: ImapSession, accountId: string, outboxId: number): Promise<void> {
  const message = getOutbox(db, outboxId);
  // Removed meanwhile (the user cleared it): nothing to save.
  if (!message) return;
  if (message.state !== 'sent') throw new Refused(`outbox message ${outboxId} is ${message.state}, not sent`, 'outbox-wrong-state');
  const sent = findFolderByRole(db, accountId, 'sent') ?? (await ensureFolder(db, session, accountId, DEFAULT_FOLDER_NAMES.sent!));
  const { client } = session;
  if (message.messageId && (await alreadyIn(session, sent.path, message.messageId))) {
    removeOutbox(db, outboxId);
    return;
  }
  const appended = await session.step(`saving the sent message in ${sent.path}`, () =>
    client.append(sent.path, Buffer.from(message.raw), ['\\Seen'], new Date(message.sentAt ?? Date.now())),
  );
  if (!appended) {
    if (!client.usable)
      throw new SealpostError('network-unavailable', 'the IMAP server closed the connection before the sent message was saved');
    throw new Refused(`the server did not take the sent message into ${sent.path}`);
  }
  removeOutbox(db, outboxId);
}

/** Whether the folder already holds a message with this Message-ID (a copy saved by an earlier, interrupted run). */
async function alreadyIn(session: ImapSession, path: string, messageId: string): Promise<boolean> {
  const { client } = session;
  const lock = await session.step(`opening ${path}`, () => client.getMailboxLock(path, { readOnly: true }));
  try {
    const found = await session.step(`searching ${path}`, () => client.search({ header: { 'message-id': messageId } }, { uid: true }));
    return Array.isArray(found) && found.length > 0;
  } finally {
    lock.release();
  }
}
