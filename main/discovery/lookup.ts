/**
 * Key discovery for one address: the Web Key Directory of its domain and a
 * keyserver (asked at the same time), and the Autocrypt state the keyring
 * keeps. Each source answers for itself: one failing is reported for that
 * source and does not stop the others.
 *
 * What the network serves is untrusted. It is read within limits
 * (./http.ts), summarized by the keyring (`keys.inspect`: nothing is stored,
 * and the OpenPGP parsing happens there, not here), and only keys with a
 * user id that carries the address are kept. Nothing is imported unless
 * asked (`importFound`).
 */
import { domainToASCII } from 'node:url';
import { isSealpostError, SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { KeySummary } from '../../app/keys.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, defaultFetcher, NetworkError, type Fetcher, type HttpLimits } from './http.ts';
import { DEFAULT_KEYSERVER, keyserverBase, vksFetch } from './keyserver.ts';
import { wkdFetch } from './wkd.ts';

export type LookupSource = 'wkd' | 'keyserver' | 'autocrypt';
export const LOOKUP_SOURCES: readonly LookupSource[] = ['wkd', 'keyserver', 'autocrypt'];

export interface LookupResult {
  source: LookupSource;
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
  /** Base URL of a VKS keyserver; default https://keys.openpgp.org. */
  keyserver?: string;
  /** Which sources to ask, in this order; default all three. */
  sources?: readonly LookupSource[];
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
const MATERIAL = new WeakMap<LookupResult, { data: Uint8Array; source: 'wkd' | 'keyserver' }>();

function describe(e: unknown): { code: ErrorCode; message: string } {
  if (isSealpostError(e)) return { code: e.code, message: e.message };
  return { code: 'internal', message: 'internal error' };
}

async function fromNetwork(
  source: 'wkd' | 'keyserver',
  fetchIt: () => Promise<{ url: string; data: Uint8Array | null }>,
  address: MailAddress,
  keyring: KeyringCalls,
): Promise<LookupResult> {
  let url: string | undefined;
  try {
    const got = await fetchIt();
    url = got.url;
    if (!got.data) return { source, url, keys: [] };
    const inspected = await keyring.call('keys.inspect', { data: got.data, source });
    // A secret key has no business on a key directory; taking it would make it look like one's own.
    const keys = inspected.keys.filter((k) => !k.hasSecret && k.emails.some((e) => addressMatches(e, address)));
    const dropped = inspected.keys.length - keys.length;
    const result: LookupResult = { source, url, keys, ...(dropped > 0 ? { dropped } : {}) };
    if (keys.length > 0) MATERIAL.set(result, { data: got.data, source });
    return result;
  } catch (e) {
    url ??= e instanceof NetworkError ? e.url : undefined;
    return { source, ...(url ? { url } : {}), keys: [], error: describe(e) };
  }
}

async function fromAutocrypt(address: MailAddress, keyring: KeyringCalls): Promise<LookupResult> {
  try {
    const all = await keyring.call('keys.list', { secret: false });
    const keys = all.filter((k) => k.sources.includes('autocrypt') && k.emails.some((e) => addressMatches(e, address)));
    return { source: 'autocrypt', keys };
  } catch (e) {
    return { source: 'autocrypt', keys: [], error: describe(e) };
  }
}

/**
 * Ask the sources for the keys of an address. Throws only a usage error (a
 * malformed address or keyserver URL); each source's failure is in its result.
 */
export async function lookupKeys(address: string | MailAddress, options: LookupOptions): Promise<LookupResult[]> {
  const addr = typeof address === 'string' ? parseAddress(address) : address;
  const keyserver = keyserverBase(options.keyserver ?? DEFAULT_KEYSERVER);
  const limits: HttpLimits = {
    fetcher: options.fetcher ?? defaultFetcher,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
  };
  const sources = [...new Set(options.sources ?? LOOKUP_SOURCES)];
  return Promise.all(
    sources.map((source) => {
      switch (source) {
        case 'wkd':
          return fromNetwork('wkd', () => wkdFetch(addr.localPart, addr.domain, limits), addr, options.keyring);
        case 'keyserver':
          return fromNetwork('keyserver', () => vksFetch(addr.address, keyserver, limits), addr, options.keyring);
        case 'autocrypt':
          return fromAutocrypt(addr, options.keyring);
      }
    }),
  );
}

/** True when every network source asked failed because its server could not be reached (offline). */
export function allNetworkUnreachable(results: readonly LookupResult[]): boolean {
  const network = results.filter((r) => r.source !== 'autocrypt');
  return network.length > 0 && network.every((r) => r.error?.code === 'network-unavailable' || r.error?.code === 'network-timeout');
}

export interface ImportReport {
  source: 'wkd' | 'keyserver';
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
  for (const result of results) {
    const material = MATERIAL.get(result);
    if (!material) continue;
    if (result.dropped) {
      reports.push({
        source: material.source,
        changed: [],
        error: describe(new SealpostError('bad-input', `not imported: the answer also holds ${result.dropped} key(s) that were dropped`)),
      });
      continue;
    }
    try {
      const outcome = await keyring.call('keys.import', { data: material.data, source: material.source });
      reports.push({ source: material.source, changed: outcome.changed });
    } catch (e) {
      reports.push({ source: material.source, changed: [], error: describe(e) });
    }
  }
  return reports;
}
