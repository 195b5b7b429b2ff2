// The Autocrypt Level 1 recommendation (app/autocrypt-recommendation.ts),
// case by case as the specification's section "Provide a recommendation for
// message encryption" walks through them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  combinedRecommendation,
  finalRecommendation,
  preliminaryRecommendation,
  Recommendation,
  STALE_AFTER_MS,
} from '../../app/autocrypt-recommendation.ts';
import type { PeerState } from '../../app/keys.ts';

const A = 'A'.repeat(40);
const G = 'C'.repeat(40);
const day = 86_400_000;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

function peer(p: Partial<PeerState>): PeerState {
  return {
    lastSeen: at(0),
    autocryptTimestamp: at(0),
    fingerprint: A,
    preferEncrypt: 'nopreference',
    gossipTimestamp: null,
    gossipFingerprint: null,
    ...p,
  };
}
const autocryptKey = { fingerprint: A, sources: ['autocrypt'] as const, verified: false };

test('preliminary: no key disables; a key from elsewhere is available; a fresh Autocrypt key is available, one 35 days behind is discouraged; gossip alone is discouraged', () => {
  assert.equal(preliminaryRecommendation(null, peer({})), 'disable');
  assert.equal(preliminaryRecommendation({ fingerprint: A, sources: ['wkd'], verified: false }, null), 'available');
  assert.equal(preliminaryRecommendation({ fingerprint: A, sources: ['autocrypt', 'file'], verified: false }, null), 'available');
  assert.equal(preliminaryRecommendation(autocryptKey, peer({})), 'available');
  assert.equal(preliminaryRecommendation(autocryptKey, peer({ lastSeen: at(STALE_AFTER_MS) })), 'available', 'exactly 35 days: not yet');
  assert.equal(preliminaryRecommendation(autocryptKey, peer({ lastSeen: at(STALE_AFTER_MS + day) })), 'discourage');
  assert.equal(
    preliminaryRecommendation({ ...autocryptKey, verified: true }, peer({ lastSeen: at(STALE_AFTER_MS + day) })),
    'available',
    'a key the user verified is not Autocrypt’s to judge',
  );
  const gossipOnly = peer({ fingerprint: null, autocryptTimestamp: null, gossipFingerprint: G, gossipTimestamp: at(0) });
  assert.equal(preliminaryRecommendation({ fingerprint: G, sources: ['gossip'], verified: false }, gossipOnly), 'discourage');
});

test('final: a reply to encrypted mail encrypts whenever there is a key; mutual on both sides encrypts an available key; nothing encrypts a disabled one', () => {
  const none = { replyToEncrypted: false, peerMutual: false, ownMutual: false };
  assert.equal(finalRecommendation('available', none), 'available');
  assert.equal(finalRecommendation('available', { ...none, peerMutual: true }), 'available', 'only one side is mutual');
  assert.equal(finalRecommendation('available', { ...none, peerMutual: true, ownMutual: true }), 'encrypt');
  assert.equal(finalRecommendation('discourage', { ...none, peerMutual: true, ownMutual: true }), 'discourage');
  assert.equal(finalRecommendation('discourage', { ...none, replyToEncrypted: true }), 'encrypt');
  assert.equal(finalRecommendation('disable', { replyToEncrypted: true, peerMutual: true, ownMutual: true }), 'disable');
});

test('several recipients: disable wins, then discourage; encrypt only when every one is', () => {
  assert.equal(combinedRecommendation([]), 'disable');
  assert.equal(combinedRecommendation(['encrypt', 'encrypt']), 'encrypt');
  assert.equal(combinedRecommendation(['encrypt', 'available']), 'available');
  assert.equal(combinedRecommendation(['encrypt', 'discourage', 'available']), 'discourage');
  assert.equal(combinedRecommendation(['encrypt', 'discourage', 'disable']), 'disable');
  const rec = fc.constantFrom(...Recommendation.options);
  fc.assert(
    fc.property(fc.array(rec, { minLength: 1, maxLength: 8 }), (each) => {
      const all = combinedRecommendation(each);
      // The order of the recipients never matters, and one recipient alone is its own recommendation.
      assert.equal(combinedRecommendation([...each].reverse()), all);
      if (each.length === 1) assert.equal(all, each[0]);
      if (all === 'encrypt') assert.ok(each.every((r) => r === 'encrypt'));
    }),
  );
});
