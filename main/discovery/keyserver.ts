/**
 * A Verifying Key Server (the VKS interface of Hagrid, keys.openpgp.org):
 * `GET /vks/v1/by-email/ADDRESS`. Such a server publishes an address only
 * after its owner confirmed it, and serves only the user ids so confirmed.
 * 404 means it has nothing for the address.
 */
import { SealpostError } from '../../app/errors.ts';
import { httpsGet, isNothingThere, statusError, type HttpLimits } from './http.ts';

export const DEFAULT_KEYSERVER = 'https://keys.openpgp.org';

/**
 * The keyserver's base URL from what a user typed: https (hkps:// is taken
 * as https://), no credentials, query or fragment. Throws a usage error.
 */
export function keyserverBase(input: string): string {
  let url: URL;
  try {
    url = new URL(input.replace(/^hkps:\/\//i, 'https://'));
  } catch {
    throw new SealpostError('usage', `"${input}" is not a keyserver URL (https://HOST)`);
  }
  if (url.protocol !== 'https:') throw new SealpostError('usage', `the keyserver must be an https:// URL, not ${url.protocol}`);
  if (url.username || url.password || url.search || url.hash) {
    throw new SealpostError('usage', 'the keyserver URL takes no user name, password, query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

export function vksUrl(base: string, address: string): string {
  return new URL(`${base}/vks/v1/by-email/${encodeURIComponent(address)}`).href;
}

export interface KeyserverAnswer {
  url: string;
  /** The key material served, or null when the keyserver has nothing (404). */
  data: Uint8Array | null;
}

/** Ask a VKS keyserver for the keys of an address. Throws `NetworkError`. */
export async function vksFetch(address: string, base: string, limits: HttpLimits): Promise<KeyserverAnswer> {
  const a = await httpsGet(vksUrl(base, address), limits, 'application/pgp-keys, */*;q=0.1');
  if (a.status === 200) return { url: a.url, data: a.body };
  if (isNothingThere(a.status)) return { url: a.url, data: null };
  throw statusError(a);
}
