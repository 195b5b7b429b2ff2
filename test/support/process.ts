/**
 * Run a child process for a test: stdin from a buffer, stdout and stderr
 * collected, and a time limit after which the child and everything it
 * started (its own process group) are killed by pid.
 */
import { spawn } from 'node:child_process';

/** Default per-process timeout (PGPainless starts a JVM). */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stdin?: Uint8Array | string;
  /** Open file descriptors handed to the child as fd 3, 4, ... */
  extraFds?: number[];
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
      // Own process group, so that an overrunning tool and its helpers can be
      // killed together by the child's pid.
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const pid = child.pid;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }, timeoutMs);
    const { stdin, stdout, stderr } = child;
    if (!stdin || !stdout || !stderr) throw new Error(`${cmd}: no stdio pipes`);
    stdout.on('data', (b: Buffer) => out.push(b));
    stderr.on('data', (b: Buffer) => err.push(b));
    stdin.on('error', () => {
      // EPIPE when the tool exits without reading its input; the exit status
      // and stderr tell the story.
    });
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${cmd}: cannot start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const errText = Buffer.concat(err);
      if (timedOut) {
        reject(
          new Error(`${cmd} ${args[0] ?? ''}: timed out after ${timeoutMs} ms and was killed; stderr: ${errText.toString('utf8').trim()}`),
        );
        return;
      }
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: errText });
    });
    if (opts.stdin !== undefined) stdin.end(opts.stdin);
    else stdin.end();
  });
}
