import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findViolations } from '../../build/check-imports.ts';

test('the import rules of the design hold', () => {
  const violations = findViolations();
  assert.deepEqual(violations, [], violations.map((v) => `${v.file}: ${v.specifier}: ${v.rule}`).join('\n'));
});
