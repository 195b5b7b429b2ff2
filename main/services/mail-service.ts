/**
 * The mail side of the app, as one facade the IPC handlers call. The work is
 * elsewhere: the use cases shared with the command line (main/usecases), the
 * per-account runner with the background flush and the IDLE watcher
 * (./account-worker.ts), the reader with its open message (./message-reader.ts),
 * the views of the store's rows (./views.ts).
 *
 * New unread mail in an inbox, stored by a sync or by the IDLE watcher, is
 * announced with `mail.arrived` (see ./new-mail.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import { isSealpostError, SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { KeySummary } from '../../app/keys.ts';
import {
  DEFAULT_SETTINGS,
  type AccountView,
  type DraftSummary,
  type FolderView,
  type MessageItem,
  type MessageView,
  type OutboxEntry,
  type SyncProgress,
  type SyncSummary,
} from '../../app/mail.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';
import { Accounts, type AccountInput, type AccountUpdate } from '../accounts/accounts.ts';
import type { SecretStore } from '../accounts/secret-store.ts';
import { composeMessage } from '../pgp-mime/write/compose.ts';
import type { ComposeOptions, Draft } from '../pgp-mime/write/draft.ts';
import { loadDraft, saveComposedDraft } from '../pgp-mime/write/save-draft.ts';
import { deleteDraft, getDraft, listDrafts } from '../store/drafts.ts';
import { getFolder, listFolders, type FolderRow } from '../store/folders.ts';
import { listMessages } from '../store/messages.ts';
import { getOutbox, listOutbox, removeOutbox, requeueOutbox } from '../store/outbox.ts';
import { listActions } from '../store/pending-actions.ts';
import type { MessageActionInput } from '../sync/message-actions.ts';
import { actOnMessages } from '../usecases/act-on-messages.ts';
import { addAccount } from '../usecases/add-account.ts';
import { editAccount } from '../usecases/edit-account.ts';
import { removeAccount } from '../usecases/remove-account.ts';
import { fetchOverOwnConnection } from '../usecases/read-message.ts';
import { queueMessage } from '../usecases/send-message.ts';
import { syncAccountNow } from '../usecases/sync-account.ts';
import { AccountWorker, BACKGROUND_INTERVAL_MS } from './account-worker.ts';
import type { EmitMail } from './mail-events.ts';
import { MessageReader, type MessageAttachment } from './message-reader.ts';
import type { SettingsStore } from './settings-store.ts';
import { accountView, draftSummary, folderView, messageItem, outboxEntry } from './views.ts';

export type { MailEventName, MailEvents } from './mail-events.ts';
export type { MessageAttachment } from './message-reader.ts';
export { BACKGROUND_INTERVAL_MS };

export interface MailServiceOptions {
  db: DatabaseSync;
  secrets: SecretStore;
  keyring: KeyringClient;
  emit?: EmitMail;
  /** The user's settings (the Autocrypt preference of sent mail); without them, the defaults. */
  settings?: Pick<SettingsStore, 'get'>;
  now?: () => number;
  /** Log in to both servers before an account is saved (default true). */
  checkServers?: boolean;
}

export class MailService {
  readonly #db: DatabaseSync;
  readonly #accounts: Accounts;
  readonly #keyring: KeyringClient;
  readonly #emit: EmitMail;
  readonly #settings: Pick<SettingsStore, 'get'> | null;
  readonly #now: () => number;
  readonly #checkServers: boolean;
  readonly #worker: AccountWorker;
  readonly #reader: MessageReader;

