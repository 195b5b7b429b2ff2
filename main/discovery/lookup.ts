/**
 * Key discovery for one address, in this order: the keys the keyring holds
 * for it, its Autocrypt state (keys learned from Autocrypt headers and
 * gossip), the Web Key Directory of its domain, then each VKS keyserver and
 * each HKP keyserver given. The network sources are asked at the same time;
 * each source answers for itself: one failing is reported for that source
 * and does not stop the others. Where sources name different keys for the
 * address, every one is reported with where it came from (`disagreement`).
 *
 * What the network serves is untrusted. It is read within limits
 * (./http.ts), summarized by the keyring (`keys.inspect`: nothing is stored,
 * and the OpenPGP parsing happens there, not here), and only keys with a
 * user id that carries the address are kept. Nothing is imported unless
 * asked (`importFound`).
 */
import { domainToASCII } from 'node:url';
import { isSealpostError, SealpostError, type ErrorCode } from '../../app/errors.ts';
import { KeySummary } from '../../app/keys.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, defaultFetcher, NetworkError, type Fetcher, type HttpLimits } from './http.ts';
import { hkpFetch } from './hkp.ts';
import { DEFAULT_KEYSERVER, parseKeyserver, vksFetch, type Keyserver, type KeyserverAnswer } from './keyserver.ts';
import { wkdFetch } from './wkd.ts';

/** Where a result came from. */
export type LookupSource = 'keyring' | 'autocrypt' | 'wkd' | 'vks' | 'hkp';
/** What a lookup may ask: `keyservers` is every keyserver given (each answering as `vks` or `hkp`). */
export type LookupStep = 'keyring' | 'autocrypt' | 'wkd' | 'keyservers';
export const LOOKUP_STEPS: readonly LookupStep[] = ['keyring', 'autocrypt', 'wkd', 'keyservers'];
type NetworkSource = 'wkd' | 'vks' | 'hkp';
const NETWORK_SOURCES: ReadonlySet<LookupSource> = new Set(['wkd', 'vks', 'hkp']);

export interface LookupResult {
  source: LookupSource;
  /** The keyserver asked, as named (`vks`, `hkp`). */
  keyserver?: string;
  /** Where the source was asked (network sources). */
  url?: string;
  /** The keys found whose user ids carry the address. */
  keys: KeySummary[];
  /** How many keys the answer also held that were dropped (no user id with the address, or secret key material). */
  dropped?: number;
  error?: { code: ErrorCode; message: string };
}

export interface LookupOptions {
  keyring: KeyringCalls;
  /** The transport; default: the global fetch. */
  fetcher?: Fetcher;
  /** Keyservers, https:// (VKS) or hkps:// (HKP), asked in this order; default https://keys.openpgp.org. */
  keyservers?: readonly string[];
  /** Which steps to take (always in the pipeline's order); default all. */
  sources?: readonly LookupStep[];
  /** Per request (a WKD lookup may make two); default 10 s. */
  timeoutMs?: number;
  /** Largest answer accepted; default 1 MiB. */
  maxBytes?: number;
}

export interface MailAddress {
  /** LOCAL@DOMAIN with the domain in lower-case ASCII (punycode). */
  address: string;
  localPart: string;
  domain: string;
}

/** An email address as a lookup takes it. Throws a usage error for anything else. */
export function parseAddress(input: string): MailAddress {
  const bad = (why: string) => new SealpostError('usage', `"${input.slice(0, 100)}" is not an email address (${why})`);
  const text = input.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) throw bad('expected LOCAL@DOMAIN');
  const localPart = text.slice(0, at);
  if (localPart.length > 64) throw bad('the part before @ is longer than 64 characters');
  if (/[\s<>@",;:\\()[\]\u0000-\u001f\u007f]/.test(localPart)) throw bad('the part before @ has characters an address cannot have');
  const domain = domainToASCII(text.slice(at + 1));
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  if (!domain || domain.length > 253 || !new RegExp(`^${label}(?:\\.${label})+$`).test(domain) || /\.\d+$/.test(domain)) {
    throw bad('the domain is not a host name');
  }
  return { address: `${localPart}@${domain}`, localPart, domain };
}

const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/**
 * Whether an email of a user id is the address. The domain is compared
 * without regard to case (and in its ASCII form); the local part without
 * regard to ASCII case as well, as the Web Key Directory hashes it (a
 * directory cannot tell Joe.Doe from joe.doe), GnuPG filters it, and
 * Autocrypt compares addresses.
 */
export function addressMatches(email: string, address: MailAddress): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  return domainToASCII(email.slice(at + 1)) === address.domain && asciiLower(email.slice(0, at)) === asciiLower(address.localPart);
}

