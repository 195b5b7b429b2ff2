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

/** Groups of four for a fingerprint, as a list (for a layout that wraps between groups, never inside one). */
export function fingerprintGroups(fingerprint: string): string[] {
  return (
    fingerprint
      .toUpperCase()
      .replace(/[^0-9A-F]/g, '')
      .match(/.{1,4}/g) ?? []
  );
}

export function sizeText(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(1)} GB`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A list's date column: the time today, the day this year, the full date before. */
export function listDateText(epochMs: number | null, now: number = Date.now()): string {
  if (epochMs === null) return '';
  const d = new Date(epochMs);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const month = d.toLocaleString('en', { month: 'short' });
  if (d.getFullYear() === today.getFullYear()) return `${d.getDate()} ${month}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A full date and time for the reader: ISO-like, unambiguous in every locale. */
export function fullDateText(date: string | number | null): string {
  if (date === null) return '';
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) return String(date);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export interface NamedAddress {
  name: string;
  address: string;
}

/** "Name <address>", or the address alone. */
export function addressText(a: NamedAddress | null): string {
  if (!a) return '';
  return a.name && a.name !== a.address ? `${a.name} <${a.address}>` : a.address;
}

/** The name when there is one, else the address: for the list's sender column. */
export function shortAddressText(a: NamedAddress | null): string {
  if (!a) return '(no sender)';
  return a.name || a.address;
}

/** The name and address parts of a user id ("Alice <a@b>"). */
export function splitUserId(userId: string): { name: string; address: string } {
  const m = /^(.*?)\s*<([^<>]+)>\s*$/.exec(userId);
  if (m) return { name: m[1]!.trim(), address: m[2]!.trim() };
  return /@/.test(userId) ? { name: '', address: userId.trim() } : { name: userId.trim(), address: '' };
}

/** Same address: case, NFC and IDN spelling aside (app/address.ts, as main compares them). */
export { normalizeAddress, sameAddress } from '../../../app/address.ts';
