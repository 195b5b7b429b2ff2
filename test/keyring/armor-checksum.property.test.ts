/**
 * Properties of the armor checksum check (RFC 4880, section 6.1): a block
 * whose CRC-24 line matches its data passes, any change of one byte of the
 * data with the old line kept is caught (CRC-24 detects every burst of up
 * to 24 bits), a block without a checksum line passes, and the check is
 * total on any text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { armorChecksumMatches, crc24 } from '../../keyring/armor-checksum.ts';
import { armorBlock, corpusKeys, fuzzParams, mutatedOf, withinTime } from '../support/arbitraries.ts';

const label = fc.constantFrom('PUBLIC KEY BLOCK', 'PRIVATE KEY BLOCK', 'SIGNATURE', 'MESSAGE');
const headers = fc.array(fc.constantFrom('Version: x', 'Comment: a: b', 'Charset: UTF-8'), { maxLength: 2 });

test('a block with its own checksum passes; one changed byte with the old checksum is caught', () => {
  fc.assert(
    fc.property(
      label,
      headers,
      fc.uint8Array({ minLength: 1, maxLength: 2000 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (l, h, data, at, xor) => {
        assert.ok(armorChecksumMatches(armorBlock(l, data, crc24(data), h)));
        const damaged = Uint8Array.from(data);
        damaged[at % data.length]! ^= xor;
        assert.equal(armorChecksumMatches(armorBlock(l, damaged, crc24(data), h)), false);
        assert.ok(armorChecksumMatches(armorBlock(l, damaged, null, h)), 'no checksum line: nothing to check');
        // CRLF line ends are the same block.
        assert.ok(armorChecksumMatches(armorBlock(l, data, crc24(data), h).replace(/\n/g, '\r\n')));
      },
    ),
    fuzzParams(300),
  );
});

test('the check is total and quick on any text, including damaged real key files', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        mutatedOf(corpusKeys(), 4),
        fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b)),
      ),
      (b) => {
        const r = withinTime(1000, 'armorChecksumMatches', () => armorChecksumMatches(b.toString('utf8')));
        assert.equal(typeof r, 'boolean');
      },
    ),
    fuzzParams(300),
  );
});

test('the CRC-24 of the RFC test value and of the empty input', () => {
  assert.equal(crc24(new Uint8Array()), 0xb704ce);
  assert.equal(crc24(Buffer.from('123456789')), 0x21cf02);
});
