/**
 * `sealpost account add|list` (shared/contracts/cli.md, "Accounts and mail").
 *
 * `add` checks everything it can offline (address, URLs, user, CA, password
 * file, the password store's passphrase, an existing account), then logs in
 * to the IMAP and the SMTP server, and only when both accepted saves the
 * account: the record in the mail store, the password in the encrypted
 * password store (`<home>/secrets.json`). Any failure saves nothing.
 *
 * With `--password-command CMD` nothing secret is stored: the command is
 * kept in the account's record and run each time a login needs the password
 * (main/accounts/password-command.ts), and the password store (with its
 * passphrase) is not involved at all.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { Accounts, accountSummary } from '../accounts/accounts.ts';
import { MemorySecretStore, PassphraseSecretStore } from '../accounts/secret-store.ts';
import { validatePasswordCommand } from '../accounts/password-command.ts';
import { parseServerUrl, validateCaPem, validateEmail } from '../accounts/validate.ts';
import { openStore } from '../store/database.ts';
import { addAccount } from '../usecases/add-account.ts';
import { validateUser } from '../usecases/check-servers.ts';
import { editAccount } from '../usecases/edit-account.ts';
import { removeAccount } from '../usecases/remove-account.ts';
import { parseCommand } from './args.ts';
import type { CommandContext } from './keys-command.ts';
import { readInputFile, readPassphraseFile, writeStdout } from './io.ts';
import { secretsPassphrase } from './secrets.ts';
import { defaultHome } from './profile.ts';

const USAGE = {
  add: 'account add --email ADDR --imap URL --smtp URL --user USER (--password-file F | --password-command CMD) [--ca FILE]',
  list: 'account list [--json]',
  edit: 'account edit ADDR [--email ADDR] [--name NAME] [--imap URL] [--smtp URL] [--user USER] [--password-file F | --password-command CMD] [--ca FILE | --no-ca]',
  remove: 'account remove ADDR [--force]',
};

/** `--password-file F` or `--password-command CMD`, never both; `required` for `add`. */
async function passwordOption(
  values: { 'password-file'?: string | undefined; 'password-command'?: string | undefined },
  usage: string,
  required: boolean,
): Promise<{ password: string } | { passwordCommand: string } | null> {
  const file = values['password-file'];
  const command = values['password-command'];
  if (file !== undefined && command !== undefined)
    throw new SealpostError('usage', `--password-file and --password-command exclude each other (usage: ${usage})`);
  if (command !== undefined) return { passwordCommand: validatePasswordCommand(command) };
  if (file === undefined) {
    if (required) throw new SealpostError('usage', `--password-file or --password-command is required (usage: ${usage})`);
    return null;
  }
  const password = await readPassphraseFile(file);
  if (password === '') throw new SealpostError('bad-input', `${file}: the password file is empty`);
  return { password };
}

/**
 * The accounts, with the password store when the work touches it (its
 * passphrase is asked for then only): an account whose password comes from
 * a command has nothing in it.
 */
async function accountsWith(ctx: CommandContext, home: string, db: DatabaseSync, passwordStore: boolean): Promise<Accounts> {
  if (!passwordStore) return new Accounts(db, new MemorySecretStore());
  return new Accounts(db, new PassphraseSecretStore(home, await secretsPassphrase(ctx)));
}

async function add(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    {
      email: { type: 'string' },
      imap: { type: 'string' },
      smtp: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      'password-command': { type: 'string' },
      ca: { type: 'string' },
    },
    USAGE.add,
  );
  if (positionals.length > 0)
    throw new SealpostError('usage', `unexpected argument "${positionals[0]!.slice(0, 100)}" (usage: ${USAGE.add})`);
  for (const name of ['email', 'imap', 'smtp', 'user'] as const) {
    if (values[name] === undefined) throw new SealpostError('usage', `--${name} is required (usage: ${USAGE.add})`);
  }
  // Offline checks first: nothing is contacted for settings that cannot work.
  const email = validateEmail(values.email!);
  parseServerUrl('imap', values.imap!);
  parseServerUrl('smtp', values.smtp!);
  const user = validateUser(values.user);
  const source = (await passwordOption(values, USAGE.add, true))!;
  const caPem = values.ca === undefined ? null : validateCaPem((await readInputFile(values.ca)).toString('utf8'));

  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    const accounts = await accountsWith(ctx, home, db, 'password' in source);
    const account = await addAccount(accounts, { email, imap: values.imap!, smtp: values.smtp!, user, ...source, caPem });
    if (ctx.globals.json) await writeStdout(`${JSON.stringify(accountSummary(account))}\n`);
    else await writeStdout(`${account.email}\n`);
  } finally {
    db.close();
  }
}

