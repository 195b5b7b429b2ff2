import type { KeyringCalls } from '../../../app/node/keyring-client.ts';
import type { Address, InspectReport } from '../../../app/inspect-report.ts';
import { type MimePart, walk, decodeBody, headerValues } from './mime-parse.ts';
import { sameAddress } from '../../../app/address.ts';

type KeyEntry = InspectReport['keys'][number];
type Warning = InspectReport['warnings'][number];

/** Autocrypt header attributes (Autocrypt Level 1, section 2.1): `addr=...; [prefer-encrypt=mutual;] keydata=BASE64`. */
export function parseAutocrypt(value: string): { addr: string; keydata: Buffer; preferEncrypt: 'mutual' | 'nopreference' } | null {
  const attrs = new Map<string, string>();
  for (const piece of value.split(';')) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    attrs.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  const addr = attrs.get('addr');
  const keydata = attrs.get('keydata');
  // Unknown critical attributes (not starting with "_") make the header invalid.
  for (const k of attrs.keys()) if (!['addr', 'keydata', 'prefer-encrypt', 'type'].includes(k) && !k.startsWith('_')) return null;
  if (!addr || !keydata || (attrs.get('type') ?? '1') !== '1') return null;
  // Any value but "mutual" is no preference (section 2.1).
  const preferEncrypt = attrs.get('prefer-encrypt')?.toLowerCase() === 'mutual' ? 'mutual' : 'nopreference';
  return { addr, keydata: Buffer.from(keydata.replace(/\s+/g, ''), 'base64'), preferEncrypt };
}

/**
 * Keys a message carries, reported and never imported: attached keys
 * (application/pgp-keys), the sender's Autocrypt header (only for the From
 * address) and Autocrypt-Gossip headers inside the encrypted part.
 */
export async function collectMessageKeys(
  keyring: KeyringCalls,
  message: { root: MimePart; content: MimePart | null; contentProtected: boolean; from: Address | null },
  warn: (w: Warning) => void,
): Promise<KeyEntry[]> {
  const found: KeyEntry[] = [];
  const add = async (data: Uint8Array, source: KeyEntry['source']) => {
    try {
      const { keys } = await keyring.call('keys.inspect', { data, source: source === 'gossip' ? 'autocrypt' : source });
      for (const k of keys)
        if (!found.some((f) => f.fingerprint === k.fingerprint && f.source === source)) found.push({ fingerprint: k.fingerprint, source });
    } catch {
      warn({ code: 'bad-key-data', message: `a key in the message (${source}) could not be read` });
    }
  };
  for (const part of walk(message.root)) {
    if (part.contentType === 'application/pgp-keys' && part.children.length === 0) await add(decodeBody(part), 'attachment');
  }
  if (message.content && message.content !== message.root) {
    for (const part of walk(message.content)) {
      if (part.contentType === 'application/pgp-keys' && part.children.length === 0 && !message.root.raw.includes(part.raw))
        await add(decodeBody(part), 'attachment');
    }
  }
  for (const value of headerValues(message.root, 'autocrypt')) {
    const header = parseAutocrypt(value);
    if (header && message.from && sameAddress(header.addr, message.from.address)) await add(header.keydata, 'autocrypt');
  }
  if (message.content && message.contentProtected) {
    for (const value of headerValues(message.content, 'autocrypt-gossip')) {
      const header = parseAutocrypt(value);
      if (header) await add(header.keydata, 'gossip');
    }
  }
  return found;
}

/** What a message says by Autocrypt, for the sender's peer state (Autocrypt Level 1, sections 2.3 and 2.7). */
export interface AutocryptSeen {
  /**
   * The sender's header: inside the encrypted and signed content when it
   * carries one (Delta Chat puts it only there), else the outer one; only
   * for the From address. Null when there is none, or when the message has
   * more than one for the address (all are discarded, section 2.3).
   */
  header: { keydata: Buffer; preferEncrypt: 'mutual' | 'nopreference' } | null;
  /** Autocrypt-Gossip, read only from protected (encrypted) content. */
  gossip: { addr: string; keydata: Buffer }[];
}

export function autocryptSeen(message: {
  root: MimePart;
  content: MimePart | null;
  contentProtected: boolean;
  from: Address | null;
}): AutocryptSeen {
  const forSender = (part: MimePart) => {
    const from = message.from;
    if (!from) return [];
    return headerValues(part, 'autocrypt')
      .map(parseAutocrypt)
      .filter((h): h is NonNullable<typeof h> => h !== null && sameAddress(h.addr, from.address));
  };
  const inner = message.content && message.contentProtected && message.content !== message.root ? forSender(message.content) : [];
  const headers = inner.length > 0 ? inner : forSender(message.root);
  const header = headers.length === 1 ? { keydata: headers[0]!.keydata, preferEncrypt: headers[0]!.preferEncrypt } : null;
  const gossip: AutocryptSeen['gossip'] = [];
  if (message.content && message.contentProtected && message.content !== message.root) {
    for (const value of headerValues(message.content, 'autocrypt-gossip')) {
      const g = parseAutocrypt(value);
      if (g) gossip.push({ addr: g.addr, keydata: g.keydata });
    }
  }
  return { header, gossip };
}
