import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatSetupCode, parseSetupCode, SETUP_CODE_FORMAT } from '../../app/setup-code.ts';

const digits36 = fc.array(fc.constantFrom(...'0123456789'), { minLength: 36, maxLength: 36 }).map((d) => d.join(''));
const separator = fc.constantFrom('', '-', ' ', '\n', ' - ', '\t', '--');

test('any 36 digits, separated by nothing, dashes or white space anywhere, read as the canonical code', () => {
  fc.assert(
    fc.property(digits36, fc.array(separator, { minLength: 36, maxLength: 36 }), (d, seps) => {
      const typed = [...d].map((c, i) => (i === 0 ? c : `${seps[i]}${c}`)).join('');
      assert.equal(parseSetupCode(`  ${typed}\n`), formatSetupCode(d));
    }),
  );
});

test('any text: null, or the canonical form of exactly the digits it holds (36 of them, nothing but separators besides)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9 \-a]{30,50}$/)), (text) => {
      const code = parseSetupCode(text);
      if (code === null) return;
      assert.match(code, SETUP_CODE_FORMAT);
      assert.equal(code.replace(/-/g, ''), text.replace(/[\s-]/g, ''));
    }),
  );
  assert.equal(parseSetupCode('1'.repeat(35)), null);
  assert.equal(parseSetupCode('1'.repeat(37)), null);
  assert.equal(parseSetupCode(`${'1'.repeat(35)}x`), null);
  assert.equal(parseSetupCode('١'.repeat(36)), null, 'only ASCII digits');
});
