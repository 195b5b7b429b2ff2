/**
 * The mail side of the app, as one service the IPC handlers call: accounts,
 * folders and message lists from the store, reading (through the same
 * `inspectMessage` as the command line), syncing with progress events,
 * message actions, sending through the outbox, and the background work a
 * mail client does on its own.
 *
 * Work on the network is serialized per account (`#exclusive`): a sync, a
 * send and the background flush of one account never run at once, so the
 * outbox and the action queue are worked off by one runner in order. The
 * command line may still run beside the app; the store's transactions and
 * the outbox's claim keep that safe.
 *
 * In the background (`start`), every `intervalMs` and right after an action
 * or a send: the due outbox messages go out (temporary failures retry after
 * 1 min, doubling to 1 h, `retryDelay`), then the due actions, Sent copies
 * and drafts go to the IMAP server. A failure there is reported as an event
 * and retried later; nothing is lost.
 *
 * New unread mail in an inbox, stored by a sync or by the IDLE watcher, is
 * announced with `mail.arrived` (see ./new-mail.ts).
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { EventPayload } from '../../app/ipc/contract.ts';
import type { KeySummary } from '../../app/keys.ts';
import type {
  AccountView,
  DraftSummary,
  FolderView,
  MessageItem,
  MessageView,
  OutboxEntry,
  SyncProgress,
  SyncSummary,
} from '../../app/mail.ts';
import type { KeyringClient } from '../../keyring/client.ts';
import { Accounts, accountSummary, type Account, type AccountInput, type AccountUpdate } from '../accounts/accounts.ts';
import type { SecretStore } from '../accounts/secret-store.ts';
import { parseServerUrl } from '../accounts/validate.ts';
import { composeMessage, type ComposeOptions, type Draft } from '../pgp-mime/write/compose.ts';
import { loadDraft, saveComposedDraft } from '../pgp-mime/write/save-draft.ts';
import { checkImap, checkSmtp } from '../mail/connection-check.ts';
import { sendOutbox } from '../outbox/send-outbox.ts';
import { examineMessage, type ExaminedMessage } from '../pgp-mime/read/inspect.ts';
import { getFolder, listFolders, type FolderRow } from '../store/folders.ts';
import { decodeBody } from '../pgp-mime/read/mime-parse.ts';
import { getMessage, listMessages, type MessageSummary } from '../store/messages.ts';
import { enqueueOutbox, getOutbox, listOutbox, removeOutbox, requeueOutbox, type OutboxItem } from '../store/outbox.ts';
import { listActions, nextAction } from '../store/pending-actions.ts';
import { deleteDraft, getDraft, listDrafts, unsavedDrafts, type DraftItem } from '../store/drafts.ts';
import { syncAccount } from '../sync/account-sync.ts';
import { fetchBody } from '../sync/fetch-body.ts';
import { withImap } from '../mail/imap-session.ts';
import { applyMessageAction, type MessageActionInput } from '../sync/message-actions.ts';
import { replayActions } from '../sync/replay-actions.ts';
import { uploadDrafts } from '../sync/upload-drafts.ts';
import { FolderWatcher } from '../sync/watch-folder.ts';
import { arrivedSince, markFolder, type InboxMark } from './new-mail.ts';

/** The events this service sends, with the contract's payloads (app/ipc/contract.ts names and checks them). */
export type MailEventName = 'sync.progress' | 'mail.changed' | 'outbox.changed' | 'mail.arrived';
export type MailEvents = { [E in MailEventName]: EventPayload<E> };

export interface MailServiceOptions {
  db: DatabaseSync;
  secrets: SecretStore;
  keyring: KeyringClient;
  emit?: <E extends MailEventName>(event: E, payload: EventPayload<E>) => void;
  now?: () => number;
  /** Log in to both servers before an account is saved (default true). */
  checkServers?: boolean;
}

export const BACKGROUND_INTERVAL_MS = 60_000;

function accountView(account: Account): AccountView {
  const s = accountSummary(account);
  return { id: s.id, email: s.email, displayName: s.displayName, imap: s.imap, smtp: s.smtp, user: s.user, customCa: s.customCa };
}

