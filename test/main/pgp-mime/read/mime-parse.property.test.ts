/**
 * Properties of the MIME splitter for any input: generated trees, and the
 * Thunderbird corpus with bytes flipped, inserted, deleted, lines duplicated
 * or made huge, boundaries and encodings broken. It never throws, never
 * takes long, keeps every part a slice of the input within the limits, and
 * every decoder on the parts it returns is total.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_LIMITS,
  decodeBody,
  decodeHeader,
  filenameOf,
  isAttachment,
  parseMime,
  partText,
  walk,
  type MimePart,
  type ParsedMessage,
} from '../../../../main/pgp-mime/read/mime-parse.ts';
import {
  corpusMessages,
  deeplyNested,
  fuzzParams,
  heapGrowth,
  lineMutatedOf,
  mimeMessage,
  mutatedOf,
  withinTime,
} from '../../../support/arbitraries.ts';

const corpus = corpusMessages();
/** Per input: the splitter is linear; 2 s leaves room for a loaded 2-core machine. */
const DEADLINE_MS = 2000;

/** True when `inner` lies within `outer`'s bytes (the same memory, not a copy). */
function within(inner: Buffer, outer: Buffer): boolean {
  return (
    inner.buffer === outer.buffer &&
    inner.byteOffset >= outer.byteOffset &&
    inner.byteOffset + inner.length <= outer.byteOffset + outer.length
  );
}

function depthOf(part: MimePart): number {
  return 1 + Math.max(0, ...part.children.map(depthOf));
}

/** The invariants that hold for every parse of every input. */
function checkParse(input: Buffer, parsed: ParsedMessage): void {
  const { root } = parsed;
  assert.ok(within(root.raw, input), 'the root is the input');
  let count = 0;
  for (const part of walk(root)) {
    count += 1;
    assert.match(part.contentType, /^[^A-Z]*\/[^A-Z]*$/, 'a lower-case type/subtype');
    assert.ok(within(part.body, part.raw), 'a body lies within its entity');
    for (const child of part.children) assert.ok(within(child.raw, part.body), 'a child lies within its parent body');
    for (const h of part.headers) {
      assert.equal(typeof h.key, 'string');
      assert.equal(h.key, h.key.toLowerCase());
      assert.equal(typeof decodeHeader(h.value), 'string');
    }
    // Every decoder the reader applies to a part is total.
    assert.ok(Buffer.isBuffer(decodeBody(part)));
    assert.equal(typeof partText(part, 64 * 1024), 'string');
    const name = filenameOf(part);
    assert.ok(name === null || typeof name === 'string');
    assert.equal(typeof isAttachment(part), 'boolean');
  }
  assert.ok(count <= DEFAULT_LIMITS.maxParts, `at most ${DEFAULT_LIMITS.maxParts} parts (got ${count})`);
  assert.ok(depthOf(root) <= DEFAULT_LIMITS.maxDepth + 1, 'nesting within the limit');
  if (parsed.limitsHit.length === 0)
    assert.ok(
      [...walk(root)].every((p) => !p.truncated),
      'truncated only when a limit was hit',
    );
}

function parseChecked(input: Buffer): void {
  const parsed = withinTime(DEADLINE_MS, 'parseMime', () => parseMime(input));
  checkParse(input, parsed);
}

test('generated MIME trees (any type, nesting, broken ends, bad encodings) parse within the invariants', () => {
  fc.assert(fc.property(mimeMessage, parseChecked), fuzzParams(300));
});

test('the Thunderbird corpus with bytes flipped, inserted, deleted, duplicated, truncated parses within the invariants', () => {
  fc.assert(fc.property(mutatedOf(corpus, 6), parseChecked), fuzzParams(300));
});

test('the Thunderbird corpus with lines duplicated, dropped, swapped or made huge parses within the invariants', () => {
  fc.assert(fc.property(lineMutatedOf(corpus), parseChecked), fuzzParams(150));
});

test('any bytes at all parse within the invariants', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
      parseChecked,
    ),
    fuzzParams(200),
  );
});

test('nesting far past the limit is cut at the limit, reported, and costs no stack', () => {
  for (const depth of [DEFAULT_LIMITS.maxDepth, DEFAULT_LIMITS.maxDepth + 1, 500, 5000]) {
    const input = deeplyNested(depth);
    const parsed = withinTime(DEADLINE_MS, 'parseMime', () => parseMime(input));
    checkParse(input, parsed);
    assert.equal(
      parsed.limitsHit.some((l) => l.startsWith('nesting deeper')),
      depth > DEFAULT_LIMITS.maxDepth,
      `depth ${depth}`,
    );
  }
});

test('many parts stop at the part limit, reported', () => {
  const parts = Array.from({ length: 5000 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\n${i}\r\n`).join('');
  const input = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`);
  const parsed = withinTime(DEADLINE_MS, 'parseMime', () => parseMime(input));
  checkParse(input, parsed);
  assert.ok(parsed.limitsHit.includes(`more than ${DEFAULT_LIMITS.maxParts} parts`));
});

test('a huge header block is read only up to its cap, and memory stays bounded on large input', async () => {
  // 32 MiB of header in one line, then a 32 MiB body of boundary-like lines.
  const header = Buffer.alloc(32 * 1024 * 1024, 'X');
  header.write('X-Long: ', 0);
  const body = Buffer.from('--b\r\n'.repeat((32 * 1024 * 1024) / 5));
  const input = Buffer.concat([Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n'), header, Buffer.from('\r\n\r\n'), body]);
  let parsed: ParsedMessage | undefined;
  const growth = await heapGrowth(() => {
    parsed = withinTime(10_000, 'parseMime of 64 MiB', () => parseMime(input));
  });
  assert.ok(parsed!.limitsHit.some((l) => l.startsWith('header block over')));
  // The header cap (256 KiB) and slicing (no copies of the input) keep the parser's own memory small.
  assert.ok(growth < 64 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(0)} MiB on a 64 MiB input`);
});
