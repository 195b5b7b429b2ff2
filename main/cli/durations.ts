import { SealpostError } from '../../app/errors.ts';

const UNIT_SECONDS: Record<string, number> = { d: 86_400, w: 7 * 86_400, m: 30 * 86_400, y: 365 * 86_400 };

/** "2y", "6m", "3w", "10d" or "never" (null) as seconds from now. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'never' || t === '0') return null;
  const m = /^(\d{1,4})([dwmy])$/.exec(t);
  if (!m) throw new SealpostError('usage', `"${text}" is not a duration (use for example 2y, 6m, 3w, 10d or never)`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (seconds <= 0) throw new SealpostError('usage', `"${text}" is not a positive duration`);
  return seconds;
}
