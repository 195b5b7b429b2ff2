/**
 * The nodemailer adapter (main/mail/smtp-errors.ts) with errors made by
 * nodemailer's own SMTPConnection#_formatError, as it rejects a send: the
 * code from `code` and `responseCode`, the details from `responseCode`,
 * `response` and `command` (the enhanced status code, RFC 3463, from the
 * start of the reply, nodemailer having no field for it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { NetworkDetails, SealpostError } from '../../../app/errors.ts';
import { translateSmtpError } from '../../../main/mail/smtp-errors.ts';

/** The details of a network error (every code the adapter makes carries them). */
const net = (e: SealpostError | null): NetworkDetails => e!.details as NetworkDetails;

const endpoint = { host: '127.0.0.1', port: 2525 };
const connection = new SMTPConnection({ host: '127.0.0.1', port: 1 }) as unknown as {
  _formatError(message: string | Error, type: string, response: string | false, command: string): Error;
};
const nodemailerError = (message: string | Error, type: string, response: string | false, command: string) =>
  connection._formatError(message, type, response, command);

test('a recipient refused for good: network-rejected with the reply, its enhanced code, the verb and the text', () => {
  const e = translateSmtpError(
    nodemailerError(
      "Can't send mail - all recipients were rejected",
      'EENVELOPE',
      '550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown',
      'RCPT TO',
    ),
    endpoint,
  );
  assert.ok(e.is('network-rejected'));
  assert.deepEqual(e.details, {
    protocol: 'SMTP',
    host: '127.0.0.1',
    port: 2525,
    errno: 'EENVELOPE',
    smtp: {
      reply: 550,
      enhanced: '5.1.1',
      response: '550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown',
      command: 'RCPT',
    },
  });
  assert.equal(e.message, 'The server refused the message: the SMTP server 127.0.0.1:2525 refused the message (550 to RCPT)');
});

test('a temporary refusal (4yz): network-temporary, retryable, with the reply', () => {
  const e = translateSmtpError(
    nodemailerError('Mail command failed', 'EENVELOPE', '451 4.7.1 Greylisted, try again later', 'MAIL FROM'),
    endpoint,
  );
  assert.equal(e.code, 'network-temporary');
  assert.equal(e.retryable, true);
  assert.deepEqual(net(e).smtp, { reply: 451, enhanced: '4.7.1', response: '451 4.7.1 Greylisted, try again later', command: 'MAIL' });
});

test('a refused login: the reply code and enhanced code, never the reply text of AUTH', () => {
  const e = translateSmtpError(
    nodemailerError('Invalid login', 'EAUTH', '535 5.7.8 Error: authentication failed: dXNlcjpodW50ZXIy', 'AUTH PLAIN'),
    endpoint,
  );
  assert.equal(e.code, 'network-auth-failed');
  assert.deepEqual(net(e).smtp, { reply: 535, enhanced: '5.7.8', command: 'AUTH' });
  assert.doesNotMatch(JSON.stringify(e.toAppError()), /dXNlcjpodW50ZXIy/);
});

test('an enhanced code of another class than the reply, or none, is not reported; control characters leave the text', () => {
  const mismatch = translateSmtpError(nodemailerError('Message failed', 'EMESSAGE', '554 2.0.0 odd\r\nsecond line', 'DATA'), endpoint);
  assert.deepEqual(net(mismatch).smtp, { reply: 554, response: '554 2.0.0 odd second line', command: 'DATA' });
  const none = translateSmtpError(nodemailerError('Message failed', 'EMESSAGE', '552 Message size exceeds fixed limit', 'DATA'), endpoint);
  assert.deepEqual(net(none).smtp, { reply: 552, response: '552 Message size exceeds fixed limit', command: 'DATA' });
  const long = translateSmtpError(nodemailerError('Message failed', 'EMESSAGE', `550 ${'x'.repeat(2000)}`, 'DATA'), endpoint);
  assert.equal(net(long).smtp!.response!.length, 512);
});

test('no STARTTLS, a refused connection, a library code without a reply', () => {
  const starttls = translateSmtpError(
    nodemailerError('Error upgrading connection with STARTTLS', 'ETLS', '454 4.7.0 TLS not available', 'STARTTLS'),
    endpoint,
  );
  assert.equal(starttls.code, 'network-starttls-unavailable');
  assert.deepEqual(net(starttls).smtp, { reply: 454, enhanced: '4.7.0', response: '454 4.7.0 TLS not available', command: 'STARTTLS' });
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNREFUSED' });
  const refused = translateSmtpError(nodemailerError(socket, 'ESOCKET', false, 'CONN'), endpoint);
  assert.equal(refused.code, 'network-unavailable');
  assert.deepEqual(refused.details, { protocol: 'SMTP', host: '127.0.0.1', port: 2525, errno: 'ECONNREFUSED' });
  const api = translateSmtpError(nodemailerError('Missing credentials for "PLAIN"', 'EAUTH', false, 'API'), endpoint);
  assert.equal(api.code, 'network-auth-failed');
  assert.deepEqual(api.details, { protocol: 'SMTP', host: '127.0.0.1', port: 2525, errno: 'EAUTH' });
  const unknown = translateSmtpError(nodemailerError('Unexpected', 'EPROTOCOL', '300 what', 'DATA'), endpoint);
  assert.equal(unknown.code, 'network-bad-response');
  assert.deepEqual(net(unknown).smtp, { reply: 300, response: '300 what', command: 'DATA' });
});
