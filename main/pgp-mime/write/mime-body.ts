/**
 * The MIME body of a message (text, HTML as multipart/alternative,
 * attachments as multipart/mixed), built by nodemailer's MailComposer, and
 * the rules that keep it 7-bit safe.
 *
 * A signature covers the exact bytes of the signed entity, and mail servers
 * rewrite what they think they may: 8-bit text, long lines, trailing
 * whitespace, a line starting with "From ". So the entity is made 7-bit safe
 * before it is signed or encrypted (RFC 3156, section 3): text parts
 * quoted-printable (or base64 when that is shorter), attachments base64,
 * "From " at a line start written as "=46rom ", CRLF line endings
 * throughout; and it is checked afterwards.
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { SealpostError } from '../../../app/errors.ts';
import type { Draft, DraftAttachment } from './draft.ts';

export const CRLF = '\r\n';

/** One logical line of text: no line breaks, no trailing whitespace (a server may strip it under a signature). */
export function oneLine(value: string): string {
  return value
    .replace(/[\r\n]+[ \t]*/g, ' ')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .trim();
}

export function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, CRLF);
}

export interface Entity {
  /** Header fields as written (folded), each without its final CRLF. */
  fields: { name: string; text: string }[];
  /** Everything after the blank line. */
  body: string;
}

function parseEntity(bytes: string): Entity {
  const end = bytes.indexOf(CRLF + CRLF);
  const head = end < 0 ? bytes : bytes.slice(0, end);
  const body = end < 0 ? '' : bytes.slice(end + 4);
  const fields: Entity['fields'] = [];
  for (const line of head.split(CRLF)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]!.text += CRLF + line;
    else fields.push({ name: line.slice(0, line.indexOf(':')).trim(), text: line });
  }
  return { fields, body };
}

/** Quoted-printable for mostly-Latin text, base64 when most of it is other scripts (shorter, and as safe). */
function textEncodingFor(text: string): 'quoted-printable' | 'base64' {
  let other = 0;
  for (const ch of text) if (ch.codePointAt(0)! > 0x7f) other++;
  return other * 3 > text.length ? 'base64' : 'quoted-printable';
}

/**
 * The MIME body built by MailComposer (text, HTML as multipart/alternative,
 * attachments as multipart/mixed): its Content-* header fields and its body,
 * 7-bit safe.
 */
export async function buildBody(draft: Draft, extraAttachments: DraftAttachment[]): Promise<Entity> {
  const html = draft.html ? crlf(draft.html) : '';
  const attachments = [...draft.attachments, ...extraAttachments];
  // Attachments without any text still go in a multipart/mixed with a (blank) text part, as mail clients write it.
  const text = crlf(draft.text) || (attachments.length > 0 && !html ? CRLF : '');
  const composer = new MailComposer({
    ...(text ? { text: { content: text, contentTransferEncoding: textEncodingFor(text) } } : {}),
    ...(html ? { html: { content: html, contentTransferEncoding: textEncodingFor(html) } } : {}),
    attachments: attachments.map((a) => ({
      filename: oneLine(a.filename) || 'attachment',
      contentType: a.contentType,
      content: Buffer.from(a.content),
      // Even message/* and text/*: 7bit or 8bit content may be changed on the way, under a signature.
      contentTransferEncoding: 'base64',
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  // As a child of another node it gets no Date, Message-ID or MIME-Version of its own.
  new MimeNode('multipart/mixed').appendChild(node);
  const built = (await node.build()).toString('latin1');
  const entity = parseEntity(built);
  entity.fields = entity.fields.filter((f) => /^Content-/i.test(f.name));
  // RFC 3156, section 3: an MTA may write ">From " for a line that starts with "From ".
  entity.body = entity.body.replace(/(^|\r\n)From /g, '$1=46rom ');
  return entity;
}

/** Add parameters to the Content-Type field (kept as written, the new ones on a line of their own). */
export function withContentTypeParams(entity: Entity, params: string): Entity {
  const fields = entity.fields.map((f) => (/^content-type$/i.test(f.name) ? { ...f, text: `${f.text};${CRLF} ${params}` } : f));
  if (!fields.some((f) => /^content-type$/i.test(f.name)))
    fields.unshift({ name: 'Content-Type', text: `Content-Type: text/plain; charset=us-ascii;${CRLF} ${params}` });
  return { ...entity, fields };
}

export function serialize(fields: string[], body: string): string {
  return fields.join(CRLF) + CRLF + CRLF + body;
}

/**
 * What a signature covers and what passes through servers unchanged: ASCII,
 * CRLF line endings, lines of at most 998 octets (76 for encoded bodies), no
 * whitespace at the end of a line.
 */
export function assertSevenBitSafe(entity: string, what: string): void {
  const fail = (why: string) => {
    throw new SealpostError('internal', `the ${what} is not 7-bit safe (${why})`);
  };
  if (/[^\x00-\x7f]/.test(entity)) fail('8-bit data');
  if (/\r(?!\n)|(?<!\r)\n/.test(entity)) fail('a bare CR or LF');
  if (/[\x00\x0b\x0c\x0e-\x1f\x7f]/.test(entity)) fail('a control character');
  for (const line of entity.split(CRLF)) {
    if (line.length > 998) fail('a line over 998 octets');
    if (/[ \t]$/.test(line)) fail('whitespace at the end of a line');
    if (line.startsWith('From ')) fail('a line starting with "From "');
  }
}
