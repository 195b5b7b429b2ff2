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
import { createImapClient } from '../mail/connection-check.ts';
import { translateImapError, where, type Endpoint } from '../mail/imap-errors.ts';
import { within } from '../mail/deadline.ts';

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

/** Connects and logs in to the account's IMAP server. Close it with `closeImap` in a `finally`. */
export async function connectImap(account: Account, password: string, timeouts: SyncTimeouts = DEFAULT_SYNC_TIMEOUTS): Promise<ImapSession> {
  const { host, port, user } = account.imap;
  const endpoint = { host, port };
  const client = createImapClient(account.imap, user, password, account.caPem, timeouts);
  const dropped = droppedBecause(client);
  const session: ImapSession = {
    client,
    endpoint,
    timeouts,
    step: (what, work) => within(timeouts.stepMs, `${what} (IMAP server ${where(endpoint)})`, work, () => client.close()).catch((e: unknown) => {
      throw translateImapError(dropped(e), endpoint);
    }),
  };
  try {
    await session.step('the login', () => client.connect());
  } catch (e) {
    client.close();
    throw e;
  }
  return session;
}

/**
 * Opens a folder read-only (EXAMINE) under imapflow's mailbox lock, with
 * fresh UIDVALIDITY, UIDNEXT, EXISTS and HIGHESTMODSEQ: imapflow reuses a
 * mailbox that is still open, whose numbers are those of its last SELECT
 * (no IDLE, no NOOP since), so that one is examined again.
 */
export async function openFolder(session: ImapSession, path: string): Promise<MailboxLockObject & { mailbox: MailboxObject }> {
  const { client } = session;
  const current = client.mailbox;
  const stale = !!current && current.path === path && current.readOnly === true;
  const lock = await session.step(`opening ${path}`, () => client.getMailboxLock(path, { readOnly: true }));
  try {
    if (stale) await session.step(`opening ${path}`, () => client.mailboxOpen(path, { readOnly: true }));
    const mailbox = client.mailbox;
    if (!mailbox || mailbox.path !== path) throw new SealpostError('network-bad-response', `${path} could not be opened`);
    return Object.assign(lock, { mailbox });
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Logs out (bounded in time) and closes the socket whatever happens. */
export async function closeImap(session: ImapSession): Promise<void> {
  try {
    if (session.client.usable) await within(Math.min(session.timeouts.stepMs, 10_000), 'the logout', session.client.logout(), () => undefined);
  } catch {
    // the connection is closed below either way
  } finally {
    session.client.close();
  }
}

/** Connects, runs `work`, and closes the connection in a `finally`. */
export async function withImap<T>(account: Account, password: string, work: (session: ImapSession) => Promise<T>, timeouts?: SyncTimeouts): Promise<T> {
  const session = await connectImap(account, password, timeouts);
  try {
    return await work(session);
  } finally {
    await closeImap(session);
  }
}