function folderView(f: FolderRow): FolderView {
  return {
    id: f.id,
    accountId: f.accountId,
    path: f.path,
    role: f.role,
    unread: f.unreadCount,
    total: f.totalCount,
    lastSyncAt: f.lastSyncAt,
  };
}

function messageItem(m: MessageSummary): MessageItem {
  return {
    folderId: m.folderId,
    uid: m.uid,
    messageId: m.messageId,
    from: m.from,
    to: m.to,
    cc: m.cc,
    subject: m.subject,
    date: m.date ?? m.internalDate,
    flags: m.flags,
    security: m.security,
    size: m.size,
  };
}

function draftSummary(item: DraftItem): DraftSummary {
  return {
    id: item.id,
    accountId: item.accountId,
    encrypted: item.encrypted,
    revision: item.revision,
    updatedAt: item.updatedAt,
    unsaved: item.unsaved,
  };
}

/** A message's attachment, decoded (decrypted when the message was). */
export interface MessageAttachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

function outboxEntry(item: OutboxItem): OutboxEntry {
  return {
    id: item.id,
    accountId: item.accountId,
    messageId: item.messageId,
    to: item.envelope.to,
    state: item.state,
    attempts: item.attempts,
    lastError: item.lastError,
    nextAttemptAt: item.nextAttemptAt,
    createdAt: item.createdAt,
    sentAt: item.sentAt,
  };
}

export class MailService {
  readonly #db: DatabaseSync;
  readonly #accounts: Accounts;
  readonly #keyring: KeyringClient;
  readonly #emit: NonNullable<MailServiceOptions['emit']>;
  readonly #now: () => number;
  readonly #checkServers: boolean;
  /** Per account: the tail of its chain of network work. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** IDLE on the folder the user has open (one at a time). */
  #watcher: { folderId: number; watcher: FolderWatcher } | null = null;

