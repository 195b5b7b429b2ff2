/**
 * Web Key Directory lookup (draft-koch-openpgp-webkey-service, section 3.1).
 *
 * The local part, with upper-case ASCII letters mapped to lower case, is
 * hashed with SHA-1 and the 160-bit digest encoded in z-base-32 (32
 * characters). The advanced method asks `openpgpkey.DOMAIN`; the direct
 * method asks DOMAIN itself, and is used only when the advanced host does
 * not answer at all (it does not resolve, refuses the connection, presents
 * no acceptable certificate, or times out). Once the advanced host answers
 * HTTP, its answer stands, a 404 included. The direct method is as strictly
 * checked (TLS for DOMAIN), so falling back weakens nothing.
 */
import { createHash } from 'node:crypto';
import { httpsGet, isNothingThere, statusError, NetworkError, type HttpAnswer, type HttpLimits } from './http.ts';

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** z-base-32 (Zooko's human-oriented base 32), most significant bit first, no padding. */
export function zbase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ZBASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ZBASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** The WKD hash of a local part: z-base-32 of SHA-1 of the local part with ASCII upper case mapped to lower case. */
export function wkdHash(localPart: string): string {
  const mapped = localPart.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return zbase32(createHash('sha1').update(mapped, 'utf8').digest());
}

/** The two URLs for an address; `domain` in its ASCII (punycode) form, lower case. */
export function wkdUrls(localPart: string, domain: string): { advanced: string; direct: string } {
  const hu = `hu/${wkdHash(localPart)}?l=${encodeURIComponent(localPart)}`;
  return {
    advanced: new URL(`https://openpgpkey.${domain}/.well-known/openpgpkey/${domain}/${hu}`).href,
    direct: new URL(`https://${domain}/.well-known/openpgpkey/${hu}`).href,
  };
}

export interface WkdAnswer {
  /** The URL that answered. */
  url: string;
  /** The key material served, or null when the directory has nothing for the address (404). */
  data: Uint8Array | null;
}

function answer(a: { url: string; status: number; body: Uint8Array | null }): WkdAnswer {
  if (a.status === 200) return { url: a.url, data: a.body };
  if (isNothingThere(a.status)) return { url: a.url, data: null };
  throw statusError(a);
}

/** Fetch what the Web Key Directory of the address's domain serves for it. Throws `NetworkError`. */
export async function wkdFetch(localPart: string, domain: string, limits: HttpLimits): Promise<WkdAnswer> {
  const urls = wkdUrls(localPart, domain);
  const accept = 'application/octet-stream, application/pgp-keys;q=0.9, */*;q=0.1';
  let advanced: HttpAnswer;
  try {
    advanced = await httpsGet(urls.advanced, limits, accept);
  } catch (e) {
    // Only "no answer from openpgpkey.DOMAIN" falls back; an answer that came (too large, slow,
    // a redirect elsewhere that then failed) is the directory's answer.
    if (!(e instanceof NetworkError) || e.answered || e.url !== urls.advanced) throw e;
    return directAfter(e, urls.direct, limits, accept);
  }
  // The advanced host answered: its answer stands, whatever the status.
  return answer(advanced);
}

async function directAfter(advancedFailure: NetworkError, direct: string, limits: HttpLimits, accept: string): Promise<WkdAnswer> {
  try {
    return answer(await httpsGet(direct, limits, accept));
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    throw new NetworkError(
      e.code,
      `direct method: ${e.detail ?? e.message}; advanced method: ${advancedFailure.detail ?? advancedFailure.message}`,
      e.url,
    );
  }
}
