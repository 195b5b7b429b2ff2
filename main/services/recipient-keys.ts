/**
 * The key state of each recipient, for the composer's marks and its
 * encryption default. Which key a message would be encrypted to is decided
 * by `chooseRecipientKey` (the same choice `composeMessage` makes), so
 * the composer can never promise encryption that sending then refuses.
 *
 * - verified / unverified: the key `recipientKey` picks, and its trust;
 * - changed: a key other than the one in use so far carries the address (trust on first use): the user chooses;
 * - missing: no key carries the address;
 * - with each, the Autocrypt recommendation for the key (disable when
 *   there is none) and where the key came from;
 * - otherwise the keys that carry it are all unusable, and the newest of
 *   them says why: revoked, expired, rejected (the user's trust), or
 *   unusable (it cannot encrypt), checked in the order compose.ts names them.
 */
import type { RecipientKey } from '../../app/mail.ts';
import type { KeySummary } from '../../app/keys.ts';
import { addressOfUserId } from '../../app/user-ids.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import { chooseRecipientKey, keyProblem } from '../pgp-mime/write/recipient-keys.ts';
import { normalizeAddress, sameAddress } from '../../app/address.ts';
import { preliminaryRecommendation } from '../../app/autocrypt-recommendation.ts';

type State = RecipientKey['state'];

function unusableState(key: KeySummary, now: number): State {
  return keyProblem(key, now) ?? 'unusable';
}

function userIdFor(key: KeySummary, address: string): string | null {
  return (
    key.userIds.find((u) => {
      const a = addressOfUserId(u);
      return a !== null && sameAddress(a, address);
    }) ??
    key.userIds[0] ??
    null
  );
}

/** One entry per address, in the order given (an address given twice is looked up once). */
export async function recipientKeyStates(keyring: KeyringCalls, addresses: readonly string[], now = Date.now()): Promise<RecipientKey[]> {
  const known = new Map<string, Omit<RecipientKey, 'address'>>();
  const out: RecipientKey[] = [];
  for (const address of addresses) {
    const id = normalizeAddress(address);
    let entry = known.get(id);
    if (!entry) {
      // One keyring call per address: the choice and the keys it speaks of come from the same answer.
      const state = await keyring.call('keys.addressState', { address: address.trim() });
      const found = chooseRecipientKey(state, now);
      const peerMutual = state.autocrypt?.preferEncrypt === 'mutual';
      if ('changed' in found) {
        const { known, knownVerified, successor, knownProblem } = found.changed;
        const newKey = state.keys.find((k) => k.fingerprint === found.changed.new);
        entry = {
          state: 'changed',
          fingerprint: found.changed.new,
          userId: newKey ? userIdFor(newKey, address) : null,
          sources: newKey?.sources ?? [],
          recommendation: 'available',
          peerMutual,
          change: { known, knownVerified, successor, knownProblem },
        };
      } else if ('key' in found) {
        entry = {
          state: found.key.trust === 'verified' ? 'verified' : 'unverified',
          fingerprint: found.key.fingerprint,
          userId: userIdFor(found.key, address),
          sources: found.key.sources,
          recommendation: preliminaryRecommendation(
            { fingerprint: found.key.fingerprint, sources: found.key.sources, verified: found.key.trust === 'verified' },
            state.autocrypt,
          ),
          peerMutual,
        };
      } else {
        const newest = [...state.keys].sort((a, b) => Date.parse(b.created) - Date.parse(a.created))[0];
        const none = { recommendation: 'disable', peerMutual } as const;
        entry = newest
          ? {
              state: unusableState(newest, now),
              fingerprint: newest.fingerprint,
              userId: userIdFor(newest, address),
              sources: newest.sources,
              ...none,
            }
          : { state: 'missing', fingerprint: null, userId: null, sources: [], ...none };
      }
      known.set(id, entry);
    }
    out.push({ address, ...entry });
  }
  return out;
}
