/**
 * Checks for what a user types when adding an account: the address, the
 * server URLs of the command-line contract, an extra CA certificate. Errors
 * name the problem and never repeat a password (a URL with one in it is not
 * echoed).
 */
import { X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { SealpostError } from '../../app/errors.ts';
import type { ServerSettings, TransportSecurity } from '../store/accounts.ts';

export type ServerKind = 'imap' | 'smtp';

export type ServerAddress = Omit<ServerSettings, 'user'>;

const SCHEMES: Record<ServerKind, Record<string, { security: TransportSecurity; port: number }>> = {
  imap: { imaps: { security: 'tls', port: 993 }, imap: { security: 'starttls', port: 143 } },
  smtp: { smtps: { security: 'tls', port: 465 }, smtp: { security: 'starttls', port: 587 } },
};

const EXAMPLES: Record<ServerKind, string> = {
  imap: 'imaps://host:993, or imap://host:143 (STARTTLS)',
  smtp: 'smtps://host:465, or smtp://host:587 (STARTTLS)',
};

/** A host name (IDNA allowed) or an IP address, in ASCII lower case; IPv6 without brackets. */
function checkHost(raw: string, fail: (why: string) => never): string {
  if (raw.startsWith('[')) {
    const inner = raw.endsWith(']') ? raw.slice(1, -1) : '';
    if (!isIPv6(inner)) fail('the IPv6 address in brackets is not valid');
    return inner.toLowerCase();
  }
  if (raw === '') fail('the host is missing');
  if (isIPv4(raw)) return raw;
  if (/^[0-9.]+$/.test(raw)) fail('the IPv4 address is not valid');
  const ascii = domainToASCII(raw);
  if (!ascii || ascii.length > 253) fail('the host name is not valid');
  const labels = ascii.replace(/\.$/, '').split('.');
  if (!labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) fail('the host name is not valid');
  return labels.join('.');
}

/**
 * Parses a server URL of the contract: `imaps://host:993`, `imap://host:143`
 * (STARTTLS required; `?tls=off` for plain text, only when asked for),
 * `smtps://host:465`, `smtp://host:587` (STARTTLS; `?tls=off` as for IMAP).
 * The port defaults to the scheme's. No user, password, path or fragment.
 */
export function parseServerUrl(kind: ServerKind, input: string): ServerAddress {
  const label = kind.toUpperCase();
  const fail = (why: string): never => {
    throw new SealpostError('account-invalid-server', `${label}: ${why} (use ${EXAMPLES[kind]})`);
  };
  if (typeof input !== 'string' || input.trim() === '' || input.length > 2048) fail('the URL is missing');
  const url = input.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(url);
  if (!m) fail('not a URL');
  const scheme = m![1]!.toLowerCase();
  const spec = SCHEMES[kind][scheme];
  if (!spec) fail(`the scheme ${scheme}:// is not one for ${label}`);
  let rest = m![2]!;
  if (/[\s\0-\x1f\x7f]/.test(rest)) fail('the URL contains spaces or control characters');
  if (rest.includes('#')) fail('a URL fragment (#...) has no meaning here');
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  if (slash >= 0 && rest.slice(slash) !== '/') fail('a path has no meaning here');
  if (authority.includes('@')) fail('put the user name in its own field and the password in a file, not in the URL');
  const hp = /^(\[[^\]]*\]|[^:]*)(?::([0-9]*))?$/.exec(authority);
  if (!hp) fail('the host and port are not valid');
  const host = checkHost(hp![1]!, fail);
  let port = spec!.port;
  if (hp![2] !== undefined) {
    if (!/^[0-9]{1,5}$/.test(hp![2]) || Number(hp![2]) < 1 || Number(hp![2]) > 65535) fail('the port must be a number from 1 to 65535');
    port = Number(hp![2]);
  }
  let security = spec!.security;
  if (query !== '') {
    const params = new URLSearchParams(query);
    const keys = [...params.keys()];
    if (keys.some((k) => k !== 'tls') || keys.length > 1) fail('the only option is ?tls=off');
    if (params.get('tls') !== 'off') fail('tls= takes only "off"');
    if (security === 'tls') fail(`?tls=off contradicts ${scheme}:// (use ${kind}:// for a server without TLS)`);
    security = 'none';
  }
  return { host, port, security };
}

/** The canonical URL of server settings: what `account list` prints. */
export function formatServerUrl(kind: ServerKind, server: ServerAddress): string {
  const scheme = server.security === 'tls' ? `${kind}s` : kind;
  const host = isIPv6(server.host) ? `[${server.host}]` : server.host;
  return `${scheme}://${host}:${server.port}${server.security === 'none' ? '?tls=off' : ''}`;
}

/**
 * An email address as an account's: `local@domain`, the domain in lower
 * case. No display name, no quoted local part, no address literal.
 */
export function validateEmail(input: string): string {
  const fail = (why: string): never => {
    throw new SealpostError('account-invalid-email', why);
  };
  if (typeof input !== 'string') fail('the address is missing');
  const email = input.trim().normalize('NFC');
  if (email === '' || email.length > 254) fail('an address is 3 to 254 characters');
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) fail('an address is local-part@domain');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (local.length > 64) fail('the part before @ is longer than 64 characters');
  if (/[\s\0-\x1f\x7f"(),:;<>@[\\\]]/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    fail('the part before @ is not valid');
  }
  const ascii = domainToASCII(domain);
  if (
    !ascii ||
    !ascii
      .replace(/\.$/, '')
      .split('.')
      .every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))
  ) {
    fail('the domain is not valid');
  }
  return `${local}@${domain.replace(/\.$/, '')}`;
}

/** A display name or user name: bounded, one line, no control characters. */
export function validateText(input: string | undefined, what: string, options: { min: number; max: number }): string {
  const value = (input ?? '').trim();
  if (value.length < options.min || value.length > options.max || /[\0-\x1f\x7f]/.test(value)) {
    throw new SealpostError('bad-input', `${what} must be ${options.min} to ${options.max} characters on one line`);
  }
  return value;
}

const MAX_CA = 1024 * 1024;

/**
 * Extra trusted certificates for an account (a private CA, or a server's
 * self-signed certificate): one or more PEM certificates, each parsed.
 * Returns them re-encoded, one after the other.
 */
export function validateCaPem(input: string): string {
  const fail = (why: string): never => {
    throw new SealpostError('account-invalid-ca', why);
  };
  if (typeof input !== 'string' || input.length > MAX_CA) fail('a CA file is at most 1 MiB of PEM text');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input)) fail('the file holds a private key; give only the certificate');
  const blocks = input.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail('no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
  return blocks
    .map((block, i) => {
      try {
        return new X509Certificate(block).toString().trim();
      } catch {
        return fail(`certificate ${i + 1} cannot be read`);
      }
    })
    .join('\n')
    .concat('\n');
}
