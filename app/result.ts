import type { ErrorCode } from './errors.ts';

/** An error as it crosses a process boundary: a value, never a thrown object. */
export interface AppError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: AppError): Result<T> => ({ ok: false, error });
