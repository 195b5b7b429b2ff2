/**
 * The pieces of the report that are read off the content once the walk has
 * decided what the content is: the first address and the date of a header
 * field, the entity that carries protected header fields (RFC 9788, section
 * 2.1, and the legacy text/rfc822-headers part), and the attachments (each
 * with its size and SHA-256, marked protected when inside the signed or
 * decrypted entity).
 */
import { createHash } from 'node:crypto';
import type { Address, InspectReport } from '../../../app/inspect-report.ts';
import { decodeBody, filenameOf, headerValue, isAttachment, parseEntity, partText, walk, type MimePart } from './mime-parse.ts';
import { parseAddresses } from './addresses.ts';
import { isLegacyHeaderPart } from './body-text.ts';

export function firstAddress(value: string | undefined): Address | null {
  return parseAddresses(value)[0] ?? null;
}

export function isoDate(value: string | undefined): string | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/\s+\([^)]*\)\s*$/, ''));
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** The entity that carries protected header fields: the inner root, or (legacy) its text/rfc822-headers part. */
export function findProtectedHeaderEntity(inner: MimePart): MimePart {
  if (headerValue(inner, 'subject') !== undefined) return inner;
  const legacy = inner.children.find(isLegacyHeaderPart);
  if (legacy) {
    const headers = partText(legacy);
    const parsed = parseEntity(Buffer.from(`${headers.trim()}\r\n\r\n`, 'utf8'), legacy.path, 0);
    return { ...parsed, params: { ...parsed.params, 'protected-headers': 'v1' } };
  }
  return inner;
}

/** The attachments of the content, in the order the report lists them. */
export function attachmentPartsOf(content: MimePart): MimePart[] {
  const out: MimePart[] = [];
  for (const part of walk(content)) {
    if (part.children.length > 0 || !isAttachment(part)) continue;
    if (/^application\/pgp-(signature|encrypted)$/.test(part.contentType)) continue;
    out.push(part);
  }
  return out;
}

export function attachmentEntry(part: MimePart, isProtected: boolean): InspectReport['attachments'][number] {
  const data = decodeBody(part);
  return {
    filename: filenameOf(part) ?? 'attachment',
    contentType: part.contentType,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    protected: isProtected,
  };
}
