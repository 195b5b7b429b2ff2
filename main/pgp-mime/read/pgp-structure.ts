/**
 * How the PGP/MIME structures of RFC 3156 are recognised: multipart/signed
 * (section 5) and multipart/encrypted (section 4) by their protocol (or, for
 * senders that omit it, by the control part), the signed bytes as section 5
 * defines them, the multipart/mixed that MS Exchange flattens them into, and
 * OpenPGP encrypted data by its first packet (RFC 9580, section 5).
 */
import { partText, type MimePart } from './mime-parse.ts';

export const isPgpSigned = (p: MimePart) =>
  p.contentType === 'multipart/signed' &&
  p.children.length >= 2 &&
  ((p.params.protocol ?? '').toLowerCase() === 'application/pgp-signature' || p.children[1]!.contentType === 'application/pgp-signature');
export const isPgpEncrypted = (p: MimePart) =>
  p.contentType === 'multipart/encrypted' &&
  p.children.length >= 2 &&
  ((p.params.protocol ?? '').toLowerCase() === 'application/pgp-encrypted' || p.children[0]!.contentType === 'application/pgp-encrypted');

/** The signed bytes of RFC 3156, section 5: the entity as it stands, every line break CRLF. */
export function canonicalCrlf(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r?\n/g, '\r\n');
  return Buffer.from(text, 'latin1');
}

/**
 * A PGP/MIME message mangled by MS Exchange (RFC 3156 structure flattened
 * into multipart/mixed: an empty text part, the pgp-encrypted control part
 * and the encrypted data) is the sender's multipart/encrypted: read it so.
 */
export function exchangeRepair(part: MimePart): MimePart | null {
  if (part.contentType !== 'multipart/mixed' || part.children.length !== 3) return null;
  const [text, control, data] = part.children as [MimePart, MimePart, MimePart];
  if (text.contentType !== 'text/plain' || partText(text).trim() !== '') return null;
  if (control.contentType !== 'application/pgp-encrypted' || data.contentType !== 'application/octet-stream') return null;
  return {
    ...part,
    contentType: 'multipart/encrypted',
    params: { ...part.params, protocol: 'application/pgp-encrypted' },
    children: [control, data],
  };
}

/**
 * OpenPGP encrypted data, armored or binary: a message starts with a
 * session key packet (PKESK, tag 1; SKESK, tag 3) or encrypted data (SED 9,
 * SEIPD 18, AEAD 20) (RFC 9580, section 5).
 */
export function isEncryptedOpenPgp(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  if (/-----BEGIN PGP MESSAGE-----/.test(Buffer.from(bytes.subarray(0, 4096)).toString('latin1'))) return true;
  const first = bytes[0]!;
  if ((first & 0x80) === 0) return false;
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  return [1, 3, 9, 18, 20].includes(tag);
}
