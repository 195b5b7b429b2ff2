/**
 * `sealpost account add|list` (shared/contracts/cli.md, "Accounts and mail").
 *
 * `add` checks everything it can offline (address, URLs, user, CA, password
 * file, the password store's passphrase, an existing account), then logs in
 * to the IMAP and the SMTP server, and only when both accepted saves the
 * account: the record in the mail store, the password in the encrypted
 * password store (`<home>/secrets.json`). Any failure saves nothing.
 */
import { SealpostError } from '../../app/errors.ts';
import { Accounts, accountSummary } from '../accounts/accounts.ts';
import { MemorySecretStore, PassphraseSecretStore } from '../accounts/secret-store.ts';
import { parseServerUrl, validateCaPem, validateEmail, validateText } from '../accounts/validate.ts';
import { checkImap, checkSmtp } from '../mail/connection-check.ts';
import { openStore } from '../store/database.ts';
import { parseCommand } from './args.ts';
import type { CommandContext } from './keys-command.ts';
import { readInputFile, readPassphraseFile, writeStdout } from './io.ts';
import { secretsPassphrase } from './secrets.ts';
import { defaultHome } from './profile.ts';

const USAGE = {
  add: 'account add --email ADDR --imap URL --smtp URL --user USER --password-file F [--ca FILE]',
  list: 'account list [--json]',
  edit: 'account edit ADDR [--email ADDR] [--name NAME] [--imap URL] [--smtp URL] [--user USER] [--password-file F] [--ca FILE | --no-ca]',
  remove: 'account remove ADDR [--force]',
};

async function add(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    {
      email: { type: 'string' },
      imap: { type: 'string' },
      smtp: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      ca: { type: 'string' },
    },
    USAGE.add,
  );
  if (positionals.length > 0)
    throw new SealpostError('usage', `unexpected argument "${positionals[0]!.slice(0, 100)}" (usage: ${USAGE.add})`);
  for (const name of ['email', 'imap', 'smtp', 'user', 'password-file'] as const) {
    if (values[name] === undefined) throw new SealpostError('usage', `--${name} is required (usage: ${USAGE.add})`);
  }
  // Offline checks first: nothing is contacted for settings that cannot work.
  const email = validateEmail(values.email!);
  const imap = parseServerUrl('imap', values.imap!);
  const smtp = parseServerUrl('smtp', values.smtp!);
  const user = validateText(values.user, 'the user name', { min: 1, max: 256 });
  const password = await readPassphraseFile(values['password-file']!);
  if (password === '') throw new SealpostError('bad-input', `${values['password-file']}: the password file is empty`);
  const caPem = values.ca === undefined ? null : validateCaPem((await readInputFile(values.ca)).toString('utf8'));
  const passphrase = await secretsPassphrase(ctx, { passphraseFileIsForStore: true });

  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    const accounts = new Accounts(db, new PassphraseSecretStore(home, passphrase));
    if (accounts.find(email)) throw new SealpostError('account-exists', email, { email });
    await checkImap(imap, user, password, caPem);
    await checkSmtp(smtp, user, password, caPem);
    const account = await accounts.add({ email, imap: values.imap!, smtp: values.smtp!, user, password, caPem });
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
    const lines = summaries.map((a) => `${a.email}  imap ${a.imap}  smtp ${a.smtp}  user ${a.user}${a.customCa ? '  (own CA)' : ''}`);
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
      ca: { type: 'string' },
      'no-ca': { type: 'boolean' },
    },
    USAGE.edit,
  );
  if (positionals.length !== 1) throw new SealpostError('usage', `expected the account's address (usage: ${USAGE.edit})`);
  if (values.ca !== undefined && values['no-ca'])
    throw new SealpostError('usage', `--ca and --no-ca exclude each other (usage: ${USAGE.edit})`);
  const password = values['password-file'] === undefined ? undefined : await readPassphraseFile(values['password-file']);
  if (password === '') throw new SealpostError('bad-input', `${values['password-file']}: the password file is empty`);
  const caPem = values['no-ca']
    ? null
    : values.ca === undefined
      ? undefined
      : validateCaPem((await readInputFile(values.ca)).toString('utf8'));
  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    const passphrase = await secretsPassphrase(ctx, { passphraseFileIsForStore: true });
    const accounts = new Accounts(db, new PassphraseSecretStore(home, passphrase));
    const current = accounts.get(positionals[0]!);
    const connection =
      values.imap !== undefined || values.smtp !== undefined || values.user !== undefined || password !== undefined || caPem !== undefined;
    if (connection) {
      const imap = values.imap === undefined ? current.imap : parseServerUrl('imap', values.imap);
      const smtp = values.smtp === undefined ? current.smtp : parseServerUrl('smtp', values.smtp);
      const user = values.user === undefined ? current.imap.user : validateText(values.user, 'the user name', { min: 1, max: 256 });
      const pass = password ?? (await accounts.password(current.id));
      const ca = caPem === undefined ? current.caPem : caPem;
      await checkImap(imap, user, pass, ca);
      await checkSmtp(smtp, user, pass, ca);
    }
    const updated = await accounts.update(current.id, {
      ...(values.email !== undefined ? { email: values.email } : {}),
      ...(values.name !== undefined ? { displayName: values.name } : {}),
      ...(values.imap !== undefined ? { imap: values.imap } : {}),
      ...(values.smtp !== undefined ? { smtp: values.smtp } : {}),
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(password !== undefined ? { password } : {}),
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
    const passphrase = await secretsPassphrase(ctx, { passphraseFileIsForStore: true });
    const accounts = new Accounts(db, new PassphraseSecretStore(home, passphrase));
    await accounts.remove(positionals[0]!, { force: Boolean(values.force) });
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
