// Run the `sealpost` command line (main/cli/sealpost.ts) from tests, and make
// private temporary directories. Generic on purpose: any test may use it.

import { run } from './process.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above test/support/). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The command line entry point, relative to REPO_ROOT: the source, or the
 * bundle the app ships (dist/cli/sealpost.mjs) when `npm test` has just
 * built it and says so in SEALPOST_TEST_CLI. The bundle starts in half the
 * time (one file instead of every module type-stripped), and is what users run.
 */
export const SEALPOST_ENTRY =
  process.env.SEALPOST_TEST_CLI === 'dist' ? join('dist', 'cli', 'sealpost.mjs') : join('main', 'cli', 'sealpost.ts');

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

export async function runSealpost(args: string[], opts: RunSealpostOptions = {}): Promise<RunSealpostResult> {
  const argv = [SEALPOST_ENTRY, ...(opts.home !== undefined ? ['--home', opts.home] : []), ...args];
  const r = await run(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdin: opts.input ?? '',
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  const stderr = r.stderr.toString('utf8');
  if (r.code === null) throw new Error(`sealpost ${args.join(' ')}: killed by ${r.signal ?? 'a signal'}; stderr: ${stderr.trim()}`);
  return { code: r.code, stdout: r.stdout, stderr };
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
