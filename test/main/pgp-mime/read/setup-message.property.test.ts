import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { SealpostError } from '../../../../app/errors.ts';
import { findArmoredMessage, findSetupPayload } from '../../../../main/pgp-mime/read/setup-message.ts';

const BLOCK = [
  '-----BEGIN PGP MESSAGE-----',
  'Passphrase-Format: numeric9x4',
  'Passphrase-Begin: 17',
  '',
  'jA0EBwMCFAxADoCdzeX/0ukBlqI5+pfpKb751qd/7nLNbkpy3gVcaf1QwRPZYt40',
  'Ufo=',
  '=pulM',
  '-----END PGP MESSAGE-----',
  '',
].join('\n');
const SPEC = readFileSync(new URL('../../../fixtures/autocrypt/example-setup-message.eml', import.meta.url));

/** Text around the block from outside (a message body, an HTML page), without an armor BEGIN line of its own. */
const around = fc.string({ maxLength: 200 }).filter((s) => !s.includes('-----BEGIN PGP MESSAGE-----'));

test('a block between any text is found exactly, whatever the line endings', () => {
  fc.assert(
    fc.property(around, around, fc.constantFrom('\n', '\r\n', '\r'), (before, after, eol) => {
      const text = `${before}\n${BLOCK.replace(/\n/g, eol)}${after}`;
      assert.equal(findArmoredMessage(text), BLOCK);
    }),
  );
});

test('any text: null, or one block from its BEGIN to its END line', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        around.map((s) => `-----BEGIN PGP MESSAGE-----\n${s}\n-----END PGP MESSAGE-----`),
      ),
      (text) => {
        const found = findArmoredMessage(text);
        if (found === null) return;
        assert.ok(found.startsWith('-----BEGIN PGP MESSAGE-----\n'));
        assert.ok(found.endsWith('\n-----END PGP MESSAGE-----\n'));
        assert.equal(found.split('-----END PGP MESSAGE-----').length, 2);
      },
    ),
  );
});

test('any bytes as a file: the payload, or a SealpostError (setup-message-invalid); never another throw', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.string({ maxLength: 400 }).map((s) => Buffer.from(`Subject: x\r\n\r\n${s}`)),
      ),
      (bytes) => {
        try {
          findSetupPayload(bytes);
        } catch (e) {
          assert.ok(e instanceof SealpostError, String(e));
          assert.equal(e.code, 'setup-message-invalid');
        }
      },
    ),
  );
});

test("the specification's example: the attachment's block; the same block in a text body (K-9, Delta Chat) and in the saved page alone", () => {
  const expected = findArmoredMessage(SPEC.toString('utf8'));
  assert.ok(expected);
  assert.equal(findSetupPayload(SPEC), expected);
  const inBody = Buffer.from(
    `From: a@example.org\r\nTo: a@example.org\r\nAutocrypt-Setup-Message: v1\r\n\r\nHello\r\n${expected.replace(/\n/g, '\r\n')}`,
  );
  assert.equal(findSetupPayload(inBody), expected);
  const page = SPEC.toString('utf8').slice(SPEC.indexOf('<html>'));
  assert.equal(findSetupPayload(Buffer.from(page)), expected);
  const v2 = Buffer.from(SPEC.toString('utf8').replace('Autocrypt-Setup-Message: v1', 'Autocrypt-Setup-Message: v2'));
  assert.throws(() => findSetupPayload(v2), /version "v2"/);
});