/** The bytes each network result's keys came in, for `importFound`; kept out of the result so that it stays plain JSON. */
const MATERIAL = new WeakMap<LookupResult, { data: Uint8Array; source: NetworkSource }>();

export function describeError(e: unknown): { code: ErrorCode; message: string } {
  if (isSealpostError(e)) return { code: e.code, message: e.message };
  return { code: 'internal', message: 'internal error' };
}

/** The keys of some fetched material that may stand for the address: public, with a user id that carries it. */
export async function keysFor(
  data: Uint8Array,
  source: NetworkSource,
  keyring: KeyringCalls,
  keep: (k: KeySummary) => boolean,
): Promise<{ keys: KeySummary[]; dropped: number }> {
  const inspected = await keyring.call('keys.inspect', { data, source });
  // A secret key has no business on a key directory; taking it would make it look like one's own.
  const keys = inspected.keys.filter((k) => !k.hasSecret && keep(k));
  return { keys, dropped: inspected.keys.length - keys.length };
}

async function fromNetwork(
  source: NetworkSource,
  fetchIt: () => Promise<KeyserverAnswer>,
  address: MailAddress,
  keyring: KeyringCalls,
  keyserver?: string,
): Promise<LookupResult> {
  let url: string | undefined;
  const at = keyserver ? { keyserver } : {};
  try {
    const got = await fetchIt();
    url = got.url;
    if (!got.data) return { source, ...at, url, keys: [] };
    const { keys, dropped } = await keysFor(got.data, source, keyring, (k) => k.emails.some((e) => addressMatches(e, address)));
    const result: LookupResult = { source, ...at, url, keys, ...(dropped > 0 ? { dropped } : {}) };
    if (keys.length > 0) MATERIAL.set(result, { data: got.data, source });
    return result;
  } catch (e) {
    url ??= e instanceof NetworkError ? e.url : undefined;
    return { source, ...at, ...(url ? { url } : {}), keys: [], error: describeError(e) };
  }
}

const AUTOCRYPT_SOURCES = new Set(['autocrypt', 'gossip']);

/**
 * The keyring's keys for the address, from one `keys.addressState` answer
 * (the keys with a valid user id that carries it): `autocrypt` those learned
 * from Autocrypt headers or gossip, `keyring` those it holds otherwise.
 */
async function fromKeyring(
  steps: ReadonlyArray<'keyring' | 'autocrypt'>,
  address: MailAddress,
  keyring: KeyringCalls,
): Promise<LookupResult[]> {
  try {
    const state = await keyring.call('keys.addressState', { address: address.address });
    const keys = state.keys.map((k) => KeySummary.parse(k));
    return steps.map((which) => ({
      source: which,
      keys: keys.filter((k) =>
        which === 'autocrypt' ? k.sources.some((s) => AUTOCRYPT_SOURCES.has(s)) : k.sources.some((s) => !AUTOCRYPT_SOURCES.has(s)),
      ),
    }));
  } catch (e) {
    return steps.map((which) => ({ source: which, keys: [], error: describeError(e) }));
  }
}

export function httpLimits(options: { fetcher?: Fetcher; timeoutMs?: number; maxBytes?: number }): HttpLimits {
  return {
    fetcher: options.fetcher ?? defaultFetcher,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
  };
}

/** The keyservers of the options, parsed (VKS ones before HKP ones, each kind in the order given). Throws a usage error. */
export function keyserversOf(given: readonly string[] | undefined): Keyserver[] {
  const all = (given && given.length > 0 ? given : [DEFAULT_KEYSERVER]).map(parseKeyserver);
  const unique = all.filter((k, i) => all.findIndex((o) => o.kind === k.kind && o.base === k.base) === i);
  return [...unique.filter((k) => k.kind === 'vks'), ...unique.filter((k) => k.kind === 'hkp')];
}

