/**
 * `sealpost sync | messages | read | send | outbox` (shared/contracts/cli.md,
 * "Accounts and mail"): the use cases the app calls (main/usecases), with
 * arguments parsed and results printed here.
 *
 * The account: `--account ADDR`, else the only account of the profile (for
 * `send`, the account whose address is `--from`). Its password comes from
 * the password store, whose passphrase is `--store-passphrase-file`,
 * `SEALPOST_SECRETS_PASSPHRASE` or a terminal prompt; `--passphrase-file`
 * is the passphrase of the secret key, as everywhere in the contract.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { Accounts, type Account } from '../accounts/accounts.ts';
import { MemorySecretStore, PassphraseSecretStore } from '../accounts/secret-store.ts';
import { openStore } from '../store/database.ts';
import { findFolder, findFolderByRole, type FolderRow } from '../store/folders.ts';
import { getMessage, listMessages, type MessageSummary } from '../store/messages.ts';
import { listOutbox, type OutboxItem } from '../store/outbox.ts';
import type { SyncEvent } from '../sync/account-sync.ts';
import { fetchOverOwnConnection, readMessage } from '../usecases/read-message.ts';
import { queueMessage, sendQueuedNow } from '../usecases/send-message.ts';
import { syncAccountNow, syncFailure, unsentError } from '../usecases/sync-account.ts';
import { parseCommand } from './args.ts';
import { COMPOSE_OPTIONS, composeAsking, draftFromOptions } from './compose-command.ts';
import { describeReport } from './inspect-command.ts';
import { readPassphraseFile, writeStdout } from './io.ts';
import { secretsPassphrase } from './secrets.ts';
import type { CommandContext } from './keys-command.ts';
import { defaultHome } from './profile.ts';

const USAGE = {
  sync: 'sync [--account ADDR] [--folder NAME] [--json]',
  messages: 'messages [--account ADDR] [--folder NAME] [--limit N] [--json]',
  read: 'read UID [--account ADDR] [--folder NAME] [--json]',
  send: 'send --from ADDR --to ADDR[,ADDR...] [--cc ...] [--bcc ...] [--subject S] [--body-file F|-] [--attach FILE]... [--encrypt] [--sign] [--attach-key] [--passphrase-file F]',
  outbox: 'outbox [--account ADDR] [--json]',
};

/** The account named by `--account` (address or id), else the profile's only account. */
function chooseAccount(db: DatabaseSync, wanted: string | undefined): Account {
  const accounts = new Accounts(db, new MemorySecretStore());
  if (wanted !== undefined) {
    const found = accounts.find(wanted);
    if (!found) throw new SealpostError('account-not-found', wanted.slice(0, 320));
    return found;
  }
  const all = accounts.list();
  if (all.length === 0) throw new SealpostError('account-not-found', 'the profile has no account; add one with "sealpost account add"');
  if (all.length > 1)
    throw new SealpostError(
      'usage',
      `the profile has ${all.length} accounts; name one with --account (${all.map((a) => a.email).join(', ')})`,
    );
  return all[0]!;
}

async function passwordOf(ctx: CommandContext, home: string, db: DatabaseSync, account: Account): Promise<string> {
  // From a command: nothing is stored, so the password store's passphrase is not asked for.
  if (account.passwordSource === 'command') return new Accounts(db, new MemorySecretStore()).password(account.id);
  const passphrase = await secretsPassphrase(ctx);
  return new Accounts(db, new PassphraseSecretStore(home, passphrase)).password(account.id);
}

/** The folder by path (`INBOX` in any case is the inbox), default the inbox. */
function chooseFolder(db: DatabaseSync, account: Account, path: string | undefined): FolderRow {
  const folder =
    path === undefined || path.toUpperCase() === 'INBOX'
      ? (findFolderByRole(db, account.id, 'inbox') ?? findFolder(db, account.id, 'INBOX'))
      : findFolder(db, account.id, path);
  if (!folder) {
    throw new SealpostError(
      'bad-input',
      `the account ${account.email} has no folder "${(path ?? 'INBOX').slice(0, 200)}" in the local store; run "sealpost sync" first`,
    );
  }
  return folder;
}

function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length > 0) throw new SealpostError('usage', `unexpected argument "${positionals[0]!.slice(0, 100)}" (usage: ${usage})`);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

// ---------------------------------------------------------------------------
// sync

