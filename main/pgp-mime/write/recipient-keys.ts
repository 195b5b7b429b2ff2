/**
 * Which key a message is encrypted to and signed with: the key-usability
 * rules (not revoked, not expired, not rejected by the user, able to encrypt
 * or sign), the choice among several keys for one address (a verified key
 * first, then the newest), and the display name a key's user id gives the
 * sender. `composeMessage` and the composer's view of recipient key states
 * (main/services/recipient-keys.ts) both decide with these, so the composer
 * can never promise encryption that sending then refuses.
 */
import { SealpostError } from '../../../app/errors.ts';
import type { KeySummary } from '../../../app/keys.ts';
import type { KeyringCalls } from '../../../app/node/keyring-client.ts';
import { sameAddress } from '../../../app/address.ts';

export function isUsableForEncryption(k: KeySummary, now: number): boolean {
  return k.canEncrypt && !k.revoked && !(k.expires && Date.parse(k.expires) <= now) && k.trust !== 'rejected';
}

export function whyUnusable(k: KeySummary, now: number): string {
  if (k.revoked) return `key ${k.fingerprint} is revoked`;
  if (k.expires && Date.parse(k.expires) <= now) return `key ${k.fingerprint} expired on ${k.expires.slice(0, 10)}`;
  if (k.trust === 'rejected') return `key ${k.fingerprint} is rejected`;
  return `key ${k.fingerprint} cannot encrypt`;
}

/** Prefer a verified key, then the newest. */
function best(keys: KeySummary[]): KeySummary {
  return [...keys].sort(
    (a, b) => Number(b.trust === 'verified') - Number(a.trust === 'verified') || Date.parse(b.created) - Date.parse(a.created),
  )[0]!;
}

/**
 * Every key with a valid user id that carries the address: `keys.show`, and
 * the whole list when several keys carry it or the address is spelled in
 * another case than in the user id.
 */
async function keysCarrying(keyring: KeyringCalls, address: string, secret: boolean): Promise<KeySummary[]> {
  let found: KeySummary[];
  try {
    found = [await keyring.call('keys.show', { query: address })];
  } catch (e) {
    if (!(e instanceof SealpostError && (e.code === 'key-not-found' || e.code === 'key-ambiguous'))) throw e;
    found = await keyring.call('keys.list', { secret });
  }
  return found.filter((k) => k.emails.some((m) => sameAddress(m, address)));
}

/** The key to encrypt to for an address, or why there is none. */
export async function recipientKey(
  keyring: KeyringCalls,
  address: string,
  now = Date.now(),
): Promise<{ key: KeySummary } | { problem: string }> {
  const candidates = await keysCarrying(keyring, address, false);
  if (candidates.length === 0) return { problem: 'no key' };
  const usable = candidates.filter((k) => isUsableForEncryption(k, now));
  if (usable.length === 0) return { problem: candidates.map((k) => whyUnusable(k, now)).join(', ') };
  return { key: best(usable) };
}

/** The sender's own key: a secret key that can sign and whose user id carries the address. Null when there is none. */
export async function senderKey(keyring: KeyringCalls, address: string, now = Date.now()): Promise<KeySummary | null> {
  const candidates = (await keysCarrying(keyring, address, true)).filter(
    (k) => k.hasSecret && k.canSign && !k.revoked && !(k.expires && Date.parse(k.expires) <= now),
  );
  return candidates.length > 0 ? best(candidates) : null;
}

/** The display name in the sender key's user id for the address ("Alice <a@b>" -> "Alice"), or "". */
export function nameFromKey(key: KeySummary, address: string): string {
  for (const uid of key.userIds) {
    const m = /^(.*?)\s*<([^<>]+)>\s*$/.exec(uid);
    if (m && sameAddress(m[2]!, address)) return m[1]!.replace(/^"(.*)"$/, '$1').trim();
  }
  return '';
}
