/**
 * The Autocrypt Level 1 encryption recommendation (autocrypt.org/level1.html,
 * "Provide a recommendation for message encryption"), for one recipient and
 * for a message to several.
 *
 * It speaks only of keys known through Autocrypt: a key the user imported,
 * verified or found in a key directory is not Autocrypt's to judge, and counts
 * as `available`.
 */
import { z } from 'zod';
import type { KeySource, PeerState } from './keys.ts';

export const Recommendation = z.enum(['disable', 'discourage', 'available', 'encrypt']);
export type Recommendation = z.infer<typeof Recommendation>;

/** An Autocrypt key older than this before the peer's latest message may have been left behind (another mail app, a lost device). */
export const STALE_AFTER_MS = 35 * 86_400_000;

/**
 * The preliminary recommendation for one recipient, for the key the message
 * would be encrypted to (null when it has no usable key):
 * - no key: disable;
 * - a key that did not come from Autocrypt alone: available;
 * - the key of the peer's Autocrypt header: discourage when that header is
 *   more than 35 days older than the peer's latest message, else available;
 * - a key known only from gossip: discourage.
 */
export function preliminaryRecommendation(
  key: { fingerprint: string; sources: readonly KeySource[]; verified: boolean } | null,
  peer: PeerState | null,
): Recommendation {
  if (!key) return 'disable';
  const autocryptOnly = key.sources.length > 0 && key.sources.every((s) => s === 'autocrypt' || s === 'gossip');
  if (!autocryptOnly || key.verified) return 'available';
  if (peer?.fingerprint === key.fingerprint) {
    const header = peer.autocryptTimestamp ? Date.parse(peer.autocryptTimestamp) : NaN;
    const seen = peer.lastSeen ? Date.parse(peer.lastSeen) : NaN;
    return Number.isFinite(header) && Number.isFinite(seen) && seen - header > STALE_AFTER_MS ? 'discourage' : 'available';
  }
  if (peer?.gossipFingerprint === key.fingerprint) return 'discourage';
  return 'available';
}

/**
 * The final recommendation for one recipient: a reply to encrypted mail is
 * encrypted whenever there is a key; so is mail between two peers who both
 * said `prefer-encrypt=mutual` when the key is available.
 */
export function finalRecommendation(
  preliminary: Recommendation,
  context: { replyToEncrypted: boolean; peerMutual: boolean; ownMutual: boolean },
): Recommendation {
  if (preliminary === 'disable') return 'disable';
  if (context.replyToEncrypted) return 'encrypt';
  if (preliminary === 'available' && context.peerMutual && context.ownMutual) return 'encrypt';
  return preliminary;
}

/** For a message to several recipients: disable if any is, encrypt if all are, discourage if any is, else available. */
export function combinedRecommendation(each: readonly Recommendation[]): Recommendation {
  if (each.length === 0 || each.includes('disable')) return 'disable';
  if (each.every((r) => r === 'encrypt')) return 'encrypt';
  if (each.includes('discourage')) return 'discourage';
  return 'available';
}
