/**
 * Mail accounts: their records in the mail store and their passwords in a
 * SecretStore, kept together. No network here: connection tests belong to
 * the IMAP and SMTP layers.
 *
 * An account is found by its id or its address. What this module returns
 * never carries the password; `password()` is for the code that connects.
 * The password is either stored (in the SecretStore) or given each time by
 * a command the user named (./password-command.ts), which stores nothing.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { normalizeAddress } from '../../app/address.ts';
import {
  deleteAccount,
  findAccountByEmailKey,
  getAccount,
  insertAccount,
  listAccounts,
  updateAccount,
  type AccountPatch,
  type AccountRow,
  type TransportSecurity,
} from '../store/accounts.ts';
import { runPasswordCommand, validatePasswordCommand } from './password-command.ts';
import type { SecretStore } from './secret-store.ts';
import { formatServerUrl, parseServerUrl, validateCaPem, validateEmail, validateText, type ServerKind } from './validate.ts';

export interface ServerInfo {
  /** Canonical form: `imaps://host:993`, `imap://host:143?tls=off`, ... */
  url: string;
  host: string;
  port: number;
  security: TransportSecurity;
  user: string;
}

/** An account as the rest of the app sees it: no password. */
export interface Account {
  id: string;
  email: string;
  displayName: string;
  imap: ServerInfo;
  smtp: ServerInfo;
  /** Extra trusted CA certificates (PEM), or null for the system's alone. */
  caPem: string | null;
  /** Where the password comes from: the secret store, or a command run each time it is needed. */
  passwordSource: PasswordSource;
  createdAt: number;
  updatedAt: number;
}

export type PasswordSource = 'stored' | 'command';

/** What `account list --json` prints for one account. */
export interface AccountSummary {
  id: string;
  email: string;
  displayName: string;
  imap: string;
  smtp: string;
  user: string;
  customCa: boolean;
  /** `stored` (in the password store) or `command` (`--password-command`; nothing stored). */
  password: PasswordSource;
  created: string;
}

export interface AccountInput {
  email: string;
  displayName?: string;
  /** `imaps://host:993`, `imap://host:143` (STARTTLS; `?tls=off` for none) */
  imap: string;
  /** `smtps://host:465`, `smtp://host:587` (STARTTLS; `?tls=off` for none) */
  smtp: string;
  /** The login name on both servers. */
  user: string;
  /** For both servers; kept in the SecretStore only. Exactly one of `password` and `passwordCommand`. */
  password?: string;
  /** A command whose first line of output is the password, run each time one is needed; nothing is stored. */
  passwordCommand?: string;
  /** Extra trusted CA certificate(s), PEM. */
  caPem?: string | null;
}

/** A new `password` makes it stored (and forgets a command); a new `passwordCommand` forgets the stored one. */
export type AccountUpdate = Partial<Omit<AccountInput, 'caPem'>> & {
  /** A new PEM, or null to trust the system's CAs alone again. */
  caPem?: string | null;
};

function serverInfo(kind: ServerKind, s: AccountRow['imap']): ServerInfo {
  return { url: formatServerUrl(kind, s), host: s.host, port: s.port, security: s.security, user: s.user };
}

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    imap: serverInfo('imap', row.imap),
    smtp: serverInfo('smtp', row.smtp),
    caPem: row.caPem,
    passwordSource: row.passwordCommand === null ? 'stored' : 'command',
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function accountSummary(account: Account): AccountSummary {
  return {
    id: account.id,
    email: account.email,
    displayName: account.displayName,
    imap: account.imap.url,
    smtp: account.smtp.url,
    user: account.imap.user,
    customCa: account.caPem !== null,
    password: account.passwordSource,
    created: new Date(account.createdAt).toISOString(),
  };
}

function checkPassword(password: string | undefined): string {
  if (typeof password !== 'string' || password.length === 0) throw new SealpostError('bad-input', 'the password is empty');
  if (password.length > 4096 || /[\0\r\n]/.test(password))
    throw new SealpostError('bad-input', 'the password must be one line of at most 4096 characters');
  return password;
}

/** Exactly one source of the password: typed (or from a file) or a command. */
function passwordSource(input: {
  password?: string | undefined;
  passwordCommand?: string | undefined;
}): { password: string } | { command: string } {
  if (input.password !== undefined && input.passwordCommand !== undefined)
    throw new SealpostError('bad-input', 'give either a password or a password command, not both');
  if (input.passwordCommand !== undefined) return { command: validatePasswordCommand(input.passwordCommand) };
  return { password: checkPassword(input.password) };
}

export interface AccountsOptions {
  now?: () => number;
  /** Runs a password command (tests may bound it more tightly). */
  runCommand?: (command: string) => Promise<string>;
}

export class Accounts {
  readonly #db: DatabaseSync;
  readonly #secrets: SecretStore;
  readonly #now: () => number;
  readonly #runCommand: (command: string) => Promise<string>;

  constructor(db: DatabaseSync, secrets: SecretStore, options: AccountsOptions = {}) {
    this.#db = db;
    this.#secrets = secrets;
    this.#now = options.now ?? Date.now;
    this.#runCommand = options.runCommand ?? ((command) => runPasswordCommand(command));
  }

