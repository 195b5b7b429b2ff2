import type { KeySummary, Trust } from '../../../app/keys.ts';

/** Groups of four hex digits, as people compare fingerprints aloud. */
export function groupFingerprint(fingerprint: string): string {
  return fingerprint.replace(/(.{4})(?=.)/g, '$1 ');
}

/** The user id shown first: the first one, or the key id when a key has none. */
export function primaryUserId(key: Pick<KeySummary, 'userIds' | 'keyId'>): string {
  return key.userIds[0] ?? `Key ${key.keyId}`;
}

export function capabilityText(key: Pick<KeySummary, 'canSign' | 'canEncrypt'>): string {
  if (key.canSign && key.canEncrypt) return 'Signs and encrypts';
  if (key.canSign) return 'Signs only';
  if (key.canEncrypt) return 'Encrypts only';
  return 'Can neither sign nor encrypt';
}

/** ISO dates (2026-01-31): unambiguous in every locale. */
function day(iso: string): string {
  return iso.slice(0, 10);
}

export function expiryText(key: Pick<KeySummary, 'expires' | 'revoked'>, now: number = Date.now()): string {
  if (key.revoked) return 'Revoked';
  if (!key.expires) return 'Does not expire';
  return Date.parse(key.expires) <= now ? `Expired on ${day(key.expires)}` : `Expires on ${day(key.expires)}`;
}

/** Whether a key can be used now (not revoked, not expired). */
export function isUsable(key: Pick<KeySummary, 'expires' | 'revoked'>, now: number = Date.now()): boolean {
  return !key.revoked && (!key.expires || Date.parse(key.expires) > now);
}

export function kindText(key: Pick<KeySummary, 'hasSecret'>): string {
  return key.hasSecret ? 'Your key (secret and public)' : 'Public key';
}

export const TRUST_LEVELS: readonly { value: Trust; label: string }[] = [
  { value: 'unverified', label: 'Not verified' },
  { value: 'verified', label: 'Verified' },
  { value: 'rejected', label: 'Rejected' },
];

export function trustText(trust: Trust): string {
  return TRUST_LEVELS.find((t) => t.value === trust)?.label ?? trust;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
