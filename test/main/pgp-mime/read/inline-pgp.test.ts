import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findInlineBlocks } from '../../../../main/pgp-mime/read/inline-pgp.ts';

test('a body of BEGIN lines with only a partial END line is scanned in linear time', () => {
  // Found by the property tests: a lazy regular expression rescanned to the end from every BEGIN line (2 s for 16000 lines).
  const text = '-----BEGIN PGP MESSAGE-----\n'.repeat(40_000) + '-----END PGP SIGNATURE';
  const start = performance.now();
  assert.deepEqual(findInlineBlocks(text), []);
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
});

test('a BEGIN line is ended by the first END line after it; mismatched kinds are skipped', () => {
  const text = [
    '-----BEGIN PGP SIGNED MESSAGE-----',
    'x',
    '-----END PGP MESSAGE-----',
    '-----BEGIN PGP MESSAGE-----',
    'y',
    '-----END PGP MESSAGE-----',
  ].join('\n');
  const blocks = findInlineBlocks(text);
  assert.deepEqual(
    blocks.map((b) => [b.kind, b.text]),
    [['encrypted', '-----BEGIN PGP MESSAGE-----\ny\n-----END PGP MESSAGE-----']],
  );
});
