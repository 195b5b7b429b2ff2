// Run the `sealpost` command line (main/cli/sealpost.ts) from tests, and make
// private temporary directories. Generic on purpose: any test may use it.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The command line entry point, relative to REPO_ROOT. */
export const SEALPOST_ENTRY = join('main', 'cli', 'sealpost.ts');

export interface RunSealpostOptions {
  /** Standard input; empty (closed at once) when omitted. */
  input?: Uint8Array | string;
  /** Profile directory: adds `--home DIR` before `args`. */
  home?: string;
  /** Extra environment variables (added to this process's environment). */
  env?: Record<string, string>;
  /** Default 60 s; the child (and its process group) is then killed by pid and the promise rejects. */
  timeoutMs?: number;
}

export interface RunSealpostResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function runSealpost(args: string[], opts: RunSealpostOptions = {}): Promise<RunSealpostResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const argv = [SEALPOST_ENTRY, ...(opts.home !== undefined ? ['--home', opts.home] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so that the child and anything it started can be killed together.
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const pid = child.pid;
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // EPIPE when the command exits without reading all of its input: the exit code tells.
    child.stdin.on('error', () => {});
    child.on('error', (e) => finish(() => reject(new Error(`sealpost: cannot start: ${e.message}`))));
    child.on('close', (code, signal) =>
      finish(() => {
        const stderr = Buffer.concat(err).toString('utf8');
        if (timedOut) reject(new Error(`sealpost ${args.join(' ')}: timed out after ${timeoutMs} ms and was killed; stderr: ${stderr.trim()}`));
        else if (code === null) reject(new Error(`sealpost ${args.join(' ')}: killed by ${signal ?? 'a signal'}; stderr: ${stderr.trim()}`));
        else resolve({ code, stdout: Buffer.concat(out), stderr });
      }),
    );
    child.stdin.end(opts.input ?? '');
  });
}

export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
}

/** A fresh private (0700) directory under the system temp folder. */
export async function tempDir(prefix = 'sealpost-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }),
  };
}
