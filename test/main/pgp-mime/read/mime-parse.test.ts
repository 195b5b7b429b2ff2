import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMime, decodeBody, partText, filenameOf, decodeHeader, walk } from '../../../../main/pgp-mime/read/mime-parse.ts';
import { canonicalCrlf } from '../../../../main/pgp-mime/read/pgp-structure.ts';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');

test('each part keeps its exact bytes; the line break before a delimiter belongs to the delimiter (RFC 2046, 5.1.1)', () => {
  const msg = crlf(
    'From: a@example.org\nContent-Type: multipart/mixed; boundary="XX"\n\npreamble\n--XX\nContent-Type: text/plain\n\nfirst\n\n--XX  \nContent-Type: text/plain\n\nsecond\n--XX--\nepilogue\n',
  );
  const { root } = parseMime(msg);
  assert.equal(root.children.length, 2);
  assert.equal(root.children[0]!.raw.toString(), 'Content-Type: text/plain\r\n\r\nfirst\r\n');
  assert.equal(root.children[0]!.body.toString(), 'first\r\n');
  assert.equal(root.children[1]!.raw.toString(), 'Content-Type: text/plain\r\n\r\nsecond');
  assert.deepEqual(
    root.children.map((c) => c.path),
    ['1', '2'],
  );
});

test('lines that only start like the boundary are content; nested multiparts get dotted paths', () => {
  const msg = crlf(
    "Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: text/plain\n\n--b1x is not a boundary\n--b2\nContent-Type: text/html\n\n<p>hi</p>\n--b2--\n--b1\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''gr%C3%BC%C3%9Fe.bin\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\n--b1--\n",
  );
  const { root } = parseMime(msg);
  assert.deepEqual(
    [...walk(root)].map((p) => `${p.path}:${p.contentType}`),
    [':multipart/mixed', '1:multipart/alternative', '1.1:text/plain', '1.2:text/html', '2:application/octet-stream'],
  );
  assert.equal(partText(root.children[0]!.children[0]!), '--b1x is not a boundary');
  assert.equal(filenameOf(root.children[1]!), 'grüße.bin');
  assert.equal(decodeBody(root.children[1]!).toString(), 'hello');
});

test('LF-only mail, a missing close delimiter, folded headers and encoded words', () => {
  const msg = Buffer.from(
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n =?UTF-8?B?IPCfjI0=?=\nContent-Type: multipart/mixed;\n boundary="Z"\n\n--Z\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n=E0=E8=EC\n--Z\nContent-Type: text/plain\n\nno close delimiter\n',
  );
  const { root } = parseMime(msg);
  assert.equal(decodeHeader(root.headers.find((h) => h.key === 'subject')!.value), 'Grüße 🌍');
  assert.equal(root.children.length, 2);
  assert.equal(partText(root.children[0]!), 'àèì', 'the line break before the delimiter is not content');
  assert.equal(partText(root.children[1]!), 'no close delimiter\n');
  assert.equal(
    canonicalCrlf(root.children[0]!.raw).toString('latin1'),
    'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E0=E8=EC',
  );
});

test('limits: nesting depth and part count stop the walk and say so', () => {
  let nested = 'Content-Type: text/plain\n\ninnermost\n';
  for (let i = 0; i < 60; i++) nested = `Content-Type: multipart/mixed; boundary="n${i}"\n\n--n${i}\n${nested}--n${i}--\n`;
  const deep = parseMime(crlf(nested));
  assert.ok(deep.limitsHit.some((l) => /nesting/.test(l)));
  const many = `Content-Type: multipart/mixed; boundary=m\n\n${'--m\nContent-Type: text/plain\n\nx\n'.repeat(3000)}--m--\n`;
  const wide = parseMime(crlf(many));
  assert.ok(wide.limitsHit.some((l) => /parts/.test(l)));
  assert.ok(wide.root.children.length < 1001);
});

test('millions of delimiter lines cost no more than the part limit (memory and time)', () => {
  // Found by the property tests: every delimiter was collected before the part limit applied (435 MiB, 2.6 s for 32 MiB).
  const input = Buffer.concat([Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n'), Buffer.from('--b\r\n'.repeat(6_000_000))]);
  const before = process.memoryUsage().heapUsed;
  const start = performance.now();
  const parsed = parseMime(input);
  const elapsed = performance.now() - start;
  const growth = process.memoryUsage().heapUsed - before;
  assert.deepEqual(parsed.limitsHit, ['more than 1000 parts']);
  assert.equal(parsed.root.children.length, 999);
  assert.ok(growth < 32 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(0)} MiB`);
  assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
});

test('raw 8-bit header fields are decoded one by one: UTF-8 as UTF-8 (RFC 6532), the rest as windows-1252', () => {
  const msg = Buffer.concat([
    Buffer.from('Subject: Grüße aus Köln\r\n', 'utf8'),
    Buffer.from('From: Andr\xe9 M\xfcller <andre@example.org>\r\n', 'latin1'),
    Buffer.from('To: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>,\r\n Zoë <zoe@example.org>\r\n', 'utf8'),
    Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n', 'utf8'),
  ]);
  const { root } = parseMime(msg);
  const value = (key: string) => root.headers.find((h) => h.key === key)!.value;
  assert.equal(value('subject'), 'Grüße aus Köln', 'a UTF-8 field is not read in the charset of another field');
  assert.equal(value('from'), 'André Müller <andre@example.org>');
  assert.equal(decodeHeader(value('to')), 'Jürgen <j@example.org>, Zoë <zoe@example.org>');
});

test('a folded field whose value starts on the continuation line has no leading space', () => {
  const { root } = parseMime(crlf('Subject:\n  Hello\nFrom: a@example.org\n\nbody\n'));
  assert.equal(root.headers.find((h) => h.key === 'subject')!.value, 'Hello');
});
