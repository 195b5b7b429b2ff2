/**
 * HKP keyservers (draft-gallagher-openpgp-hkp, formerly draft-shaw-openpgp-hkp),
 * over TLS (hkps): `GET /pks/lookup?op=get&options=mr&search=...`.
 *
 * With `options=mr` (machine readable, section 3.2.1) the answer to `get` is
 * the keys, ASCII-armored, as application/pgp-keys; a server that has
 * nothing answers 404. Servers have been seen to wrap the armor in other
 * text (an HTML page without `mr`), so only what lies between armor header
 * and tail lines of public key blocks is taken; anything else in the answer
 * is ignored, and an answer without such a block is a bad answer.
 */
import { NetworkError, httpsGet, type HttpLimits } from './http.ts';
import { keysAnswer, type KeyserverAnswer } from './keyserver.ts';

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';

/** The lookup URL; `search` an address, or 0x and a fingerprint (section 3.1.1). */
export function hkpUrl(base: string, search: string): string {
  const url = new URL(`${base}/pks/lookup`);
  url.search = new URLSearchParams({ op: 'get', options: 'mr', search }).toString();
  return url.href;
}

/**
 * The armored public key blocks in an HKP `get` answer, each from its header
 * line to its tail line, joined by newlines; null when there is none. The
 * block's content is not checked here (the keyring parses it).
 */
export function armoredBlocks(body: Uint8Array): string | null {
  // latin1: one character per byte, so that the blocks go back to the same bytes.
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(BEGIN, from);
    if (start < 0) break;
    // The header line must start a line (RFC 9580, section 6.2).
    if (start > 0 && text[start - 1] !== '\n') {
      from = start + BEGIN.length;
      continue;
    }
    const end = text.indexOf(END, start + BEGIN.length);
    if (end < 0) break;
    blocks.push(text.slice(start, end + END.length));
    from = end + END.length;
  }
  return blocks.length > 0 ? `${blocks.join('\n')}\n` : null;
}

/** The keys an HKP answer carries: 404 is nothing, 200 must hold armored public key blocks. Throws `NetworkError`. */
export function parseHkpAnswer(answer: { url: string; status: number; body: Uint8Array | null }): KeyserverAnswer {
  const got = keysAnswer(answer);
  if (!got.data) return got;
  const armored = armoredBlocks(got.data);
  if (armored === null)
    throw new NetworkError('network-bad-response', `${new URL(got.url).hostname} answered without an armored public key`, got.url, true);
  return { url: got.url, data: new Uint8Array(Buffer.from(armored, 'latin1')) };
}

/** Ask an HKP keyserver for the keys of an address, or of a fingerprint (`0x` + hex). Throws `NetworkError`. */
export async function hkpFetch(search: string, base: string, limits: HttpLimits): Promise<KeyserverAnswer> {
  return parseHkpAnswer(await httpsGet(hkpUrl(base, search), limits, 'application/pgp-keys, */*;q=0.1'));
}
