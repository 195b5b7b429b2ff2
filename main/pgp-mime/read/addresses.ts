import addressparser from 'nodemailer/lib/addressparser';
import { decodeHeader } from './mime-parse.ts';
import type { Address } from '../../../app/inspect-report.ts';

/** Mailboxes of an address header (groups flattened), names decoded (RFC 2047). */
export function parseAddresses(value: string | undefined): Address[] {
  if (!value) return [];
  return addressparser(value, { flatten: true }).map((a) => ({ name: decodeHeader(a.name ?? ''), address: a.address ?? '' }));
}
