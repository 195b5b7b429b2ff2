import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { normalizeAddress, sameAddress } from '../../app/address.ts';
import { punycodeDecode } from '../../app/punycode.ts';

test('the A-label and U-label spellings of a domain, case and NFC aside, are one address', () => {
  assert.ok(sameAddress('Bob@XN--BCHER-KVA.example', 'bob@bücher.example'));
  assert.ok(sameAddress('josé@example.org', 'jose\u0301@EXAMPLE.ORG'));
  assert.ok(sameAddress(' alice@example.org. ', 'ALICE@example.org'));
  assert.equal(normalizeAddress('a@xn--mnchen-3ya.de'), 'a@münchen.de');
  assert.equal(normalizeAddress('a@xn--fsqu00a.xn--0zwm56d'), 'a@例子.测试');
  assert.ok(!sameAddress('a@example.org', 'b@example.org'));
  // Not valid Punycode: kept as written, equal to itself only.
  assert.equal(normalizeAddress('a@xn--a-ecp.x'), normalizeAddress('a@XN--A-ECP.x'));
});

test('punycodeDecode: RFC 3492 section 7.1 samples, and null for what is not Punycode', () => {
  assert.equal(punycodeDecode('ihqwcrb4cv8a8dqg056pqjye'), '他们为什么不说中文');
  assert.equal(punycodeDecode('egbpdaj6bu4bxfgehfvwxn'), 'ليهمابتكلموشعربي؟');
  assert.equal(punycodeDecode('Proprostnemluvesky-uyb24dma41a'), 'Pročprostěnemluvíčesky');
  assert.equal(punycodeDecode('bcher-kva'), 'bücher');
  assert.equal(punycodeDecode('abc-'), 'abc');
  assert.equal(punycodeDecode('99999999999'), null);
  assert.equal(punycodeDecode('a!'), null);
  assert.equal(punycodeDecode('ü-a'), null);
});

test('the domain reads as node:url domainToUnicode reads it (what main did before), for A-labels of many strings', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9\u00e0-\u00ff\u4e00-\u4e20]{1,12}$/), (label) => {
      const ascii = new URL(`http://${label}.example/`).hostname;
      const expected = domainToUnicode(ascii);
      fc.pre(expected !== '');
      assert.equal(normalizeAddress(`x@${ascii}`), `x@${expected.normalize('NFC').toLowerCase()}`);
    }),
  );
});

test('normalizeAddress never throws, is idempotent, and ignores case, NFC form and A-label spelling', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      const once = normalizeAddress(s);
      assert.equal(normalizeAddress(once), once);
      assert.equal(normalizeAddress(s.toLowerCase()), once);
      assert.equal(normalizeAddress(s.normalize('NFD')), normalizeAddress(s.normalize('NFC')));
    }),
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9._]{1,10}$/), fc.stringMatching(/^[a-z\u00e0-\u00fc]{1,10}$/), (local, label) => {
      const ascii = new URL(`http://${label}.org/`).hostname;
      assert.ok(sameAddress(`${local}@${label}.org`, `${local.toUpperCase()}@${ascii.toUpperCase()}`));
    }),
  );
  fc.assert(fc.property(fc.string(), (s) => void punycodeDecode(s)));
});
