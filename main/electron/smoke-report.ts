/**
 * The smoke test's runner: named checks run one after another, each printed
 * as one line ("ok - name" or "not ok - name: reason"), the whole run
 * bounded in time. When the time is up, the check that was running and
 * every one after it are reported as not finished, and the run fails.
 */

export interface SmokeCheck {
  name: string;
  /** Resolves with a note for the "ok" line (or nothing); throws with the reason it failed. */
  run(): Promise<string | void>;
}

export interface SmokeOutcome {
  passed: number;
  failed: number;
  /** True when the time limit cut the run short. */
  timedOut: boolean;
}

/** The reason an error gives, on one line (a check's line must stay one line). */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim() || 'failed without a reason';
}

export async function runChecks(checks: readonly SmokeCheck[], write: (line: string) => void, timeLimitMs: number): Promise<SmokeOutcome> {
  const outcome: SmokeOutcome = { passed: 0, failed: 0, timedOut: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeLimitMs);
  });
  try {
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!;
      const running = check.run().then(
        (note) => ({ ok: true as const, note }),
        (error: unknown) => ({ ok: false as const, reason: reasonOf(error) }),
      );
      const result = await Promise.race([running, deadline]);
      if (result === 'timeout') {
        outcome.timedOut = true;
        const seconds = Math.round(timeLimitMs / 1000);
        write(`not ok - ${check.name}: did not finish within the time limit (${seconds} s)`);
        outcome.failed++;
        for (const left of checks.slice(i + 1)) {
          write(`not ok - ${left.name}: not run (the time limit of ${seconds} s was reached)`);
          outcome.failed++;
        }
        break;
      }
      if (result.ok) {
        write(`ok - ${check.name}${result.note ? `: ${result.note}` : ''}`);
        outcome.passed++;
      } else {
        write(`not ok - ${check.name}: ${result.reason}`);
        outcome.failed++;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  write(`# ${outcome.passed} passed, ${outcome.failed} failed`);
  return outcome;
}
