/**
 * The Setup Code of an Autocrypt Setup Message (Autocrypt Level 1, section
 * "Setup Code"): 36 decimal digits in nine blocks of four, separated by
 * dashes. The dashes are part of the passphrase, so the canonical form is
 * what encrypts and decrypts; people may type it with spaces, without
 * dashes or over several lines, and every such writing means the same code.
 */

export const SETUP_CODE_DIGITS = 36;
const BLOCK = 4;

/** The canonical writing: nine blocks of four digits joined by dashes. */
export const SETUP_CODE_FORMAT = /^[0-9]{4}(?:-[0-9]{4}){8}$/;

/** The code as the specification writes it: "1742-0185-...-0597". `digits` must be 36 decimal digits. */
export function formatSetupCode(digits: string): string {
  if (!new RegExp(`^[0-9]{${SETUP_CODE_DIGITS}}$`).test(digits)) throw new RangeError('a setup code is 36 decimal digits');
  return digits.match(/[0-9]{4}/g)!.join('-');
}

/**
 * The canonical code for what a person typed: ASCII digits separated by
 * nothing, dashes or white space in any places, 36 digits in all. Null for
 * anything else (a letter, another separator, too few or too many digits).
 */
export function parseSetupCode(typed: string): string | null {
  if (typed.length > 512) return null;
  const trimmed = typed.trim();
  if (!/^[0-9]+(?:[\s-]+[0-9]+)*$/.test(trimmed)) return null;
  const digits = trimmed.replace(/[\s-]+/g, '');
  return digits.length === SETUP_CODE_DIGITS ? formatSetupCode(digits) : null;
}

/** The code's blocks of four digits, to show it as the specification's example does (three lines of three blocks). */
export function setupCodeBlocks(code: string): string[] {
  return code.split('-').filter((b) => b.length === BLOCK);
}
