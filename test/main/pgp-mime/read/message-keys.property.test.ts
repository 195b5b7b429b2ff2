/**
 * Properties of the Autocrypt header parser (Autocrypt Level 1, section
 * 2.1) for any header value: total, a header written from an address and
 * key data reads back as them, and an unknown critical attribute or another
 * type always makes the header invalid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAutocrypt } from '../../../../main/pgp-mime/read/message-keys.ts';
import { fuzzParams, headerValue, withinTime } from '../../../support/arbitraries.ts';

const attrName = fc.oneof(
  fc.constantFrom('addr', 'keydata', 'prefer-encrypt', 'type', '_x', 'ADDR', 'KeyData', 'x'),
  fc.string({ maxLength: 8 }),
);
const attrs = fc
  .array(fc.tuple(attrName, fc.oneof(fc.string({ maxLength: 20 }), fc.base64String({ maxLength: 40 }))), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; '));

test('any header value parses to null or an address and key bytes, in bounded time', () => {
  fc.assert(
    fc.property(fc.oneof(attrs, headerValue, fc.string({ unit: 'binary', maxLength: 300 })), (value) => {
      const h = withinTime(1000, 'parseAutocrypt', () => parseAutocrypt(value));
      if (h === null) return;
      assert.equal(typeof h.addr, 'string');
      assert.ok(h.addr.length > 0);
      assert.ok(Buffer.isBuffer(h.keydata));
    }),
    fuzzParams(500),
  );
});

test('a header written from an address and key bytes (folded as mail folds it) reads back as them', () => {
  fc.assert(
    fc.property(
      fc.emailAddress(),
      fc.uint8Array({ minLength: 1, maxLength: 600 }),
      fc.constantFrom('', 'prefer-encrypt=mutual; ', 'type=1; ', '_future=1; '),
      fc.boolean(),
      (addr, key, extra, fold) => {
        let keydata = Buffer.from(key).toString('base64');
        if (fold) keydata = keydata.replace(/.{76}/g, '$& ');
        const h = parseAutocrypt(`addr=${addr}; ${extra}keydata=${keydata}`);
        assert.ok(h);
        assert.equal(h.addr, addr);
        assert.deepEqual(new Uint8Array(h.keydata), key);
      },
    ),
    fuzzParams(300),
  );
});

test('an unknown critical attribute or a type other than 1 always makes the header invalid', () => {
  fc.assert(
    fc.property(
      fc.emailAddress(),
      fc.oneof(
        fc
          .stringMatching(/^[a-z][a-z-]{0,10}$/)
          .filter((k) => !['addr', 'keydata', 'prefer-encrypt', 'type'].includes(k))
          .map((k) => `${k}=1`),
        fc
          .stringMatching(/^[0-9a-z]{1,3}$/)
          .filter((t) => t !== '1')
          .map((t) => `type=${t}`),
      ),
      (addr, bad) => {
        assert.equal(parseAutocrypt(`addr=${addr}; ${bad}; keydata=AAAA`), null);
      },
    ),
    fuzzParams(300),
  );
});
