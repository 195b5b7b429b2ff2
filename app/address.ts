/**
 * One identity of a mail address for main, the keyring and the renderer:
 * two spellings of the same mailbox compare equal, whichever side wrote them.
 */
import { punycodeDecode } from './punycode.ts';

/** A domain label in Unicode: an IDNA A-label ("xn--", RFC 5891 section 5.4) decoded; anything else as given. */
function labelToUnicode(label: string): string {
  if (!label.startsWith('xn--')) return label;
  const decoded = punycodeDecode(label.slice(4));
  // Not valid Punycode: kept as written, so it still equals itself.
  return decoded === null || decoded === '' ? label : decoded;
}

/**
 * One form for comparing addresses: Unicode NFC, the domain in Unicode
 * (IDNA A-labels decoded, a final root dot dropped) and lower case. The local
 * part is compared without case too, as every large provider and
 * Thunderbird do (RFC 5321 section 2.4 lets the receiving host decide).
 * Never throws; a string without "@" is normalized as a whole.
 */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address.normalize('NFC').toLowerCase().trim();
  const local = address.slice(0, at).normalize('NFC').toLowerCase().trim();
  const domain = address
    .slice(at + 1)
    .trim()
    .replace(/\.$/, '')
    .toLowerCase()
    .split('.')
    .map(labelToUnicode)
    .join('.')
    .normalize('NFC')
    .toLowerCase();
  return `${local}@${domain}`;
}

export function sameAddress(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}
