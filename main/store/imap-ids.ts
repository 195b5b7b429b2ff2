/**
 * IMAP's numbers as the store keeps them: canonical decimal strings. UIDs and
 * UIDVALIDITY are 32-bit, MODSEQ is 63-bit (RFC 7162); imapflow hands some of
 * them over as BigInt, and JSON has no 64-bit integers, so the whole app
 * carries them as strings.
 */
import { SealpostError } from '../../app/errors.ts';

export type ImapNumberInput = string | number | bigint;

const MAX = 2n ** 64n - 1n;

/**
 * The canonical form ("42") of an IMAP number, or a `bad-input` error.
 * `allowZero` for MODSEQ values; UIDs and UIDVALIDITY are never 0.
 */
export function imapNumber(value: ImapNumberInput, what: string, allowZero = false): string {
  let n: bigint | null = null;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') n = Number.isSafeInteger(value) ? BigInt(value) : null;
  else if (/^[0-9]{1,20}$/.test(value)) n = BigInt(value);
  if (n === null || n < (allowZero ? 0n : 1n) || n > MAX) {
    throw new SealpostError('bad-input', `${what} must be a ${allowZero ? 'non-negative' : 'positive'} 64-bit integer`);
  }
  return n.toString();
}

export function imapNumberOrNull(value: ImapNumberInput | null | undefined, what: string, allowZero = false): string | null {
  return value === null || value === undefined ? null : imapNumber(value, what, allowZero);
}
