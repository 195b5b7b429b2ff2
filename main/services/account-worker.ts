/**
 * The app's network work per account: one runner per account (`exclusive`),
 * the background flush (outbox, then queued actions, Sent copies and
 * drafts), its timer, and the IDLE watcher of the folder the user has open.
 *
 * A sync, a send and the background flush of one account never run at once,
 * so the outbox and the action queue are worked off by one runner in order.
 * The command line may still run beside the app; the store's transactions
 * and the outbox's claim keep that safe.
 *
 * In the background (`start`), every `intervalMs` and right after an action
 * or a send: the due outbox messages go out (temporary failures retry after
 * 1 min, doubling to 1 h, `retryDelay`), then the due actions, Sent copies
 * and drafts go to the IMAP server. A failure there is reported as an event
 * and retried later; nothing is lost.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isSealpostError, SealpostError } from '../../app/errors.ts';
import type { Account, Accounts } from '../accounts/accounts.ts';
import { withImap } from '../mail/imap-session.ts';
import { sendOutbox } from '../outbox/send-outbox.ts';
import { getFolder, listFolders, type FolderRow } from '../store/folders.ts';
import { listOutbox } from '../store/outbox.ts';
import { nextAction } from '../store/pending-actions.ts';
import { unsavedDrafts } from '../store/drafts.ts';
import { replayActions } from '../sync/replay-actions.ts';
import { uploadDrafts } from '../sync/upload-drafts.ts';
import { FolderWatcher } from '../sync/watch-folder.ts';
import { arrivedSince, markFolder, type InboxMark } from './new-mail.ts';
import type { EmitMail } from './mail-events.ts';

export const BACKGROUND_INTERVAL_MS = 60_000;

export interface AccountWorkerOptions {
  db: DatabaseSync;
  accounts: Accounts;
  emit: EmitMail;
  now: () => number;
}

export class AccountWorker {
  readonly #db: DatabaseSync;
  readonly #accounts: Accounts;
  readonly #emit: EmitMail;
  readonly #now: () => number;
  /** Per account: the tail of its chain of network work. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** IDLE on the folder the user has open (one at a time). */
  #watcher: { folderId: number; watcher: FolderWatcher } | null = null;

  constructor(options: AccountWorkerOptions) {
    this.#db = options.db;
    this.#accounts = options.accounts;
    this.#emit = options.emit;
    this.#now = options.now;
  }

  /** Starts the periodic flush of every account. */
  start(intervalMs = BACKGROUND_INTERVAL_MS): void {
    this.#stopped = false;
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      for (const account of this.#accounts.list()) this.kick(account.id);
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
        this.exclusive(account.id, async () => {
          const marks = folder.role === 'inbox' ? this.markInboxes(account.id).filter((m) => m.folderId === folder.id) : [];
          const result = await work();
          this.announceArrivals(account.id, marks);
          return result;
        }),
      onChange: (result) => {
        if (result.added + result.removed + result.flagsUpdated + result.cleared > 0)
          this.#emit('mail.changed', { accountId: account.id, folderIds: [folder.id] });
      },
      onError: (error) =>
        this.#emit('sync.progress', {
          accountId: account.id,
          phase: 'failed',
          folder: folder.path,
          code: error.code,
          message: error.message,
        }),
    });
    this.#watcher = { folderId, watcher };
    watcher.start();
  }

  /**
   * A message of the watched folder fetched over the watcher's connection;
   * null when the folder is not watched or the watcher is not connected now.
   */
  async fetchWatched(folderId: number, uid: string): Promise<Uint8Array | null> {
    const watched = this.#watcher;
    if (!watched || watched.folderId !== folderId) return null;
    return watched.watcher.fetchBody(uid);
  }

  /** Runs one background flush of the account now and waits for it (also what the timer does). */
  async flush(accountId: string): Promise<void> {
    const account = this.#accounts.get(accountId);
    await this.exclusive(account.id, () => this.#flushNow(account));
  }

  /** A flush of the account in the background, after its work already queued. */
  kick(accountId: string): void {
    if (this.#stopped) return;
    const account = this.#accounts.find(accountId);
    if (!account) return;
    this.exclusive(account.id, () => this.#flushNow(account)).catch(() => undefined);
  }

  /** The account is gone: its runner is forgotten. */
  forget(accountId: string): void {
    this.#queues.delete(accountId);
  }

  /** Runs `work` after the account's earlier network work; one at a time per account. */
  exclusive<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(accountId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.#queues.set(accountId, tail);
    void tail.then(() => {
      if (this.#queues.get(accountId) === tail) this.#queues.delete(accountId);
    });
    return run;
  }

  /** The inboxes' state before a sync, for `announceArrivals` after it (./new-mail.ts). */
  markInboxes(accountId: string): InboxMark[] {
    return listFolders(this.#db, accountId)
      .filter((f) => f.role === 'inbox')
      .map((f) => markFolder(this.#db, f.id))
      .filter((m): m is InboxMark => m !== null);
  }

  announceArrivals(accountId: string, marks: readonly InboxMark[]): void {
    for (const mark of marks) {
      const arrival = arrivedSince(this.#db, mark);
      if (arrival) this.#emit('mail.arrived', { accountId, folderId: arrival.folderId, count: arrival.count, latest: arrival.latest });
    }
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
      this.#failed(account.id, e, 'no password');
      return;
    }
    if (due) {
      const run = await sendOutbox(this.#db, account, password, { now: this.#now }).catch((e: unknown) => {
        this.#failed(account.id, e, 'sending failed');
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
      this.#failed(account.id, e, 'the server could not be reached');
    }
  }

  #failed(accountId: string, e: unknown, otherwise: string): void {
    this.#emit(
      'sync.progress',
      isSealpostError(e)
        ? { accountId, phase: 'failed', code: e.code, message: e.message }
        : { accountId, phase: 'failed', code: 'internal', message: otherwise },
    );
  }

  #folder(folderId: number): FolderRow {
    const folder = getFolder(this.#db, folderId);
    if (!folder) throw new SealpostError('bad-input', `no folder ${folderId}`);
    return folder;
  }
}