  constructor(options: MailServiceOptions) {
    this.#db = options.db;
    this.#accounts = new Accounts(options.db, options.secrets, options.now ? { now: options.now } : {});
    this.#keyring = options.keyring;
    this.#settings = options.settings ?? null;
    this.#now = options.now ?? Date.now;
    this.#checkServers = options.checkServers !== false;
    this.#emit = (event, payload) => {
      try {
        options.emit?.(event, payload);
      } catch {
        // a window that cannot be told reloads on its next action
      }
    };
    this.#worker = new AccountWorker({ db: this.#db, accounts: this.#accounts, emit: this.#emit, now: this.#now });
    this.#reader = new MessageReader({ db: this.#db, keyring: this.#keyring, fetch: (folder, uid) => this.#fetchRaw(folder, uid) });
  }

  // -------------------------------------------------------------------------
  // Accounts

  accounts(): AccountView[] {
    return this.#accounts.list().map(accountView);
  }

  /** Logs in to both servers with the settings first; saves nothing unless both accept. */
  async addAccount(input: AccountInput): Promise<AccountView> {
    return accountView(await addAccount(this.#accounts, input, { checkServers: this.#checkServers }));
  }

  /** As `addAccount`: a change of server, user, password or CA is checked by logging in before it is saved. */
  async updateAccount(id: string, change: AccountUpdate): Promise<AccountView> {
    const exclusive = <T>(accountId: string, work: () => Promise<T>) => this.#worker.exclusive(accountId, work);
    return accountView(await editAccount(this.#accounts, id, change, { checkServers: this.#checkServers, exclusive }));
  }

  async removeAccount(id: string, options: { force?: boolean } = {}): Promise<void> {
    const exclusive = <T>(accountId: string, work: () => Promise<T>) => this.#worker.exclusive(accountId, work);
    const removed = await removeAccount(this.#accounts, id, { force: options.force === true, exclusive });
    this.#worker.forget(removed);
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
    const { report, html, htmlStarts } = await this.#reader.read(folderId, uid);
    return { report, html, htmlStarts };
  }

  /** The `index`-th attachment of the report, from the open message's reading when it is this one. */
  attachment(folderId: number, uid: string, index: number): Promise<MessageAttachment> {
    return this.#reader.attachment(folderId, uid, index);
  }

  /** Imports keys the message's report lists (./message-reader.ts). */
  importMessageKeys(
    folderId: number,
    uid: string,
    fingerprints: readonly string[],
  ): Promise<{ changed: KeySummary[]; problems: { code: ErrorCode; message: string }[] }> {
    return this.#reader.importKeys(folderId, uid, fingerprints);
  }

  /** The body of a message not stored yet: over the IDLE watcher's connection when it watches the folder, else a connection of its own. */
  async #fetchRaw(folder: FolderRow, uid: string): Promise<Uint8Array> {
    const watched = await this.#worker.fetchWatched(folder.id, uid);
    if (watched) return watched;
    const account = this.#accounts.get(folder.accountId);
    return fetchOverOwnConnection(this.#db, account, () => this.#accounts.password(account.id))(folder, uid);
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
    this.#worker.kick(account.id);
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
    this.#worker.kick(stored.accountId);
  }

  // -------------------------------------------------------------------------
  // Sync, actions, sending

  /** A full sync of the account (or one folder), with `sync.progress` events. */
  async sync(accountId: string, folder?: string): Promise<SyncSummary> {
    const account = this.#accounts.get(accountId);
    return this.#worker.exclusive(account.id, async () => {
      const progress = (p: Omit<SyncProgress, 'accountId'>) => this.#emit('sync.progress', { accountId: account.id, ...p });
      progress({ phase: 'started' });
      const marks = this.#worker.markInboxes(account.id);
      try {
        const password = await this.#accounts.password(account.id);
        const { result, unsent, problems } = await syncAccountNow(this.#db, account, password, {
          ...(folder !== undefined ? { folder } : {}),
          onEvent: (e) => {
            if (e.kind === 'outbox') progress({ phase: 'outbox', done: e.done, total: e.total });
            else if (e.kind === 'folders') progress({ phase: 'folders', total: e.count });
            else if (e.kind === 'folder') progress({ phase: 'folder', folder: e.folder, done: e.done, total: e.total });
          },
        });
        progress({ phase: 'done' });
        this.#emit('mail.changed', { accountId: account.id, folderIds: listFolders(this.#db, account.id).map((f) => f.id) });
        this.#worker.announceArrivals(account.id, marks);
        if (result.sent.length > 0) this.#emit('outbox.changed', { accountId: account.id });
        return {
          sent: result.sent.filter((r) => r.state === 'sent').length,
          unsent,
          actionsApplied: result.actions.applied,
          folders: result.folders.map((f) => ({ path: f.folder, added: f.added, removed: f.removed, flagsUpdated: f.flagsUpdated })),
          problems,
        };
      } catch (e) {
        progress(
          isSealpostError(e)
            ? { phase: 'failed', code: e.code, message: e.message }
            : { phase: 'failed', code: 'internal', message: 'the sync failed' },
        );
        throw e;
      }
    });
  }

  /** Applies a message action at once in the store; the server follows in the background. */
  act(accountId: string, action: MessageActionInput): { changed: number } {
    const account = this.#accounts.get(accountId);
    const { changed, folderIds } = actOnMessages(this.#db, account, action, this.#now());
    this.#emit('mail.changed', { accountId: account.id, folderIds });
    this.#worker.kick(account.id);
    return { changed };
  }

  /**
   * Composes (signed and encrypted as asked, by the message-security code),
   * queues in the outbox, and sends in the background. The message is in the
   * outbox, safe, when this returns.
   */
  async send(accountId: string, draft: Draft, options: Pick<ComposeOptions, 'encrypt' | 'sign'>): Promise<OutboxEntry> {
    const account = this.#accounts.get(accountId);
    // The user's own Autocrypt preference goes into the message's Autocrypt header (Autocrypt Level 1, section 2.3).
    const { preferEncrypt } = this.#settings ? await this.#settings.get() : DEFAULT_SETTINGS;
    const item = await queueMessage(this.#db, {
      account,
      draft,
      // Keys unlocked in the keyring's session are used; passphrases never pass through here.
      compose: (messageId) =>
        composeMessage(this.#keyring, draft, { ...options, attachKey: false, keyPasswords: [], messageId, preferEncrypt }),
      now: this.#now,
    });
    this.#emit('outbox.changed', { accountId: account.id });
    this.#worker.kick(account.id);
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
    this.#worker.kick(item.accountId);
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
  // Background work (./account-worker.ts)

  /** Starts the periodic flush of every account (outbox, then actions, Sent copies and drafts). */
  start(intervalMs = BACKGROUND_INTERVAL_MS): void {
    this.#worker.start(intervalMs);
  }

  /** Stops the timer and the watcher, waits for the work already running, and forgets the open message. */
  async stop(): Promise<void> {
    await this.#worker.stop();
    this.#reader.close();
  }

  /** Keeps the folder the user has open up to date by IDLE (RFC 2177); null stops watching. */
  watch(folderId: number | null): Promise<void> {
    return this.#worker.watch(folderId);
  }

  /** Runs one background flush of the account now and waits for it (also what the timer does). */
  flush(accountId: string): Promise<void> {
    return this.#worker.flush(accountId);
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
