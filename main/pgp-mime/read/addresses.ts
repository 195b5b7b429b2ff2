import addressparser from 'nodemailer/lib/addressparser';
import { domainToUnicode } from 'node:url';
import { decodeHeader } from './mime-parse.ts';
import type { Address } from '../../../app/inspect-report.ts';

/** Mailboxes of an address header (groups flattened), names decoded (RFC 2047). */
export function parseAddresses(value: string | undefined): Address[] {
  if (!value) return [];
  return addressparser(value, { flatten: true }).map((a) => ({ name: decodeHeader(a.name ?? ''), address: a.address ?? '' }));
}

/**
 * One form for comparing addresses: Unicode NFC, the domain in Unicode
 * (IDNA A-labels decoded) and lower case. The local part is compared without
 * case too, as every large provider and Thunderbird do.
 */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address.normalize('NFC').toLowerCase().trim();
  const local = address.slice(0, at).normalize('NFC').toLowerCase().trim();
  const domainRaw = address
    .slice(at + 1)
    .trim()
    .replace(/\.$/, '')
    .toLowerCase();
  const domain = (domainToUnicode(domainRaw) || domainRaw).normalize('NFC').toLowerCase();
  return `${local}@${domain}`;
}

export function sameAddress(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}
