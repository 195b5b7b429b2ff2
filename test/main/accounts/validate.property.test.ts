/**
 * Properties of what a user types when adding an account, for any text:
 * the server URL parser, the address check and the CA check either accept
 * or refuse with their own registry error (never another exception), an
 * error never repeats what looks like a password, and what they accept is
 * canonical (parsing the canonical form again gives the same).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatServerUrl,
  parseServerUrl,
  validateCaPem,
  validateEmail,
  validateText,
  type ServerKind,
} from '../../../main/accounts/validate.ts';
import { SealpostError } from '../../../app/errors.ts';
import { anyValue, assertRegistryError, fuzzParams, withinTime } from '../../support/arbitraries.ts';

const kind = fc.constantFrom<ServerKind>('imap', 'smtp');
const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((ip) => `[${ip}]`),
  fc.constantFrom('localhost', 'xn--mnchen-3ya.de', 'münchen.de', '[::1', '999.1.1.1', '-a.b', 'a..b', '', '[]', 'LOCALHOST.'),
  fc.string({ maxLength: 20 }),
);
const serverUrl = fc
  .tuple(
    fc.constantFrom('imaps', 'imap', 'smtps', 'smtp', 'IMAPS', 'http', 'imap+x', ''),
    fc.constantFrom('://', ':/', ':', '//'),
    fc.constantFrom('', 'user@', 'user:hunter2secret@', ':@'),
    host,
    fc.oneof(
      fc.constant(''),
      fc.integer({ min: -1, max: 70000 }).map((p) => `:${p}`),
      fc.constantFrom(':', ':0', ':00993', ':x'),
    ),
    fc.constantFrom('', '/', '/inbox', '?tls=off', '?tls=on', '?tls=off&tls=off', '?x=1', '#f', ' ', '\t', '\0'),
  )
  .map((parts) => parts.join(''));

test('a server URL is parsed or refused with account-invalid-server, never echoing a password', () => {
  fc.assert(
    fc.property(kind, fc.oneof(serverUrl, fc.string({ unit: 'binary', maxLength: 100 }), anyValue), (k, input) => {
      try {
        const server = withinTime(1000, 'parseServerUrl', () => parseServerUrl(k, input as string));
        assert.ok(Number.isInteger(server.port) && server.port >= 1 && server.port <= 65535);
        assert.ok(['tls', 'starttls', 'none'].includes(server.security));
        assert.equal(server.host, server.host.toLowerCase());
        // The canonical form reads back as the same settings.
        assert.deepEqual(parseServerUrl(k, formatServerUrl(k, server)), server);
      } catch (e) {
        assertRegistryError(e, ['account-invalid-server']);
        assert.ok(!e.message.includes('hunter2secret'), `the password is echoed: ${e.message}`);
      }
    }),
    fuzzParams(800),
  );
});

test('an account address is accepted in one canonical form or refused with account-invalid-email', () => {
  const email = fc.oneof(
    fc.emailAddress(),
    fc.tuple(fc.string({ maxLength: 70 }), fc.constantFrom('@', '@@', ''), host).map((p) => p.join('')),
    fc.string({ unit: 'binary', maxLength: 80 }),
    anyValue,
  );
  fc.assert(
    fc.property(email, (input) => {
      try {
        const canonical = validateEmail(input as string);
        assert.equal(validateEmail(canonical), canonical, 'canonical is a fixed point');
      } catch (e) {
        assertRegistryError(e, ['account-invalid-email']);
      }
    }),
    fuzzParams(600),
  );
});

test('a display or user name is accepted trimmed on one line, or refused with bad-input', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constant(undefined)), (input) => {
      try {
        const v = validateText(input, 'the name', { min: 1, max: 256 });
        assert.equal(v, v.trim());
        assert.doesNotMatch(v, /[\0-\x1f\x7f]/);
      } catch (e) {
        assertRegistryError(e, ['bad-input']);
      }
    }),
    fuzzParams(300),
  );
});

test('a CA file of any text (PEM-like, broken, with a private key) is accepted or refused with account-invalid-ca', () => {
  const pemish = fc
    .tuple(
      fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'RSA PRIVATE KEY', 'PUBLIC KEY', 'CERTIFICATE REQUEST'),
      fc.base64String({ maxLength: 400 }),
      fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'X'),
    )
    .map(([a, body, b]) => `-----BEGIN ${a}-----\n${body}\n-----END ${b}-----\n`);
  fc.assert(
    fc.property(fc.oneof(pemish, fc.string({ maxLength: 200 }), anyValue), (input) => {
      try {
        const pem = withinTime(1000, 'validateCaPem', () => validateCaPem(input as string));
        assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
      } catch (e) {
        assert.ok(e instanceof SealpostError, String(e));
        assertRegistryError(e, ['account-invalid-ca']);
      }
    }),
    fuzzParams(300),
  );
});
