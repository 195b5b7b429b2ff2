/**
 * The Autocrypt header of an outgoing message (Autocrypt Level 1, section
 * 2.1): the sender's address and their minimal public key (the primary key,
 * the encryption subkey, the user id of the address: `keys.export` with
 * `minimal`), binary, in base64 lines; and `prefer-encrypt=mutual` when the
 * user chose it (section 2.3: the attribute is absent for "nopreference").
 */
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { CRLF } from './mime-body.ts';

/** The user's own Autocrypt preference (Autocrypt Level 1, section 2.3). */
export type PreferEncrypt = 'mutual' | 'nopreference';

/** The whole header field, folded, for the sender key's fingerprint. */
export async function autocryptHeader(
  keyring: KeyringClient,
  address: string,
  fingerprint: string,
  preferEncrypt: PreferEncrypt = 'nopreference',
): Promise<string> {
  return autocryptField(address, await dearmoredMinimalKey(keyring, fingerprint), 'Autocrypt', preferEncrypt);
}

/**
 * The Autocrypt-Gossip header of one recipient (Autocrypt Level 1, section
 * 2.7): the same attributes as an Autocrypt header, for a key the message is
 * encrypted to, so that every recipient can reply to all. It belongs in the
 * headers of the encrypted payload's root part, never outside.
 */
export async function autocryptGossipHeader(keyring: KeyringClient, address: string, fingerprint: string): Promise<string> {
  return autocryptField(address, await dearmoredMinimalKey(keyring, fingerprint), 'Autocrypt-Gossip');
}

/**
 * The Autocrypt header (Autocrypt Level 1): `addr=...; [prefer-encrypt=mutual; ]keydata=` and the binary key in
 * base64, folded. Gossip carries no prefer-encrypt (section 2.7: only `addr` and `keydata`).
 */
function autocryptField(address: string, key: Uint8Array, name = 'Autocrypt', preferEncrypt: PreferEncrypt = 'nopreference'): string {
  const b64 = Buffer.from(key).toString('base64');
  const lines = [`${name}: addr=${address};${preferEncrypt === 'mutual' ? ' prefer-encrypt=mutual;' : ''} keydata=`];
  for (let i = 0; i < b64.length; i += 76) lines.push(` ${b64.slice(i, i + 76)}`);
  return lines.join(CRLF);
}

async function dearmoredMinimalKey(keyring: KeyringClient, fingerprint: string): Promise<Uint8Array> {
  const { armored } = await keyring.call('keys.export', { query: fingerprint, minimal: true });
  const { output } = await keyring.collect('crypto.dearmor', {}, Buffer.from(armored, 'utf8'));
  return output;
}
