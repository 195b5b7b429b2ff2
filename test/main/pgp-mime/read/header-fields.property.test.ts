/**
 * Properties of reading header bytes as text (mime-parse.ts
 * `parseHeaderBytes`): any bytes at all are read without throwing, and a
 * field written in UTF-8 (RFC 6532) reads back as written, whatever raw
 * 8-bit bytes in another charset the fields around it carry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHeader, parseHeaderBytes, parseMime } from '../../../../main/pgp-mime/read/mime-parse.ts';
import { parseAddresses } from '../../../../main/pgp-mime/read/addresses.ts';
import { fuzzParams, withinTime } from '../../../support/arbitraries.ts';

/** A value that is text on one line: any Unicode scalar values but line breaks. */
const lineText = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' '));

/** A field value in 8-bit bytes that are not UTF-8 (Latin-1 letters, a lone continuation byte, a cut sequence). */
const legacyBytes = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constantFrom(0xe9, 0xfc, 0xdf, 0x80, 0xc3, 0xff, 0xa0)), {
    minLength: 1,
    maxLength: 30,
  })
  .map((b) => Buffer.from([...b, 0xe9]));

type Field = { kind: 'utf8'; name: string; text: string } | { kind: 'legacy'; name: string; bytes: Buffer };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ kind: fc.constant('utf8' as const), name: fc.constant(''), text: lineText }),
  fc.record({ kind: fc.constant('legacy' as const), name: fc.constant(''), bytes: legacyBytes }),
);

test('any bytes as a header block are read into fields without throwing, and every field decodes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
      const headers = withinTime(1000, 'parseHeaderBytes', () => parseHeaderBytes(bytes));
      for (const h of headers) {
        assert.equal(typeof h.value, 'string');
        assert.equal(typeof decodeHeader(h.value), 'string');
        assert.ok(Array.isArray(parseAddresses(h.value)));
      }
    }),
    fuzzParams(300),
  );
});

test('UTF-8 fields read back as written beside fields of raw 8-bit bytes in another charset, folded or not', () => {
  fc.assert(
    fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), fc.boolean(), fc.boolean(), (fields, crlf, fold) => {
      const eol = crlf ? '\r\n' : '\n';
      const named = fields.map((f, i) => ({ ...f, name: `X-Field-${i}` }));
      const block = Buffer.concat(
        named.flatMap((f) => {
          const value = f.kind === 'utf8' ? Buffer.from(f.text, 'utf8') : f.bytes;
          // A folded field: its value on a continuation line (RFC 5322 section 2.2.3).
          return [Buffer.from(`${f.name}:${fold ? `${eol} ` : ' '}`, 'latin1'), value, Buffer.from(eol, 'latin1')];
        }),
      );
      const headers = parseHeaderBytes(block);
      assert.equal(headers.length, named.length);
      named.forEach((f, i) => {
        assert.equal(headers[i]!.key, f.name.toLowerCase());
        if (f.kind === 'utf8') assert.equal(headers[i]!.value, f.text.trim());
        // The legacy bytes are read as windows-1252: one character per byte, nothing lost.
        else assert.equal(headers[i]!.value, new TextDecoder('windows-1252').decode(f.bytes).trim());
      });
      // The same through the MIME splitter, as a whole message.
      const { root } = parseMime(Buffer.concat([block, Buffer.from(`${eol}body${eol}`, 'latin1')]));
      named.forEach((f, i) => {
        if (f.kind === 'utf8') assert.equal(root.headers[i]!.value, f.text.trim());
      });
    }),
    fuzzParams(300),
  );
});
