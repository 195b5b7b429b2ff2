/**
 * Keeps the folder the app shows up to date while it is open: a connection
 * of its own (never the session other syncs use), the folder opened
 * read-only, and IDLE (RFC 2177) between syncs.
 *
 * - The server's unsolicited EXISTS, EXPUNGE and FETCH (flags) responses
 *   (RFC 9051, 7.4.1, 7.5.1, 7.5.2; imapflow's 'exists', 'expunge' and
 *   'flags' events) start `syncFolder` for the folder. Never two syncs at
 *   once: what arrives during a sync makes one more sync after it, however
 *   much arrived. Each completed sync is reported to `onChange`.
 * - A sync runs on connecting (what changed while disconnected) and then
 *   IDLE is entered whenever the connection is free. The client's socket
 *   timeout breaks IDLE with a NOOP now and then, which also keeps the
 *   connection well within the 29 minutes of RFC 2177; a server that does not
 *   answer that NOOP ends the connection.
 * - When the connection ends (the server went away, a sync failed), the
 *   error goes to `onError` as a registry error and the watcher connects
 *   again after a delay: 1 s, doubled after every attempt that did not get
 *   to a completed sync, up to 60 s; an error retrying cannot mend
 *   (the login refused, a certificate) waits the longest delay at once.
 * - `fetchBody(uid)` fetches a message of the folder over this connection,
 *   so that reading what just arrived needs no login of its own; it takes
 *   its turn with the watcher's syncs (imapflow's mailbox lock).
 * - `stop()` ends everything, a connection attempt in progress included,
 *   and resolves when the connection is closed. It can be called any time,
 *   any number of times.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isSealpostError, SealpostError } from '../../app/errors.ts';
import type { Account } from '../accounts/accounts.ts';
import { translateImapError } from '../mail/imap-errors.ts';
import { getFolder, type FolderRow } from '../store/folders.ts';
import { fetchBody } from './fetch-body.ts';
import { syncFolder, type FolderSyncResult } from './folder-sync.ts';
import { closeImap, DEFAULT_SYNC_TIMEOUTS, imapSession, type ImapSession, type SyncTimeouts } from '../mail/imap-session.ts';

export interface WatcherBackoff {
  /** Delay before the first reconnection attempt. */
  firstMs: number;
  /** The delay doubles up to this. */
  maxMs: number;
}

export const DEFAULT_WATCHER_BACKOFF: WatcherBackoff = { firstMs: 1_000, maxMs: 60_000 };

export interface FolderWatcherOptions {
  db: DatabaseSync;
  account: Account;
  /** The account's password, asked for each connection (it may have changed meanwhile). */
  password: () => Promise<string>;
  folder: FolderRow;
  timeouts?: SyncTimeouts;
  /** Messages per FETCH of a sync (`syncFolder`'s batch size). */
  batchSize?: number;
  backoff?: WatcherBackoff;
  /** After every completed sync of the folder, also one that found nothing new. */
  onChange?: (result: FolderSyncResult) => void;
  /** Why a connection or a sync ended; the watcher connects again unless stopped. */
  onError?: (error: SealpostError) => void;
  /**
   * Runs each sync of the watcher; the app passes its per-account runner so
   * that the watcher's sync and a sync the user started never write the same
   * folder at once.
   */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
}

export type WatcherState = 'new' | 'connecting' | 'syncing' | 'idle' | 'waiting' | 'stopped';

/** A quick IDLE ending with nothing to sync (a server refusing it) is retried after this, not at once. */
const IDLE_RETRY_MS = 1_000;
const QUICK_IDLE_MS = 100;

/** One connection: its session and the error that ended it, the first one only. */
interface Connection {
  session: ImapSession;
  error: SealpostError | null;
  /** Why imapflow dropped the connection, as it told (see `droppedBecause`). */
  dropped: (error: unknown) => unknown;
}

export class FolderWatcher {
  readonly #options: FolderWatcherOptions;
  readonly #timeouts: SyncTimeouts;
  readonly #backoff: WatcherBackoff;
  #state: WatcherState = 'new';
  #stopped = false;
  #loop: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #current: Connection | null = null;
  #syncing: Promise<void> | null = null;
  #again = false;
  /** The highest MODSEQ of a flag change announced during the running sync. */
  #seenModseq: bigint | null = null;
  #connections = 0;
  /** Ends a wait (backoff, IDLE retry) early: on stop, and when the connection closes. */
  #wakers = new Set<() => void>();

