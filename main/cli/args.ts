import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SealpostError } from '../../app/errors.ts';

export interface GlobalOptions {
  home: string | null;
  json: boolean;
  /** The secret key's passphrase, on every command. */
  passphraseFile: string | null;
  /** The account-password store's passphrase (never the key's). */
  storePassphraseFile: string | null;
}

/** Take the global options (contract: `--home`, `--json`, `--passphrase-file`, `--store-passphrase-file`) from anywhere on the line. */
export function extractGlobals(argv: string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { home: null, json: false, passphraseFile: null, storePassphraseFile: null };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--json') {
      globals.json = true;
    } else if (name === '--home' || name === '--passphrase-file' || name === '--store-passphrase-file') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new SealpostError('usage', `${name} needs a value`);
      if (name === '--home') globals.home = value;
      else if (name === '--passphrase-file') globals.passphraseFile = value;
      else globals.storePassphraseFile = value;
    } else rest.push(arg);
  }
  return { globals, rest };
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the contract's usage error (exit 64) for anything unknown. */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SealpostError('usage', `${(e as Error).message.split('\n')[0]} (usage: ${usage})`);
  }
}