/**
 * Ask the sources for the keys of an address. Throws only a usage error (a
 * malformed address or keyserver URL); each source's failure is in its result.
 */
export async function lookupKeys(address: string | MailAddress, options: LookupOptions): Promise<LookupResult[]> {
  const addr = typeof address === 'string' ? parseAddress(address) : address;
  const keyservers = keyserversOf(options.keyservers);
  const limits = httpLimits(options);
  const steps = LOOKUP_STEPS.filter((s) => (options.sources ?? LOOKUP_STEPS).includes(s));
  const local = steps.filter((s): s is 'keyring' | 'autocrypt' => s === 'keyring' || s === 'autocrypt');
  const asks: Array<Promise<LookupResult[] | LookupResult>> = local.length > 0 ? [fromKeyring(local, addr, options.keyring)] : [];
  for (const step of steps) {
    switch (step) {
      case 'keyring':
      case 'autocrypt':
        break;
      case 'wkd':
        asks.push(fromNetwork('wkd', () => wkdFetch(addr.localPart, addr.domain, limits), addr, options.keyring));
        break;
      case 'keyservers':
        for (const server of keyservers) {
          const fetchIt =
            server.kind === 'vks' ? () => vksFetch(addr.address, server.base, limits) : () => hkpFetch(addr.address, server.base, limits);
          asks.push(fromNetwork(server.kind, fetchIt, addr, options.keyring, server.name));
        }
        break;
    }
  }
  return (await Promise.all(asks)).flat();
}

/** True when every network source asked failed because its server could not be reached (offline). */
export function allNetworkUnreachable(results: readonly LookupResult[]): boolean {
  const network = results.filter((r) => NETWORK_SOURCES.has(r.source));
  return network.length > 0 && network.every((r) => r.error?.code === 'network-unavailable' || r.error?.code === 'network-timeout');
}

/** Where the sources that found keys do not name the same ones: every key found, with the sources (and keyservers) that named it; null when they agree. */
export function disagreement(results: readonly LookupResult[]): Array<{ fingerprint: string; from: string[] }> | null {
  const found = results.filter((r) => r.keys.length > 0);
  const sets = found.map((r) => [...new Set(r.keys.map((k) => k.fingerprint))].sort().join(' '));
  if (new Set(sets).size <= 1) return null;
  const byKey = new Map<string, string[]>();
  for (const r of found) {
    for (const k of r.keys) {
      const from = byKey.get(k.fingerprint) ?? [];
      const name = r.keyserver ? `${r.source} ${r.keyserver}` : r.source;
      if (!from.includes(name)) from.push(name);
      byKey.set(k.fingerprint, from);
    }
  }
  return [...byKey].map(([fingerprint, from]) => ({ fingerprint, from }));
}

export interface ImportReport {
  /** The result (its index in the lookup's results) the keys came from. */
  index: number;
  source: NetworkSource;
  /** Keys added or updated in the keyring. */
  changed: KeySummary[];
  /** Why nothing was imported from this source, when something was found. */
  error?: { code: ErrorCode; message: string };
}

/**
 * Import what network sources found, each with its source. An answer that
 * also held dropped keys is not imported: the keyring imports key material
 * whole, and this process does not take OpenPGP data apart.
 */
export async function importFound(keyring: KeyringCalls, results: readonly LookupResult[]): Promise<ImportReport[]> {
  const reports: ImportReport[] = [];
  for (const [index, result] of results.entries()) {
    const material = MATERIAL.get(result);
    if (!material) continue;
    if (result.dropped) {
      reports.push({
        index,
        source: material.source,
        changed: [],
        error: describeError(
          new SealpostError('bad-input', `not imported: the answer also holds ${result.dropped} key(s) that were dropped`),
        ),
      });
      continue;
    }
    try {
      const outcome = await keyring.call('keys.import', { data: material.data, source: material.source });
      reports.push({ index, source: material.source, changed: outcome.changed });
    } catch (e) {
      reports.push({ index, source: material.source, changed: [], error: describeError(e) });
    }
  }
  return reports;
}
