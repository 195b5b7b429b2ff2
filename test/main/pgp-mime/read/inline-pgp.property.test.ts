/**
 * Properties of the inline PGP reader for any text: blocks are exact slices
 * in order, the same blocks as the plain regular expression finds (on inputs
 * small enough for it), found in linear time, and the cleartext splitter and
 * armor cleaners are total.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cleanArmor, cleanSignedBlock, findInlineBlocks, isWholeBody, splitCleartext } from '../../../../main/pgp-mime/read/inline-pgp.ts';
import { corpusMessages, fuzzParams, HOSTILE_SNIPPETS, mutatedOf, withinTime } from '../../../support/arbitraries.ts';

const ARMOR_LINES = [
  '-----BEGIN PGP MESSAGE-----',
  '-----END PGP MESSAGE-----',
  '-----BEGIN PGP SIGNED MESSAGE-----',
  '-----BEGIN PGP SIGNATURE-----',
  '-----END PGP SIGNATURE-----',
  '-----END PGP ',
  'Hash: SHA256',
  '- -----BEGIN PGP SIGNATURE-----',
  '',
];

/** Text made of armor lines, hostile snippets and random pieces, joined by LF or CRLF. */
const armorText = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...ARMOR_LINES), fc.constantFrom(...HOSTILE_SNIPPETS), fc.string({ maxLength: 20 })), {
      maxLength: 30,
    }),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([lines, nl]) => lines.join(nl));

/** What the reader did before: one lazy regular expression (quadratic on many BEGIN lines, so only small inputs). */
function oracle(text: string) {
  const out = [];
  for (const m of text.matchAll(/-----BEGIN PGP (SIGNED MESSAGE|MESSAGE)-----[\s\S]*?-----END PGP (SIGNATURE|MESSAGE)-----/g)) {
    const signed = m[1] === 'SIGNED MESSAGE';
    if (signed !== (m[2] === 'SIGNATURE')) continue;
    out.push({ kind: signed ? 'signed' : 'encrypted', text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

test('blocks are exact, ordered, non-overlapping slices, the same as the regular expression finds', () => {
  fc.assert(
    fc.property(armorText, (text) => {
      const blocks = withinTime(1000, 'findInlineBlocks', () => findInlineBlocks(text));
      assert.deepEqual(blocks, oracle(text));
      let last = 0;
      for (const b of blocks) {
        assert.ok(b.start >= last && b.end > b.start);
        assert.equal(text.slice(b.start, b.end), b.text);
        assert.equal(typeof isWholeBody(text, b), 'boolean');
        last = b.end;
      }
    }),
    fuzzParams(400),
  );
});

test('many BEGIN lines without an END line take linear time (a hang before: 2 s for 16000 lines, minutes at 8 MiB)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('-----BEGIN PGP MESSAGE-----\n', '-----BEGIN PGP SIGNED MESSAGE-----\n'),
      fc.constantFrom('', '-----END PGP ', '-----END PGP SIGNATURE', '-----END PGP MESSAGE-----'),
      fc.integer({ min: 10_000, max: 250_000 }),
      (begin, tail, n) => {
        const text = begin.repeat(n) + tail;
        withinTime(1000, `findInlineBlocks on ${n} BEGIN lines`, () => findInlineBlocks(text));
      },
    ),
    fuzzParams(5),
  );
});

test('the cleartext splitter is total on any bytes, and its signature is the armored signature', () => {
  const corpus = corpusMessages();
  const bytes = fc.oneof(
    armorText.map((t) => Buffer.from(t, 'utf8')),
    mutatedOf(corpus, 4),
    fc.uint8Array({ maxLength: 500 }),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      const split = withinTime(1000, 'splitCleartext', () => splitCleartext(b));
      if (split === null) return;
      assert.ok(Buffer.isBuffer(split.signed));
      const sig = split.signature.toString('latin1');
      assert.ok(sig.startsWith('-----BEGIN PGP SIGNATURE-----') && sig.endsWith('-----END PGP SIGNATURE-----'));
      // Lines of the signed text are joined by CRLF, with no trailing white space (RFC 9580, section 7.2).
      for (const line of split.signed.toString('latin1').split('\r\n')) assert.doesNotMatch(line, /[ \t]$/);
    }),
    fuzzParams(300),
  );
});

test('cleaning armor is idempotent and leaves no indentation or no-break space', () => {
  fc.assert(
    fc.property(armorText, (text) => {
      const once = cleanArmor(text);
      assert.equal(cleanArmor(once), once);
      assert.ok(!once.includes('\u00a0'));
      assert.equal(typeof cleanSignedBlock(text), 'string');
    }),
    fuzzParams(300),
  );
});
