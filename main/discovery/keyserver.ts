/**
 * Keyservers, of two kinds, told apart by the URL the user gives:
 *
 * - `https://HOST[:PORT]`: a Verifying Key Server (the VKS interface of
 *   Hagrid, keys.openpgp.org, https://keys.openpgp.org/about/api). It
 *   publishes an address only after its owner confirmed it by mail, and
 *   serves only the user ids so confirmed. 404 means it has nothing.
 * - `hkps://HOST[:PORT]`: an HKP keyserver (draft-gallagher-openpgp-hkp),
 *   over TLS, port 443 unless given (./hkp.ts).
 *
 * Both are reached through ./http.ts, with its limits.
 */
import { z } from 'zod';
import { SealpostError } from '../../app/errors.ts';
import { httpsGet, httpsPostJson, isNothingThere, NetworkError, statusError, type HttpAnswer, type HttpLimits } from './http.ts';

export const DEFAULT_KEYSERVER = 'https://keys.openpgp.org';

export interface Keyserver {
  kind: 'vks' | 'hkp';
  /** The https:// base URL requests are made under (no trailing slash). */
  base: string;
  /** As the user named it (hkps:// for HKP), for reports. */
  name: string;
}

/**
 * A keyserver from what a user typed: https:// (VKS) or hkps:// (HKP); no
 * credentials, path, query or fragment besides a bare "/". Throws a usage error.
 */
export function parseKeyserver(input: string): Keyserver {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
  if (scheme === 'hkp' || scheme === 'http')
    throw new SealpostError('usage', `the keyserver must be an https:// (VKS) or hkps:// (HKP) URL, not ${scheme}:// (unencrypted)`);
  if (scheme !== 'https' && scheme !== 'hkps')
    throw new SealpostError('usage', `"${input.slice(0, 200)}" is not a keyserver URL (https://HOST for VKS, hkps://HOST[:PORT] for HKP)`);
  let url: URL;
  try {
    // hkps is HKP over TLS on 443 by default (draft-gallagher-openpgp-hkp, section 9): the same as https.
    url = new URL(`https://${input.slice(scheme.length + 3)}`);
  } catch {
    throw new SealpostError('usage', `"${input.slice(0, 200)}" is not a keyserver URL`);
  }
  if (url.username || url.password || url.search || url.hash || input.includes('?') || input.includes('#')) {
    throw new SealpostError('usage', 'the keyserver URL takes no user name, password, query or fragment');
  }
  if (scheme === 'hkps' && url.pathname !== '/') throw new SealpostError('usage', 'an hkps:// keyserver URL takes no path');
  const base = url.href.replace(/\/+$/, '');
  const kind = scheme === 'hkps' ? 'hkp' : 'vks';
  return { kind, base, name: kind === 'hkp' ? `hkps://${url.host}` : base };
}

/** The base URL of a VKS keyserver (https:// only). Throws a usage error. */
export function keyserverBase(input: string): string {
  const server = parseKeyserver(input);
  if (server.kind !== 'vks') throw new SealpostError('usage', `${input} is an HKP keyserver; a VKS one (https://HOST) is needed here`);
  return server.base;
}

export function vksUrl(base: string, address: string): string {
  return new URL(`${base}/vks/v1/by-email/${encodeURIComponent(address)}`).href;
}

export function vksFingerprintUrl(base: string, fingerprint: string): string {
  return new URL(`${base}/vks/v1/by-fingerprint/${encodeURIComponent(fingerprint.toUpperCase())}`).href;
}

export interface KeyserverAnswer {
  url: string;
  /** The key material served, or null when the keyserver has nothing (404). */
  data: Uint8Array | null;
}

export function keysAnswer(a: HttpAnswer): KeyserverAnswer {
  if (a.status === 200) return { url: a.url, data: a.body };
  if (isNothingThere(a.status)) return { url: a.url, data: null };
  throw statusError(a);
}

const ACCEPT_KEYS = 'application/pgp-keys, */*;q=0.1';

/** Ask a VKS keyserver for the keys of an address. Throws `NetworkError`. */
export async function vksFetch(address: string, base: string, limits: HttpLimits): Promise<KeyserverAnswer> {
  return keysAnswer(await httpsGet(vksUrl(base, address), limits, ACCEPT_KEYS));
}

/** Ask a VKS keyserver for a key by its fingerprint (v4: 40 hex digits). Throws `NetworkError`. */
export async function vksFetchFingerprint(fingerprint: string, base: string, limits: HttpLimits): Promise<KeyserverAnswer> {
  return keysAnswer(await httpsGet(vksFingerprintUrl(base, fingerprint), limits, ACCEPT_KEYS));
}

/** An address's state on a VKS server (the API's `status` values). */
export const VksAddressState = z.enum(['unpublished', 'published', 'revoked', 'pending']);
export type VksAddressState = z.infer<typeof VksAddressState>;

/** The answer to `POST /vks/v1/upload` and `POST /vks/v1/request-verify`. */
export const VksUploadAnswer = z.object({
  key_fpr: z.string().regex(/^[0-9A-Fa-f]{40}$|^[0-9A-Fa-f]{64}$/),
  token: z.string().min(1).max(4096),
  status: z.record(z.string().min(1).max(320), VksAddressState),
});
export type VksUploadAnswer = z.infer<typeof VksUploadAnswer>;

const VksError = z.object({ error: z.string().max(4096) });

/**
 * What a VKS server answered to a POST, validated: a 200 answer must be the
 * upload shape; any other status is a failure of the server, with its own
 * message (`{"error": ...}`) when it gave one. Throws `NetworkError`.
 */
export function parseVksAnswer(a: HttpAnswer): VksUploadAnswer {
  const host = new URL(a.url).hostname;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(a.body ?? new Uint8Array(0)));
  } catch {
    json = undefined;
  }
  if (a.status !== 200) {
    const said = VksError.safeParse(json);
    const failure = statusError(a);
    if (!said.success) throw failure;
    // The server's words are untrusted text: one line, bounded.
    const text = said.data.error.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
    throw new NetworkError(failure.code, `${host} answered HTTP ${a.status}: ${text}`, a.url, true);
  }
  const parsed = VksUploadAnswer.safeParse(json);
  if (!parsed.success)
    throw new NetworkError('network-bad-response', `${host} answered something other than a VKS upload status`, a.url, true);
  return { ...parsed.data, key_fpr: parsed.data.key_fpr.toUpperCase() };
}

/** Upload a public key (armored) to a VKS server. Throws `NetworkError`. */
export async function vksUpload(base: string, armored: string, limits: HttpLimits): Promise<VksUploadAnswer> {
  return parseVksAnswer(await httpsPostJson(`${base}/vks/v1/upload`, limits, { keytext: armored }));
}

/** Ask a VKS server to mail a confirmation link to each address (for the upload that gave `token`). Throws `NetworkError`. */
export async function vksRequestVerify(base: string, token: string, addresses: string[], limits: HttpLimits): Promise<VksUploadAnswer> {
  return parseVksAnswer(await httpsPostJson(`${base}/vks/v1/request-verify`, limits, { token, addresses, locale: ['en'] }));
}