async function list(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } }, USAGE.list);
  if (positionals.length > 0)
    throw new SealpostError('usage', `unexpected argument "${positionals[0]!.slice(0, 100)}" (usage: ${USAGE.list})`);
  const db = openStore(ctx.globals.home ?? defaultHome());
  try {
    // Listing reads no password, so the password store (and its passphrase) is not needed.
    const summaries = new Accounts(db, new MemorySecretStore()).list().map(accountSummary);
    if (values.json || ctx.globals.json) {
      await writeStdout(`${JSON.stringify(summaries, null, 2)}\n`);
      return;
    }
    const lines = summaries.map(
      (a) =>
        `${a.email}  imap ${a.imap}  smtp ${a.smtp}  user ${a.user}${a.password === 'command' ? '  (password from a command)' : ''}${a.customCa ? '  (own CA)' : ''}`,
    );
    await writeStdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  } finally {
    db.close();
  }
}

/**
 * `account edit`: changes what is given. When anything the connection
 * depends on changes (server, user, password, CA), both servers are logged
 * in to with the new settings first, as `add` does; nothing is saved when
 * that fails.
 */
async function edit(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    {
      email: { type: 'string' },
      name: { type: 'string' },
      imap: { type: 'string' },
      smtp: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      'password-command': { type: 'string' },
      ca: { type: 'string' },
      'no-ca': { type: 'boolean' },
    },
    USAGE.edit,
  );
  if (positionals.length !== 1) throw new SealpostError('usage', `expected the account's address (usage: ${USAGE.edit})`);
  if (values.ca !== undefined && values['no-ca'])
    throw new SealpostError('usage', `--ca and --no-ca exclude each other (usage: ${USAGE.edit})`);
  const source = await passwordOption(values, USAGE.edit, false);
  const caPem = values['no-ca']
    ? null
    : values.ca === undefined
      ? undefined
      : validateCaPem((await readInputFile(values.ca)).toString('utf8'));
  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    // The password store is needed unless the password comes from a command and keeps coming from one
    // (a switch to a command deletes the stored password, so that needs the store too).
    const current = new Accounts(db, new MemorySecretStore()).get(positionals[0]!);
    const staysCommand = current.passwordSource === 'command' && (source === null || 'passwordCommand' in source);
    const accounts = await accountsWith(ctx, home, db, !staysCommand);
    const updated = await editAccount(accounts, positionals[0]!, {
      ...(values.email !== undefined ? { email: values.email } : {}),
      ...(values.name !== undefined ? { displayName: values.name } : {}),
      ...(values.imap !== undefined ? { imap: values.imap } : {}),
      ...(values.smtp !== undefined ? { smtp: values.smtp } : {}),
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(source ?? {}),
      ...(caPem !== undefined ? { caPem } : {}),
    });
    await writeStdout(ctx.globals.json ? `${JSON.stringify(accountSummary(updated))}\n` : `${updated.email}\n`);
  } finally {
    db.close();
  }
}

/** `account remove`: the account, its local copy of the server and its password; refused while unsent mail or unsaved drafts remain, unless --force. */
async function remove(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(args, { force: { type: 'boolean' } }, USAGE.remove);
  if (positionals.length !== 1) throw new SealpostError('usage', `expected the account's address (usage: ${USAGE.remove})`);
  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    const current = new Accounts(db, new MemorySecretStore()).get(positionals[0]!);
    const accounts = await accountsWith(ctx, home, db, current.passwordSource === 'stored');
    await removeAccount(accounts, positionals[0]!, { force: Boolean(values.force) });
  } finally {
    db.close();
  }
}

export async function accountCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return add(ctx, rest);
    case 'list':
      return list(ctx, rest);
    case 'edit':
      return edit(ctx, rest);
    case 'remove':
      return remove(ctx, rest);
    default:
      throw new SealpostError(
        'usage',
        `account ${sub === undefined ? 'needs a subcommand' : `has no subcommand "${sub.slice(0, 100)}"`}: add, list, edit, remove`,
      );
  }
}
