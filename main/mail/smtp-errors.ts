/**
 * The one adapter from nodemailer's SMTP errors to the error registry.
 * Socket, DNS and TLS failures are read from Node's codes by the shared
 * transport translation; nodemailer's own codes and the server's reply code
 * decide the rest. Messages never quote the library's message or the
 * server's reply text (they could echo what was sent); the details carry the
 * reply from nodemailer's fields (`responseCode`, `response`, `command`).
 */
import { isSealpostError, SealpostError, type NetworkDetails } from '../../app/errors.ts';
import { endpointDetails, translateTransportError, where, type Endpoint } from './imap-errors.ts';

interface NodemailerErrorLike {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
}

/** The verbs a reply can answer (RFC 5321 section 4.1.1, RFC 3207, RFC 4954, RFC 3030); nodemailer also says API or CONN. */
const SMTP_VERBS = new Set(['EHLO', 'HELO', 'LHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'QUIT', 'STARTTLS', 'AUTH']);

/**
 * The enhanced status code after the reply code (RFC 3463 section 2, as
 * RFC 2034 section 3 places it: "550 5.1.1 ..."). nodemailer has no field
 * for it, so it is read from the start of the reply; it must agree with the
 * reply's class.
 */
function enhancedStatus(response: string, reply: number): string | undefined {
  const m = /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)/.exec(response);
  if (!m || Number(m[1]) !== Math.floor(reply / 100)) return undefined;
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
}

/** What the server answered, as details: its reply code, enhanced code, the verb, and the reply text (one line, shortened). */
function smtpReply(e: NodemailerErrorLike, reply: number): NetworkDetails['smtp'] {
  if (!(Number.isInteger(reply) && reply >= 200 && reply <= 599)) return undefined;
  const verb = typeof e.command === 'string' ? e.command.split(' ')[0]!.toUpperCase() : '';
  const response = typeof e.response === 'string' ? e.response : '';
  // The reply to AUTH is left out: a server may echo part of the exchange, which carries the credentials (RFC 4954 section 4).
  const text =
    verb === 'AUTH'
      ? ''
      : response
          .replace(/[\x00-\x1f\x7f]+/g, ' ')
          .trim()
          .slice(0, 512);
  const enhanced = enhancedStatus(response, reply);
  return {
    reply,
    ...(enhanced ? { enhanced } : {}),
    ...(text ? { response: text } : {}),
    ...(SMTP_VERBS.has(verb) ? { command: verb } : {}),
  };
}

/** Any error from a nodemailer SMTP transport as a registry error. */
export function translateSmtpError(error: unknown, endpoint: Endpoint): SealpostError {
  if (isSealpostError(error)) return error;
  const e = (error && typeof error === 'object' ? error : {}) as NodemailerErrorLike;
  const at = `SMTP server ${where(endpoint)}`;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : 0;
  const code = typeof e.code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(e.code) ? e.code : undefined;
  const smtp = smtpReply(e, reply);
  const details: NetworkDetails = { ...endpointDetails(endpoint, 'SMTP', code), ...(smtp ? { smtp } : {}) };
  if (e.code === 'EAUTH' && !(reply >= 400 && reply < 500)) {
    return new SealpostError('network-auth-failed', `the ${at} refused the login${reply ? ` (${reply})` : ''}`, details);
  }
  if (e.code === 'ETLS' && e.command === 'STARTTLS' && reply !== 0) {
    return new SealpostError(
      'network-starttls-unavailable',
      `the ${at} does not offer STARTTLS (${reply}); add ?tls=off to the URL only if plain text is really wanted`,
      details,
    );
  }
  if (reply >= 400 && reply < 500) {
    return new SealpostError(
      'network-temporary',
      `the ${at} answered ${reply}${e.command ? ` to ${e.command.split(' ')[0]}` : ''}`,
      details,
    );
  }
  if (reply >= 500 && reply < 600 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
    // A permanent refusal of this message (RFC 5321 section 4.2.1: 5yz): sending it again would fail the same way.
    return new SealpostError(
      'network-rejected',
      `the ${at} refused the message (${reply}${e.command ? ` to ${e.command.split(' ')[0]}` : ''})`,
      details,
    );
  }
  const transport = translateTransportError(error, endpoint, 'SMTP');
  if (transport) return transport;
  if (e.code === 'ETIMEDOUT') return new SealpostError('network-timeout', `no answer from the ${at}`, details);
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new SealpostError('network-unavailable', `the ${at} could not be reached or closed the connection (${e.code})`, details);
  }
  if (e.code === 'ETLS') return new SealpostError('network-tls', `the TLS connection to the ${at} failed`, details);
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') return new SealpostError('network-auth-failed', `the ${at} refused the login`, details);
  return new SealpostError(
    'network-bad-response',
    `the ${at} gave an answer that cannot be used (${code ?? 'no code'}${reply ? ` ${reply}` : ''})`,
    details,
  );
}