  constructor(options: FolderWatcherOptions) {
    this.#options = options;
    this.#timeouts = options.timeouts ?? DEFAULT_SYNC_TIMEOUTS;
    const backoff = options.backoff ?? DEFAULT_WATCHER_BACKOFF;
    const firstMs = Math.max(1, Math.floor(backoff.firstMs));
    this.#backoff = { firstMs, maxMs: Math.max(firstMs, Math.floor(backoff.maxMs)) };
  }

  get state(): WatcherState {
    return this.#state;
  }

  /** Connections that logged in so far (a reconnection adds one). */
  get connections(): number {
    return this.#connections;
  }

  /**
   * The raw source of a message of the watched folder (stored, else fetched
   * over the watcher's connection and stored, sync/fetch-body.ts); null when
   * there is no logged-in connection now, for the caller to use one of its own.
   */
  async fetchBody(uid: string): Promise<Uint8Array | null> {
    const current = this.#current;
    if (this.#stopped || !current || current.error || !current.session.client.usable || !current.session.client.authenticated) return null;
    const folder = getFolder(this.#options.db, this.#options.folder.id) ?? this.#options.folder;
    return fetchBody(this.#options.db, current.session, folder, uid);
  }

  /** Starts watching; does nothing when already started or stopped. */
  start(): void {
    if (this.#loop || this.#stopped) return;
    this.#loop = this.#run();
  }

  /** Stops watching and closes the connection; resolves when everything is closed. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      this.#state = 'stopped';
      this.#wake();
      const current = this.#current;
      if (current) {
        // A sync in progress would make LOGOUT wait behind it: then the socket is closed at once.
        if (this.#syncing || !current.session.client.authenticated) current.session.client.close();
        else await closeImap(current.session);
      }
      await this.#loop;
    })();
    return this.#stopping;
  }

  async #run(): Promise<void> {
    let delay = this.#backoff.firstMs;
    while (!this.#stopped) {
      const outcome = await this.#connectAndWatch();
      if (this.#stopped) break;
      if (outcome.synced) delay = this.#backoff.firstMs;
      if (outcome.error) {
        this.#report(outcome.error);
        if (!outcome.error.retryable) delay = this.#backoff.maxMs;
      }
      this.#state = 'waiting';
      await this.#sleep(delay);
      delay = Math.min(delay * 2, this.#backoff.maxMs);
    }
  }

  /** One connection, from the login until it ends. */
  async #connectAndWatch(): Promise<{ synced: boolean; error: SealpostError | null }> {
    const { account } = this.#options;
    const endpoint = { host: account.imap.host, port: account.imap.port };
    let connection: Connection | null = null;
    let synced = false;
    this.#state = 'connecting';
    let password: string;
    try {
      password = await this.#options.password();
    } catch (e) {
      return {
        synced,
        error: isSealpostError(e) ? e : new SealpostError('internal', 'the password of the account could not be read'),
      };
    }
    try {
      if (this.#stopped) return { synced, error: null };
      connection = this.#open(password);
      this.#current = connection;
      const { session } = connection;
      const { client } = session;
      await session.step('the login', () => client.connect());
      if (this.#stopped) return { synced, error: null };
      this.#connections++;
      const changed = () => this.#requestSync(connection!);
      client.on('exists', changed);
      client.on('expunge', (e: { earlier?: boolean }) => {
        // VANISHED (EARLIER) only answers the sync's own QRESYNC EXAMINE (RFC 7162 section 3.2.10): nothing new.
        if (!e?.earlier) changed();
      });
      client.on('flags', (e: { modseq?: bigint }) => {
        // During a sync, the EXAMINE with QRESYNC lists the flag changes that sync reads anyway; a
        // change with a MODSEQ above what the sync stored is synced after it (#startSyncs).
        if (this.#syncing && typeof e?.modseq === 'bigint') {
          if (this.#seenModseq === null || e.modseq > this.#seenModseq) this.#seenModseq = e.modseq;
          return;
        }
        changed();
      });
      // Not 'highestModseq': imapflow emits it when a sync's own EXAMINE of the open
      // folder sees a new HIGHESTMODSEQ, for changes that sync reads anyway; it would
      // make a second, empty sync after every change.
      client.once('close', () => {
        if (this.#current === connection) this.#wake();
      });

      await this.#startSyncs(connection);
      synced = true;
      await this.#idle(connection);
      if (this.#stopped) return { synced, error: null };
      return { synced, error: connection.error ?? this.#why(connection, { code: 'EConnectionClosed' }) };
    } catch (e) {
      if (this.#stopped) return { synced, error: null };
      const error = connection ? this.#why(connection, e) : isSealpostError(e) ? e : translateImapError(e, endpoint);
      return { synced, error: connection?.error ?? error };
    } finally {
      if (connection) {
        if (this.#current === connection) this.#current = null;
        await closeImap(connection.session);
      }
    }
  }

  /** The session of one connection, made before the login so that `stop()` can close an attempt in progress. */
  #open(password: string): Connection {
    const { session, dropped } = imapSession(this.#options.account, password, this.#timeouts);
    return { session, error: null, dropped };
  }

  /** A registry error for what ended a connection. */
  #why(connection: Connection, error: unknown): SealpostError {
    if (isSealpostError(error)) return error;
    return translateImapError(connection.dropped(error), connection.session.endpoint);
  }

  /** IDLE whenever the connection is free, until it closes or the watcher stops. */
  async #idle(connection: Connection): Promise<void> {
    const { client } = connection.session;
    while (!this.#stopped && client.usable && !connection.error) {
      if (!this.#syncing) this.#state = 'idle';
      if (!client.mailbox && !this.#syncing) this.#requestSync(connection);
      const started = Date.now();
      let ended: boolean | undefined = false;
      try {
        // Waits for a sync to finish first; a sync's first command ends the IDLE (DONE).
        ended = await client.idle({ whenFree: true });
      } catch {
        // the connection is gone: the loop ends below
      }
      if (this.#stopped || !client.usable) break;
      if ((ended === false || Date.now() - started < QUICK_IDLE_MS) && !this.#syncing) await this.#sleep(IDLE_RETRY_MS);
    }
  }

  /** A change was announced: a sync now, or one more after the current one. */
  #requestSync(connection: Connection): void {
    if (this.#stopped || this.#current !== connection || connection.error || !connection.session.client.usable) return;
    if (this.#syncing) {
      this.#again = true;
      return;
    }
    this.#startSyncs(connection).catch((e: unknown) => {
      // The connection is given up; the loop reports the error and connects again.
      connection.error ??= this.#why(connection, e);
      connection.session.client.close();
    });
  }

  #startSyncs(connection: Connection): Promise<void> {
    const run = (async () => {
      try {
        do {
          this.#again = false;
          this.#state = 'syncing';
          const sync = () => syncFolder(this.#options.db, connection.session, this.#options.folder, { batchSize: this.#options.batchSize });
          const result = await (this.#options.exclusive ? this.#options.exclusive(sync) : sync());
          if (this.#stopped) return;
          this.#changed(result);
          const stored = getFolder(this.#options.db, this.#options.folder.id)?.highestmodseq ?? null;
          if (this.#seenModseq !== null && (stored === null || this.#seenModseq > BigInt(stored))) this.#again = true;
          this.#seenModseq = null;
        } while (this.#again && !this.#stopped && connection.session.client.usable);
        if (!this.#stopped) this.#state = 'idle';
      } finally {
        this.#syncing = null;
      }
    })();
    this.#syncing = run;
    return run;
  }

  #changed(result: FolderSyncResult): void {
    try {
      this.#options.onChange?.(result);
    } catch (e) {
      this.#report(isSealpostError(e) ? e : new SealpostError('internal', 'the handler of a folder change failed'));
    }
  }

  #report(error: SealpostError): void {
    if (this.#stopped) return;
    try {
      this.#options.onError?.(error);
    } catch {
      // a failing error handler must not stop the watcher
    }
  }

  /** Waits `ms`, or less when stopped or the connection closes. */
  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}