  /** Validates everything first, then stores the password, then the record (the password is removed again if that fails). */
  async add(input: AccountInput): Promise<Account> {
    const email = validateEmail(input.email);
    const emailKey = normalizeAddress(email);
    const user = validateText(input.user, 'the user name', { min: 1, max: 256 });
    const source = passwordSource(input);
    const row: AccountRow = {
      id: randomUUID(),
      email,
      emailKey,
      displayName: validateText(input.displayName, 'the display name', { min: 0, max: 200 }),
      imap: { ...parseServerUrl('imap', input.imap), user },
      smtp: { ...parseServerUrl('smtp', input.smtp), user },
      caPem: input.caPem === undefined || input.caPem === null ? null : validateCaPem(input.caPem),
      passwordCommand: 'command' in source ? source.command : null,
      createdAt: this.#now(),
      updatedAt: this.#now(),
    };
    if (findAccountByEmailKey(this.#db, emailKey)) throw new SealpostError('account-exists', email, { email });
    if ('command' in source) return toAccount(insertAccount(this.#db, row));
    await this.#secrets.set(row.id, source.password);
    try {
      return toAccount(insertAccount(this.#db, row));
    } catch (e) {
      await this.#secrets.delete(row.id).catch(() => undefined);
      throw e;
    }
  }

  list(): Account[] {
    return listAccounts(this.#db).map(toAccount);
  }

  /** By id, or by address (compared as the reader compares addresses). */
  find(idOrEmail: string): Account | null {
    const row = idOrEmail.includes('@') ? findAccountByEmailKey(this.#db, normalizeAddress(idOrEmail)) : getAccount(this.#db, idOrEmail);
    return row ? toAccount(row) : null;
  }

  get(idOrEmail: string): Account {
    const account = this.find(idOrEmail);
    if (!account) throw new SealpostError('account-not-found', idOrEmail.slice(0, 320), { account: idOrEmail.slice(0, 320) });
    return account;
  }

  /** Changes what is given; the record first (so a conflict changes nothing), then the password. */
  async update(idOrEmail: string, change: AccountUpdate): Promise<Account> {
    const current = this.get(idOrEmail);
    const row = getAccount(this.#db, current.id)!;
    const user = change.user === undefined ? null : validateText(change.user, 'the user name', { min: 1, max: 256 });
    const patch: AccountPatch = {};
    if (change.email !== undefined) {
      patch.email = validateEmail(change.email);
      patch.emailKey = normalizeAddress(patch.email);
    }
    if (change.displayName !== undefined) patch.displayName = validateText(change.displayName, 'the display name', { min: 0, max: 200 });
    if (change.imap !== undefined || user !== null) {
      patch.imap = { ...(change.imap === undefined ? row.imap : parseServerUrl('imap', change.imap)), user: user ?? row.imap.user };
    }
    if (change.smtp !== undefined || user !== null) {
      patch.smtp = { ...(change.smtp === undefined ? row.smtp : parseServerUrl('smtp', change.smtp)), user: user ?? row.smtp.user };
    }
    if (change.caPem !== undefined) patch.caPem = change.caPem === null ? null : validateCaPem(change.caPem);
    const source = change.password === undefined && change.passwordCommand === undefined ? null : passwordSource(change);
    if (source !== null) patch.passwordCommand = 'command' in source ? source.command : null;
    const updated = updateAccount(this.#db, current.id, patch, this.#now());
    if (source !== null && 'password' in source) await this.#secrets.set(current.id, source.password);
    // The command replaces the stored password: it is not kept where it is no longer used.
    if (source !== null && 'command' in source) await this.#secrets.delete(current.id);
    return toAccount(updated);
  }

  /**
   * Removes the account, its local copy of the server and its password.
   * Refused (`account-has-unsent`) while the outbox or unsaved drafts hold
   * its mail, unless `force`. The password store is checked first, so a
   * locked store stops the removal before anything is deleted.
   */
  async remove(idOrEmail: string, options: { force?: boolean } = {}): Promise<void> {
    const account = this.get(idOrEmail);
    await this.#secrets.get(account.id);
    deleteAccount(this.#db, account.id, options);
    await this.#secrets.delete(account.id);
  }

  /** The password settings would give (for the login check before they are saved): the password, or what the command prints now. */
  async passwordFrom(input: { password?: string | undefined; passwordCommand?: string | undefined }): Promise<string> {
    const source = passwordSource(input);
    return 'command' in source ? this.#runCommand(source.command) : source.password;
  }

  /** The account's password, for the code that connects: the stored one, or what its command prints now. */
  async password(idOrEmail: string): Promise<string> {
    const account = this.get(idOrEmail);
    const command = getAccount(this.#db, account.id)?.passwordCommand ?? null;
    if (command !== null) return this.#runCommand(command);
    const secret = await this.#secrets.get(account.id);
    if (secret === null) throw new SealpostError('bad-input', `no password is stored for ${account.email}; set it again`);
    return secret;
  }
}
