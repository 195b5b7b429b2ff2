import { isSealpostError, SealpostError, type ErrorCode, type ErrorDetails } from '../app/errors.ts';

/** A rule: the messages it matches, the code they mean, and that code's details. */
type Rule = { [C in ErrorCode]: [RegExp, C, ErrorDetails<C>] }[ErrorCode];

/** The codes whose details have no required field: what a message alone can be translated to. */
type CodeWithoutRequiredDetails = { [C in ErrorCode]: Record<string, never> extends ErrorDetails<C> ? C : never }[ErrorCode];

/**
 * The one adapter from openpgp.js errors to the error registry. openpgp.js
 * throws plain `Error`s with no code or other field (its errors carry only a
 * message), so the message is the only signal here; the table below matches
 * the messages of openpgp 6.x. Which key a failure concerns is not in them:
 * the callers, which hold the key, add it to the details.
 */
const RULES: Rule[] = [
  [/Incorrect key passphrase|Error decrypting private key|Key packet is already decrypted.*passphrase/i, 'key-wrong-passphrase', {}],
  // openpgp 6: "Signing key is not decrypted.", "Decryption key is not decrypted.", "Key is not decrypted".
  [/\bkey is not decrypted/i, 'key-passphrase-required', { fingerprints: [] }],
  [/Modification detected|Authentication tag mismatch|Integrity check failed|MDC/i, 'crypto-integrity-failed', {}],
  [/not integrity protected|Message is not authenticated|SymmetricallyEncryptedDataPacket|unauthenticated/i, 'crypto-no-integrity', {}],
  [/Maximum decompressed message size exceeded|decompress.*(size|limit)/i, 'crypto-too-large', {}],
  [/Session key decryption failed|No decryption key packets found|Error decrypting session keys?/i, 'crypto-no-key', {}],
  [/Unsupported key version|Version \d+ of the key packet is unsupported|Unsupported.*version/i, 'key-unsupported', {}],
  [/Ascii armor integrity check failed|Misformed armored text|Unknown ASCII armor type|armor/i, 'bad-input', {}],
  [
    /Error during parsing|Packet not allowed|Unexpected end of packet|not a valid OpenPGP|Invalid packet|Unknown packet|Error reading/i,
    'crypto-malformed',
    {},
  ],
];

export function translateOpenpgpError(error: unknown, fallback: CodeWithoutRequiredDetails = 'crypto-malformed'): SealpostError {
  if (isSealpostError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, code, details] of RULES) {
    if (pattern.test(message)) return new SealpostError(code, conciseDetail(message), details);
  }
  return new SealpostError(fallback, conciseDetail(message));
}

/** openpgp.js nests messages ("Error decrypting message: Session key decryption failed."); keep the innermost. */
function conciseDetail(message: string): string {
  const parts = message.split(/:\s+/);
  const last = parts[parts.length - 1] ?? message;
  return last.replace(/\.$/, '').slice(0, 200);
}
