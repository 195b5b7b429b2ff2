/**
 * The one way a nodemailer SMTP transport is made (the account check and the
 * outbox): checked TLS (`tlsOptions`), STARTTLS required for `smtp://` unless
 * the account says `?tls=off`, time limits on connection, greeting and
 * silence, no pooling (one connection per send run, closed in a `finally`),
 * and nodemailer's file and URL access off: the outbox hands it finished raw
 * bytes only.
 */
import { createTransport } from 'nodemailer';
import type { ServerAddress } from '../accounts/validate.ts';
import { tlsOptions } from './tls.ts';

export type SmtpTransport = ReturnType<typeof makeTransport>;

export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
}

export function createSmtpTransport(
  settings: ServerAddress,
  user: string,
  password: string,
  ca: string | null | undefined,
  timeouts: SmtpTimeouts,
): SmtpTransport {
  return makeTransport(settings, user, password, ca, timeouts);
}

function makeTransport(settings: ServerAddress, user: string, password: string, ca: string | null | undefined, timeouts: SmtpTimeouts) {
  return createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    auth: { user, pass: password },
    tls: tlsOptions(settings.host, ca),
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  });
}
