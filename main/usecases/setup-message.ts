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
 * keyring, which opens it and stores the key as the user's own (Autocrypt
 * Level 1, 4.4.4: trusted and in use for its addresses, as a generated one).
 */
import { SealpostError } from '../../app/errors.ts';
import type { KeySummary } from '../../app/keys.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import type { UnaryResult } from '../../app/keyring-protocol.ts';
import { sameAddress } from '../../app/address.ts';
import { parseAddresses } from '../pgp-mime/read/addresses.ts';
import { headerValue, parseMime } from '../pgp-mime/read/mime-parse.ts';
import { findSetupPayload, isMailMessage } from '../pgp-mime/read/setup-message.ts';
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
  input: { fingerprint: string; passphrase: string | null; preferEncrypt?: 'mutual' | 'nopreference'; date?: Date },
): Promise<CreatedSetupMessage> {
  const key = await keyring.call('keys.show', { query: input.fingerprint });
  if (!key.hasSecret) throw new SealpostError('key-no-secret', key.fingerprint, { fingerprint: key.fingerprint });
  const address = key.emails[0];
  if (!address) throw new SealpostError('bad-input', `key ${key.fingerprint} has no e-mail address to address the setup message to`);
  // The payload says what the user's Autocrypt headers say (section 4.4.2): the app's setting; the command line writes none.
  const { armored, code } = await keyring.call('keys.setupMessage.create', {
    fingerprint: key.fingerprint,
    passphrase: input.passphrase,
    preferEncrypt: input.preferEncrypt ?? 'nopreference',
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
 * A whole mail handed over as a setup message must say it is one
 * (`Autocrypt-Setup-Message: v1`, Autocrypt Level 1, 4.4.1) and go from the
 * user to the user: 4.4.3 lets a client process it "only if From and To are
 * the user's own address", so a key mailed in by someone else is never taken
 * as the user's own. A saved attachment alone (the .html page, an .asc
 * block) carries no header to check, and is taken as it is.
 */
export function checkSetupMessageMail(data: Uint8Array): void {
  if (!isMailMessage(data)) return;
  const { root } = parseMime(data);
  if (headerValue(root, 'autocrypt-setup-message') === undefined)
    throw new SealpostError('setup-message-invalid', 'the message has no Autocrypt-Setup-Message header', { reason: 'not-marked' });
  const from = parseAddresses(headerValue(root, 'from')).filter((a) => a.address);
  const to = parseAddresses(headerValue(root, 'to')).filter((a) => a.address);
  const self = from.length === 1 ? from[0]!.address : null;
  if (self === null || to.length === 0 || !to.every((a) => sameAddress(a.address, self)))
    throw new SealpostError('setup-message-invalid', 'the message is not from the user to the same address (its From is not its To)', {
      reason: 'not-to-self',
    });
}

/**
 * Imports the secret key of a setup message (the .eml, or its saved
 * attachment) with the code the user typed. `passphrase` protects the key
 * in the keyring; null keeps it without one. A wrong code, a mail that is
 * not a setup message or not to and from one address, change nothing.
 */
export async function importSetupMessage(
  keyring: KeyringCalls,
  input: { data: Uint8Array; code: string; passphrase: string | null },
): Promise<UnaryResult<'keys.setupMessage.import'>> {
  const armored = findSetupPayload(input.data);
  checkSetupMessageMail(input.data);
  return keyring.call('keys.setupMessage.import', { armored, code: input.code, passphrase: input.passphrase });
}
