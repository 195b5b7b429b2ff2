/**
 * The imapflow adapter (main/mail/imap-errors.ts) with errors shaped as
 * imapflow 2.x and Node throw them: the code from their fields, and details
 * from `responseStatus`, `serverResponseCode` and Node's `code`, never from
 * their text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SealpostError, type NetworkDetails } from '../../../app/errors.ts';
import { translateImapError, translateTransportError } from '../../../main/mail/imap-errors.ts';

/** The details of a network error (every code the adapter makes carries them). */
const net = (e: SealpostError | null): NetworkDetails => e!.details as NetworkDetails;

const endpoint = { host: 'imap.example.org', port: 993 };

/** An error as imapflow rejects a command with: a tagged NO/BAD, its response code and text (tools.js enhanceCommandError). */
function commandFailure(fields: Record<string, unknown>): Error {
  return Object.assign(new Error('Command failed'), { response: 'NO [X] the server text', ...fields });
}

test('a refused login: network-auth-failed with the status and response code (RFC 5530)', () => {
  const e = translateImapError(
    commandFailure({
      responseStatus: 'NO',
      serverResponseCode: 'AUTHENTICATIONFAILED',
      authenticationFailed: true,
      responseText: 'Authentication failed: password=hunter2',
    }),
    endpoint,
  );
  assert.ok(e.is('network-auth-failed'));
  assert.deepEqual(e.details, {
    protocol: 'IMAP',
    host: 'imap.example.org',
    port: 993,
    imap: { status: 'NO', responseCode: 'AUTHENTICATIONFAILED' },
  });
  assert.equal(
    e.message,
    'The server refused the user name or password: the IMAP server imap.example.org:993 refused the login (AUTHENTICATIONFAILED)',
  );
  assert.doesNotMatch(JSON.stringify(e.toAppError()), /hunter2|server text/, 'neither message nor details quote the server');
});

test('a refused command keeps its response code: TRYCREATE, and a response code imapflow spells in lower case', () => {
  const e = translateImapError(commandFailure({ responseStatus: 'NO', serverResponseCode: 'TRYCREATE', code: 'TRYCREATE' }), endpoint);
  assert.equal(e.code, 'network-bad-response');
  assert.deepEqual(e.details, {
    protocol: 'IMAP',
    host: 'imap.example.org',
    port: 993,
    errno: 'TRYCREATE',
    imap: { status: 'NO', responseCode: 'TRYCREATE' },
  });
  const lower = translateImapError(commandFailure({ responseStatus: 'BAD', serverResponseCode: 'cannot' }), endpoint);
  assert.deepEqual(lower.details, {
    protocol: 'IMAP',
    host: 'imap.example.org',
    port: 993,
    imap: { status: 'BAD', responseCode: 'CANNOT' },
  });
});

test('UNAVAILABLE and throttling are temporary; a response code that is not an atom is left out', () => {
  const busy = translateImapError(commandFailure({ responseStatus: 'NO', serverResponseCode: 'UNAVAILABLE' }), endpoint);
  assert.equal(busy.code, 'network-temporary');
  assert.equal(busy.retryable, true);
  assert.deepEqual(busy.details, {
    protocol: 'IMAP',
    host: 'imap.example.org',
    port: 993,
    imap: { status: 'NO', responseCode: 'UNAVAILABLE' },
  });
  const throttled = translateImapError(Object.assign(new Error('Throttled'), { code: 'ETHROTTLE', throttleReset: 1000 }), endpoint);
  assert.equal(throttled.code, 'network-temporary');
  assert.equal(net(throttled).errno, 'ETHROTTLE');
  const odd = translateImapError(commandFailure({ responseStatus: 'NO', serverResponseCode: 'NOT AN ATOM]' }), endpoint);
  assert.deepEqual(odd.details, { protocol: 'IMAP', host: 'imap.example.org', port: 993, imap: { status: 'NO' } });
});

test("Node's socket, DNS and TLS failures: the code is Node's, kept in the details", () => {
  const refused = translateImapError(
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:993'), { code: 'ECONNREFUSED', errno: -111 }),
    endpoint,
  );
  assert.equal(refused.code, 'network-unavailable');
  assert.deepEqual(refused.details, { protocol: 'IMAP', host: 'imap.example.org', port: 993, errno: 'ECONNREFUSED' });
  const dns = translateImapError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), endpoint);
  assert.deepEqual([dns.code, net(dns).errno], ['network-unavailable', 'ENOTFOUND']);
  const cert = translateImapError(
    Object.assign(new Error('self-signed certificate'), {
      code: 'NoConnection',
      _err: Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    }),
    endpoint,
  );
  assert.deepEqual([cert.code, net(cert).errno], ['network-tls', 'SELF_SIGNED_CERT_IN_CHAIN']);
  const timeout = translateImapError(Object.assign(new Error('Socket timeout'), { code: 'ETIMEOUT' }), endpoint);
  assert.deepEqual([timeout.code, net(timeout).errno], ['network-timeout', 'ETIMEOUT']);
  const plain = translateTransportError(
    Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
    endpoint,
    'SMTP',
  );
  assert.deepEqual(
    [plain!.code, plain!.details],
    ['network-bad-response', { protocol: 'SMTP', host: 'imap.example.org', port: 993, errno: 'ERR_SSL_WRONG_VERSION_NUMBER' }],
  );
  assert.equal(translateTransportError(new Error('something else'), endpoint, 'IMAP'), null);
});

test('no STARTTLS, a closed connection, an unknown failure; a SealpostError passes through as it is', () => {
  const starttls = translateImapError(Object.assign(new Error('Server does not support STARTTLS'), { tlsFailed: true }), endpoint);
  assert.deepEqual(
    [starttls.code, starttls.details],
    ['network-starttls-unavailable', { protocol: 'IMAP', host: 'imap.example.org', port: 993 }],
  );
  const closed = translateImapError(Object.assign(new Error('Connection not available'), { code: 'NoConnection' }), endpoint);
  assert.deepEqual([closed.code, net(closed).errno], ['network-unavailable', 'NoConnection']);
  const odd = translateImapError(Object.assign(new Error('?'), { code: 'has spaces in it' }), endpoint);
  assert.deepEqual([odd.code, odd.details], ['network-bad-response', { protocol: 'IMAP', host: 'imap.example.org', port: 993 }]);
  assert.equal(translateImapError('a string', endpoint).code, 'network-bad-response');
  const ours = new SealpostError('network-timeout', 'mine');
  assert.equal(translateImapError(ours, endpoint), ours);
});
