/**
 * `keys setup-message create|import` (shared/contracts/cli.md, "Trust and
 * discovery"): Autocrypt Setup Messages on the command line, through the
 * same use case as the app (main/usecases/setup-message.ts).
 */
import { ioDetails, SealpostError } from '../../app/errors.ts';
import { writeFileAtomic } from '../../app/node/atomic-file.ts';
import { parseCommand } from './args.ts';
import { newPassphrase, promptHidden, readInputFile, readPassphraseFile, writeStdout } from './io.ts';
import type { CommandContext } from './command-context.ts';
import { createSetupMessage, importSetupMessage } from '../usecases/setup-message.ts';

export const SETUP_MESSAGE_USAGE = {
  create: 'keys setup-message create FPR --out FILE [--passphrase-file F]',
  import: 'keys setup-message import FILE --code-file F [--passphrase-file NEW | --no-passphrase] [--json]',
};

async function create(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(args, { out: { type: 'string' } }, SETUP_MESSAGE_USAGE.create);
  if (positionals.length !== 1) throw new SealpostError('usage', `expected one key (usage: ${SETUP_MESSAGE_USAGE.create})`);
  if (!values.out) throw new SealpostError('usage', `--out is required (usage: ${SETUP_MESSAGE_USAGE.create})`);
  // An unprotected key needs no passphrase: ask only when one is given or a terminal can answer (the keyring says when it is missing).
  const passphrase = ctx.globals.passphraseFile ? await readPassphraseFile(ctx.globals.passphraseFile) : await promptHidden('Passphrase: ');
  const created = await createSetupMessage(ctx.keyring, { fingerprint: positionals[0]!, passphrase: passphrase || null });
  try {
    await writeFileAtomic(values.out, created.message, 0o600);
  } catch (e) {
    throw new SealpostError('io', `${values.out}: ${(e as NodeJS.ErrnoException).code ?? 'write failed'}`, ioDetails(values.out, e));
  }
  if (ctx.globals.json) {
    await writeStdout(
      `${JSON.stringify({ code: created.code, fingerprint: created.key.fingerprint, address: created.address, out: values.out }, null, 2)}\n`,
    );
  } else {
    await writeStdout(`${created.code}\n`);
  }
}

async function importMessage(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    args,
    { 'code-file': { type: 'string' }, 'no-passphrase': { type: 'boolean' } },
    SETUP_MESSAGE_USAGE.import,
  );
  if (positionals.length !== 1) throw new SealpostError('usage', `expected one file (usage: ${SETUP_MESSAGE_USAGE.import})`);
  if (!values['code-file']) throw new SealpostError('usage', `--code-file is required (usage: ${SETUP_MESSAGE_USAGE.import})`);
  const data = await readInputFile(positionals[0]!);
  const code = await readPassphraseFile(values['code-file']);
  // The key arrives unprotected: it is protected again as `keys generate` protects a new key.
  const passphrase = ctx.globals.passphraseFile
    ? await readPassphraseFile(ctx.globals.passphraseFile)
    : await newPassphrase(undefined, values['no-passphrase']);
  const outcome = await importSetupMessage(ctx.keyring, { data, code, passphrase });
  for (const p of outcome.problems) ctx.warn(p.message);
  if (ctx.globals.json) await writeStdout(`${JSON.stringify(outcome.changed, null, 2)}\n`);
  else if (outcome.changed.length === 0) await writeStdout('nothing new: the key was already in the keyring as it is\n');
  else for (const s of outcome.changed) await writeStdout(`imported ${s.fingerprint} ${s.userIds[0] ?? ''}\n`);
}

export async function setupMessageCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'create') return create(ctx, rest);
  if (sub === 'import') return importMessage(ctx, rest);
  throw new SealpostError(
    'usage',
    `unknown setup-message command "${sub ?? ''}"; one of: ${Object.values(SETUP_MESSAGE_USAGE).join('; ')}`,
  );
}