  constructor(options: MailServiceOptions) {
    this.#db = options.db;
    this.#accounts = new Accounts(options.db, options.secrets, options.now);
    this.#keyring = options.keyring;
    this.#now = options.now ?? Date.now;
    this.#checkServers = options.checkServers !== false;
    this.#emit = (event, payload) => {
      try {
        options.emit?.(event, payload);
      } catch {
        // a window that cannot be told reloads on its next action
      }
    };
  }

  // -------------------------------------------------------------------------
  // Accounts

  accounts(): AccountView[] {
    return this.#accounts.list().map(accountView);
  }

  /** Logs in to both servers with the settings first; saves nothing unless both accept. */
  async addAccount(input: AccountInput): Promise<AccountView> {
    if (this.#accounts.find(input.email)) throw new SealpostError('account-exists', input.email, { email: input.email });
    if (this.#checkServers) {
      await checkImap(parseServerUrl('imap', input.imap), input.user, input.password, input.caPem ?? null);
      await checkSmtp(parseServerUrl('smtp', input.smtp), input.user, input.password, input.caPem ?? null);
    }
    return accountView(await this.#accounts.add(input));
  }

  /** As `addAccount`: a change of server, user, password or CA is checked by logging in before it is saved. */
  async updateAccount(id: string, change: AccountUpdate): Promise<AccountView> {
    const current = this.#accounts.get(id);
    const connection =
      change.imap !== undefined ||
      change.smtp !== undefined ||
      change.user !== undefined ||
      change.password !== undefined ||
      change.caPem !== undefined;
    if (connection && this.#checkServers) {
      const user = change.user ?? current.imap.user;
      const password = change.password ?? (await this.#accounts.password(current.id));
      const ca = change.caPem === undefined ? current.caPem : change.caPem;
      await checkImap(change.imap === undefined ? current.imap : parseServerUrl('imap', change.imap), user, password, ca);
      await checkSmtp(change.smtp === undefined ? current.smtp : parseServerUrl('smtp', change.smtp), user, password, ca);
    }
    return accountView(await this.#exclusive(current.id, () => this.#accounts.update(current.id, change)));
  }

  async removeAccount(id: string, options: { force?: boolean } = {}): Promise<void> {
    const account = this.#accounts.get(id);
    await this.#exclusive(account.id, () => this.#accounts.remove(account.id, options));
    this.#queues.delete(account.id);
  }

  // -------------------------------------------------------------------------
  // Reading from the store

  folders(accountId: string): FolderView[] {
    const account = this.#accounts.get(accountId);
    return listFolders(this.#db, account.id).map(folderView);
  }

  messages(folderId: number, options: { offset?: number; limit?: number } = {}): { total: number; items: MessageItem[] } {
    const folder = this.#folder(folderId);
    return { total: folder.totalCount, items: listMessages(this.#db, folder.id, options).map(messageItem) };
  }

  /**
   * The message's security report and the HTML of the content it speaks of,
   * as the reader shows them; fetched from the server once, then kept raw
   * (ciphertext stays ciphertext in the store).
   */
  async read(folderId: number, uid: string): Promise<MessageView> {
    const { report, html } = await this.#examine(folderId, uid);
    return { report, html };
  }

  /** The `index`-th attachment of the report (`report.attachments` order), its bytes decoded and, when protected, decrypted. */
  async attachment(folderId: number, uid: string, index: number): Promise<MessageAttachment> {
    const { report, attachmentParts } = await this.#examine(folderId, uid);
    const entry = report.attachments[index];
    const part = attachmentParts[index];
    if (!entry || !part)
      throw new SealpostError('bad-input', `the message has no attachment ${index} (it has ${report.attachments.length})`);
    return { filename: entry.filename, contentType: entry.contentType, bytes: new Uint8Array(decodeBody(part)) };
  }

  /**
   * Imports keys the message carries, only those its report lists with the
   * given fingerprints: attached keys as `attachment`, the sender's Autocrypt
   * header and Autocrypt-Gossip as `autocrypt`. A fingerprint the report
   * does not list is refused before anything is imported. The keyring
   * imports key material whole, and this process does not take OpenPGP data
   * apart: material that also holds keys not asked for is not imported, and
   * that is reported as a problem (as for keys found by a lookup).
   */
  async importMessageKeys(
    folderId: number,
    uid: string,
    fingerprints: readonly string[],
  ): Promise<{ changed: KeySummary[]; problems: { code: ErrorCode; message: string }[] }> {
    const { report, keyMaterial } = await this.#examine(folderId, uid);
    const wanted = [...new Set(fingerprints.map((f) => f.toUpperCase()))];
    const listed = new Set(report.keys.map((k) => k.fingerprint.toUpperCase()));
    const unlisted = wanted.filter((f) => !listed.has(f));
    if (unlisted.length > 0) throw new SealpostError('bad-input', `the message does not carry the key ${unlisted.join(', ')}`);
    const asked = new Set(wanted);
    const chosen = new Set<(typeof keyMaterial)[number]>();
    const problems: { code: ErrorCode; message: string }[] = [];
    for (const fingerprint of wanted) {
      const holding = keyMaterial.filter((m) => m.fingerprints.some((f) => f.toUpperCase() === fingerprint));
      const whole = holding.find((m) => m.fingerprints.every((f) => asked.has(f.toUpperCase())));
      if (whole) chosen.add(whole);
      else
        problems.push({
          code: 'bad-input',
          message: `${fingerprint}: not imported, the key data in the message also holds keys that were not asked for`,
        });
    }
    const changed = new Map<string, KeySummary>();
    for (const material of chosen) {
      const outcome = await this.#keyring.call('keys.import', { data: material.data, source: material.source });
      for (const key of outcome.changed) changed.set(key.fingerprint, key);
      problems.push(...outcome.problems);
    }
    return { changed: [...changed.values()], problems };
  }

  async #examine(folderId: number, uid: string): Promise<ExaminedMessage> {
    const folder = this.#folder(folderId);
    const known = getMessage(this.#db, folder.id, uid);
    if (!known) throw new SealpostError('bad-input', `no message with UID ${uid} in ${folder.path}`);
    let raw = known.raw;
    if (!raw) {
      const account = this.#accounts.get(folder.accountId);
      const password = await this.#accounts.password(account.id);
      raw = await withImap(account, password, (session) => fetchBody(this.#db, session, folder, uid));
    }
    // Keys unlocked in the keyring's session are used; passphrases never pass through here.
    return examineMessage(raw, this.#keyring, { keyPasswords: [] });
  }

  // -------------------------------------------------------------------------
  // Drafts (stored here, put on the server by the background flush)

  /**
   * Composes and stores the draft (a new one, or a new revision of `id`):
   * encrypted to the sender's own key when the message will be sent
   * encrypted (save-draft.ts). The upload to the Drafts folder follows in the
   * background.
   */
  async saveDraft(accountId: string, draft: Draft, options: { encrypt: boolean; id?: number }): Promise<DraftSummary> {
    const account = this.#accounts.get(accountId);
    const item = await saveComposedDraft(this.#db, this.#keyring, account.id, draft, {
      encrypt: options.encrypt,
      ...(options.id !== undefined ? { id: options.id } : {}),
    });
    this.#kick(account.id);
    return draftSummary(item);
  }

  drafts(accountId: string): DraftSummary[] {
    return listDrafts(this.#db, this.#accounts.get(accountId).id).map(draftSummary);
  }

  /** A stored draft as the composer's fields; an encrypted one is decrypted by the keyring (a key unlocked in its session). */
  async loadDraft(id: number): Promise<{ summary: DraftSummary; draft: Draft }> {
    const stored = getDraft(this.#db, id);
    const loaded = stored ? await loadDraft(this.#db, this.#keyring, id, { keyPasswords: [] }) : null;
    if (!stored || !loaded) throw new SealpostError('bad-input', `no draft ${id}`);
    return { summary: draftSummary(stored), draft: loaded.draft };
  }

  /** Deletes the draft here and queues the deletion of its server copy (one transaction, store/drafts.ts); a draft already gone is not an error. */
  deleteDraft(id: number): void {
    const stored = getDraft(this.#db, id);
    if (!stored) return;
    deleteDraft(this.#db, id);
    this.#kick(stored.accountId);
  }

  // -------------------------------------------------------------------------
  // Sync, actions, sending

  /** A full sync of the account (or one folder), with `sync.progress` events. */
  async sync(accountId: string, folder?: string): Promise<SyncSummary> {
    const account = this.#accounts.get(accountId);
    return this.#exclusive(account.id, async () => {
      const progress = (p: Omit<SyncProgress, 'accountId'>) => this.#emit('sync.progress', { accountId: account.id, ...p });
      progress({ phase: 'started' });
      const marks = this.#markInboxes(account.id);
      try {
        const password = await this.#accounts.password(account.id);
        const result = await syncAccount(this.#db, account, password, {
          ...(folder !== undefined ? { folder } : {}),
          sendNow: true,
          onEvent: (e) => {
            if (e.kind === 'outbox') progress({ phase: 'outbox', done: e.done, total: e.total });
            else if (e.kind === 'folders') progress({ phase: 'folders', total: e.count });
            else if (e.kind === 'folder') progress({ phase: 'folder', folder: e.folder, done: e.done, total: e.total });
          },
        });
        const summary: SyncSummary = {
          sent: result.sent.filter((r) => r.state === 'sent').length,
          unsent: listOutbox(this.#db, { accountId: account.id, states: ['queued', 'failed'] }).length,
          actionsApplied: result.actions.applied,
          folders: result.folders.map((f) => ({ path: f.folder, added: f.added, removed: f.removed, flagsUpdated: f.flagsUpdated })),
          problems: [
            ...(result.sendError ? [{ what: 'outbox', message: result.sendError.message }] : []),
            ...result.actions.dropped.map((d) => ({ what: 'action', message: d.reason })),
            ...result.drafts.failed.map((d) => ({ what: 'draft', message: d.message })),
            ...result.folderErrors.map((f) => ({ what: f.folder, message: f.error.message })),
          ],
        };
        progress({ phase: 'done' });
        this.#emit('mail.changed', { accountId: account.id, folderIds: listFolders(this.#db, account.id).map((f) => f.id) });
        this.#announceArrivals(account.id, marks);
        if (result.sent.length > 0) this.#emit('outbox.changed', { accountId: account.id });
        return summary;
      } catch (e) {
        progress({ phase: 'failed', message: e instanceof SealpostError ? e.message : 'the sync failed' });
        throw e;
      }
    });
  }

  /** Applies a message action at once in the store; the server follows in the background. */
  act(accountId: string, action: MessageActionInput): { changed: number } {
    const account = this.#accounts.get(accountId);
    const { changed } = applyMessageAction(this.#db, account.id, action, this.#now());
    const folder = listFolders(this.#db, account.id).find((f) => f.path === action.folder);
    this.#emit('mail.changed', { accountId: account.id, folderIds: folder ? [folder.id] : [] });
    this.#kick(account.id);
    return { changed };
  }

  /**
   * Composes (signed and encrypted as asked, by the message-security code),
   * queues in the outbox, and sends in the background. The message is in the
   * outbox, safe, when this returns.
   */
  async send(accountId: string, draft: Draft, options: Pick<ComposeOptions, 'encrypt' | 'sign'>): Promise<OutboxEntry> {
    const account = this.#accounts.get(accountId);
    const domain = draft.from.address.slice(draft.from.address.lastIndexOf('@') + 1);
    const messageId = `<${randomUUID()}@${domain}>`;
    const raw = await composeMessage(this.#keyring, draft, { ...options, attachKey: false, keyPasswords: [], messageId });
    const recipients = [...new Set([...draft.to, ...draft.cc, ...(draft.bcc ?? [])].map((a) => a.address))];
    const item = enqueueOutbox(
      this.#db,
      { accountId: account.id, raw, envelope: { from: draft.from.address, to: recipients }, messageId },
      this.#now(),
    );
    this.#emit('outbox.changed', { accountId: account.id });
    this.#kick(account.id);
    return outboxEntry(item);
  }

  outbox(accountId?: string): OutboxEntry[] {
    const id = accountId === undefined ? undefined : this.#accounts.get(accountId).id;
    return listOutbox(this.#db, id === undefined ? {} : { accountId: id }).map(outboxEntry);
  }

  /** The user's "send again" for a failed message. */
  retry(outboxId: number): OutboxEntry {
    const item = requeueOutbox(this.#db, outboxId, this.#now());
    this.#emit('outbox.changed', { accountId: item.accountId });
    this.#kick(item.accountId);
    return outboxEntry(item);
  }

  /** Takes a queued or failed message out of the outbox (never one being sent). */
  cancel(outboxId: number): void {
    const item = getOutbox(this.#db, outboxId);
    if (!item) throw new SealpostError('outbox-not-found', String(outboxId), { id: outboxId });
    removeOutbox(this.#db, outboxId);
    this.#emit('outbox.changed', { accountId: item.accountId });
  }

  // -------------------------------------------------------------------------
  // Background work

  /** Starts the periodic flush of every account (outbox, then actions, Sent copies and drafts). */
  start(intervalMs = BACKGROUND_INTERVAL_MS): void {
    this.#stopped = false;
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      for (const account of this.#accounts.list()) this.#kick(account.id);
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and the watcher and waits for the work already running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.watch(null);
    await Promise.allSettled([...this.#queues.values()]);
  }

  /**
   * Keeps the folder the user has open up to date by IDLE (RFC 2177) on a
   * connection of its own, announcing changes with `mail.changed`; null
   * stops watching. Watching another folder stops the previous watcher.
   */
  async watch(folderId: number | null): Promise<void> {
    if (this.#watcher && this.#watcher.folderId === folderId) return;
    const previous = this.#watcher;
    this.#watcher = null;
    if (previous) await previous.watcher.stop();
    if (folderId === null || this.#stopped) return;
    const folder = this.#folder(folderId);
    const account = this.#accounts.get(folder.accountId);
    const watcher = new FolderWatcher({
      db: this.#db,
      account,
      folder,
      password: () => this.#accounts.password(account.id),
      // The mark is taken inside the account's runner, so a sync the user started in between is not counted twice.
      exclusive: (work) =>
        this.#exclusive(account.id, async () => {
          const marks = folder.role === 'inbox' ? this.#markInboxes(account.id).filter((m) => m.folderId === folder.id) : [];
          const result = await work();
          this.#announceArrivals(account.id, marks);
          return result;
        }),
      onChange: (result) => {
        if (result.added + result.removed + result.flagsUpdated + result.cleared > 0)
          this.#emit('mail.changed', { accountId: account.id, folderIds: [folder.id] });
      },
      onError: (error) =>
        this.#emit('sync.progress', { accountId: account.id, phase: 'failed', folder: folder.path, message: error.message }),
    });
    this.#watcher = { folderId, watcher };
    watcher.start();
  }

  /** Runs one background flush of the account now and waits for it (also what the timer does). */
  async flush(accountId: string): Promise<void> {
    const account = this.#accounts.get(accountId);
    await this.#exclusive(account.id, () => this.#flushNow(account));
  }

  #kick(accountId: string): void {
    if (this.#stopped) return;
    const account = this.#accounts.find(accountId);
    if (!account) return;
    this.#exclusive(account.id, () => this.#flushNow(account)).catch(() => undefined);
  }

  async #flushNow(account: Account): Promise<void> {
    const now = this.#now();
    const due = listOutbox(this.#db, { accountId: account.id, states: ['queued'] }).some((m) => m.nextAttemptAt <= now);
    const hasActions = nextAction(this.#db, account.id, now) !== null;
    const hasDrafts = unsavedDrafts(this.#db, account.id).length > 0;
    if (!due && !hasActions && !hasDrafts) return;
    let password: string;
    try {
      password = await this.#accounts.password(account.id);
    } catch (e) {
      this.#emit('sync.progress', {
        accountId: account.id,
        phase: 'failed',
        message: e instanceof SealpostError ? e.message : 'no password',
      });
      return;
    }
    if (due) {
      const run = await sendOutbox(this.#db, account, password, { now: this.#now }).catch((e: unknown) => {
        this.#emit('sync.progress', {
          accountId: account.id,
          phase: 'failed',
          message: e instanceof SealpostError ? e.message : 'sending failed',
        });
        return null;
      });
      if (run && run.reports.length > 0) this.#emit('outbox.changed', { accountId: account.id });
    }
    // Sent copies queued by the send above are due now too.
    if (nextAction(this.#db, account.id, this.#now()) === null && unsavedDrafts(this.#db, account.id).length === 0) return;
    try {
      await withImap(account, password, async (session) => {
        await replayActions(this.#db, session, account.id, { now: this.#now });
        await uploadDrafts(this.#db, session, account.id);
      });
      this.#emit('outbox.changed', { accountId: account.id });
    } catch (e) {
      // Deferred with backoff by the replay; the next flush tries again.
      this.#emit('sync.progress', {
        accountId: account.id,
        phase: 'failed',
        message: e instanceof SealpostError ? e.message : 'the server could not be reached',
      });
    }
  }

  #markInboxes(accountId: string): InboxMark[] {
    return listFolders(this.#db, accountId)
      .filter((f) => f.role === 'inbox')
      .map((f) => markFolder(this.#db, f.id))
      .filter((m): m is InboxMark => m !== null);
  }

  #announceArrivals(accountId: string, marks: readonly InboxMark[]): void {
    for (const mark of marks) {
      const arrival = arrivedSince(this.#db, mark);
      if (arrival) this.#emit('mail.arrived', { accountId, folderId: arrival.folderId, count: arrival.count, latest: arrival.latest });
    }
  }

  /** Runs `work` after the account's earlier network work; one at a time per account. */
  #exclusive<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(accountId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.#queues.set(accountId, tail);
    void tail.then(() => {
      if (this.#queues.get(accountId) === tail) this.#queues.delete(accountId);
    });
    return run;
  }

  #folder(folderId: number): FolderRow {
    const folder = getFolder(this.#db, folderId);
    if (!folder) throw new SealpostError('bad-input', `no folder ${folderId}`);
    return folder;
  }

  /** Pending server actions of the account, for a status line. */
  pendingActions(accountId: string): number {
    return listActions(this.#db, this.#accounts.get(accountId).id).length;
  }
}
