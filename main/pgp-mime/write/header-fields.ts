/**
 * The message's header fields (RFC 5322, section 3.6): the addresses checked
 * and written with the domain in punycode (RFC 5890), message ids checked,
 * every value encoded and folded as nodemailer does it (RFC 2047 encoded
 * words, lines folded at 76), in one fixed order.
 */
import { domainToASCII } from 'node:url';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { foldLines } from 'nodemailer/lib/mime-funcs/index.js';
import { SealpostError } from '../../../app/errors.ts';
import type { Address } from './draft.ts';

/** An addr-spec without display parts: something@domain, no spaces, brackets or separators. */
const ADDR_SPEC = /^[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+$/u;

export function cleanAddress(a: Address, role: string): Address {
  const address = String(a.address ?? '').trim();
  if (!ADDR_SPEC.test(address)) throw new SealpostError('bad-input', `${role} "${address.slice(0, 200)}" is not an email address`);
  // A non-ASCII local part needs SMTPUTF8 and 8-bit headers (RFC 6531, 6532); a domain is written in punycode.
  if (/[^\x00-\x7f]/.test(address.slice(0, address.lastIndexOf('@')))) {
    throw new SealpostError('bad-input', `${role} "${address.slice(0, 200)}" has a non-ASCII local part, which cannot be sent yet`);
  }
  if (!domainToASCII(address.slice(address.lastIndexOf('@') + 1)))
    throw new SealpostError('bad-input', `${role} "${address.slice(0, 200)}" has no valid domain`);
  // No control characters in a display name: they would end the header line.
  const name = String(a.name ?? '')
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { name, address };
}

export function domainOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domainToASCII(domain) || domain;
}

/** The address as it is written in headers: the domain in punycode. */
export function asciiAddress(address: string): string {
  return `${address.slice(0, address.lastIndexOf('@'))}@${domainOf(address)}`;
}

export function msgId(value: string, what: string): string {
  const v = value.trim();
  const id = v.startsWith('<') ? v : `<${v}>`;
  if (!/^<[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(id)) throw new SealpostError('bad-input', `${what} "${v.slice(0, 200)}" is not a message id`);
  return id;
}

/** A header field's value, encoded as nodemailer encodes it (encoded words, punycode, angle brackets); unfolded. */
function encoded(name: string, value: Parameters<typeof MimeNode.encodeHeaderValue>[1]): string {
  return MimeNode.encodeHeaderValue(name, value);
}

/** One header field, folded at 76 the way nodemailer folds (at whitespace, never leaving it at a line end). */
export function fold(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, 76);
}

/** The fields that describe the message (not its MIME structure). */
export interface MessageFields {
  messageId: string;
  date: Date;
  from: Address;
  to: Address[];
  cc: Address[];
  /** Written only in drafts. */
  bcc: Address[];
  subject: string;
  inReplyTo: string | null;
  references: string[];
}

/** Name and encoded value of each message field, in the order they are written; no Subject field when it is empty. */
export function messageFieldList(f: MessageFields, subject: string): [string, string][] {
  const out: [string, string][] = [
    ['Date', encoded('Date', f.date)],
    ['From', encoded('From', f.from)],
  ];
  if (f.to.length > 0) out.push(['To', encoded('To', f.to)]);
  if (f.cc.length > 0) out.push(['Cc', encoded('Cc', f.cc)]);
  if (f.bcc.length > 0) out.push(['Bcc', encoded('Bcc', f.bcc)]);
  out.push(['Message-ID', encoded('Message-ID', f.messageId)]);
  if (f.inReplyTo) out.push(['In-Reply-To', encoded('In-Reply-To', f.inReplyTo)]);
  if (f.references.length > 0) out.push(['References', encoded('References', f.references)]);
  if (subject !== '') out.push(['Subject', encoded('Subject', subject)]);
  return out;
}
