/**
 * An account's password from a command (`account add --password-command`,
 * the habit of msmtp's `passwordeval`, aerc's `source-cred-cmd` and isync's
 * `PassCmd`): nothing is stored, the command runs each time a login needs
 * the password, and the first line of what it prints is the password.
 *
 * The command runs through the user's shell (`/bin/sh -c`, `cmd.exe` on
 * Windows) as the user wrote it, with standard input closed, within a time
 * limit (a password manager may ask for its own passphrase first, so the
 * limit is generous). Its output is never logged nor put in an error: a
 * failure says how the command ended and the first line it wrote on
 * standard error, which is where such tools explain themselves.
 */
import { spawn } from 'node:child_process';
import { SealpostError } from '../../app/errors.ts';

/** A password manager's own unlock prompt may take a while; a command that hangs must not hang a sync. */
export const PASSWORD_COMMAND_TIMEOUT_MS = 120_000;
/** Output beyond this is not a password: the command is stopped and refused. */
const MAX_OUTPUT = 64 * 1024;
const MAX_PASSWORD = 4096;
const MAX_COMMAND = 4096;

/** Checks a command before it is stored: one line, not empty, not absurdly long. */
export function validatePasswordCommand(command: string | undefined): string {
  const trimmed = (command ?? '').trim();
  if (trimmed === '') throw new SealpostError('bad-input', 'the password command is empty');
  if (trimmed.length > MAX_COMMAND || /[\0\r\n]/.test(trimmed))
    throw new SealpostError('bad-input', `the password command must be one line of at most ${MAX_COMMAND} characters`);
  return trimmed;
}

function firstLine(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

function failure(
  why: string,
  stderr: Buffer,
  details: { exitCode: number | null; signal: string | null; timedOut: boolean; spawnError: string | null },
): SealpostError<'account-password-command-failed'> {
  // Control characters of the command's diagnostics are not shown as they are.
  const said = firstLine(stderr)
    .replace(/\p{Cc}/gu, ' ')
    .trim()
    .slice(0, 300);
  return new SealpostError('account-password-command-failed', said ? `${why}: ${said}` : why, details);
}

/** Runs the command and returns the first line of its standard output, or fails with `account-password-command-failed`. */
export function runPasswordCommand(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? PASSWORD_COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group on POSIX, so that a timeout stops what the shell started as well.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let tooLong = false;
    let timedOut = false;
    let settled = false;
    const stop = () => {
      try {
        if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT) {
        tooLong = true;
        stop();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < MAX_OUTPUT) err.push(chunk);
      errBytes += chunk.length;
    });
    const settle = (result: { password: string } | { error: SealpostError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('password' in result) resolve(result.password);
      else reject(result.error);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      stop();
      settle({
        error: failure('it could not be started', Buffer.alloc(0), {
          exitCode: null,
          signal: null,
          timedOut: false,
          spawnError: e.code ?? 'unknown',
        }),
      });
    });
    child.on('close', (exitCode, signal) => {
      const stderr = Buffer.concat(err);
      const details = { exitCode, signal, timedOut, spawnError: null };
      if (timedOut) return settle({ error: failure(`it did not finish within ${Math.round(timeoutMs / 1000)} s`, stderr, details) });
      if (tooLong) return settle({ error: failure('it printed more than a password', stderr, details) });
      if (exitCode !== 0)
        return settle({
          error: failure(signal ? `it was stopped by ${signal}` : `exit status ${exitCode}`, stderr, details),
        });
      const password = firstLine(Buffer.concat(out));
      if (password === '') return settle({ error: failure('it printed no password', stderr, details) });
      if (password.length > MAX_PASSWORD || password.includes('\0'))
        return settle({
          error: failure(`its first line is not a password of at most ${MAX_PASSWORD} characters`, stderr, details),
        });
      settle({ password });
    });
  });
}
