/**
 * Autocrypt Setup Messages (Autocrypt Level 1, section "Autocrypt Setup
 * Message"), for the app and the command line alike: moving the user's
 * secret key to another mail app, or keeping it as a backup, protected by a
 * 36-digit Setup Code.
 *
 * Creating asks the keyring for the encrypted payload and the code (the
 * unprotected key never leaves the keyring) and wraps the payload in the
 * message; the caller shows the code and puts the message where the user
 * wants it (a file on the command line, a save dialog in the app). Importing
 * finds the payload in the message and hands it with the typed code to the
 * keyring, which opens it and stores the key.
 */
import { SealpostError } from '../../app/errors.ts';
import type { KeySummary } from '../../app/keys.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import type { UnaryResult } from '../../app/keyring-protocol.ts';
import { findSetupPayload } from '../pgp-mime/read/setup-message.ts';
import { setupMessage } from '../pgp-mime/write/setup-message.ts';
import { nameFromKey } from '../pgp-mime/write/recipient-keys.ts';

export interface CreatedSetupMessage {
  /** The whole message (RFC 5322), to save or to put in the user's mailbox. */
  message: Buffer;
  /** The Setup Code in its canonical form (nine blocks of four digits joined by dashes). */
  code: string;
  /** The address the message is from and to: the key's own. */
  address: string;
  key: KeySummary;
}

/**
 * The setup message for a secret key. `passphrase` unlocks a protected key
 * in the keyring (the payload holds it unprotected, as Autocrypt wants);
 * the message goes to the key's first e-mail address.
 */
export async function createSetupMessage(
  keyring: KeyringCalls,
  input: { fingerprint: string; passphrase: string | null; date?: Date },
): Promise<CreatedSetupMessage> {
  const key = await keyring.call('keys.show', { query: input.fingerprint });
  if (!key.hasSecret) throw new SealpostError('key-no-secret', key.fingerprint, { fingerprint: key.fingerprint });
  const address = key.emails[0];
  if (!address) throw new SealpostError('bad-input', `key ${key.fingerprint} has no e-mail address to address the setup message to`);
  // The app's Autocrypt headers carry no prefer-encrypt attribute, which means "nopreference": the payload says the same.
  const { armored, code } = await keyring.call('keys.setupMessage.create', {
    fingerprint: key.fingerprint,
    passphrase: input.passphrase,
    preferEncrypt: 'nopreference',
  });
  const message = setupMessage({
    address,
    name: nameFromKey(key, address),
    armored,
    passphraseBegin: code.slice(0, 2),
    ...(input.date ? { date: input.date } : {}),
  });
  return { message, code, address, key };
}

/**
 * Imports the secret key of a setup message (the .eml, or its saved
 * attachment) with the code the user typed. `passphrase` protects the key
 * in the keyring; null keeps it without one. A wrong code changes nothing.
 */
export async function importSetupMessage(
  keyring: KeyringCalls,
  input: { data: Uint8Array; code: string; passphrase: string | null },
): Promise<UnaryResult<'keys.setupMessage.import'>> {
  const armored = findSetupPayload(input.data);
  return keyring.call('keys.setupMessage.import', { armored, code: input.code, passphrase: input.passphrase });
}
