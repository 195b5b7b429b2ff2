// The one address identity (app/address.ts), checked against Node's own IDNA
// (node:url) as the oracle, and its properties for any input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainToASCII, domainToUnicode as nodeDomainToUnicode } from 'node:url';
import fc from 'fast-check';
import { decodePunycode, domainToUnicode, normalizeAddress, sameAddress } from '../../app/address.ts';
import { fuzzParams } from '../support/arbitraries.ts';

test('RFC 3492 section 7.1 samples and everyday IDNs decode', () => {
  assert.equal(
    decodePunycode('egbpdaj6bu4bxfgehfvwxn'),
    '\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F',
  );
  assert.equal(decodePunycode('ihqwcrb4cv8a8dqg056pqjye'), '\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587');
  assert.equal(decodePunycode('3B-ww4c5e180e575a65lsy2b'), '3\u5E74B\u7D44\u91D1\u516B\u5148\u751F');
  assert.equal(domainToUnicode('xn--bcher-kva.example'), 'bücher.example');
  assert.equal(domainToUnicode('XN--BCHER-KVA.example'), 'bücher.example');
  assert.equal(domainToUnicode('xn--!!.example'), 'xn--!!.example', 'an invalid A-label stays as it is');
});

test('addresses are the same across case, NFC, A-labels and a trailing dot', () => {
  assert.ok(sameAddress('Jörg@Bücher.Example', 'jörg@xn--bcher-kva.example.'));
  assert.ok(sameAddress('jo\u0308rg@example.org', 'j\u00f6rg@example.org'));
  assert.ok(sameAddress(' Alice@Example.ORG ', 'alice@example.org'));
  assert.ok(!sameAddress('alice@example.org', 'alice@example.net'));
  assert.equal(normalizeAddress('ALICE@XN--BCHER-KVA.EXAMPLE'), 'alice@bücher.example');
});

const label = fc.stringMatching(/^[a-z0-9äöüßéèçñøåæœ\u4e00-\u4e10\u0430-\u044f]{1,12}$/);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => [...ls, 'example'].join('.'));

test("the domain decodes as Node's IDNA does, for generated international domains", () => {
  fc.assert(
    fc.property(domain, (d) => {
      const ascii = domainToASCII(d);
      fc.pre(ascii !== '');
      assert.equal(domainToUnicode(ascii), nodeDomainToUnicode(ascii));
      assert.ok(sameAddress(`x@${d}`, `X@${ascii.toUpperCase()}`));
    }),
    fuzzParams(200),
  );
});

test('normalizeAddress never throws, is idempotent, and sameAddress is symmetric, for any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 80 }), (a, b) => {
      const n = normalizeAddress(a);
      assert.equal(normalizeAddress(n), n);
      assert.equal(sameAddress(a, b), sameAddress(b, a));
    }),
    fuzzParams(200),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), (s) => {
      const r = decodePunycode(s);
      assert.ok(r === null || typeof r === 'string');
    }),
    fuzzParams(200),
  );
});
