import { readFileSync } from 'node:fs';
import { isSealpostError, SealpostError, exitCodeFor, EXIT } from '../../app/errors.ts';
import { startKeyringWorker } from '../keyring-host/worker-keyring.ts';
import { extractGlobals } from './args.ts';
import { keysCommand } from './keys-command.ts';
import { inspectCommand } from './inspect-command.ts';
import { composeCommand } from './compose-command.ts';
import { accountCommand } from './account-command.ts';
import { mailCommand } from './mail-command.ts';
import { sopCommand, SopError, sopExitFor } from './sop-command.ts';
import { defaultHome } from './profile.ts';

const HELP = `sealpost: OpenPGP mail from the command line

  sealpost [--home DIR] [--json] [--passphrase-file FILE] [--store-passphrase-file FILE] COMMAND ...

  --passphrase-file FILE        the secret key's passphrase (first line), on every command
  --store-passphrase-file FILE  the account-password store's passphrase
                                (else SEALPOST_SECRETS_PASSPHRASE, else a prompt on a terminal)

  keys generate|import|list|show|export|delete|trust|revoke|expire|passwd|add-uid|lookup
  inspect FILE.eml [--json]
  compose --from ADDR --to ADDR[,ADDR...] [--cc ...] [--subject S] [--body-file F|-] [--attach FILE]...
          [--encrypt] [--sign] [--attach-key]
  account add --email ADDR --imap URL --smtp URL --user USER --password-file F [--ca FILE] | account list [--json]
  sync [--account ADDR] [--folder NAME]
  messages [--account ADDR] [--folder NAME] [--json]
  read UID [--account ADDR] [--folder NAME] [--json]
  send (the options of compose) [--bcc ADDR...]
  outbox [--json]
  sop version|list-profiles|generate-key|extract-cert|sign|verify|encrypt|decrypt|
      inline-sign|inline-verify|inline-detach|armor|dearmor

Exit codes: 0 done, 64 usage, 65 bad input, 66 file not found, 69 unavailable,
75 temporary failure, 1 other. "sop" uses the Stateless OpenPGP exit codes.
`;

function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next place (source tree or bundle)
    }
  }
  return '0';
}

/** One line on stderr, never a stack trace (contract: "A crash with a stack trace is a bug"). */
function complain(message: string): void {
  process.stderr.write(`sealpost: ${message.replace(/\s+/g, ' ').trim()}\n`);
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'sop') {
    const keyring = startKeyringWorker(null);
    try {
      await sopCommand(keyring.client, argv.slice(1), version());
      return 0;
    } catch (e) {
      if (e instanceof SopError) {
        complain(e.message);
        return e.exit;
      }
      if (isSealpostError(e)) {
        complain(e.message);
        return sopExitFor(e);
      }
      complain(`internal error (${(e as Error).name})`);
      return 1;
    } finally {
      await keyring.close();
    }
  }

  let keyring: ReturnType<typeof startKeyringWorker> | null = null;
  try {
    const { globals, rest } = extractGlobals(argv);
    const [command, ...args] = rest;
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(HELP);
      return command === undefined ? EXIT.usage : 0;
    }
    if (command === 'version' || command === '--version') {
      process.stdout.write(`sealpost ${version()}\n`);
      return 0;
    }
    const home = globals.home ?? defaultHome();
    keyring = startKeyringWorker(home);
    const ctx = { keyring: keyring.client, globals, warn: (m: string) => complain(m) };
    switch (command) {
      case 'keys':
        await keysCommand(ctx, args);
        return 0;
      case 'inspect':
        await inspectCommand(ctx, args);
        return 0;
      case 'compose':
        await composeCommand(ctx, args);
        return 0;
      case 'account':
        await accountCommand(ctx, args);
        return 0;
      case 'sync':
      case 'messages':
      case 'read':
      case 'send':
      case 'outbox':
        await mailCommand(ctx, command, args);
        return 0;
      default:
        throw new SealpostError('usage', `unknown command "${command}" (see sealpost --help)`);
    }
  } catch (e) {
    if (isSealpostError(e)) {
      complain(e.message);
      return exitCodeFor(e.code);
    }
    complain(`internal error (${(e as Error)?.name ?? 'unknown'})`);
    return EXIT.failure;
  } finally {
    await keyring?.close();
  }
}

// A reader that stops early (`| head`) closes the pipe: that is no error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

// A last line of defence: whatever escapes still ends as one line, not a stack trace.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e: unknown) => {
    complain(isSealpostError(e) ? e.message : `internal error (${(e as Error)?.name ?? 'unknown'})`);
    process.exit(EXIT.failure);
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
