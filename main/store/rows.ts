/**
 * Typed reading of `node:sqlite` rows. STRICT tables already hold the right
 * types; a mismatch here means a damaged or foreign file.
 */
import type { SQLOutputValue } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';

export type Row = Record<string, SQLOutputValue>;

function wrong(column: string, expected: string): never {
  throw new SealpostError('store-corrupt', `column ${column} is not ${expected}`);
}

export function text(row: Row, column: string): string {
  const v = row[column];
  return typeof v === 'string' ? v : wrong(column, 'text');
}

export function textOrNull(row: Row, column: string): string | null {
  const v = row[column];
  return v === null || v === undefined ? null : typeof v === 'string' ? v : wrong(column, 'text');
}

export function int(row: Row, column: string): number {
  const v = row[column];
  return typeof v === 'number' && Number.isInteger(v) ? v : wrong(column, 'an integer');
}

export function intOrNull(row: Row, column: string): number | null {
  const v = row[column];
  return v === null || v === undefined ? null : typeof v === 'number' && Number.isInteger(v) ? v : wrong(column, 'an integer');
}

export function blobOrNull(row: Row, column: string): Uint8Array | null {
  const v = row[column];
  return v === null || v === undefined ? null : v instanceof Uint8Array ? v : wrong(column, 'a blob');
}

export function blob(row: Row, column: string): Uint8Array {
  return blobOrNull(row, column) ?? wrong(column, 'a blob');
}

export function json<T>(row: Row, column: string): T {
  try {
    return JSON.parse(text(row, column)) as T;
  } catch (e) {
    if (e instanceof SealpostError) throw e;
    return wrong(column, 'JSON');
  }
}

export function jsonOrNull<T>(row: Row, column: string): T | null {
  return textOrNull(row, column) === null ? null : json<T>(row, column);
}

/** One of the values of a CHECK(... IN (...)) column. */
export function oneOf<const T extends string>(row: Row, column: string, values: readonly T[]): T {
  const v = text(row, column);
  return (values as readonly string[]).includes(v) ? (v as T) : wrong(column, values.join('|'));
}
