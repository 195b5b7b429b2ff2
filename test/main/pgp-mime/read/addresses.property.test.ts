/**
 * Properties of address parsing for any header value: total, strings only,
 * and the comparison form is stable (normalizing twice changes nothing, an
 * address is the same as itself whatever its case).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAddresses } from '../../../../main/pgp-mime/read/addresses.ts';
import { normalizeAddress, sameAddress } from '../../../../app/address.ts';
import { fuzzParams, headerValue, withinTime } from '../../../support/arbitraries.ts';

const addressLike = fc.oneof(
  fc.emailAddress(),
  fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom('@', '@@', ''), fc.domain()).map(([l, at, d]) => `${l}${at}${d}`),
  fc.constantFrom('ALICE@EXAMPLE.ORG.', 'a@xn--mnchen-3ya.de', 'a@münchen.de', 'a@xn--', 'a@xn--zz', '@', 'a@.', 'Ⅸ@ß.de'),
);

const headerLike = fc.oneof(
  headerValue,
  fc
    .array(fc.tuple(fc.string({ maxLength: 20 }), addressLike), { maxLength: 5 })
    .map((pairs) => pairs.map(([n, a]) => `"${n}" <${a}>`).join(', ')),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

test('any address header parses to name and address strings, in bounded time', () => {
  fc.assert(
    fc.property(headerLike, (value) => {
      const list = withinTime(1000, 'parseAddresses', () => parseAddresses(value));
      assert.ok(Array.isArray(list));
      for (const a of list) {
        assert.equal(typeof a.name, 'string');
        assert.equal(typeof a.address, 'string');
      }
    }),
    fuzzParams(400),
  );
});

test('the comparison form is idempotent, and an address matches itself, its comparison form and its upper case', () => {
  fc.assert(
    fc.property(addressLike, (address) => {
      const once = normalizeAddress(address);
      assert.equal(normalizeAddress(once), once, `normalizing ${JSON.stringify(address)} twice`);
      assert.ok(sameAddress(address, address));
      assert.ok(sameAddress(address, once));
      if (address.toUpperCase().toLowerCase() === address.toLowerCase()) assert.ok(sameAddress(address.toUpperCase(), address));
    }),
    fuzzParams(400),
  );
});

test('a huge address header is parsed in bounded time', () => {
  const value = Array.from({ length: 20_000 }, (_, i) => `"N ${i}" <u${i}@example.org>`).join(', ');
  const list = withinTime(5000, 'parseAddresses of 20000 addresses', () => parseAddresses(value));
  assert.equal(list.length, 20_000);
});
