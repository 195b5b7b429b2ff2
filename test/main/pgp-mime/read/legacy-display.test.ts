/**
 * RFC 9788 legacy display elements (legacy-display.ts): what is cut out of a
 * text/plain and a text/html body, and what never is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { withoutLegacyDisplayHtml, withoutLegacyDisplayText } from '../../../../main/pgp-mime/read/legacy-display.ts';
import { fuzzParams, withinTime } from '../../../support/arbitraries.ts';

test('text/plain: the header-like lines and the blank line after them are left out', () => {
  assert.equal(withoutLegacyDisplayText('Subject: Dinner plans\r\n\r\nLet us meet.\r\n'), 'Let us meet.\r\n');
  assert.equal(withoutLegacyDisplayText('Subject: a long\n  folded subject\nCc: carol@example.org\n\nbody\n\nmore\n'), 'body\n\nmore\n');
  // A part that is nothing but the display (one of its own) has no text left.
  assert.equal(withoutLegacyDisplayText('Subject: Dinner plans\n'), '');
});

test('text/plain: a body that does not start with header fields is left whole', () => {
  for (const text of [
    'Hello Bob,\n\nsee you.\n',
    '\nSubject: later\n\nbody\n',
    ' Subject: x\n\nbody\n',
    'Subject: x\nnot a field\n\nbody\n',
    '',
  ])
    assert.equal(withoutLegacyDisplayText(text), text);
});

test('text/html: the div of class header-protection-legacy-display is cut out, the rest byte for byte', () => {
  const html =
    '<html><head><title>t</title></head><body>\n<div class="header-protection-legacy-display">\n<pre>Subject: Dinner plans</pre>\n</div>\n<p>Let us <b>meet</b>.</p>\n</body>\n</html>\n';
  assert.equal(
    withoutLegacyDisplayHtml(html),
    '<html><head><title>t</title></head><body>\n\n<p>Let us <b>meet</b>.</p>\n</body>\n</html>\n',
  );
  // Nested divs inside it, other classes beside it, single quotes, upper case.
  assert.equal(
    withoutLegacyDisplayHtml(
      `<BODY><DIV id=x CLASS='a header-protection-legacy-display'><div>Subject: x</div><div>Cc: y</div></DIV><div class="keep">text</div></BODY>`,
    ),
    '<BODY><div class="keep">text</div></BODY>',
  );
  // Never closed: it runs to the end of the body, as in a browser.
  assert.equal(
    withoutLegacyDisplayHtml('<body><p>a</p><div class="header-protection-legacy-display"><pre>Subject: x</pre></body>'),
    '<body><p>a</p></body>',
  );
});

test('text/html: look-alikes are not cut: the class in text, a comment, a script, another attribute, another element', () => {
  for (const html of [
    '<p>the class header-protection-legacy-display is named here</p>',
    '<!-- <div class="header-protection-legacy-display"> --><p>kept</p>',
    '<script>var s = \'<div class="header-protection-legacy-display">\';</script><p>kept</p>',
    '<div data-class="header-protection-legacy-display">kept</div>',
    '<div class="header-protection-legacy-display-not">kept</div>',
    '<span class="header-protection-legacy-display">kept</span>',
    '<div title="<div class=\'header-protection-legacy-display\'>">kept</div>',
  ])
    assert.equal(withoutLegacyDisplayHtml(html), html);
});

test('any text: total, linear in time, and only ever removes (the result is no longer than the input)', () => {
  const piece = fc.constantFrom(
    '<div class="header-protection-legacy-display">',
    '<div>',
    '</div>',
    '<!--',
    '-->',
    '<script>',
    '</script>',
    '"',
    "'",
    '=',
    '<',
    '>',
    '</body>',
    'Subject: x\n',
    '\n',
    ' ',
    'text',
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(piece, { maxLength: 60 }).map((p) => p.join('')),
        fc.string({ maxLength: 300 }),
      ),
      (input) => {
        const html = withinTime(1000, 'withoutLegacyDisplayHtml', () => withoutLegacyDisplayHtml(input));
        const text = withoutLegacyDisplayText(input);
        assert.ok(html.length <= input.length && text.length <= input.length);
        assert.ok(input.endsWith(text), 'the text only loses its beginning');
      },
    ),
    fuzzParams(500),
  );
});

test('a hostile 4 MB page is read in linear time', () => {
  for (const unit of [
    '<div class="header-protection-legacy-display"><a "',
    '<a b="<a ',
    '<div ='.repeat(3),
    "<!--<div class='header-protection-legacy-display'>",
  ]) {
    const input = unit.repeat(Math.ceil((4 * 1024 * 1024) / unit.length));
    withinTime(3000, `withoutLegacyDisplayHtml of ${JSON.stringify(unit)}`, () => withoutLegacyDisplayHtml(input));
  }
});
