/**
 * Logs in to an account's servers once, to check the settings before they
 * are saved: IMAP with imapflow (LOGIN, then LOGOUT; nothing is listed or
 * read), SMTP with nodemailer's verify() (EHLO, STARTTLS, AUTH, QUIT).
 *
 * - Certificates are always checked. An account's extra CA is added to the
 *   system's roots (Node's `tls.rootCertificates`), never put in their place.
 * - STARTTLS is required for `imap://` and `smtp://` unless the URL says
 *   `?tls=off`; `imaps://` and `smtps://` are TLS from the first byte.
 * - Every step is bounded in time: connection, greeting, each answer, and
 *   the whole check; the connection is closed in a `finally` whatever happens.
 * - Failures are registry errors from the one adapter per library.
 */
import { ImapFlow } from 'imapflow';
import type { ServerAddress } from '../accounts/validate.ts';
import { translateImapError, where } from './imap-errors.ts';
import { translateSmtpError } from './smtp-errors.ts';
import { within } from './deadline.ts';
import { createSmtpTransport } from './smtp-transport.ts';
import { tlsOptions } from './tls.ts';

export interface CheckTimeouts {
  /** TCP (and implicit TLS) connection. */
  connectionMs: number;
  /** The server's greeting (and a STARTTLS upgrade). */
  greetingMs: number;
  /** Silence while waiting for any answer. */
  socketMs: number;
  /** The whole check, login and logout included. */
  totalMs: number;
}

export const DEFAULT_CHECK_TIMEOUTS: CheckTimeouts = { connectionMs: 15_000, greetingMs: 15_000, socketMs: 15_000, totalMs: 45_000 };

/**
 * The one way an imapflow client is made (the account check and the sync):
 * checked TLS, STARTTLS unless the account says `?tls=off`, time limits.
 */
export function createImapClient(
  settings: ServerAddress,
  user: string,
  password: string,
  ca: string | null | undefined,
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number },
): ImapFlow {
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    doSTARTTLS: settings.security === 'starttls' ? true : settings.security === 'none' ? false : undefined,
    auth: { user, pass: password },
    tls: tlsOptions(settings.host, ca),
    logger: false,
    disableAutoIdle: true,
    // ENABLE QRESYNC (RFC 7162 section 3.2.3) where offered: a folder is then opened with its last known state and the server lists what vanished since.
    qresync: true,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  });
  // A connection error is also emitted as an event; without a listener it would end the process.
  client.on('error', () => undefined);
  return client;
}

/** Logs in to the IMAP server and out again. Resolves when the login was accepted. */
export async function checkImap(
  settings: ServerAddress,
  user: string,
  password: string,
  ca?: string | null,
  timeouts: CheckTimeouts = DEFAULT_CHECK_TIMEOUTS,
): Promise<void> {
  const endpoint = { host: settings.host, port: settings.port };
  const client = createImapClient(settings, user, password, ca, timeouts);
  try {
    await within(
      timeouts.totalMs,
      `the check of the IMAP server ${where(endpoint)}`,
      (async () => {
        await client.connect();
        await client.logout();
      })(),
      () => client.close(),
    );
  } catch (e) {
    throw translateImapError(e, endpoint);
  } finally {
    client.close();
  }
}

/** Connects to the SMTP server and logs in (nodemailer's verify()), then quits. */
export async function checkSmtp(
  settings: ServerAddress,
  user: string,
  password: string,
  ca?: string | null,
  timeouts: CheckTimeouts = DEFAULT_CHECK_TIMEOUTS,
): Promise<void> {
  const endpoint = { host: settings.host, port: settings.port };
  const transport = createSmtpTransport(settings, user, password, ca, timeouts);
  try {
    await within(timeouts.totalMs, `the check of the SMTP server ${where(endpoint)}`, transport.verify(), () => transport.close());
  } catch (e) {
    throw translateSmtpError(e, endpoint);
  } finally {
    transport.close();
  }
}
