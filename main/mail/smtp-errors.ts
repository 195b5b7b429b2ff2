/**
 * The one adapter from nodemailer's SMTP errors to the error registry.
 * Socket, DNS and TLS failures are read from Node's codes by the shared
 * transport translation; nodemailer's own codes and the server's reply code
 * decide the rest. Details never quote the library's message or the
 * server's reply text (they could echo what was sent).
 */
import { SealpostError } from '../../app/errors.ts';
import { translateTransportError, where, type Endpoint } from './imap-errors.ts';

interface NodemailerErrorLike {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
}

/** Any error from a nodemailer SMTP transport as a registry error. */
export function translateSmtpError(error: unknown, endpoint: Endpoint): SealpostError {
  if (error instanceof SealpostError) return error;
  const e = (error && typeof error === 'object' ? error : {}) as NodemailerErrorLike;
  const at = `SMTP server ${where(endpoint)}`;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : 0;
  if (e.code === 'EAUTH' && !(reply >= 400 && reply < 500)) {
    return new SealpostError('network-auth-failed', `the ${at} refused the login${reply ? ` (${reply})` : ''}`);
  }
  if (e.code === 'ETLS' && e.command === 'STARTTLS' && reply !== 0) {
    return new SealpostError(
      'network-starttls-unavailable',
      `the ${at} does not offer STARTTLS (${reply}); add ?tls=off to the URL only if plain text is really wanted`,
    );
  }
  if (reply >= 400 && reply < 500) {
    return new SealpostError('network-temporary', `the ${at} answered ${reply}${e.command ? ` to ${e.command.split(' ')[0]}` : ''}`);
  }
  if (reply >= 500 && reply < 600 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
    // A permanent refusal of this message (RFC 5321 section 4.2.1: 5yz): sending it again would fail the same way.
    return new SealpostError(
      'network-rejected',
      `the ${at} refused the message (${reply}${e.command ? ` to ${e.command.split(' ')[0]}` : ''})`,
    );
  }
  const transport = translateTransportError(error, endpoint, 'SMTP');
  if (transport) return transport;
  if (e.code === 'ETIMEDOUT') return new SealpostError('network-timeout', `no answer from the ${at}`);
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new SealpostError('network-unavailable', `the ${at} could not be reached or closed the connection (${e.code})`);
  }
  if (e.code === 'ETLS') return new SealpostError('network-tls', `the TLS connection to the ${at} failed`);
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') return new SealpostError('network-auth-failed', `the ${at} refused the login`);
  const code = typeof e.code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(e.code) ? e.code : 'no code';
  return new SealpostError('network-bad-response', `the ${at} gave an answer that cannot be used (${code}${reply ? ` ${reply}` : ''})`);
}
