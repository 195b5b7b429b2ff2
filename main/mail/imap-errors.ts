/**
 * The one adapter from imapflow's errors (and the socket, DNS and TLS errors
 * it passes through from Node) to the error registry.
 *
 * Messages are built from our own words, the server's host and port and
 * error codes only: never from the library's message text, which could
 * quote what was sent (a password must never reach a message or a log).
 * The details are filled from the library's structured fields: Node's
 * `code`, imapflow's `responseStatus` and `serverResponseCode`.
 */
import { isSealpostError, SealpostError, type NetworkDetails } from '../../app/errors.ts';

export interface Endpoint {
  host: string;
  port: number;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL', 'ENODATA']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'EHOSTDOWN',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'SOCKET_TIMEOUT']);
/** Node's (OpenSSL's) certificate verification codes and its host name check. */
const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|^ERR_TLS_CERT|ALTNAME|HOSTNAME_MISMATCH/;
/** The same failures as Node words them, for wrappers that keep the message but drop the code. */
const CERT_MESSAGE = /certificate|self[- ]signed|altnames|unable to verify|local issuer/i;

/** An IMAP response code as RFC 5530 spells them (an atom); anything else is not passed on. */
const RESPONSE_CODE = /^[A-Z][A-Z0-9.-]{0,39}$/;
const ERRNO = /^[A-Za-z0-9_]{1,64}$/;
const IMAP_STATUSES = ['NO', 'BAD', 'BYE'] as const;

/** The server's part of a network error's details (no host when it is not a usable name). */
export function endpointDetails(endpoint: Endpoint, protocol: 'IMAP' | 'SMTP', errno?: string): NetworkDetails {
  const port = Number.isInteger(endpoint.port) && endpoint.port >= 0 && endpoint.port <= 65535 ? { port: endpoint.port } : {};
  const host = endpoint.host.length > 0 && endpoint.host.length <= 255 ? { host: endpoint.host } : {};
  return { protocol, ...host, ...port, ...(errno !== undefined && ERRNO.test(errno) ? { errno } : {}) };
}

export function where(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

interface Facts {
  codes: string[];
  messages: string[];
}

/** The codes and messages along an error and its causes. */
function facts(error: unknown): Facts {
  const codes: string[] = [];
  const messages: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, originalCode, message } = e as { code?: unknown; originalCode?: unknown; message?: unknown };
    for (const c of [code, originalCode]) if (typeof c === 'string' && c !== '') codes.push(c);
    if (typeof message === 'string') messages.push(message);
    e = (e as { cause?: unknown; _err?: unknown }).cause ?? (e as { _err?: unknown })._err;
  }
  return { codes, messages };
}

/**
 * A failure of the transport (DNS, TCP, TLS, time), from Node's codes, as a
 * registry error; null when the error is none of these. Shared with the
 * SMTP adapter because both libraries pass Node's socket errors through.
 */
export function translateTransportError(error: unknown, endpoint: Endpoint, protocol: 'IMAP' | 'SMTP'): SealpostError | null {
  const { codes, messages } = facts(error);
  const at = `${protocol} server ${where(endpoint)}`;
  const details = (errno?: string) => endpointDetails(endpoint, protocol, errno);
  const cert = codes.find((c) => CERT_CODE.test(c));
  if (cert !== undefined || messages.some((m) => CERT_MESSAGE.test(m))) {
    return new SealpostError(
      'network-tls',
      `the certificate of the ${at} was refused${cert ? ` (${cert})` : ''}; if the server uses a private CA, give it with --ca`,
      details(cert),
    );
  }
  const dns = codes.find((c) => DNS_CODES.has(c));
  if (dns) return new SealpostError('network-unavailable', `${endpoint.host} does not resolve (${dns})`, details(dns));
  const timeout = codes.find((c) => TIMEOUT_CODES.has(c));
  if (timeout) return new SealpostError('network-timeout', `no answer from the ${at} (${timeout})`, details(timeout));
  const unreachable = codes.find((c) => UNREACHABLE_CODES.has(c));
  if (unreachable) return new SealpostError('network-unavailable', `${at}: connection failed (${unreachable})`, details(unreachable));
  const tls = codes.find((c) => /^ERR_SSL_|^ERR_TLS_/.test(c));
  if (tls !== undefined) {
    // Not a certificate: the other side did not speak TLS (a plain-text port under a TLS scheme) or no common version.
    return new SealpostError(
      'network-bad-response',
      `no TLS connection with the ${at} (${tls}); check the scheme and port of the URL`,
      details(tls),
    );
  }
  return null;
}

interface ImapFlowErrorLike {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseStatus?: string;
}

/** Any error from an imapflow connection as a registry error. */
export function translateImapError(error: unknown, endpoint: Endpoint): SealpostError {
  if (isSealpostError(error)) return error;
  const e = (error && typeof error === 'object' ? error : {}) as ImapFlowErrorLike;
  const at = `IMAP server ${where(endpoint)}`;
  const responseCode = typeof e.serverResponseCode === 'string' ? e.serverResponseCode.toUpperCase() : '';
  const status = IMAP_STATUSES.find((s) => s === e.responseStatus);
  const code = typeof e.code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(e.code) ? e.code : undefined;
  // What the server answered (RFC 9051 section 7.1): its status and the response code in brackets (RFC 5530).
  const imap: NonNullable<NetworkDetails['imap']> = {
    ...(status ? { status } : {}),
    ...(RESPONSE_CODE.test(responseCode) ? { responseCode } : {}),
  };
  const details: NetworkDetails = { ...endpointDetails(endpoint, 'IMAP', code), ...(Object.keys(imap).length > 0 ? { imap } : {}) };
  if (responseCode === 'UNAVAILABLE' || e.code === 'ETHROTTLE') {
    return new SealpostError('network-temporary', `the ${at} is unavailable for now (${responseCode || e.code})`, details);
  }
  if (e.authenticationFailed === true) {
    return new SealpostError('network-auth-failed', `the ${at} refused the login${responseCode ? ` (${responseCode})` : ''}`, details);
  }
  const transport = translateTransportError(error, endpoint, 'IMAP');
  if (transport) return transport;
  if (e.tlsFailed === true) {
    return new SealpostError(
      'network-starttls-unavailable',
      `the ${at} does not offer STARTTLS; add ?tls=off to the URL only if plain text is really wanted`,
      details,
    );
  }
  if (
    e.code === 'NoConnection' ||
    e.code === 'EConnectionClosed' ||
    e.code === 'ClosedAfterConnectText' ||
    e.code === 'ClosedAfterConnectTLS'
  ) {
    return new SealpostError('network-unavailable', `the ${at} closed the connection (${e.code})`, details);
  }
  return new SealpostError('network-bad-response', `the ${at} gave an answer that cannot be used (${code ?? 'no code'})`, details);
}
