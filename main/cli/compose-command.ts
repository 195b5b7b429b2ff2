import { basename } from 'node:path';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { detectMimeType } from 'nodemailer/lib/mime-funcs/index.js';
import { SealpostError } from '../../app/errors.ts';
import { composeMessage } from '../pgp-mime/write/compose.ts';
import type { Address, ComposeOptions, Draft } from '../pgp-mime/write/draft.ts';
import { nameFromKey, senderKey } from '../pgp-mime/write/recipient-keys.ts';
import type { CommandContext } from './keys-command.ts';
import { parseCommand } from './args.ts';
import { promptHidden, readInputFile, readPassphraseFile, writeStdout } from './io.ts';

const USAGE =
  'compose --from ADDR --to ADDR[,ADDR...] [--cc ...] [--subject S] [--body-file F|-] [--attach FILE]... [--encrypt] [--sign] [--attach-key] [--passphrase-file F]';

/** Addresses from one or more option values: "a@b, Name <c@d>" (RFC 5322 address lists; groups are flattened). */
function addresses(values: string[], option: string): Address[] {
  const out: Address[] = [];
  for (const value of values) {
    for (const entry of addressparser(value, { flatten: true })) {
      if (!entry.address)
        throw new SealpostError('bad-input', `${option}: "${(entry.name || value).slice(0, 200)}" is not an email address`);
      out.push({ name: entry.name ?? '', address: entry.address });
    }
  }
  return out;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function utf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SealpostError('bad-input', `${what} is not UTF-8 text`);
  }
}

/** The options of `compose`, shared with `send`. */
export const COMPOSE_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  cc: { type: 'string', multiple: true },
  subject: { type: 'string' },
  'body-file': { type: 'string' },
  attach: { type: 'string', multiple: true },
  encrypt: { type: 'boolean' },
  sign: { type: 'boolean' },
  'attach-key': { type: 'boolean' },
} as const;

export interface ComposeValues {
  from?: string | undefined;
  to?: string[] | undefined;
  cc?: string[] | undefined;
  bcc?: string[] | undefined;
  subject?: string | undefined;
  'body-file'?: string | undefined;
  attach?: string[] | undefined;
  encrypt?: boolean | undefined;
  sign?: boolean | undefined;
  'attach-key'?: boolean | undefined;
}

/** The draft and the composer's options from the command's option values. */
export async function draftFromOptions(
  ctx: CommandContext,
  values: ComposeValues,
  usage: string,
): Promise<{ draft: Draft; opts: ComposeOptions }> {
  if (!values.from) throw new SealpostError('usage', `--from is required (usage: ${usage})`);
  if (!values.to || values.to.length === 0) throw new SealpostError('usage', `--to is required (usage: ${usage})`);

  const fromList = addresses([values.from], '--from');
  if (fromList.length !== 1) throw new SealpostError('bad-input', '--from takes exactly one address');
  const from = fromList[0]!;
  const to = addresses(values.to, '--to');
  const cc = addresses(values.cc ?? [], '--cc');
  const bcc = addresses(values.bcc ?? [], '--bcc');

  const bodyFile = values['body-file'];
  const text =
    bodyFile === undefined ? '' : bodyFile === '-' ? utf8(await readStdin(), 'the body') : utf8(await readInputFile(bodyFile), bodyFile);
  const attachments: Draft['attachments'] = [];
  for (const path of values.attach ?? []) {
    const name = basename(path);
    const dot = name.lastIndexOf('.');
    attachments.push({
      filename: name,
      contentType: dot > 0 ? detectMimeType(name.slice(dot + 1)) : 'application/octet-stream',
      content: await readInputFile(path),
    });
  }

  if (!from.name) {
    // The name people know the sender by: the one in the sender key's user id.
    const key = await senderKey(ctx.keyring, from.address).catch(() => null);
    if (key) from.name = nameFromKey(key, from.address);
  }
  const keyPasswords = ctx.globals.passphraseFile ? [await readPassphraseFile(ctx.globals.passphraseFile)] : [];
  const draft: Draft = { from, to, cc, ...(bcc.length > 0 ? { bcc } : {}), subject: values.subject ?? '', text, attachments };
  const opts: ComposeOptions = {
    encrypt: Boolean(values.encrypt),
    sign: Boolean(values.sign),
    attachKey: Boolean(values['attach-key']),
    keyPasswords,
  };
  return { draft, opts };
}

/** Composes; a protected signing key and no passphrase file: asks on the terminal when there is one. */
export async function composeAsking(ctx: CommandContext, draft: Draft, opts: ComposeOptions): Promise<Buffer> {
  try {
    return await composeMessage(ctx.keyring, draft, opts);
  } catch (e) {
    if (!(e instanceof SealpostError && e.code === 'key-passphrase-required' && opts.sign && !ctx.globals.passphraseFile)) throw e;
    const passphrase = await promptHidden('Passphrase for the signing key: ');
    if (passphrase === null) throw e;
    return composeMessage(ctx.keyring, draft, { ...opts, keyPasswords: [passphrase] });
  }
}

/**
 * `sealpost compose`: one RFC 5322 message on stdout (command-line contract,
 * "compose"). Nothing is written to stdout unless the whole message could be
 * made: it is built in memory first.
 */
export async function composeCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(args, COMPOSE_OPTIONS, USAGE);
  if (positionals.length > 0) throw new SealpostError('usage', `unexpected argument "${positionals[0]}" (usage: ${USAGE})`);
  const { draft, opts } = await draftFromOptions(ctx, values, USAGE);
  await writeStdout(await composeAsking(ctx, draft, opts));
}
