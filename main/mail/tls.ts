/**
 * The TLS options of every IMAP and SMTP connection, in one place:
 *
 * - certificates are always checked (`rejectUnauthorized`), whatever the account says;
 * - an account's own CA is added to the system's roots (Node's `tls.rootCertificates`), never put in their place;
 * - TLS 1.2 at least (RFC 8996 deprecates 1.0 and 1.1);
 * - SNI (`servername`) for host names only: RFC 6066, section 3 forbids IP literals there. The certificate is
 *   checked against the host either way.
 */
import { rootCertificates, type ConnectionOptions } from 'node:tls';

/** TLS options: the system's roots plus the account's CA certificates, verification on, TLS 1.2 at least. */
export function tlsOptions(host: string, caPem: string | null | undefined): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(caPem ? { ca: [...rootCertificates, caPem] } : {}),
    ...(isIpLiteral(host) ? {} : { servername: host }),
  };
}

/** An IPv4 address (digits and dots) or an IPv6 one (it has a colon, which no host name has). */
function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$|:/.test(host);
}