function progressLine(event: SyncEvent): string | null {
  switch (event.kind) {
    case 'outbox':
      return `outbox: ${event.done}/${event.total} ${event.report.state}${event.report.error ? ` (${event.report.error.message})` : ''}`;
    case 'folders':
      return `folders: ${event.count}`;
    case 'folder':
      return event.total === 0 ? null : `${event.folder}: ${event.done}/${event.total}`;
    case 'folder-done': {
      const r = event.result;
      return `${event.folder}: ${r.added} new, ${r.removed} removed, ${r.flagsUpdated} flag changes${r.uidvalidityChanged ? ' (folder was recreated on the server)' : ''}`;
    }
    case 'actions':
      return null;
  }
}

async function sync(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    { account: { type: 'string' }, folder: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.sync,
  );
  noPositionals(positionals, USAGE.sync);
  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    const account = chooseAccount(db, values.account);
    const password = await passwordOf(ctx, home, db, account);
    const { result } = await syncAccountNow(db, account, password, {
      ...(values.folder !== undefined ? { folder: values.folder } : {}),
      onEvent: (event) => {
        const line = progressLine(event);
        if (line !== null) process.stderr.write(`sealpost: ${line}\n`);
      },
    });
    for (const dropped of result.actions.dropped)
      ctx.warn(
        `an action on ${'folder' in dropped.action.payload ? dropped.action.payload.folder : 'the outbox'} was dropped: ${dropped.reason}`,
      );
    for (const failed of result.drafts.failed) ctx.warn(`draft ${failed.draftId} was not saved on the server: ${failed.message}`);
    for (const failed of result.folderErrors) ctx.warn(`${failed.folder}: ${failed.error.message}`);
    if (values.json || ctx.globals.json) {
      const summary = {
        account: account.email,
        sent: result.sent.map((r) => ({ id: r.id, messageId: r.messageId, state: r.state, error: r.error?.message ?? null })),
        actions: { applied: result.actions.applied, dropped: result.actions.dropped.length },
        drafts: { uploaded: result.drafts.uploaded, unsaved: result.drafts.unsaved },
        folders: result.folders.map((f) => ({
          folder: f.folder,
          added: f.added,
          removed: f.removed,
          flagsUpdated: f.flagsUpdated,
          uidvalidityChanged: f.uidvalidityChanged,
        })),
        folderErrors: result.folderErrors.map((f) => ({ folder: f.folder, error: f.error.message })),
      };
      await writeStdout(`${JSON.stringify(summary, null, 2)}\n`);
    }
    const failure = syncFailure(result);
    if (failure) throw failure;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// messages

function messageJson(m: MessageSummary, folder: FolderRow) {
  return {
    uid: Number(m.uid),
    folder: folder.path,
    messageId: m.messageId,
    from: m.from,
    to: m.to,
    cc: m.cc,
    subject: m.subject,
    date: iso(m.date ?? m.internalDate),
    flags: m.flags,
    seen: m.flags.includes('\\Seen'),
    flagged: m.flags.includes('\\Flagged'),
    security: m.security,
    size: m.size,
  };
}

async function messages(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    { account: { type: 'string' }, folder: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.messages,
  );
  noPositionals(positionals, USAGE.messages);
  const limit = values.limit === undefined ? 100_000 : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new SealpostError('usage', `--limit takes a positive number (usage: ${USAGE.messages})`);
  const db = openStore(ctx.globals.home ?? defaultHome());
  try {
    const account = chooseAccount(db, values.account);
    const folder = chooseFolder(db, account, values.folder);
    const list = listMessages(db, folder.id, { limit });
    if (values.json || ctx.globals.json) {
      await writeStdout(
        `${JSON.stringify(
          list.map((m) => messageJson(m, folder)),
          null,
          2,
        )}\n`,
      );
      return;
    }
    const lines = list.map((m) => {
      const mark = `${m.flags.includes('\\Seen') ? ' ' : 'N'}${m.flags.includes('\\Flagged') ? '!' : ' '}${m.security === 'encrypted' ? 'E' : m.security === 'signed' ? 'S' : ' '}`;
      const date =
        iso(m.date ?? m.internalDate)
          ?.slice(0, 16)
          .replace('T', ' ') ?? '-'.padEnd(16);
      const from = m.from ? m.from.name || m.from.address : '';
      return `${m.uid.padStart(6)} ${mark} ${date}  ${from.slice(0, 30).padEnd(30)}  ${m.subject.replace(/[\r\n\t]+/g, ' ')}`;
    });
    await writeStdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// read

async function read(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    { account: { type: 'string' }, folder: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.read,
  );
  if (positionals.length !== 1 || !/^[1-9][0-9]{0,9}$/.test(positionals[0]!))
    throw new SealpostError('usage', `expected one message UID (usage: ${USAGE.read})`);
  const uid = positionals[0]!;
  const home = ctx.globals.home ?? defaultHome();
  const keyPasswords = ctx.globals.passphraseFile ? [await readPassphraseFile(ctx.globals.passphraseFile)] : [];
  const db = openStore(home);
  try {
    const account = chooseAccount(db, values.account);
    const folder = chooseFolder(db, account, values.folder);
    if (!getMessage(db, folder.id, uid))
      throw new SealpostError('bad-input', `no message with UID ${uid} in ${folder.path}; run "sealpost sync" first`);
    const { report } = await readMessage(db, {
      folder,
      uid,
      // The password store is opened only when the body is not stored yet.
      fetch: fetchOverOwnConnection(db, account, () => passwordOf(ctx, home, db, account)),
      keyring: ctx.keyring,
      keyPasswords,
    });
    await writeStdout(values.json || ctx.globals.json ? `${JSON.stringify(report, null, 2)}\n` : `${describeReport(report)}\n`);
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// send

async function send(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    { ...COMPOSE_OPTIONS, bcc: { type: 'string', multiple: true }, account: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.send,
  );
  noPositionals(positionals, USAGE.send);
  const home = ctx.globals.home ?? defaultHome();
  const db = openStore(home);
  try {
    const { draft, opts } = await draftFromOptions(ctx, values, USAGE.send);
    const accounts = new Accounts(db, new MemorySecretStore());
    const account =
      values.account !== undefined
        ? chooseAccount(db, values.account)
        : (accounts.find(draft.from.address) ?? chooseAccount(db, undefined));
    // The password first: a locked password store must not leave a message behind in the outbox.
    const password = await passwordOf(ctx, home, db, account);
    const queued = await queueMessage(db, { account, draft, compose: (messageId) => composeAsking(ctx, draft, { ...opts, messageId }) });
    const messageId = queued.messageId!;
    const { report, savedToSent: copySaved, copyError } = await sendQueuedNow(db, account, password, queued.id);
    if (report.rejected.length > 0)
      ctx.warn(`the server refused these recipients, the others got the message: ${report.rejected.join(', ')}`);
    if (copyError) ctx.warn(`the message was sent; its copy in Sent will be saved at the next sync (${copyError.message})`);
    if (values.json || ctx.globals.json) {
      await writeStdout(
        `${JSON.stringify({ id: queued.id, messageId, state: report.state, savedToSent: copySaved, rejected: report.rejected, error: report.error?.message ?? null })}\n`,
      );
    } else if (report.state === 'sent') {
      await writeStdout(`${messageId}\n`);
    }
    if (report.error) throw unsentError(report.state, report.error);
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// outbox

function outboxJson(item: OutboxItem, email: string) {
  return {
    id: item.id,
    account: email,
    messageId: item.messageId,
    from: item.envelope.from,
    to: item.envelope.to,
    state: item.state,
    attempts: item.attempts,
    lastError: item.lastError,
    lastErrorCode: item.lastErrorCode,
    nextAttempt: item.state === 'queued' ? iso(item.nextAttemptAt) : null,
    created: iso(item.createdAt),
    sent: iso(item.sentAt),
    size: item.size,
  };
}

async function outbox(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(args, { account: { type: 'string' }, json: { type: 'boolean' } }, USAGE.outbox);
  noPositionals(positionals, USAGE.outbox);
  const db = openStore(ctx.globals.home ?? defaultHome());
  try {
    const accounts = new Accounts(db, new MemorySecretStore());
    const chosen = values.account !== undefined ? [chooseAccount(db, values.account)] : accounts.list();
    const items = chosen.flatMap((a) => listOutbox(db, { accountId: a.id }).map((item) => outboxJson(item, a.email)));
    if (values.json || ctx.globals.json) {
      await writeStdout(`${JSON.stringify(items, null, 2)}\n`);
      return;
    }
    const lines = items.map(
      (i) =>
        `${String(i.id).padStart(4)} ${i.state.padEnd(7)} ${i.messageId ?? ''} to ${i.to.join(', ')}${i.lastError ? `  (${i.lastError})` : ''}`,
    );
    await writeStdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  } finally {
    db.close();
  }
}

export async function mailCommand(
  ctx: CommandContext,
  command: 'sync' | 'messages' | 'read' | 'send' | 'outbox',
  args: string[],
): Promise<void> {
  switch (command) {
    case 'sync':
      return sync(ctx, args);
    case 'messages':
      return messages(ctx, args);
    case 'read':
      return read(ctx, args);
    case 'send':
      return send(ctx, args);
    case 'outbox':
      return outbox(ctx, args);
  }
}
