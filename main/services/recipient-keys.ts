/**
 * The key state of each recipient, for the composer's marks and its
 * encryption default. Which key a message would be encrypted to is decided
 * by compose.ts's `recipientKey` (the same call `composeMessage` makes), so
 * the composer can never promise encryption that sending then refuses.
 *
 * - verified / unverified: the key `recipientKey` picks, and its trust;
 * - changed: a key other than the one in use so far carries the address (trust on first use): the user chooses;
 * - missing: no key carries the address;
 * - otherwise the keys that carry it are all unusable, and the newest of
 *   them says why: revoked, expired, rejected (the user's trust), or
 *   unusable (it cannot encrypt), checked in the order compose.ts names them.
 */
import type { RecipientKey } from '../../app/mail.ts';
import type { KeySummary } from '../../app/keys.ts';
import { addressOfUserId } from '../../app/user-ids.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import { recipientKey } from '../pgp-mime/write/recipient-keys.ts';
import { normalizeAddress, sameAddress } from '../../app/address.ts';

type State = RecipientKey['state'];

function unusableState(key: KeySummary, now: number): State {
  if (key.revoked) return 'revoked';
  if (key.expires && Date.parse(key.expires) <= now) return 'expired';
  if (key.trust === 'rejected') return 'rejected';
  return 'unusable';
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

function carries(key: KeySummary, address: string): boolean {
  return key.emails.some((e) => sameAddress(e, address));
}

/** One entry per address, in the order given (an address given twice is looked up once). */
export async function recipientKeyStates(keyring: KeyringCalls, addresses: readonly string[], now = Date.now()): Promise<RecipientKey[]> {
  const known = new Map<string, Omit<RecipientKey, 'address'>>();
  let all: KeySummary[] | null = null;
  const out: RecipientKey[] = [];
  for (const address of addresses) {
    const id = normalizeAddress(address);
    let entry = known.get(id);
    if (!entry) {
      const found = await recipientKey(keyring, address.trim(), now);
      if ('changed' in found) {
        const { known, knownVerified } = found.changed;
        all ??= await keyring.call('keys.list', { secret: false });
        const newKey = all.find((k) => k.fingerprint === found.changed.new);
        entry = {
          state: 'changed',
          fingerprint: found.changed.new,
          userId: newKey ? userIdFor(newKey, address) : null,
          change: { known, knownVerified },
        };
      } else if ('key' in found) {
        entry = {
          state: found.key.trust === 'verified' ? 'verified' : 'unverified',
          fingerprint: found.key.fingerprint,
          userId: userIdFor(found.key, address),
        };
      } else {
        all ??= await keyring.call('keys.list', { secret: false });
        const candidates = all.filter((k) => carries(k, address)).sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
        const newest = candidates[0];
        entry = newest
          ? { state: unusableState(newest, now), fingerprint: newest.fingerprint, userId: userIdFor(newest, address) }
          : { state: 'missing', fingerprint: null, userId: null };
      }
      known.set(id, entry);
    }
    out.push({ address, ...entry });
  }
  return out;
}
