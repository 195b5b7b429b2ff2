import { convert } from 'html-to-text';
import { type MimePart, isAttachment, partText, headerValue } from '../mime/parse.ts';

/** HTML beyond this is not converted (a hostile 50 MB page must not stall the reader). */
const HTML_LIMIT = 4 * 1024 * 1024;

/** HTML as the plain text a reader would see (links kept as text, no images). */
export function htmlToText(html: string): string {
  return convert(html.length > HTML_LIMIT ? html.slice(0, HTML_LIMIT) : html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }, { selector: 'a', options: { ignoreHref: true } }] });
}

/** The legacy display part of protected headers (Enigmail, "protected-headers=v1"): not body text. */
export function isLegacyHeaderPart(part: MimePart): boolean {
  return part.contentType === 'text/rfc822-headers' || (part.contentType === 'text/plain' && (part.params['protected-headers'] ?? '').toLowerCase() === 'v1' && /legacy-display/i.test(headerValue(part, 'content-type') ?? ''));
}

/** A body beyond this is cut off in the report and the reader (a compressed bomb must not become a 64 MB string). */
export const TEXT_LIMIT = 2 * 1024 * 1024;

/**
 * The text of an entity as the reader shows it: the plain-text alternative
 * (or the HTML one as text), inline text parts in order, attachments and
 * signature or key parts left out.
 */
export function bodyText(part: MimePart): string {
  if (part.contentType === 'multipart/alternative') {
    const plain = part.children.find((c) => c.contentType === 'text/plain');
    const chosen = plain ?? part.children.find((c) => c.contentType === 'text/html') ?? part.children[0];
    return chosen ? bodyText(chosen) : '';
  }
  if (part.contentType.startsWith('multipart/')) {
    return part.children
      .filter((c) => !isAttachment(c) && !isLegacyHeaderPart(c) && !/^application\/pgp-(signature|keys|encrypted)$/.test(c.contentType))
      .map(bodyText)
      .filter((t) => t !== '')
      .join('\n');
  }
  if (isAttachment(part)) return '';
  if (part.contentType === 'text/html') return htmlToText(partText(part, TEXT_LIMIT * 2));
  if (part.contentType.startsWith('text/')) return partText(part, TEXT_LIMIT);
  return '';
}
