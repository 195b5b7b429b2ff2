/**
 * Test setup against the real servers (test/support/servers/mailservers.ts): a
 * connection of "another client" straight to Dovecot, the test account in a
 * store, and waiting for delivered message files.
 */
import { readFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { ImapFlow } from 'imapflow';
import type { MailServers } from './servers/mailservers.ts';
import { Accounts, type Account } from '../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../main/accounts/secret-store.ts';

export interface OtherClientOptions {
  /** Implicit TLS on Dovecot's TLS port instead of STARTTLS on its plain port. */
  tls?: boolean;
  /** No IDLE between commands. */
  disableAutoIdle?: boolean;
  /** The socket inactivity timeout (default 15 s); connection and greeting wait 5 s. */
  socketTimeoutMs?: number;
}

/** Another client's connection to Dovecot as `user`, not yet connected; its `error` events are ignored. */
export function otherImapClient(servers: MailServers, user: string, password: string, opts: OtherClientOptions = {}): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1',
    ...(opts.tls ? { port: servers.imap.tlsPort, secure: true } : { port: servers.imap.port, secure: false, doSTARTTLS: true }),
    auth: { user, pass: password },
    tls: { ca: servers.ca, rejectUnauthorized: true },
    logger: false,
    ...(opts.disableAutoIdle ? { disableAutoIdle: true } : {}),
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: opts.socketTimeoutMs ?? 15_000,
  });
  client.on('error', () => undefined);
  return client;
}

/**
 * `work` on another client's connection (IDLE off unless told otherwise):
 * connected first, logged out after `work` succeeded, closed in any case.
 */
export async function asOtherClient<T>(
  servers: MailServers,
  user: string,
  password: string,
  work: (client: ImapFlow) => Promise<T>,
  opts: OtherClientOptions = {},
): Promise<T> {
  const client = otherImapClient(servers, user, password, { disableAutoIdle: true, ...opts });
  try {
    await client.connect();
    const result = await work(client);
    await client.logout();
    return result;
  } finally {
    client.close();
  }
}

export interface TestAccountOptions {
  /** imaps:// on Dovecot's TLS port instead of imap:// (STARTTLS), and smtps:// too unless `smtpTls` is false. */
  tls?: boolean;
  /** smtps:// on the submission TLS port instead of smtp:// (STARTTLS); follows `tls` when not given. */
  smtpTls?: boolean;
  /** The IMAP port when it is not Dovecot's own (a proxy in front of it); imap:// only. */
  imapPort?: number;
}

/** The account input for `user` on the test servers, trusting their CA. */
export function testAccountInput(servers: MailServers, user: string, password: string, opts: TestAccountOptions = {}) {
  const smtpTls = opts.smtpTls ?? opts.tls ?? false;
  return {
    email: user,
    imap: opts.tls ? `imaps://127.0.0.1:${servers.imap.tlsPort}` : `imap://127.0.0.1:${opts.imapPort ?? servers.imap.port}`,
    smtp: smtpTls ? `smtps://127.0.0.1:${servers.submission.tlsPort}` : `smtp://127.0.0.1:${servers.submission.port}`,
    user,
    password,
    caPem: servers.ca,
  };
}

/** Adds the account for `user` to the store (`db` with a memory secret store, or the given `Accounts`). */
export function addTestAccount(
  store: DatabaseSync | Accounts,
  servers: MailServers,
  user: string,
  password: string,
  opts: TestAccountOptions = {},
): Promise<Account> {
  const accounts = store instanceof Accounts ? store : new Accounts(store, new MemorySecretStore());
  return accounts.add(testAccountInput(servers, user, password, opts));
}

/**
 * The user's stored message files whose bytes contain `needle`, polled every
 * 200 ms until there are at least `atLeast` (default 1) or `timeoutMs`
 * (default 20 s) has passed.
 */
export async function mailFilesWith(
  servers: MailServers,
  address: string,
  needle: string,
  { atLeast = 1, timeoutMs = 20_000 }: { atLeast?: number; timeoutMs?: number } = {},
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await servers.mailFiles(address)).filter((f) => readFileSync(f).includes(needle));
    if (found.length >= atLeast || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}
