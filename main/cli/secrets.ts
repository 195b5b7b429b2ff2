/**
 * The passphrase of the password store (`<home>/secrets.json`, see
 * main/accounts/secret-store.ts) on the command line. It has its own flag,
 * `--store-passphrase-file`: `--passphrase-file` is the secret key's
 * passphrase on every command, so one flag never means two secrets.
 */
import { SealpostError } from '../../app/errors.ts';
import { promptHidden, readPassphraseFile } from './io.ts';
import type { CommandContext } from './keys-command.ts';

/** The environment variable that may hold the password store's passphrase. */
export const SECRETS_PASSPHRASE_ENV = 'SEALPOST_SECRETS_PASSPHRASE';

/** --store-passphrase-file, else the environment, else a terminal prompt; else a usage error. */
export async function secretsPassphrase(ctx: CommandContext): Promise<string> {
  if (ctx.globals.storePassphraseFile !== null) return readPassphraseFile(ctx.globals.storePassphraseFile);
  const fromEnv = process.env[SECRETS_PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const typed = await promptHidden('Passphrase for the password store: ');
  if (typed !== null && typed !== '') return typed;
  throw new SealpostError(
    'usage',
    `the password store needs a passphrase: give --store-passphrase-file FILE or set ${SECRETS_PASSPHRASE_ENV}`,
  );
}
