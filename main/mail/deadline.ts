import { SealpostError } from '../../app/errors.ts';

/** Runs `work`; if it takes longer than `ms`, calls `abort` and fails with `network-timeout`. */
export async function within<T>(ms: number, what: string, work: Promise<T> | (() => Promise<T>), abort: () => void): Promise<T> {
  const promise = typeof work === 'function' ? work() : work;
  // The loser of the race must not become an unhandled rejection.
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort();
      reject(new SealpostError('network-timeout', `${what} did not finish within ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
