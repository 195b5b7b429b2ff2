/**
 * An IMAP connection for the sync: imapflow with the same checked TLS as the
 * account check (`tlsOptions`: the system's roots plus the account's CA,
 * verification on, TLS 1.2 at least), STARTTLS required unless the account
 * says `?tls=off`, and every step bounded in time.
 *
 * Time limits: imapflow's own connection, greeting and socket (silence)
 * timeouts, plus a deadline per step (`step()`): a server that trickles bytes
 * forever cannot hold a sync. On a deadline the connection is closed, which
 * fails whatever else was waiting on it. Errors become registry errors in the
 * one imapflow adapter (`translateImapError`).
 */
import type { ImapFlow, MailboxLockObject, MailboxObject } from 'imapflow';
import { SealpostError } from '../../app/errors.ts';
import type { Account } from '../accounts/accounts.ts';
import { createImapClient } from './connection-check.ts';
import { translateImapError, where, type Endpoint } from './imap-errors.ts';
import { within } from './deadline.ts';

export interface SyncTimeouts {
  /** TCP (and implicit TLS) connection. */
  connectionMs: number;
  /** The server's greeting (and a STARTTLS upgrade). */
  greetingMs: number;
  /** Silence while waiting for any answer. */
  socketMs: number;
  /** One step: login, LIST, SELECT, one SEARCH, one FETCH batch, one message's source. */
  stepMs: number;
}

export const DEFAULT_SYNC_TIMEOUTS: SyncTimeouts = { connectionMs: 15_000, greetingMs: 15_000, socketMs: 30_000, stepMs: 120_000 };

export interface ImapSession {
  readonly client: ImapFlow;
  readonly endpoint: Endpoint;
  readonly timeouts: SyncTimeouts;
  /** Runs one network step within `timeouts.stepMs`; its failure as a registry error. */
  step<T>(what: string, work: () => Promise<T>): Promise<T>;
}

/**
 * When imapflow drops a connection on its own (no answer within the socket
 * timeout, a reset), it reports the cause once as an 'error' event and fails
 * the commands that were waiting with a bare NoConnection. This gives a
 * step's error back its cause, so that a silent server is a timeout and not
 * "the server closed the connection".
 */
export function droppedBecause(client: ImapFlow): (error: unknown) => unknown {
  let cause: unknown;
  client.on('error', (e: unknown) => {
    cause ??= e;
  });
  return (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    return cause !== undefined && (code === 'NoConnection' || code === 'EConnectionClosed') ? cause : error;
  };
}

/**
 * A session for one connection, not yet logged in: every step bounded in
 * time, and its failure translated once, with the reason imapflow gave when
 * it dropped the connection. Made before the login so that the caller can
 * close an attempt in progress.
 */
export function imapSession(
  account: Account,
  password: string,
  timeouts: SyncTimeouts,
): { session: ImapSession; dropped: (error: unknown) => unknown } {
  const endpoint = { host: account.imap.host, port: account.imap.port };
  const client = createImapClient(account.imap, account.imap.user, password, account.caPem, timeouts);
  const dropped = droppedBecause(client);
  const session: ImapSession = {
    client,
    endpoint,
    timeouts,
    step: (what, work) =>
      within(timeouts.stepMs, `${what} (IMAP server ${where(endpoint)})`, work, () => client.close()).catch((e: unknown) => {
        throw translateImapError(dropped(e), endpoint);
      }),
  };
  return { session, dropped };
}

/** Connects and logs in to the account's IMAP server. Close it with `closeImap` in a `finally`. */
export async function connectImap(
  account: Account,
  password: string,
  timeouts: SyncTimeouts = DEFAULT_SYNC_TIMEOUTS,
): Promise<ImapSession> {
  const { session } = imapSession(account, password, timeouts);
  const { client } = session;
  try {
    await session.step('the login', () => client.connect());
  } catch (e) {
    client.close();
    throw e;
  }
  return session;
}

/** The state a folder was last synced with, for QRESYNC (RFC 7162 section 3.2.5). */
export interface KnownState {
  uidValidity: bigint;
  highestModseq: bigint;
}

export type OpenedFolder = MailboxLockObject & {
  mailbox: MailboxObject;
  /**
   * With QRESYNC in effect: the UIDs the server reported as expunged since
   * `known.highestModseq` (VANISHED (EARLIER)). Null when QRESYNC was not
   * used (not offered, no known state, or the UIDVALIDITY changed).
   */
  vanished: number[] | null;
};

/**
 * Opens a folder read-only (EXAMINE) under imapflow's mailbox lock, with
 * fresh UIDVALIDITY, UIDNEXT, EXISTS and HIGHESTMODSEQ: imapflow reuses a
 * mailbox that is still open, whose numbers are those of its last SELECT
 * (no IDLE, no NOOP since), so that one is examined again. With `known` and
 * a server that enabled QRESYNC, the EXAMINE carries that state and the
 * expunges since then are collected.
 */
export async function openFolder(session: ImapSession, path: string, known?: KnownState): Promise<OpenedFolder> {
  const { client } = session;
  const current = client.mailbox;
  const stale = !!current && current.path === path && current.readOnly === true;
  const qresync = known !== undefined && client.enabled.has('QRESYNC');
  const options = qresync ? { readOnly: true, uidValidity: known.uidValidity, changedSince: known.highestModseq } : { readOnly: true };
  const vanished: number[] = [];
  const onExpunge = (e: { path?: string; uid?: number; vanished?: boolean }) => {
    if (e.vanished && e.path === path && typeof e.uid === 'number') vanished.push(e.uid);
  };
  client.on('expunge', onExpunge);
  let lock: MailboxLockObject;
  try {
    lock = await session.step(`opening ${path}`, () => client.getMailboxLock(path, options));
    try {
      // imapflow reused the open mailbox without a command: examine it again (with the QRESYNC state).
      if (stale) await session.step(`opening ${path}`, () => client.mailboxOpen(path, options));
    } catch (e) {
      lock.release();
      throw e;
    }
  } finally {
    client.off('expunge', onExpunge);
  }
  try {
    const mailbox = client.mailbox;
    if (!mailbox || mailbox.path !== path) throw new SealpostError('network-bad-response', `${path} could not be opened`);
    // imapflow sets `qresync` only when the server took the state (same UIDVALIDITY, modseq kept).
    const used = qresync && (mailbox as { qresync?: boolean }).qresync === true;
    return Object.assign(lock, { mailbox, vanished: used ? vanished : null });
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Logs out (bounded in time) and closes the socket whatever happens. */
export async function closeImap(session: ImapSession): Promise<void> {
  try {
    if (session.client.usable)
      await within(Math.min(session.timeouts.stepMs, 10_000), 'the logout', session.client.logout(), () => undefined);
  } catch {
    // the connection is closed below either way
  } finally {
    session.client.close();
  }
}

/** Connects, runs `work`, and closes the connection in a `finally`. */
export async function withImap<T>(
  account: Account,
  password: string,
  work: (session: ImapSession) => Promise<T>,
  timeouts?: SyncTimeouts,
): Promise<T> {
  const session = await connectImap(account, password, timeouts);
  try {
    return await work(session);
  } finally {
    await closeImap(session);
  }
}
