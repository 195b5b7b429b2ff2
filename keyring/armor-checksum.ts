/**
 * The CRC-24 of ASCII armor (RFC 4880, section 6.1; optional in RFC 9580,
 * section 6.1). openpgp.js 6 ignores it. A key file is long-lived user data:
 * when its checksum is present and does not match, the file was damaged,
 * and importing what is left would be a guess, so it is refused.
 */
const CRC24_INIT = 0xb704ce;
const CRC24_POLY = 0x1864cfb;

export function crc24(data: Uint8Array): number {
  let crc = CRC24_INIT;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= CRC24_POLY;
    }
  }
  return crc & 0xffffff;
}

/** False when the block carries a checksum line that does not match its body; true otherwise. */
export function armorChecksumMatches(block: string): boolean {
  const lines = block.split(/\r?\n/).map((l) => l.trimEnd());
  const end = lines.findIndex((l) => l.startsWith('-----END PGP '));
  if (end < 0) return true;
  const checksumLine = lines[end - 1];
  if (!checksumLine || !/^=[A-Za-z0-9+/]{4}$/.test(checksumLine)) return true;
  const blank = lines.findIndex((l, i) => i > 0 && l === '');
  if (blank < 0 || blank > end) return true;
  const body = Buffer.from(lines.slice(blank + 1, end - 1).join(''), 'base64');
  const expected = Buffer.from(checksumLine.slice(1), 'base64');
  return expected.length === 3 && ((expected[0]! << 16) | (expected[1]! << 8) | expected[2]!) === crc24(body);
}
