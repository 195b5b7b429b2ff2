/**
 * Properties of mailto: link parsing (RFC 6068) for any value: total, every
 * result a valid compose.open payload within the limits, only plain
 * addresses, a one-line subject, no field besides to/cc/bcc/subject/body
 * ever taken, and a link written from the composer's fields reads back as
 * them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { events } from '../../../app/ipc/contract.ts';
import {
  MAX_BODY_LENGTH,
  MAX_RECIPIENTS,
  MAX_SUBJECT_LENGTH,
  mailtoArguments,
  parseMailto,
  percentDecode,
  plainAddress,
} from '../../../main/electron/mailto.ts';
import { anyValue, fuzzParams, withinTime } from '../../support/arbitraries.ts';

const field = fc.oneof(
  fc.constantFrom(
    'to',
    'cc',
    'bcc',
    'subject',
    'body',
    'attach',
    'attachment',
    'from',
    'in-reply-to',
    'x-evil',
    'SUBJECT',
    '%73ubject',
    '',
  ),
  fc.string({ maxLength: 8 }),
);
const piece = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.emailAddress(),
  fc.constantFrom('%0D%0A', '%00', '%E2%80%AE', '%C3', '%ZZ', '%', '+', '#', '%23', ',', '%2C', 'a@b,,c@d', 'file:///etc/passwd', '<a@b>'),
);
const mailtoUrl = fc
  .tuple(
    fc.constantFrom('mailto:', 'MAILTO:', 'MailTo:', 'mailto://', 'mail:', ''),
    fc.array(piece, { maxLength: 3 }),
    fc.array(fc.tuple(field, fc.array(piece, { maxLength: 3 })), { maxLength: 6 }),
    fc.constantFrom('', '#frag', '#subject=x'),
  )
  .map(([scheme, path, fields, frag]) => {
    const query = fields.map(([k, v]) => `${k}=${v.join('')}`).join('&');
    return `${scheme}${path.join(',')}${query ? `?${query}` : ''}${frag}`;
  });

test('any value parses to null or a valid compose.open payload within every limit', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        mailtoUrl,
        anyValue,
        fc.string({ unit: 'binary', maxLength: 300 }).map((s) => `mailto:${s}`),
      ),
      (url) => {
        const request = withinTime(1000, 'parseMailto', () => parseMailto(url));
        if (request === null) return;
        events['compose.open'].parse(request);
        assert.deepEqual(Object.keys(request).sort(), ['bcc', 'body', 'cc', 'subject', 'to']);
        for (const list of [request.to, request.cc, request.bcc]) {
          assert.ok(list.length <= MAX_RECIPIENTS);
          for (const a of list) assert.equal(plainAddress(a), a, 'only plain addresses');
          assert.equal(new Set(list.map((a) => a.toLowerCase())).size, list.length, 'no duplicates');
        }
        assert.ok(request.subject.length <= MAX_SUBJECT_LENGTH);
        assert.doesNotMatch(request.subject, /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/, 'a one-line subject');
        assert.ok(request.body.length <= MAX_BODY_LENGTH);
        assert.doesNotMatch(request.body, /[\r\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
      },
    ),
    fuzzParams(600),
  );
});

test('a link written from the composer fields reads back as them', () => {
  const address = fc.emailAddress().filter((a) => plainAddress(a) === a);
  const subject = fc.string({ unit: 'grapheme', maxLength: 100 }).map((s) =>
    s
      .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g, '')
      .replace(/ {2,}/g, ' ')
      .trim(),
  );
  const body = fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => s.replace(/[\r\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, ''));
  fc.assert(
    fc.property(
      fc.uniqueArray(address, { maxLength: 5, comparator: (a, b) => a.toLowerCase() === b.toLowerCase() }),
      subject,
      body,
      (to, s, b) => {
        const url = `mailto:${to.map(encodeURIComponent).join(',')}?subject=${encodeURIComponent(s)}&body=${encodeURIComponent(b)}`;
        assert.deepEqual(parseMailto(url), { to, cc: [], bcc: [], subject: s, body: b });
      },
    ),
    fuzzParams(300),
  );
});

test('percent-decoding is total, and the identity on text without a %', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const decoded = percentDecode(s);
      assert.equal(typeof decoded, 'string');
      if (!s.includes('%')) assert.equal(decoded, s);
    }),
    fuzzParams(300),
  );
});

test('only mailto: arguments are taken from a command line of any values', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(mailtoUrl, anyValue), { maxLength: 8 }), (argv) => {
      for (const a of mailtoArguments(argv)) assert.match(a, /^mailto:/i);
    }),
    fuzzParams(200),
  );
});
