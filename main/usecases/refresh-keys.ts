/**
 * Refreshing correspondents' keys from where they came from, so that a
 * revocation, a new expiry, new subkeys or user ids reach the keyring: a key
 * learned from a Web Key Directory is asked of the directories of its
 * addresses' domains, one from a VKS keyserver of the VKS servers by
 * fingerprint (`/vks/v1/by-fingerprint/`), one from an HKP keyserver of the
 * HKP servers (`search=0xFPR`). What comes back is merged by the keyring
 * (`keys.import`), which keeps what it had and adds revocations, subkeys,
 * expiry and user ids; nothing is ever taken away by a refresh.
 *
 * Keys are refreshed one at a time (not all at once: a keyserver sees one
 * request after the other, and a slow one holds up nobody else's key for
 * long). A key refreshed less than 24 hours ago is passed over unless it was
 * named. Only an answer that holds nothing but keys already in the keyring
 * (public ones) is merged: a refresh does not bring in new keys.
 */
import { SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { KeySource, KeySummary } from '../../app/keys.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import type { Fetcher, HttpLimits } from '../discovery/http.ts';
import { hkpFetch } from '../discovery/hkp.ts';
import { DEFAULT_KEYSERVER, vksFetchFingerprint, type Keyserver, type KeyserverAnswer } from '../discovery/keyserver.ts';
import { addressMatches, describeError, httpLimits, keyserversOf, parseAddress } from '../discovery/lookup.ts';
import { wkdFetch } from '../discovery/wkd.ts';

export const REFRESH_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Where a key that came from an HKP keyserver is refreshed when no HKP keyserver is given (keys.openpgp.org also speaks HKP). */
export const DEFAULT_HKP_KEYSERVER = 'hkps://keys.openpgp.org';

export type RefreshChange = 'revoked' | 'expiry' | 'subkeys' | 'user-ids';
export type RefreshSource = 'wkd' | 'vks' | 'hkp';

export interface RefreshReport {
  fingerprint: string;
  source: RefreshSource;
  /** The server asked (a WKD host, a keyserver's name). */
  server?: string;
  changes: RefreshChange[];
  error?: { code: ErrorCode; message: string };
}

export interface RefreshOptions {
  keyring: KeyringCalls;
  /** Fingerprints or addresses; none: every public key with an address that came from a network source. */
  named?: readonly string[];
  /** Keyservers (https:// VKS, hkps:// HKP); default https://keys.openpgp.org and, for keys from HKP, hkps://keys.openpgp.org. */
  keyservers?: readonly string[];
  fetcher?: Fetcher;
  timeoutMs?: number;
  maxBytes?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** The network sources a key's recorded sources name; `keyserver` (before VKS and HKP were told apart) is VKS. */
export function refreshSources(sources: readonly KeySource[]): RefreshSource[] {
  const out: RefreshSource[] = [];
  if (sources.includes('wkd')) out.push('wkd');
  if (sources.includes('vks') || sources.includes('keyserver')) out.push('vks');
  if (sources.includes('hkp')) out.push('hkp');
  return out;
}

/** What differs between a key's summary before and after a merge. */
export function changesBetween(before: KeySummary, after: KeySummary): RefreshChange[] {
  const changes: RefreshChange[] = [];
  if (!before.revoked && after.revoked) changes.push('revoked');
  if (before.expires !== after.expires) changes.push('expiry');
  const subkeys = (k: KeySummary) =>
    (k.subkeys ?? [])
      .map((s) => `${s.fingerprint}:${s.revoked}:${s.expires ?? ''}`)
      .sort()
      .join(' ');
  if (subkeys(before) !== subkeys(after)) changes.push('subkeys');
  const uids = (k: KeySummary) => [...k.userIds].sort().join('\n');
  if (uids(before) !== uids(after)) changes.push('user-ids');
  return changes;
}

interface Target {
  key: KeySummary;
  named: boolean;
}

async function targets(keyring: KeyringCalls, named: readonly string[], all: readonly KeySummary[]): Promise<Target[]> {
  if (named.length === 0) return all.filter((k) => !k.hasSecret && k.emails.length > 0).map((key) => ({ key, named: false }));
  const out = new Map<string, Target>();
  for (const name of named) {
    if (name.includes('@')) {
      const address = parseAddress(name);
      const keys = all.filter((k) => k.emails.some((e) => addressMatches(e, address)));
      if (keys.length === 0) throw new SealpostError('key-not-found', name, { query: name.slice(0, 1000) });
      for (const key of keys) out.set(key.fingerprint, { key, named: true });
    } else {
      const key = await keyring.call('keys.show', { query: name });
      out.set(key.fingerprint, { key, named: true });
    }
  }
  return [...out.values()];
}

interface Ask {
  source: RefreshSource;
  server: string;
  fetch: () => Promise<KeyserverAnswer>;
}

function asksFor(key: KeySummary, source: RefreshSource, servers: { vks: Keyserver[]; hkp: Keyserver[] }, limits: HttpLimits): Ask[] {
  switch (source) {
    case 'wkd': {
      const asks: Ask[] = [];
      for (const email of new Set(key.emails.map((e) => e.toLowerCase()))) {
        let address;
        try {
          address = parseAddress(email);
        } catch {
          continue;
        }
        const a = address;
        asks.push({ source, server: `openpgpkey.${a.domain}`, fetch: () => wkdFetch(a.localPart, a.domain, limits) });
      }
      return asks;
    }
    case 'vks':
      return servers.vks.map((s) => ({ source, server: s.name, fetch: () => vksFetchFingerprint(key.fingerprint, s.base, limits) }));
    case 'hkp':
      return servers.hkp.map((s) => ({ source, server: s.name, fetch: () => hkpFetch(`0x${key.fingerprint}`, s.base, limits) }));
  }
}

/** Fetch one source's answer for the key and merge it; the changes it made. Throws the source's or the keyring's error. */
async function refreshFrom(keyring: KeyringCalls, fingerprint: string, ask: Ask, known: ReadonlySet<string>): Promise<RefreshChange[]> {
  const got = await ask.fetch();
  if (!got.data) return [];
  const inspected = await keyring.call('keys.inspect', { data: got.data, source: ask.source });
  if (!inspected.keys.some((k) => k.fingerprint === fingerprint)) return [];
  const strangers = inspected.keys.filter((k) => k.hasSecret || !known.has(k.fingerprint));
  if (strangers.length > 0)
    throw new SealpostError('bad-input', `not merged: the answer also holds ${strangers.length} key(s) that are not in the keyring`);
  const before = await keyring.call('keys.show', { query: fingerprint });
  await keyring.call('keys.import', { data: got.data, source: ask.source });
  return changesBetween(before, await keyring.call('keys.show', { query: fingerprint }));
}

/**
 * Refresh the keys (named, or all in use that are due), one after the other.
 * Throws only for a name that matches no key or a malformed keyserver URL;
 * each source's failure is in its report.
 */
export async function refreshKeys(options: RefreshOptions): Promise<RefreshReport[]> {
  const { keyring } = options;
  const now = options.now ?? (() => new Date());
  const given = keyserversOf(options.keyservers ?? [DEFAULT_KEYSERVER]);
  const servers = {
    vks: given.filter((s) => s.kind === 'vks'),
    hkp: given.some((s) => s.kind === 'hkp') ? given.filter((s) => s.kind === 'hkp') : keyserversOf([DEFAULT_HKP_KEYSERVER]),
  };
  if (servers.vks.length === 0) servers.vks = keyserversOf([DEFAULT_KEYSERVER]);
  const limits = httpLimits(options);
  // A refresh adds no key, so the keyring's fingerprints are read once.
  const all = await keyring.call('keys.list', { secret: false });
  const known = new Set(all.map((k) => k.fingerprint));
  const list = await targets(keyring, options.named ?? [], all);
  const times = await keyring.call('keys.refreshTimes', {});
  const reports: RefreshReport[] = [];
  for (const { key, named } of list) {
    const last = times[key.fingerprint];
    if (!named && last !== undefined && now().getTime() - Date.parse(last) < REFRESH_INTERVAL_MS) continue;
    const asks = refreshSources(key.sources).flatMap((source) => asksFor(key, source, servers, limits));
    if (asks.length === 0) continue;
    let answered = false;
    for (const ask of asks) {
      try {
        const changes = await refreshFrom(keyring, key.fingerprint, ask, known);
        answered = true;
        reports.push({ fingerprint: key.fingerprint, source: ask.source, server: ask.server, changes });
      } catch (e) {
        reports.push({ fingerprint: key.fingerprint, source: ask.source, server: ask.server, changes: [], error: describeError(e) });
      }
    }
    // A key whose every source was out of reach is tried again at the next refresh, not a day later.
    if (answered) await keyring.call('keys.markRefreshed', { fingerprints: [key.fingerprint], at: now().toISOString() });
  }
  return reports;
}
