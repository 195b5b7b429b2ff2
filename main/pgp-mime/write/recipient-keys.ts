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
import type { AddressState, KeySummary } from '../../../app/keys.ts';
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

/** A key change: the address's accepted key is not the only usable one any more, or no longer usable while another is. */
export interface KeyChange {
  address: string;
  /** The key in use so far (accepted, verified or first seen), or null when several keys came without one accepted. */
  known: string | null;
  /** The other key, the newest one seen. */
  new: string;
  /** The key in use so far was verified by the user: a stronger warning. */
  knownVerified: boolean;
  /**
   * What says the key's owner made the change: the new key is certified by
   * the earlier one, or the earlier one was revoked as superseded (and the
   * new one is younger). Null: nothing does. Either way the user chooses.
   */
  successor: 'certified' | 'superseded' | null;
  /** Why the key in use so far can no longer be used (keeping it is then no choice); null while it is usable. */
  knownProblem: KeyProblem | null;
}

/** Why a key cannot be encrypted to, in the order the composer names it. */
export type KeyProblem = 'revoked' | 'expired' | 'rejected' | 'unusable';

export function keyProblem(k: KeySummary, now: number): KeyProblem | null {
  if (isUsableForEncryption(k, now)) return null;
  if (k.revoked) return 'revoked';
  if (k.expires && Date.parse(k.expires) <= now) return 'expired';
  if (k.trust === 'rejected') return 'rejected';
  return 'unusable';
}

/** Whether the new key of a change is the earlier key's successor, and by what. */
export function successorOf(state: AddressState, known: string | null, next: string): KeyChange['successor'] {
  if (known === null) return null;
  const earlier = state.keys.find((k) => k.fingerprint === known);
  const later = state.keys.find((k) => k.fingerprint === next);
  if (!later) return null;
  if (later.certifiedBy.includes(known)) return 'certified';
  if (earlier?.revocationReason === 'superseded' && Date.parse(later.created) >= Date.parse(earlier.created)) return 'superseded';
  return null;
}

export type RecipientChoice = { key: KeySummary } | { problem: string } | { changed: KeyChange };

/**
 * Trust on first use: the key to encrypt to for an address, from what the
 * keyring knows of it. The accepted key (the first one seen, or the one the
 * user accepted or verified) is used while it is usable and no other usable
 * key was seen after it was accepted. Otherwise a different key is never
 * used silently: the choice is a key change, and the user chooses
 * (`keys accept`, the composer's key-change prompt).
 */
export function chooseRecipientKey(state: AddressState, now = Date.now()): RecipientChoice {
  const candidates = state.keys;
  if (candidates.length === 0) return { problem: 'no key' };
  const usable = candidates.filter((k) => isUsableForEncryption(k, now));
  if (usable.length === 0) return { problem: candidates.map((k) => whyUnusable(k, now)).join(', ') };
  const accepted = state.accepted;
  const change = (known: string, next: string, knownVerified: boolean): RecipientChoice => {
    const earlier = candidates.find((k) => k.fingerprint === known);
    // A key that is gone from the keyring is as unusable as a revoked one.
    const knownProblem = earlier ? keyProblem(earlier, now) : 'unusable';
    return {
      changed: { address: state.address, known, new: next, knownVerified, successor: successorOf(state, known, next), knownProblem },
    };
  };
  const newest = (keys: AddressState['keys']) => [...keys].sort((a, b) => Date.parse(b.firstSeen) - Date.parse(a.firstSeen))[0]!;
  if (accepted) {
    const known = candidates.find((k) => k.fingerprint === accepted.fingerprint);
    const knownVerified = known?.trust === 'verified';
    const since = Date.parse(accepted.at);
    const later = usable.filter((k) => k.fingerprint !== accepted.fingerprint && Date.parse(k.firstSeen) > since);
    if (known && usable.includes(known)) {
      if (later.length === 0) return { key: known };
      return change(known.fingerprint, newest(later).fingerprint, knownVerified);
    }
    // The accepted key is gone or unusable (revoked, expired, rejected): another key is not taken over silently.
    return change(accepted.fingerprint, newest(usable).fingerprint, knownVerified);
  }
  if (usable.length === 1) return { key: usable[0]! };
  const verified = usable.filter((k) => k.trust === 'verified');
  if (verified.length === 1) return { key: verified[0]! };
  const oldest = [...usable].sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen))[0]!;
  return change(oldest.fingerprint, newest(usable).fingerprint, false);
}

/** The key to encrypt to for an address, why there is none, or the key change the user has to decide. */
export async function recipientKey(keyring: KeyringCalls, address: string, now = Date.now()): Promise<RecipientChoice> {
  return chooseRecipientKey(await keyring.call('keys.addressState', { address }), now);
}

/** The error `compose` and `send` stop with at a key change (exit 65): the address and both fingerprints. */
export function keyChangedError(change: KeyChange): SealpostError<'key-changed'> {
  const known = change.known ?? 'an earlier key';
  return new SealpostError(
    'key-changed',
    `${change.address}: the key changed from ${known} to ${change.new}${change.knownVerified ? ' (the earlier key was verified)' : ''}` +
      `${change.successor === 'certified' ? ', certified by the earlier key' : change.successor === 'superseded' ? ', the earlier key revoked as superseded' : ''}; ` +
      `choose one with "sealpost keys accept ${change.address} FINGERPRINT"`,
    { address: change.address, known: change.known, new: change.new, knownVerified: change.knownVerified, successor: change.successor },
  );
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
