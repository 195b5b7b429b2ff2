import type { KeyringClient } from '../../app/node/keyring-client.ts';
import type { GlobalOptions } from './args.ts';

/** What every command of the command line is given: the keyring, the global options, and a way to warn on stderr. */
export interface CommandContext {
  keyring: KeyringClient;
  globals: GlobalOptions;
  warn(message: string): void;
}
