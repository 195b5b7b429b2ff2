/**
 * The passphrase of the password store (`<home>/secrets.json`, see
 * main/accounts/secret-store.ts) on the command line.
 *
 * Where a command needs no secret-key passphrase (`account add`, `sync`),
 * `--passphrase-file` is this one; where it may need one (`send`, `read`),
 * `--passphrase-file` is the key's, as the contract says, and this one comes
 * from the environment or a prompt.
 */
import { SealpostError } from '../../app/errors.ts';
import { promptHidden, readPassphraseFile } from './io.ts';
import type { CommandContext } from './keys-command.ts';

/** The environment variable that may hold the password store's passphrase. */
export const SECRETS_PASSPHRASE_ENV = 'SEALPOST_SECRETS_PASSPHRASE';

/** --passphrase-file (where it is this one's), else the environment, else a terminal prompt; else a usage error. */
export async function secretsPassphrase(ctx: CommandContext, options: { passphraseFileIsForStore: boolean }): Promise<string> {
  if (options.passphraseFileIsForStore && ctx.globals.passphraseFile !== null) return readPassphraseFile(ctx.globals.passphraseFile);
  const fromEnv = process.env[SECRETS_PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const typed = await promptHidden('Passphrase for the password store: ');
  if (typed !== null && typed !== '') return typed;
  const alternative = options.passphraseFileIsForStore ? 'give --passphrase-file FILE or ' : '';
  throw new SealpostError('usage', `the password store needs a passphrase: ${alternative}set ${SECRETS_PASSPHRASE_ENV}`);
}
